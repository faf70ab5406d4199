package chsink

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"text/tabwriter"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/schemas/chschema"
)

// QueryResult is the outcome of one analyst query: column names and rows of
// values as the driver scanned them (string, uint64, float64, time.Time,
// pointers for Nullable columns, slices for arrays).
type QueryResult struct {
	Columns []string
	Rows    [][]any
}

// RunQuery runs the analyst query called name (schemas/chschema/queries)
// with params over conn, which must have wismo's database as its default
// (OpenDatabase).
func RunQuery(ctx context.Context, conn Conn, name string, params map[string]string) (*QueryResult, error) {
	q, err := chschema.LookupQuery(name)
	if err != nil {
		return nil, err
	}
	sql, err := q.Render(params)
	if err != nil {
		return nil, err
	}
	res, err := querySQL(ctx, conn, sql)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query %s: %w", name, err)
	}
	return res, nil
}

// querySQL runs sql and scans every row into values of the columns' scan
// types.
func querySQL(ctx context.Context, conn Conn, sql string) (*QueryResult, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &QueryResult{Columns: rows.Columns()}
	types := rows.ColumnTypes()
	for rows.Next() {
		ptrs := make([]any, len(types))
		for i, t := range types {
			ptrs[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = reflect.ValueOf(p).Elem().Interface()
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// ScorecardRow is one row of the carrier scorecard (see
// schemas/chschema/queries/carrier_scorecard.sql). Nil means the group had
// nothing to measure.
type ScorecardRow struct {
	Carrier, Service                      string
	OriginCountry, OriginRegion           string
	DestinationCountry, DestinationRegion string
	Shipments, Delivered                  uint64
	OnTimePct                             *float64
	TransitP50H, TransitP90H              *float64
	FirstScanP50H, FirstScanP90H          *float64
	StallRatePct, ExceptionRatePct        float64
	FailedFirstAttemptPct                 *float64
}

// Scorecard runs carrier_scorecard over conn (default database set, see
// OpenDatabase) with params (nil: the file's defaults).
func Scorecard(ctx context.Context, conn Conn, params map[string]string) ([]ScorecardRow, error) {
	res, err := RunQuery(ctx, conn, "carrier_scorecard", params)
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c] = i
	}
	for _, c := range []string{"carrier", "service", "origin_country", "origin_region", "destination_country", "destination_region",
		"shipments", "delivered", "on_time_pct", "transit_p50_h", "transit_p90_h", "first_scan_p50_h", "first_scan_p90_h",
		"stall_rate_pct", "exception_rate_pct", "failed_first_attempt_pct"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("clickhouse: carrier_scorecard has no column %s", c)
		}
	}
	out := make([]ScorecardRow, 0, len(res.Rows))
	for _, r := range res.Rows {
		str := func(c string) string { s, _ := r[col[c]].(string); return s }
		num := func(c string) uint64 { n, _ := r[col[c]].(uint64); return n }
		flt := func(c string) float64 { f, _ := r[col[c]].(float64); return f }
		opt := func(c string) *float64 {
			if p, ok := r[col[c]].(*float64); ok && p != nil {
				v := *p
				return &v
			}
			return nil
		}
		out = append(out, ScorecardRow{
			Carrier: str("carrier"), Service: str("service"),
			OriginCountry: str("origin_country"), OriginRegion: str("origin_region"),
			DestinationCountry: str("destination_country"), DestinationRegion: str("destination_region"),
			Shipments: num("shipments"), Delivered: num("delivered"),
			OnTimePct:   opt("on_time_pct"),
			TransitP50H: opt("transit_p50_h"), TransitP90H: opt("transit_p90_h"),
			FirstScanP50H: opt("first_scan_p50_h"), FirstScanP90H: opt("first_scan_p90_h"),
			StallRatePct: flt("stall_rate_pct"), ExceptionRatePct: flt("exception_rate_pct"),
			FailedFirstAttemptPct: opt("failed_first_attempt_pct"),
		})
	}
	return out, nil
}

// InsertAndScorecard is `wismo demo --clickhouse`: it migrates o.Database,
// inserts events and cmds, and returns the carrier scorecard over all of
// them, whatever their dates.
func InsertAndScorecard(ctx context.Context, o Options, events []event.Event, cmds []detect.Command) ([]ScorecardRow, error) {
	o = o.withDefaults()
	conn, err := Open(o)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := Migrate(ctx, conn, o); err != nil {
		return nil, err
	}
	w := NewWriter(conn, o)
	for i := range events {
		w.AddEvent(&events[i])
	}
	for i := range cmds {
		w.AddCommand(&cmds[i])
	}
	if err := w.Flush(ctx); err != nil {
		return nil, err
	}
	qconn, err := OpenDatabase(o)
	if err != nil {
		return nil, err
	}
	defer qconn.Close()
	return Scorecard(ctx, qconn, map[string]string{"since_days": "36500"})
}

// FormatScorecard prints rows as an aligned table.
func FormatScorecard(w io.Writer, rows []ScorecardRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "carrier\tservice\tlane\tshipments\tdelivered\ton-time %\ttransit p50/p90 h\tfirst scan p50/p90 h\tstall %\texception %\tfailed 1st attempt %")
	opt := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'f', 1, 64)
	}
	place := func(country, region string) string {
		switch {
		case country == "" && region == "":
			return "?"
		case region == "":
			return country
		}
		return country + "-" + region
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s → %s\t%d\t%d\t%s\t%s / %s\t%s / %s\t%.1f\t%.1f\t%s\n",
			r.Carrier, r.Service, place(r.OriginCountry, r.OriginRegion), place(r.DestinationCountry, r.DestinationRegion),
			r.Shipments, r.Delivered, opt(r.OnTimePct), opt(r.TransitP50H), opt(r.TransitP90H),
			opt(r.FirstScanP50H), opt(r.FirstScanP90H), r.StallRatePct, r.ExceptionRatePct, opt(r.FailedFirstAttemptPct))
	}
	return tw.Flush()
}
