package chsink

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

// The fixture: eight shipments of two carriers whose numbers are worked out
// by hand in cases() below. Times are hours after base, ten days before
// today (so that the queries' default windows include them).
//
//	UPS ground, US-KY -> US-CA (SDF = "SDF, LOUISVILLE, KY, US", FRE = "FRESNO, CA, US")
//	  S1 1Z001 label h0 (estimate D5), picked up h10 SDF, arrived h12 SDF, departed h15 SDF,
//	           unmapped ZZ h20 SDF, arrived delivery facility h36 FRE, out for delivery h48 FRE,
//	           delivered h52 FRE (local D2): on time
//	  S2 1Z002 label h0 (estimate D2), picked up h20 SDF (D2), arrived h22 SDF, departed h28 SDF,
//	           arrived delivery facility h60 FRE (estimate now D4), out for delivery h70 FRE,
//	           attempt failed h72 FRE, delivered h96 FRE (local D4): late, first attempt failed
//	  S3 1Z003 label h0 (D3), picked up h30 SDF, arrived h31 SDF, stalled in transit h80: open stall
//	  S4 1Z004 label h0 (no estimate), picked up h5 SDF, arrived h6 SDF, weather delay h30 SDF,
//	           stalled in transit h38, arrived delivery facility h40 FRE, unmapped ZZ h41 FRE,
//	           delivered h50 FRE at UTC-8 (local D1)
//	FedEx priority, US-TN -> US-NY (MEM = "MEMH, MEMPHIS, TN, US", NYC = "NEW YORK, NY, US")
//	  S5 7001 label h0 (D1), picked up h2 MEM, arrived h4 MEM, departed h6 MEM,
//	          arrived delivery facility h20 NYC, out for delivery h22 NYC, delivered h23 NYC at
//	          UTC-5 (local D0): on time
//	  S6 7002 label h0 (D2), stalled pre-transit h72: open stall
//	  S7 7003 label h0, picked up h3 MEM, arrived h5 MEM, unmapped Q9/X h9 MEM, stalled in
//	          transit h30, arrived delivery facility h33 NYC, attempt failed h34 NYC, delivered h58 NYC
//	  S8 7004 label h0, stalled pre-transit h72, expired h200: not an open stall
//
// Pipeline events carry the service but no location or lane, as the detect
// stage makes them.
type fixture struct {
	base   time.Time
	events []event.Event
	cmds   []detect.Command
}

type shipment struct {
	carrier, tracking, service string
	origin, dest               event.Location
}

var (
	locSDF = event.Location{City: "LOUISVILLE", Region: "KY", PostalCode: "40209", Country: "US", Facility: "SDF"}
	locFRE = event.Location{City: "FRESNO", Region: "CA", Country: "US"}
	locMEM = event.Location{City: "MEMPHIS", Region: "TN", Country: "US", Facility: "MEMH"}
	locNYC = event.Location{City: "NEW YORK", Region: "NY", Country: "US"}
)

type evOpt func(*event.Event)

func edd(f *fixture, day int) evOpt {
	return func(e *event.Event) { e.EstimatedDelivery = f.base.AddDate(0, 0, day).Format(time.DateOnly) }
}
func utcOffset(hours int) evOpt {
	return func(e *event.Event) { e.LocalOffset, e.TZSource = int32(hours*3600), event.TZCarrierOffset }
}
func raw(code, typ, desc string) evOpt {
	return func(e *event.Event) { e.Raw = event.Raw{Code: code, Type: typ, Description: desc} }
}

func hash16(parts ...string) [16]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

func (f *fixture) at(h int) time.Time { return f.base.Add(time.Duration(h) * time.Hour) }

// ev adds a carrier event; typ "" with raw() makes an unmapped scan.
func (f *fixture) ev(s shipment, h int, typ string, loc event.Location, opts ...evOpt) {
	t := taxonomy.Unmapped
	if typ != "" {
		t = taxonomy.MustLookup(typ)
	}
	e := event.Event{
		ID:      event.ID(hash16(s.carrier, s.tracking, strconv.Itoa(h), t.Name)),
		Carrier: s.carrier, TrackingNumber: s.tracking, Service: s.service, Type: t, Reason: t.Reason,
		OccurredAt: f.at(h), TZSource: event.TZAssumedUTC, Location: loc,
		Raw:     event.Raw{Code: "C" + strconv.Itoa(h), Description: t.Name},
		Source:  event.FromCarrier,
		Lineage: event.Lineage{Topic: "raw." + s.carrier, Partition: 1, Offset: int64(len(f.events))},
		Origin:  s.origin, Destination: s.dest,
	}
	for _, o := range opts {
		o(&e)
	}
	f.events = append(f.events, e)
}

// synthetic adds a pipeline event.
func (f *fixture) synthetic(s shipment, h int, typ string) {
	t := taxonomy.MustLookup(typ)
	f.events = append(f.events, event.Event{
		ID:      event.ID(hash16("pipeline", s.carrier, s.tracking, strconv.Itoa(h), typ)),
		Carrier: s.carrier, TrackingNumber: s.tracking, Service: s.service, Type: t, Reason: t.Reason,
		OccurredAt: f.at(h), TZSource: event.TZAssumedUTC, Source: event.FromPipeline,
	})
}

func (f *fixture) cmd(s shipment, trigger string, episode, h int, variant string) {
	id := hash16(s.carrier+":"+s.tracking, trigger, strconv.Itoa(episode), variant)
	f.cmds = append(f.cmds, detect.Command{
		SchemaVersion: 1, CommandID: hex.EncodeToString(id[:]), ShipmentID: s.carrier + ":" + s.tracking,
		Carrier: s.carrier, TrackingNumber: s.tracking, Trigger: trigger, EventType: "x." + trigger,
		Priority: "normal", Message: "m " + trigger, OccurredAt: f.at(h), DecidedAt: f.at(h).Add(time.Second),
		NotBefore: f.at(h).Add(time.Second), Episode: episode,
	})
}

func newFixture(now time.Time) *fixture {
	f := &fixture{base: now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)}
	ups := func(tn string) shipment {
		return shipment{"ups", tn, "ground", event.Location{Region: "KY", Country: "US"}, event.Location{City: "FRESNO", Region: "CA", Country: "US"}}
	}
	fedex := func(tn string) shipment {
		return shipment{"fedex", tn, "priority", event.Location{Region: "TN", Country: "US"}, event.Location{Region: "NY", Country: "US"}}
	}
	none := event.Location{}

	s1 := ups("1Z001")
	f.ev(s1, 0, "info_received.label_created", none, edd(f, 5))
	f.ev(s1, 10, "in_transit.picked_up", locSDF, edd(f, 5))
	f.ev(s1, 12, "in_transit.arrived_at_facility", locSDF)
	f.ev(s1, 15, "in_transit.departed_facility", locSDF)
	f.ev(s1, 20, "", locSDF, raw("ZZ", "", "Weird scan"))
	f.ev(s1, 36, "in_transit.arrived_at_delivery_facility", locFRE)
	f.ev(s1, 48, "out_for_delivery.out_for_delivery", locFRE)
	f.ev(s1, 52, "delivered.delivered", locFRE)

	s2 := ups("1Z002")
	f.ev(s2, 0, "info_received.label_created", none, edd(f, 2))
	f.ev(s2, 20, "in_transit.picked_up", locSDF, edd(f, 2))
	f.ev(s2, 22, "in_transit.arrived_at_facility", locSDF)
	f.ev(s2, 28, "in_transit.departed_facility", locSDF)
	f.ev(s2, 60, "in_transit.arrived_at_delivery_facility", locFRE, edd(f, 4))
	f.ev(s2, 70, "out_for_delivery.out_for_delivery", locFRE, edd(f, 4))
	f.ev(s2, 72, "attempt_failed.recipient_unavailable", locFRE, edd(f, 4))
	f.ev(s2, 96, "delivered.delivered", locFRE)

	s3 := ups("1Z003")
	f.ev(s3, 0, "info_received.label_created", none, edd(f, 3))
	f.ev(s3, 30, "in_transit.picked_up", locSDF)
	f.ev(s3, 31, "in_transit.arrived_at_facility", locSDF)
	f.synthetic(s3, 80, "exception.stalled_in_transit")

	s4 := ups("1Z004")
	f.ev(s4, 0, "info_received.label_created", none)
	f.ev(s4, 5, "in_transit.picked_up", locSDF)
	f.ev(s4, 6, "in_transit.arrived_at_facility", locSDF)
	f.ev(s4, 30, "exception.delayed_weather", locSDF)
	f.synthetic(s4, 38, "exception.stalled_in_transit")
	f.ev(s4, 40, "in_transit.arrived_at_delivery_facility", locFRE)
	f.ev(s4, 41, "", locFRE, raw("ZZ", "", "Weird scan (v2)"))
	f.ev(s4, 50, "delivered.delivered", locFRE, utcOffset(-8))

	s5 := fedex("7001")
	f.ev(s5, 0, "info_received.label_created", none, edd(f, 1))
	f.ev(s5, 2, "in_transit.picked_up", locMEM)
	f.ev(s5, 4, "in_transit.arrived_at_facility", locMEM)
	f.ev(s5, 6, "in_transit.departed_facility", locMEM)
	f.ev(s5, 20, "in_transit.arrived_at_delivery_facility", locNYC)
	f.ev(s5, 22, "out_for_delivery.out_for_delivery", locNYC)
	f.ev(s5, 23, "delivered.delivered", locNYC, utcOffset(-5))

	s6 := fedex("7002")
	f.ev(s6, 0, "info_received.label_created", none, edd(f, 2))
	f.synthetic(s6, 72, "exception.stalled_pre_transit")

	s7 := fedex("7003")
	f.ev(s7, 0, "info_received.label_created", none)
	f.ev(s7, 3, "in_transit.picked_up", locMEM)
	f.ev(s7, 5, "in_transit.arrived_at_facility", locMEM)
	f.ev(s7, 9, "", locMEM, raw("Q9", "X", "Mystery"))
	f.synthetic(s7, 30, "exception.stalled_in_transit")
	f.ev(s7, 33, "in_transit.arrived_at_delivery_facility", locNYC)
	f.ev(s7, 34, "attempt_failed.business_closed", locNYC)
	f.ev(s7, 58, "delivered.delivered", locNYC)

	s8 := fedex("7004")
	f.ev(s8, 0, "info_received.label_created", none)
	f.synthetic(s8, 72, "exception.stalled_pre_transit")
	f.synthetic(s8, 200, "expired.no_updates_timeout")

	// Commands: 26 in all.
	for _, c := range []struct {
		s shipment
		h int
	}{{s1, 10}, {s2, 20}, {s3, 30}, {s4, 5}, {s5, 2}, {s7, 3}} {
		f.cmd(c.s, "shipped", 1, c.h, "")
	}
	f.cmd(s1, "out_for_delivery", 2, 48, "")
	f.cmd(s2, "out_for_delivery", 2, 70, "")
	f.cmd(s5, "out_for_delivery", 2, 22, "")
	for _, c := range []struct {
		s shipment
		h int
	}{{s1, 52}, {s2, 96}, {s4, 50}, {s5, 23}, {s7, 58}} {
		f.cmd(c.s, "delivered", 3, c.h, "")
	}
	f.cmd(s2, "attempt_failed", 2, 72, "")
	f.cmd(s7, "attempt_failed", 2, 34, "")
	f.cmd(s3, "stalled", 1, 80, "")
	f.cmd(s4, "stalled", 1, 38, "")
	f.cmd(s6, "stalled", 0, 72, "")
	f.cmd(s6, "stalled", 0, 120, "escalated")
	f.cmd(s7, "stalled", 1, 30, "")
	f.cmd(s8, "stalled", 0, 72, "")
	f.cmd(s4, "delayed", 1, 30, "")
	f.cmd(s4, "exception_resolved", 2, 40, "")
	f.cmd(s7, "exception_resolved", 2, 33, "")
	f.cmd(s8, "expired", 0, 200, "")
	return f
}

// queryCase is one query (an analyst query file, or SQL checking a view)
// and its hand-computed result; "*" matches any cell.
type queryCase struct {
	name   string            // query file, or a label for sql
	sql    string            // when set, run this instead of a query file
	params map[string]string // query parameters
	want   [][]string
}

const null = `\N` // NULL as TSV writes it

func (f *fixture) ts(h int) string { return f.at(h).Format(dateTimeLayout) }

// cases are the expected results on the fixture, worked out by hand from the
// table in the fixture's comment.
func (f *fixture) cases() []queryCase {
	return []queryCase{
		{
			// UPS: 4 shipments; delivered S1, S2, S4; with an estimate S1
			// (D2 <= D5, on time) and S2 (D4 > D2, late): 50%. Transit
			// 52-10=42, 96-20=76, 50-5=45 -> [42 45 76]: p50 45, p90
			// 45+0.8*31=69.8. First scan 10, 20, 30, 5 -> [5 10 20 30]: p50
			// 10+0.5*10=15, p90 20+0.7*10=27. Stalls S3, S4: 50%. Exception
			// S4 (weather): 25%. Attempts S1, S2, S4; S2's first failed:
			// 33.3%.
			// FedEx: 4 shipments; delivered S5, S7; with an estimate S5 (D0
			// <= D1): 100%. Transit 23-2=21, 58-3=55: p50 38, p90
			// 21+0.9*34=51.6. First scan 2, 3: p50 2.5, p90 2.9. Stalls S6,
			// S7, S8: 75%. No carrier exception. Attempts S5, S7; S7's first
			// failed: 50%.
			name: "carrier_scorecard",
			want: [][]string{
				{"fedex", "priority", "US", "TN", "US", "NY", "4", "2", "100", "38", "51.6", "2.5", "2.9", "75", "0", "50"},
				{"ups", "ground", "US", "KY", "US", "CA", "4", "3", "50", "45", "69.8", "15", "27", "50", "25", "33.3"},
			},
		},
		{
			// Deliveries by age (base is today's midnight minus 10 days,
			// now some time today): S2 (h96, 76 h) 6 days and some hours
			// ago: this week; S1 (h52, 42 h), S4 (h50, 45 h), S5 (h23,
			// 21 h), S7 (h58, 55 h) 7.5 to 9.1 days ago: last week. UPS
			// last week [42 45]: p50 43.5, p90 42+0.9*3=44.7; change
			// 76-43.5=32.5. FedEx last week [21 55]: p50 38, p90 51.6.
			name: "lane_transit_weekly",
			want: [][]string{
				{"fedex", "priority", "US", "TN", "US", "NY", "0", null, null, "2", "38", "51.6", null},
				{"ups", "ground", "US", "KY", "US", "CA", "1", "76", "76", "2", "43.5", "44.7", "32.5"},
			},
		},
		{
			// A week further back: S1, S4, S5, S7 are this week, nothing
			// the week before.
			name:   "lane_transit_weekly",
			params: map[string]string{"end_days_ago": "7"},
			want: [][]string{
				{"fedex", "priority", "US", "TN", "US", "NY", "2", "38", "51.6", "0", null, null, null},
				{"ups", "ground", "US", "KY", "US", "CA", "2", "43.5", "44.7", "0", null, null, null},
			},
		},
		{
			// Arrival -> next carrier scan. SDF: S1 12->15 (3), S2 22->28
			// (6), S4 6->30 (24), S3 31 has no next scan. FRE: S1 36->48
			// (12), S2 60->70 (10), S4 40->41 (1). MEMH: S5 4->6 (2), S7 5->9
			// (4). NYC: S5 20->22 (2), S7 33->34 (1).
			name:   "facility_dwell",
			params: map[string]string{"min_arrivals": "1"},
			want: [][]string{
				{"ups", "FRESNO, CA, US", "3", "3", "10", "11.6"},
				{"ups", "SDF, LOUISVILLE, KY, US", "3", "3", "6", "20.4"},
				{"fedex", "MEMH, MEMPHIS, TN, US", "2", "2", "3", "3.8"},
				{"fedex", "NEW YORK, NY, US", "2", "2", "1.5", "1.9"},
			},
		},
		{
			name:   "facility_dwell",
			params: map[string]string{"min_arrivals": "3", "top_n": "1"},
			want:   [][]string{{"ups", "FRESNO, CA, US", "3", "3", "10", "11.6"}},
		},
		{
			// Stalls at the last located carrier scan before them: S6, S8
			// (labels only): no location, silent 72 h each; S3 (31 -> 80,
			// 49 h) and S4 (weather 30 -> 38, 8 h) at SDF, which scanned S1-S4;
			// S7 (unmapped 9 -> 30, 21 h) at MEMH, which scanned S5 and S7.
			name: "stall_hotspots",
			want: [][]string{
				{"fedex", "(no location)", "2", "2", "2", "0", "0", "72", "0", null},
				{"ups", "SDF, LOUISVILLE, KY, US", "2", "2", "0", "2", "0", "28.5", "4", "50"},
				{"fedex", "MEMH, MEMPHIS, TN, US", "1", "1", "0", "1", "0", "21", "2", "50"},
			},
		},
		{
			// S6 (stalled h72) and S3 (stalled h80); S8 expired after its
			// stall, S4 and S7 moved on.
			name: "open_stalls",
			want: [][]string{
				{"fedex", "fedex:7002", "7002", "priority", "exception.stalled_pre_transit", f.ts(72), f.ts(0), "", "*", "US", "TN", "US", "NY"},
				{"ups", "ups:1Z003", "1Z003", "ground", "exception.stalled_in_transit", f.ts(80), f.ts(31), "SDF, LOUISVILLE, KY, US", "*", "US", "KY", "US", "CA"},
			},
		},
		{
			name: "unmapped_codes",
			want: [][]string{
				{"ups", "ZZ", "", "Weird scan (v2)", "2", "2", f.ts(20), f.ts(41)},
				{"fedex", "Q9", "X", "Mystery", "1", "1", f.ts(9), f.ts(9)},
			},
		},
		{
			// Commands per carrier and trigger over 4 shipments each, and
			// over all 8.
			name: "notifications_per_100",
			want: [][]string{
				{"fedex", "stalled", "4", "4", "100"},
				{"fedex", "delivered", "2", "4", "50"},
				{"fedex", "shipped", "2", "4", "50"},
				{"fedex", "attempt_failed", "1", "4", "25"},
				{"fedex", "exception_resolved", "1", "4", "25"},
				{"fedex", "expired", "1", "4", "25"},
				{"fedex", "out_for_delivery", "1", "4", "25"},
				{"ups", "shipped", "4", "4", "100"},
				{"ups", "delivered", "3", "4", "75"},
				{"ups", "out_for_delivery", "2", "4", "50"},
				{"ups", "stalled", "2", "4", "50"},
				{"ups", "attempt_failed", "1", "4", "25"},
				{"ups", "delayed", "1", "4", "25"},
				{"ups", "exception_resolved", "1", "4", "25"},
				{"all", "shipped", "6", "8", "75"},
				{"all", "stalled", "6", "8", "75"},
				{"all", "delivered", "5", "8", "62.5"},
				{"all", "out_for_delivery", "3", "8", "37.5"},
				{"all", "attempt_failed", "2", "8", "25"},
				{"all", "exception_resolved", "2", "8", "25"},
				{"all", "delayed", "1", "8", "12.5"},
				{"all", "expired", "1", "8", "12.5"},
			},
		},
		{
			// The shipments view: events per carrier (UPS 8+8+4+8, FedEx
			// 7+2+8+3), stalls, carrier exceptions, failed attempts, unmapped.
			name: "shipments view",
			sql:  "SELECT carrier, count(), sum(events), sum(stalls), sum(exceptions), sum(failed_attempts), sum(unmapped) FROM shipments GROUP BY carrier ORDER BY carrier",
			want: [][]string{{"fedex", "4", "20", "3", "0", "1", "1"}, {"ups", "4", "28", "2", "1", "1", "2"}},
		},
		{
			// The daily_stats view, summed over days: each event counts on
			// its local day; stalled shipments per day (S6 and S8 on D3, S7
			// on D1; S3 on D3, S4 on D1).
			name: "daily_stats view",
			sql:  "SELECT carrier, sum(events), sum(shipments_delivered), sum(shipments_stalled), sum(unmapped_events) FROM daily_stats GROUP BY carrier ORDER BY carrier",
			want: [][]string{{"fedex", "20", "2", "3", "1"}, {"ups", "28", "3", "2", "2"}},
		},
		{
			// FINAL leaves one row per event and per command: 48 and 26.
			name: "final counts",
			sql:  "SELECT (SELECT count() FROM shipment_events FINAL), (SELECT count() FROM notifications FINAL)",
			want: [][]string{{"48", "26"}},
		},
	}
}

// cell formats a value scanned by the driver the way ClickHouse's
// TabSeparated output writes it, so results from the native protocol and
// from chdb compare as text.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return null
	case string:
		return v
	case *string:
		if v == nil {
			return null
		}
		return *v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case *float64:
		if v == nil {
			return null
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	case time.Time:
		return v.UTC().Format(dateTimeLayout)
	case *time.Time:
		if v == nil {
			return null
		}
		return v.UTC().Format(dateTimeLayout)
	case uint64, uint32, uint16, uint8, int64, int32, int16, int8, int:
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%v", v)
}

// diff compares got with want ("*" matches anything) and describes the first
// difference, or returns "".
func diff(got, want [][]string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d:\n got %q\nwant %q", len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("row %d: %d cells, want %d:\n got %q\nwant %q", i, len(got[i]), len(want[i]), got[i], want[i])
		}
		for j := range want[i] {
			if want[i][j] != "*" && got[i][j] != want[i][j] {
				return fmt.Sprintf("row %d, cell %d: got %q, want %q\n got %q\nwant %q", i, j, got[i][j], want[i][j], got[i], want[i])
			}
		}
	}
	return ""
}
