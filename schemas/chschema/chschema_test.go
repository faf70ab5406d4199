package chschema

import (
	"regexp"
	"strings"
	"testing"
)

func TestMigrationsParse(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 5 {
		t.Fatalf("%d migrations", len(ms))
	}
	backfills, optional := 0, 0
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.File, m.Version, i+1)
		}
		if len(m.Checksum) != 64 {
			t.Errorf("%s: checksum %q", m.File, m.Checksum)
		}
		for j, st := range m.Statements {
			if st.Index != j {
				t.Errorf("%s: statement %d has index %d", m.File, j, st.Index)
			}
			if strings.HasSuffix(st.SQL, ";") || strings.HasPrefix(st.SQL, "--") {
				t.Errorf("%s: statement %d not trimmed: %.40q", m.File, j, st.SQL)
			}
			upper := strings.ToUpper(st.SQL)
			// Idempotent, so that a half-applied migration can run again.
			if strings.HasPrefix(upper, "CREATE") && !strings.Contains(upper[:min(60, len(upper))], "IF NOT EXISTS") {
				t.Errorf("%s: statement %d is a CREATE without IF NOT EXISTS", m.File, j)
			}
			if !strings.Contains(st.SQL, "{db}.") && !strings.HasPrefix(upper, "CREATE DATABASE") {
				t.Errorf("%s: statement %d names no {db} table: %.60q", m.File, j, st.SQL)
			}
			if st.Backfill {
				backfills++
				if !strings.HasPrefix(st.SQL, "INSERT INTO {db}.") || !strings.Contains(st.SQL, "FROM {db}.shipment_events") && !strings.Contains(st.SQL, "FROM {db}.notifications") {
					t.Errorf("%s: backfill %d: %.80q", m.File, j, st.SQL)
				}
			}
			if st.Optional() {
				optional++
				// What 18.16 lacks must be marked optional, and only that.
			} else {
				for _, newer := range []string{"CODEC(", " TTL ", "MODIFY SETTING", "LowCardinality", "DateTime64", "JSONExtract"} {
					if strings.Contains(st.SQL, newer) {
						t.Errorf("%s: statement %d uses %s without a requires marker", m.File, j, newer)
					}
				}
			}
		}
	}
	if backfills != 9 {
		t.Errorf("%d backfills, want 9 (one per materialized view; 0011 and 0013 made shipment_lookup's two again)", backfills)
	}
	if optional == 0 {
		t.Error("no optional statements")
	}
}

func TestParseStatementsMarkers(t *testing.T) {
	sts, err := ParseStatements(`
-- a table; with a semicolon in a comment
CREATE TABLE IF NOT EXISTS {db}.t (s String DEFAULT 'a;b', "q;" UInt8) ENGINE = MergeTree() ORDER BY s;
/* block; comment */
-- requires: 20.3
ALTER TABLE {db}.t MODIFY TTL now() + INTERVAL 1 DAY;
-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mv TO {db}.agg AS
SELECT s, countState() AS c FROM {db}.t GROUP BY s;
-- trailing comment only
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 4 {
		t.Fatalf("%d statements: %+v", len(sts), sts)
	}
	if sts[0].Optional() || !strings.Contains(sts[0].SQL, "'a;b'") {
		t.Errorf("statement 0: %+v", sts[0])
	}
	if sts[1].Requires != (Version{20, 3}) || !strings.HasPrefix(sts[1].SQL, "ALTER") {
		t.Errorf("statement 1: %+v", sts[1])
	}
	if sts[3].SQL != "INSERT INTO {db}.agg\nSELECT s, countState() AS c FROM {db}.t GROUP BY s" || !sts[3].Backfill || sts[3].Index != 3 {
		t.Errorf("backfill: %+v", sts[3])
	}
	if _, err := ParseStatements("-- backfill\nCREATE TABLE {db}.x (a UInt8) ENGINE = MergeTree() ORDER BY a"); err == nil {
		t.Error("backfill marker on a table: no error")
	}
	if _, err := ParseStatements("-- requires: twenty\nSELECT 1"); err == nil {
		t.Error("bad requires marker: no error")
	}
}

func TestVersion(t *testing.T) {
	for s, want := range map[string]Version{"18.16.1": {18, 16}, "24.8.4.13": {24, 8}, "20.1": {20, 1}} {
		if v, err := ParseVersion(s); err != nil || v != want {
			t.Errorf("ParseVersion(%q) = %v, %v", s, v, err)
		}
	}
	if _, err := ParseVersion("18"); err == nil {
		t.Error("ParseVersion(18): no error")
	}
	if !(Version{20, 1}).AtLeast(Version{20, 1}) || (Version{18, 16}).AtLeast(Version{20, 1}) || !(Version{21, 0}).AtLeast(Version{20, 1}) {
		t.Error("AtLeast")
	}
}

func TestForCluster(t *testing.T) {
	cases := []struct{ in, want string }{
		{"CREATE DATABASE IF NOT EXISTS wismo", "CREATE DATABASE IF NOT EXISTS wismo ON CLUSTER `prod`"},
		{
			"CREATE TABLE IF NOT EXISTS wismo.shipment_events\n(\n    a String\n)\nENGINE = ReplacingMergeTree(ingested_at)\nORDER BY a",
			"CREATE TABLE IF NOT EXISTS wismo.shipment_events ON CLUSTER `prod`\n(\n    a String\n)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/wismo/shipment_events', '{replica}', ingested_at)\nORDER BY a",
		},
		{
			"CREATE TABLE IF NOT EXISTS wismo.agg (a String) ENGINE = AggregatingMergeTree() ORDER BY a",
			"CREATE TABLE IF NOT EXISTS wismo.agg ON CLUSTER `prod` (a String) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/wismo/agg', '{replica}') ORDER BY a",
		},
		{
			"CREATE MATERIALIZED VIEW IF NOT EXISTS wismo.mv TO wismo.agg AS SELECT 1",
			"CREATE MATERIALIZED VIEW IF NOT EXISTS wismo.mv ON CLUSTER `prod` TO wismo.agg AS SELECT 1",
		},
		{"CREATE VIEW IF NOT EXISTS wismo.v AS SELECT 1", "CREATE VIEW IF NOT EXISTS wismo.v ON CLUSTER `prod` AS SELECT 1"},
		{"ALTER TABLE wismo.t MODIFY TTL x + INTERVAL 1 DAY", "ALTER TABLE wismo.t ON CLUSTER `prod` MODIFY TTL x + INTERVAL 1 DAY"},
		{"INSERT INTO wismo.agg SELECT 1", "INSERT INTO wismo.agg SELECT 1"},
	}
	for _, c := range cases {
		if got := ForCluster(c.in, "wismo", "prod"); got != c.want {
			t.Errorf("ForCluster(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := ForCluster(c.in, "wismo", ""); got != c.in {
			t.Errorf("no cluster changed %q", c.in)
		}
	}

	// Every embedded statement: DDL gets ON CLUSTER right after its name,
	// every MergeTree becomes Replicated with a path unique to its table,
	// and nothing else changes.
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	onCluster := regexp.MustCompile("^(CREATE|ALTER|DROP|TRUNCATE)[A-Z ]* analytics(\\.[a-z0-9_]+)? ON CLUSTER `c1`")
	paths := map[string]bool{}
	for _, m := range ms {
		for _, st := range m.Statements {
			sql := Render(st.SQL, "analytics")
			got := ForCluster(sql, "analytics", "c1")
			if st.Backfill {
				if got != sql {
					t.Errorf("%s: backfill changed", m.File)
				}
				continue
			}
			if !onCluster.MatchString(got) {
				t.Errorf("%s: statement %d: no ON CLUSTER after the name: %.100q", m.File, st.Index, got)
			}
			if strings.Contains(sql, "MergeTree(") {
				p := regexp.MustCompile(`Replicated\w*MergeTree\('(/clickhouse/tables/\{shard\}/analytics/\w+)', '\{replica\}'`).FindStringSubmatch(got)
				if p == nil {
					t.Errorf("%s: statement %d: engine not replicated: %q", m.File, st.Index, got)
				} else if paths[p[1]] {
					t.Errorf("%s: replication path %s used twice", m.File, p[1])
				} else {
					paths[p[1]] = true
				}
			}
			if strings.Count(got, "ON CLUSTER") != 1 {
				t.Errorf("%s: statement %d: %d ON CLUSTER", m.File, st.Index, strings.Count(got, "ON CLUSTER"))
			}
		}
	}
	if len(paths) != 9 {
		t.Errorf("%d replicated tables, want 9", len(paths))
	}
}

func TestQueries(t *testing.T) {
	qs, err := Queries()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, q := range qs {
		names = append(names, q.Name)
		if !strings.Contains(q.Description, "Dedup:") {
			t.Errorf("%s: the header does not say how it deduplicates", q.Name)
		}
		if !strings.HasPrefix(q.Description, q.Name+":") {
			t.Errorf("%s: the header does not start with the query's name", q.Name)
		}
		if strings.Contains(q.SQL, "{db}") {
			t.Errorf("%s: queries run in the default database; no {db}", q.Name)
		}
		if _, err := q.Render(nil); err != nil {
			t.Errorf("%s: %v", q.Name, err)
		}
	}
	want := "carrier_scorecard facility_dwell lane_transit_weekly notifications_per_100 open_stalls stall_hotspots unmapped_codes"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("queries = %s, want %s", got, want)
	}
	q, err := LookupQuery("facility_dwell")
	if err != nil {
		t.Fatal(err)
	}
	sql, err := q.Render(map[string]string{"top_n": "5", "min_arrivals": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "LIMIT 5 /* param:top_n */") || !strings.Contains(sql, ">= 1 /* param:min_arrivals */") || !strings.Contains(sql, "INTERVAL 90 /* param:since_days */") {
		t.Errorf("rendered:\n%s", sql)
	}
	if _, err := q.Render(map[string]string{"top_n": "5; DROP TABLE x"}); err == nil {
		t.Error("a non-numeric parameter was accepted")
	}
	if _, err := q.Render(map[string]string{"nope": "1"}); err == nil {
		t.Error("an unknown parameter was accepted")
	}
	if _, err := LookupQuery("nope"); err == nil {
		t.Error("LookupQuery(nope): no error")
	}
}

func TestSplit(t *testing.T) {
	got := Split("SELECT 'a;' ; SELECT `x;y` -- c;\n; /* ; */ SELECT \"q\"\"; \"")
	want := []string{"SELECT 'a;'", "SELECT `x;y` -- c;", "/* ; */ SELECT \"q\"\"; \""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Split = %q, want %q", got, want)
	}
}
