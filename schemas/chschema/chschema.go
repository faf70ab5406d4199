// Package clickhouse embeds wismo's ClickHouse schema: the versioned
// migrations (NNNN_name.sql in this folder) and the analyst queries
// (queries/*.sql), and knows the conventions of those files. The migrator
// that applies them lives in sinks/chsink.
//
// # Migration files
//
// A migration is NNNN_name.sql; NNNN is its version, applied in increasing
// order, once per database. A file holds statements separated by ";" at the
// end of a statement (semicolons in strings, quoted identifiers and comments
// do not count). Rules for the statements:
//
//   - Database: every name is qualified with the placeholder {db}, which the
//     migrator replaces with the configured database (an identifier:
//     letters, digits, underscores).
//   - Idempotent: CREATE ... IF NOT EXISTS, ALTER ... MODIFY. A migration that
//     failed half way is run again from its first statement.
//   - Engines are written as the single-server engines: "ENGINE =
//     MergeTree()", "ReplacingMergeTree(ver)", "AggregatingMergeTree()". The
//     cluster variant is derived from the same text (see below).
//   - Every statement must run on ClickHouse 18.16 and on current releases,
//     unless it carries a requires marker.
//
// Markers are whole comment lines among the comments right before a
// statement:
//
//	-- requires: 20.1
//	    The statement runs only on servers of version 20.1 or later (major.minor)
//	    and is skipped on older ones: TTL, column codecs, newer settings. The
//	    migrator records what it skipped and applies it on a later run once the
//	    server has been upgraded.
//	-- backfill
//	    Only before "CREATE MATERIALIZED VIEW name TO target AS SELECT ...": the
//	    migrator follows the view with "INSERT INTO target SELECT ..." (the
//	    view's own SELECT), so that rows stored before the view existed are
//	    aggregated too. The SELECT's columns must be in the target table's
//	    order (INSERT ... SELECT is positional; a view maps by name). Safe only
//	    for views whose aggregate states are idempotent, as all of wismo's are.
//
// # Cluster variant
//
// With a cluster name, [ForCluster] rewrites each statement textually:
//
//   - "CREATE DATABASE|TABLE|VIEW|MATERIALIZED VIEW [IF NOT EXISTS] name" and
//     "ALTER TABLE name" / "DROP ... name" / "TRUNCATE TABLE name" get "ON CLUSTER `cluster`" after the
//     name;
//   - "ENGINE = XMergeTree(args)" becomes "ENGINE = ReplicatedXMergeTree(
//     '/clickhouse/tables/{shard}/<db>/<table>', '{replica}'[, args])", with
//     the server macros {shard} and {replica} left for each server to fill;
//   - INSERT statements (backfills) are unchanged: they run on the server the
//     migrator talks to, and replication copies what they write.
//
// The variant assumes one shard (replicas of the same data), which is what a
// shipment analytics store of this size needs; sharding would add Distributed
// tables over these, with shipment_id as the sharding key so that a
// shipment's aggregate states stay on one shard.
//
// # Query files
//
// queries/NAME.sql is one SELECT that runs in the target database (table names
// are not qualified: run it with that database as the default, e.g.
// clickhouse-client -d wismo). Its leading comment says what it answers and
// how it deduplicates replayed rows. A parameter is a literal followed by a
// comment naming it, "90 /* param:since_days */"; the file runs as written
// with the literal as the default, and [Query.Render] substitutes other
// (integer) values.
package chschema

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql queries/*.sql
var files embed.FS

// Version is a server version, major.minor.
type Version struct{ Major, Minor int }

// ParseVersion reads "18.16", "18.16.1" or "24.8.4.13".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("clickhouse: version %q: want major.minor", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return Version{}, fmt.Errorf("clickhouse: version %q: want major.minor", s)
	}
	return Version{major, minor}, nil
}

// AtLeast reports whether v is o or later.
func (v Version) AtLeast(o Version) bool {
	return v.Major > o.Major || v.Major == o.Major && v.Minor >= o.Minor
}

// IsZero reports whether no version is set.
func (v Version) IsZero() bool { return v == Version{} }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Statement is one statement of a migration.
type Statement struct {
	// Index is the statement's position in its migration, from 0. A
	// backfill has the index of its view plus one, and the statements after
	// it move up by one.
	Index int
	// SQL is the statement without its leading comments or the final ";",
	// with the {db} placeholder still in it.
	SQL string
	// Requires is the oldest server version that runs the statement; zero
	// means every version.
	Requires Version
	// Backfill marks the INSERT derived from a "-- backfill" view.
	Backfill bool
}

// Optional reports whether the statement runs only on newer servers.
func (s Statement) Optional() bool { return !s.Requires.IsZero() }

// Migration is one NNNN_name.sql file.
type Migration struct {
	Version    int
	Name       string // "shipment_events"
	File       string // "0001_shipment_events.sql"
	Checksum   string // sha256 of the file, hex
	Statements []Statement
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("clickhouse: migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		data, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		stmts, err := ParseStatements(string(data))
		if err != nil {
			return nil, fmt.Errorf("clickhouse: %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(data)
		out = append(out, Migration{Version: v, Name: m[2], File: e.Name(), Checksum: hex.EncodeToString(sum[:]), Statements: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

var (
	requiresLine  = regexp.MustCompile(`^--\s*requires:\s*(\S+)\s*$`)
	backfillLine  = regexp.MustCompile(`^--\s*backfill\s*$`)
	mvForBackfill = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+TO\s+(\S+)\s+AS\s+(SELECT\b.*)$`)
)

// ParseStatements splits a migration into statements and reads their
// markers.
func ParseStatements(text string) ([]Statement, error) {
	var out []Statement
	for _, chunk := range Split(text) {
		comments, body := leadingComments(chunk)
		if body == "" {
			continue
		}
		st := Statement{SQL: body}
		backfill := false
		for _, c := range comments {
			if m := requiresLine.FindStringSubmatch(c); m != nil {
				v, err := ParseVersion(m[1])
				if err != nil {
					return nil, fmt.Errorf("requires marker: %w", err)
				}
				st.Requires = v
			} else if backfillLine.MatchString(c) {
				backfill = true
			}
		}
		st.Index = len(out)
		out = append(out, st)
		if backfill {
			m := mvForBackfill.FindStringSubmatch(body)
			if m == nil {
				return nil, fmt.Errorf("backfill marker before a statement that is not CREATE MATERIALIZED VIEW ... TO ... AS SELECT: %.60q", body)
			}
			out = append(out, Statement{Index: len(out), SQL: "INSERT INTO " + m[1] + "\n" + m[2], Requires: st.Requires, Backfill: true})
		}
	}
	return out, nil
}

// leadingComments separates the comment lines before a statement from the
// statement itself.
func leadingComments(chunk string) (comments []string, body string) {
	rest := chunk
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if strings.HasPrefix(rest, "/*") {
			end := strings.Index(rest, "*/")
			if end < 0 {
				return comments, ""
			}
			rest = rest[end+2:]
			continue
		}
		if !strings.HasPrefix(rest, "--") {
			break
		}
		line, after, _ := strings.Cut(rest, "\n")
		comments = append(comments, strings.TrimSpace(line))
		rest = after
	}
	return comments, strings.TrimSpace(rest)
}

// Split splits SQL text at the semicolons that end statements, ignoring those
// in string literals, quoted identifiers and comments. Empty pieces are
// dropped; pieces keep their comments.
func Split(text string) []string {
	var (
		out   []string
		start int
	)
	flush := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\'', '"', '`':
			// Quoted: a backslash escapes the next byte; a doubled quote is
			// one quote.
			for i++; i < len(text); i++ {
				if text[i] == '\\' {
					i++
				} else if text[i] == c {
					if i+1 < len(text) && text[i+1] == c {
						i++
						continue
					}
					break
				}
			}
		case '-':
			if i+1 < len(text) && text[i+1] == '-' {
				if nl := strings.IndexByte(text[i:], '\n'); nl >= 0 {
					i += nl
				} else {
					i = len(text)
				}
			}
		case '/':
			if i+1 < len(text) && text[i+1] == '*' {
				if end := strings.Index(text[i+2:], "*/"); end >= 0 {
					i += end + 3
				} else {
					i = len(text)
				}
			}
		case ';':
			flush(i)
			start = i + 1
		}
	}
	flush(len(text))
	return out
}

// dbName is what the {db} placeholder may be replaced with.
var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidDatabase reports whether name can stand for {db}.
func ValidDatabase(name string) bool { return dbName.MatchString(name) }

// Render replaces the {db} placeholder with database.
func Render(sql, database string) string { return strings.ReplaceAll(sql, "{db}", database) }

var (
	// DDL heads that take ON CLUSTER after the object's name.
	ddlHead = regexp.MustCompile(`(?is)^(\s*(?:CREATE\s+(?:DATABASE|TABLE|VIEW|MATERIALIZED\s+VIEW)(?:\s+IF\s+NOT\s+EXISTS)?|ALTER\s+TABLE|DROP\s+(?:DATABASE|TABLE|VIEW)(?:\s+IF\s+EXISTS)?|TRUNCATE\s+TABLE(?:\s+IF\s+EXISTS)?)\s+)([A-Za-z0-9_.` + "`" + `]+)`)
	// A MergeTree-family engine and its arguments (no nested parentheses).
	engine = regexp.MustCompile(`(?i)ENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing|Graphite)?MergeTree\s*\(([^)]*)\)`)
)

// ForCluster derives the cluster variant of one statement whose {db} is
// already rendered (see the package comment). database names the replication
// path. An empty cluster returns sql unchanged.
func ForCluster(sql, database, cluster string) string {
	if cluster == "" {
		return sql
	}
	m := ddlHead.FindStringSubmatchIndex(sql)
	if m == nil {
		return sql // INSERT, SELECT: run where the migrator is connected
	}
	name := sql[m[4]:m[5]]
	table := strings.Trim(name[strings.LastIndexByte(name, '.')+1:], "`")
	out := sql[:m[5]] + " ON CLUSTER " + quoteIdent(cluster) + sql[m[5]:]
	return engine.ReplaceAllStringFunc(out, func(e string) string {
		sm := engine.FindStringSubmatch(e)
		args := "'/clickhouse/tables/{shard}/" + database + "/" + table + "', '{replica}'"
		if a := strings.TrimSpace(sm[2]); a != "" {
			args += ", " + a
		}
		return "ENGINE = Replicated" + sm[1] + "MergeTree(" + args + ")"
	})
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

// Query is one analyst query file.
type Query struct {
	Name        string // "carrier_scorecard"
	Description string // the leading comment, without the "--"
	SQL         string // the file as written (it runs with the defaults)
	Params      []Param
}

// Param is a parameter of a query, with the literal the file uses.
type Param struct{ Name, Default string }

var paramRef = regexp.MustCompile(`([0-9]+)\s*/\*\s*param:([a-z_][a-z0-9_]*)\s*\*/`)

// Queries returns the analyst queries, sorted by name.
func Queries() ([]Query, error) {
	entries, err := fs.ReadDir(files, "queries")
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		data, err := files.ReadFile("queries/" + e.Name())
		if err != nil {
			return nil, err
		}
		q, err := parseQuery(strings.TrimSuffix(e.Name(), ".sql"), string(data))
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupQuery returns the query called name.
func LookupQuery(name string) (Query, error) {
	qs, err := Queries()
	if err != nil {
		return Query{}, err
	}
	for _, q := range qs {
		if q.Name == name {
			return q, nil
		}
	}
	return Query{}, fmt.Errorf("clickhouse: no query %q", name)
}

func parseQuery(name, text string) (Query, error) {
	comments, body := leadingComments(text)
	if body == "" || len(comments) == 0 {
		return Query{}, fmt.Errorf("clickhouse: query %s: needs a leading comment and a statement", name)
	}
	if n := len(Split(text)); n != 1 {
		return Query{}, fmt.Errorf("clickhouse: query %s: %d statements, want 1", name, n)
	}
	var desc strings.Builder
	for _, c := range comments {
		desc.WriteString(strings.TrimPrefix(strings.TrimPrefix(c, "--"), " "))
		desc.WriteByte('\n')
	}
	q := Query{Name: name, Description: desc.String(), SQL: strings.TrimSuffix(strings.TrimSpace(text), ";")}
	defaults := map[string]string{}
	for _, m := range paramRef.FindAllStringSubmatch(body, -1) {
		if d, ok := defaults[m[2]]; ok {
			if d != m[1] {
				return Query{}, fmt.Errorf("clickhouse: query %s: parameter %s has defaults %s and %s", name, m[2], d, m[1])
			}
			continue
		}
		defaults[m[2]] = m[1]
		q.Params = append(q.Params, Param{Name: m[2], Default: m[1]})
	}
	return q, nil
}

var unsigned = regexp.MustCompile(`^[0-9]+$`)

// Render returns the query with the given parameters substituted (others
// keep their defaults). Values must be unsigned integers.
func (q Query) Render(params map[string]string) (string, error) {
	known := map[string]bool{}
	for _, p := range q.Params {
		known[p.Name] = true
	}
	for k, v := range params {
		if !known[k] {
			return "", fmt.Errorf("clickhouse: query %s has no parameter %s", q.Name, k)
		}
		if !unsigned.MatchString(v) {
			return "", fmt.Errorf("clickhouse: query %s: parameter %s=%q is not an unsigned integer", q.Name, k, v)
		}
	}
	return paramRef.ReplaceAllStringFunc(q.SQL, func(s string) string {
		m := paramRef.FindStringSubmatch(s)
		if v, ok := params[m[2]]; ok {
			return v + " /* param:" + m[2] + " */"
		}
		return s
	}), nil
}
