package chsink

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/taxonomy"
)

// benchEvents makes n canonical events that look like real traffic: 20
// events per shipment over a few days, a handful of carriers, services,
// types and facilities, carrier wording in raw_description.
func benchEvents(n int) []event.Event {
	carriers := []string{"ups", "fedex", "usps", "dhl"}
	services := []string{"ground", "priority", "express", "economy"}
	types := []*taxonomy.Type{
		taxonomy.MustLookup("info_received.label_created"), taxonomy.MustLookup("in_transit.picked_up"),
		taxonomy.MustLookup("in_transit.arrived_at_facility"), taxonomy.MustLookup("in_transit.departed_facility"),
		taxonomy.MustLookup("in_transit.processing_at_facility"), taxonomy.MustLookup("in_transit.arrived_at_delivery_facility"),
		taxonomy.MustLookup("out_for_delivery.out_for_delivery"), taxonomy.MustLookup("delivered.delivered"),
	}
	cities := []event.Location{
		{City: "LOUISVILLE", Region: "KY", PostalCode: "40209", Country: "US", Facility: "SDF"},
		{City: "MEMPHIS", Region: "TN", PostalCode: "38118", Country: "US", Facility: "MEMH"},
		{City: "CHICAGO", Region: "IL", PostalCode: "60666", Country: "US"},
		{City: "FRESNO", Region: "CA", PostalCode: "93706", Country: "US"},
	}
	base := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	out := make([]event.Event, n)
	for i := range out {
		ship := i / 20
		c := carriers[ship%len(carriers)]
		t := types[i%len(types)]
		var id event.ID
		copy(id[:], fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
		out[i] = event.Event{
			ID: id, Carrier: c, TrackingNumber: "1Z" + strconv.FormatInt(int64(1e12+ship), 10), Service: services[ship%len(services)],
			Type: t, OccurredAt: base.Add(time.Duration(i%20) * 3 * time.Hour), LocalOffset: -5 * 3600, TZSource: event.TZCarrierOffset,
			Location:          cities[i%len(cities)],
			Raw:               event.Raw{Code: "C" + strconv.Itoa(int(t.ID)), Type: "I", Description: "Arrived at Facility " + cities[i%len(cities)].City},
			Lineage:           event.Lineage{Topic: "raw." + c, Partition: int32(ship % 12), Offset: int64(i)},
			EstimatedDelivery: base.AddDate(0, 0, 4).Format(time.DateOnly),
			Origin:            event.Location{Region: "KY", Country: "US"}, Destination: event.Location{City: "FRESNO", Region: "CA", Country: "US"},
		}
	}
	return out
}

// BenchmarkInsert inserts canonical-event rows into the real ClickHouse
// through the Writer (row mapping, columnar buffering, one native-protocol
// INSERT per batch), in batches of 10,000 and 100,000 rows. schema=full has
// every migration applied, so the three materialized views run on each
// insert; schema=events_only stops after the base tables (migration 2), to
// show what the views cost. rows/s is the figure to watch.
//
//	go test -run '^$' -bench BenchmarkInsert -benchmem ./sinks/chsink/
func BenchmarkInsert(b *testing.B) {
	events := benchEvents(100_000)
	for _, schema := range []struct {
		name string
		upTo int
	}{{"full", 0}, {"events_only", 2}} {
		b.Run("schema="+schema.name, func(b *testing.B) {
			srv := chtest.New(b)
			o := Options{Addrs: []string{srv.Addr}, Database: srv.Database, UpTo: schema.upTo}
			if _, err := Migrate(b.Context(), srv.Conn, o); err != nil {
				b.Fatal(err)
			}
			for _, size := range []int{10_000, 100_000} {
				b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
					o := o
					o.BatchRows = size
					w := NewWriter(srv.Conn, o)
					b.ResetTimer()
					start := time.Now()
					for i := 0; i < b.N; i++ {
						for j := 0; j < size; j++ {
							w.AddEvent(&events[j])
						}
						if err := w.Flush(b.Context()); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "rows/s")
				})
			}
		})
	}
}
