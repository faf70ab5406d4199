package chsink

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/schemas/chschema"
)

// python is the interpreter that has chdb: WISMO_PYTHON, default python3.
func python() string {
	if p := os.Getenv("WISMO_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// requireChdb skips the test when chdb is not installed, or fails it in CI
// (CI=true), where scripts/services.sh up chdb must have installed it.
func requireChdb(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python(), "-c", "import chdb; print(chdb.__version__)").CombinedOutput()
	if err == nil {
		t.Logf("chdb %s", strings.TrimSpace(string(out)))
		return
	}
	msg := "chdb (current ClickHouse in-process) is not installed for " + python() + "; install it with scripts/services.sh up chdb (pip install chdb): " + strings.TrimSpace(string(out))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestCurrentClickHouse proves the schema and the queries on today's
// ClickHouse: chdb embeds a current release in-process. Every migration
// statement runs, the optional ones (requires markers) included; the
// fixture goes in as the NDJSON files WriteNDJSON makes, half before the
// aggregate views exist (their backfill) and half after; and every query
// must give the numbers worked out by hand, after the first insert, after a
// replay of everything, and after the tables are merged.
func TestCurrentClickHouse(t *testing.T) {
	requireChdb(t)
	const db = "wismo_chdb"
	f := newFixture(time.Now())
	half := len(f.events) / 2
	dir := t.TempDir()
	write := func(name string, from, to int, cmds bool) string {
		d := filepath.Join(dir, name)
		var cs = f.cmds
		if !cmds {
			cs = nil
		}
		if _, err := WriteNDJSON(d, f.events[from:to], cs); err != nil {
			t.Fatal(err)
		}
		return d
	}
	early, late, all := write("early", 0, half, false), write("late", half, len(f.events), true), write("all", 0, len(f.events), true)

	type step map[string]any
	var steps []step
	migrations, err := chschema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	statements := func(from, to int) {
		for _, m := range migrations {
			if m.Version < from || m.Version > to {
				continue
			}
			for _, st := range m.Statements { // every one: chdb is a current release
				steps = append(steps, step{"sql": chschema.Render(st.SQL, db)})
			}
		}
	}
	inserts := func(d string) {
		for _, table := range []string{EventsTable, NotificationsTable} {
			steps = append(steps, step{"insert": db + "." + table, "file": filepath.Join(d, table+".ndjson")})
		}
	}
	var queries []map[string]string
	for i, c := range f.cases() {
		sql := c.sql
		if sql == "" {
			q, err := chschema.LookupQuery(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if sql, err = q.Render(c.params); err != nil {
				t.Fatal(err)
			}
		}
		queries = append(queries, map[string]string{"name": caseKey(i, c), "sql": sql})
	}
	check := func(label string) { steps = append(steps, step{"check": label, "queries": queries}) }

	statements(1, 2)
	inserts(early)
	statements(3, 1<<30)
	steps = append(steps, step{"sql": "USE " + db})
	inserts(late)
	check("first insert")
	inserts(all)
	check("after a replay")
	for _, table := range []string{"shipment_events", "notifications", "shipments_agg", "daily_stats_agg", "unmapped_codes_agg"} {
		steps = append(steps, step{"sql": "OPTIMIZE TABLE " + db + "." + table + " FINAL"})
	}
	check("after merges")

	job, err := json.Marshal(map[string]any{"steps": steps})
	if err != nil {
		t.Fatal(err)
	}
	jobPath := filepath.Join(dir, "job.json")
	if err := os.WriteFile(jobPath, job, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python(), filepath.Join("testdata", "chdb_check.py"), jobPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chdb_check.py: %v\n%s", err, stderr.String())
	}
	var res struct {
		Version string
		Checks  map[string]map[string]string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("chdb_check.py output: %v\n%s", err, stdout.String())
	}
	t.Logf("ClickHouse %s (chdb)", res.Version)
	if v, err := chschema.ParseVersion(res.Version); err != nil || !v.AtLeast(chschema.Version{Major: 24, Minor: 1}) {
		t.Errorf("chdb runs ClickHouse %s; this test is meant to prove a current release", res.Version)
	}
	for _, label := range []string{"first insert", "after a replay", "after merges"} {
		got := res.Checks[label]
		for i, c := range f.cases() {
			tsv, ok := got[caseKey(i, c)]
			if !ok {
				t.Errorf("%s: %s: no result", label, c.name)
				continue
			}
			if d := diff(parseTSV(tsv), c.want); d != "" {
				t.Errorf("%s: %s: %s", label, c.name, d)
			}
		}
	}
}

func caseKey(i int, c queryCase) string {
	return strings.Join([]string{c.name, string(rune('a' + i))}, "#")
}

func parseTSV(s string) [][]string {
	out := [][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		out = append(out, strings.Split(line, "\t"))
	}
	return out
}
