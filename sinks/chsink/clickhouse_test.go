package chsink

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/schemas/chschema"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func optionsFor(srv *chtest.Server) Options {
	return Options{Addrs: []string{srv.Addr}, Database: srv.Database}
}

// queryConn connects with the test database as the default one, as the
// analyst queries need.
func queryConn(t *testing.T, srv *chtest.Server) driver.Conn {
	t.Helper()
	conn, err := OpenDatabase(optionsFor(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func tableNames(t *testing.T, srv *chtest.Server) []string {
	t.Helper()
	rows, err := srv.Conn.Query(testCtx(t), "SELECT name FROM system.tables WHERE database = '"+srv.Database+"' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestMigrateFreshAndAgain(t *testing.T) {
	srv := chtest.New(t)
	ctx := testCtx(t)
	o := optionsFor(srv)
	migrations, err := chschema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Migrate(ctx, srv.Conn, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != len(migrations) {
		t.Fatalf("applied %d migrations, want %d", len(res.Applied), len(migrations))
	}
	server, _ := ServerVersion(srv.Conn)
	wantSkipped := 0
	for i, m := range migrations {
		a := res.Applied[i]
		if a.Already || a.Version != m.Version {
			t.Errorf("migration %d: %+v on a fresh database", m.Version, a)
		}
		for _, st := range m.Statements {
			if st.Optional() && !server.AtLeast(st.Requires) {
				wantSkipped++
			}
		}
	}
	skipped := 0
	for _, a := range res.Applied {
		skipped += a.Skipped
	}
	if skipped != wantSkipped {
		t.Errorf("skipped %d optional statements on %s, want %d", skipped, server, wantSkipped)
	}
	want := []string{"daily_stats", "daily_stats_agg", "daily_stats_mv", "lane_transits", "notifications", "order_shipments", "shipment_events",
		"shipment_lookup", "shipment_lookup_v2", "shipment_lookup_v3", "shipment_lookup_v3_commands_mv", "shipment_lookup_v3_events_mv", "shipments", "shipments_agg", "shipments_mv", "unmapped_codes", "unmapped_codes_agg", "unmapped_codes_mv", MigrationsTable}
	if got := tableNames(t, srv); !slices.Equal(got, want) {
		t.Errorf("tables = %v, want %v", got, want)
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+"."+MigrationsTable); n != uint64(len(migrations)) {
		t.Errorf("%d migration records, want %d", n, len(migrations))
	}

	// Again: nothing to do, nothing recorded.
	res, err = Migrate(ctx, srv.Conn, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Applied {
		if !a.Already || a.Statements != 0 {
			t.Errorf("second run: %+v", a)
		}
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+"."+MigrationsTable); n != uint64(len(migrations)) {
		t.Errorf("%d migration records after a second run, want %d", n, len(migrations))
	}

	// The column lists the writer inserts are the tables' columns, in order,
	// less ingested_at (filled by its DEFAULT).
	for table, cols := range map[string][]string{EventsTable: eventColumns, NotificationsTable: notificationColumns} {
		rows, err := srv.Conn.Query(ctx, "SELECT name FROM system.columns WHERE database = '"+srv.Database+"' AND table = '"+table+"'")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			got = append(got, n)
		}
		rows.Close()
		if !slices.Equal(got, append(slices.Clone(cols), "ingested_at")) {
			t.Errorf("%s columns = %v, writer inserts %v", table, got, cols)
		}
	}
}

// versionConn reports another server version and swallows the optional
// statements that the real server cannot run, recording them: it lets the
// test see what Migrate would do once the server is upgraded.
type versionConn struct {
	Conn
	version  uint64
	swallowd []string
}

func (c *versionConn) ServerVersion() (*driver.ServerVersion, error) {
	sv, err := c.Conn.ServerVersion()
	if err != nil {
		return nil, err
	}
	out := *sv
	out.Version.Major, out.Version.Minor = c.version, 1
	return &out, nil
}

func (c *versionConn) Exec(ctx context.Context, query string, args ...any) error {
	if strings.Contains(query, "CODEC(") || strings.Contains(query, " TTL ") || strings.Contains(query, "MODIFY SETTING") {
		c.swallowd = append(c.swallowd, query)
		return nil
	}
	return c.Conn.Exec(ctx, query, args...)
}

func TestMigrateAppliesSkippedStatementsAfterAnUpgrade(t *testing.T) {
	srv := chtest.New(t)
	ctx := testCtx(t)
	o := optionsFor(srv)
	old := &versionConn{Conn: srv.Conn, version: 18}
	res, err := Migrate(ctx, old, o)
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, a := range res.Applied {
		skipped += a.Skipped
	}
	if skipped == 0 || len(old.swallowd) != 0 {
		t.Fatalf("an 18.x server: skipped %d, ran %d optional statements", skipped, len(old.swallowd))
	}
	upgraded := &versionConn{Conn: srv.Conn, version: 25}
	res, err = Migrate(ctx, upgraded, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(upgraded.swallowd) != skipped {
		t.Fatalf("after the upgrade %d optional statements ran, want the %d skipped: %q", len(upgraded.swallowd), skipped, upgraded.swallowd)
	}
	for _, a := range res.Applied {
		if !a.Already || a.Skipped != 0 {
			t.Errorf("after the upgrade: %+v", a)
		}
	}
	again := &versionConn{Conn: srv.Conn, version: 25}
	if _, err := Migrate(ctx, again, o); err != nil {
		t.Fatal(err)
	}
	if len(again.swallowd) != 0 {
		t.Errorf("a third run ran %d statements", len(again.swallowd))
	}
}

func TestMigrateRefusesAChangedMigration(t *testing.T) {
	srv := chtest.New(t)
	ctx := testCtx(t)
	o := optionsFor(srv)
	if _, err := Migrate(ctx, srv.Conn, o); err != nil {
		t.Fatal(err)
	}
	// A record of migration 1 with another checksum, newer than the real one.
	b, err := srv.Conn.PrepareBatch(ctx, "INSERT INTO "+srv.Database+"."+MigrationsTable+" (version, name, checksum, skipped, server_version, applied_at, seq)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(1), "shipment_events", "edited", []uint16{}, "1.1", time.Now(), uint64(1<<63)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(ctx, srv.Conn, o); err == nil || !strings.Contains(err.Error(), "must not change") {
		t.Errorf("Migrate over a changed migration: %v", err)
	}
}

// insertFixture writes events[from:to] and every command when cmds is set.
func insertFixture(t *testing.T, conn Conn, o Options, f *fixture, from, to int, cmds bool) {
	t.Helper()
	w := NewWriter(conn, o)
	for i := from; i < to; i++ {
		w.AddEvent(&f.events[i])
	}
	if cmds {
		for i := range f.cmds {
			w.AddCommand(&f.cmds[i])
		}
	}
	if err := w.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 0 {
		t.Fatalf("%d rows still buffered after a flush", w.Len())
	}
}

// insertPreFeedEvents stores events as a writer before migration 0006 did:
// without the feed column, which the table does not have yet.
func insertPreFeedEvents(t *testing.T, conn Conn, o Options, f *fixture, from, to int) {
	t.Helper()
	w := NewWriter(conn, o)
	for i := from; i < to; i++ {
		w.AddEvent(&f.events[i])
	}
	cols, vals := eventColumns, w.events.values()
	if cols[len(cols)-1] != "feed" || len(vals) != len(cols) {
		t.Fatal("feed is no longer the last event column; update insertPreFeedEvents")
	}
	if err := w.insert(testCtx(t), EventsTable, cols[:len(cols)-1], vals[:len(vals)-1], w.events.len()); err != nil {
		t.Fatal(err)
	}
}

func runCase(ctx context.Context, conn Conn, c queryCase) ([][]string, error) {
	var (
		res *QueryResult
		err error
	)
	if c.sql != "" {
		res, err = querySQL(ctx, conn, c.sql)
	} else {
		res, err = RunQuery(ctx, conn, c.name, c.params)
	}
	if err != nil {
		return nil, err
	}
	out := [][]string{}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = cell(v)
		}
		out = append(out, cells)
	}
	return out, nil
}

func checkCases(t *testing.T, conn Conn, f *fixture, when string) {
	t.Helper()
	for _, c := range f.cases() {
		got, err := runCase(testCtx(t), conn, c)
		if err != nil {
			t.Errorf("%s: %s: %v", when, c.name, err)
			continue
		}
		if d := diff(got, c.want); d != "" {
			t.Errorf("%s: %s: %s", when, c.name, d)
		}
	}
}

// Every query file is checked, with hand-computed numbers.
func TestCasesCoverEveryQuery(t *testing.T) {
	qs, err := chschema.Queries()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range newFixture(time.Now()).cases() {
		if c.sql == "" {
			covered[c.name] = true
		}
	}
	for _, q := range qs {
		if !covered[q.Name] {
			t.Errorf("query %s has no test case", q.Name)
		}
	}
}

// The analyst queries on the fixture: the numbers worked out by hand, first
// with part of the events stored before the aggregate views existed (the
// migrations' backfill), the rest through the views; then the same again
// after every event and command is inserted a second time (a replay), and
// after the tables are merged.
func TestQueriesOnFixture(t *testing.T) {
	srv := chtest.New(t)
	ctx := testCtx(t)
	o := optionsFor(srv)
	f := newFixture(time.Now())
	early := o
	early.UpTo = 2 // events and notifications only
	if _, err := Migrate(ctx, srv.Conn, early); err != nil {
		t.Fatal(err)
	}
	half := len(f.events) / 2
	insertPreFeedEvents(t, srv.Conn, o, f, 0, half)
	if _, err := Migrate(ctx, srv.Conn, o); err != nil {
		t.Fatal(err)
	}
	insertFixture(t, srv.Conn, o, f, half, len(f.events), true)
	qc := queryConn(t, srv)
	checkCases(t, qc, f, "first insert")

	insertFixture(t, srv.Conn, o, f, 0, len(f.events), true)
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".shipment_events"); n != uint64(len(f.events)+len(f.events)) {
		t.Errorf("%d stored event rows after the replay, want %d (unmerged copies)", n, 2*len(f.events))
	}
	checkCases(t, qc, f, "after a replay")

	for _, table := range []string{"shipment_events", "notifications", "shipments_agg", "daily_stats_agg", "unmapped_codes_agg"} {
		if err := srv.Conn.Exec(ctx, "OPTIMIZE TABLE "+srv.Database+"."+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".shipment_events"); n != uint64(len(f.events)) {
		t.Errorf("%d event rows after OPTIMIZE FINAL, want %d", n, len(f.events))
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".shipments_agg"); n != 8 {
		t.Errorf("%d shipments_agg rows after OPTIMIZE FINAL, want 8", n)
	}
	checkCases(t, qc, f, "after merges")

	// The demo's path: the scorecard as Go values.
	rows, err := Scorecard(ctx, qc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Carrier != "ups" || rows[1].Delivered != 3 || rows[1].OnTimePct == nil || *rows[1].OnTimePct != 50 ||
		rows[0].ExceptionRatePct != 0 || rows[0].FailedFirstAttemptPct == nil || *rows[0].FailedFirstAttemptPct != 50 {
		t.Errorf("Scorecard = %+v", rows)
	}
	var sb strings.Builder
	if err := FormatScorecard(&sb, rows); err != nil || !strings.Contains(sb.String(), "US-KY → US-CA") {
		t.Errorf("FormatScorecard: %v\n%s", err, sb.String())
	}
}

func TestInsertAndScorecard(t *testing.T) {
	srv := chtest.New(t)
	f := newFixture(time.Now())
	rows, err := InsertAndScorecard(testCtx(t), optionsFor(srv), f.events, f.cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Carrier != "fedex" || rows[0].Shipments != 4 || rows[1].TransitP90H == nil || *rows[1].TransitP90H != 69.8 {
		t.Errorf("rows = %+v", rows)
	}
}

// The NDJSON files load with clickhouse-client (when it is installed) and
// give the same numbers as the sink's inserts.
func TestNDJSONLoadsIntoClickHouse(t *testing.T) {
	srv := chtest.New(t)
	f := newFixture(time.Now())
	dir := t.TempDir()
	paths, err := WriteNDJSON(dir, f.events, f.cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := []int{len(f.events), len(f.cmds)}[i]
		if n := strings.Count(string(data), "\n"); n != want {
			t.Errorf("%s: %d lines, want %d", p, n, want)
		}
	}
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		t.Skip("clickhouse-client is not installed; chdb_test loads the files into current ClickHouse")
	}
	if _, err := Migrate(testCtx(t), srv.Conn, optionsFor(srv)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(srv.Addr, ":")
	for _, table := range []string{EventsTable, NotificationsTable} {
		in, err := os.Open(filepath.Join(dir, table+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(client, "--host", host, "--port", port, "-d", srv.Database, "-q", "INSERT INTO "+table+" FORMAT JSONEachRow")
		cmd.Stdin = in
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clickhouse-client: %v\n%s", err, out)
		}
		in.Close()
	}
	checkCases(t, queryConn(t, srv), f, "NDJSON")
}
