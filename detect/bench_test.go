package detect

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

type discard struct{ n int }

func (d *discard) Command(*Command)   { d.n++ }
func (d *discard) Event(*event.Event) {}

// timeline makes n shipments' worth of a realistic lifecycle (7 scans,
// hours apart), interleaved the way a partition sees them.
func timeline(shipments int) []event.Event {
	steps := []string{"info_received.label_created", "in_transit.picked_up", "in_transit.departed_facility",
		"in_transit.arrived_at_facility", "in_transit.arrived_at_delivery_facility", "out_for_delivery.out_for_delivery", "delivered.delivered"}
	base := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	out := make([]event.Event, 0, shipments*len(steps))
	for step, typ := range steps {
		for i := 0; i < shipments; i++ {
			tn := fmt.Sprintf("1ZBENCH%010d", i)
			e := event.Event{Carrier: "ups", TrackingNumber: tn, Service: "ground", Type: taxonomy.MustLookup(typ),
				OccurredAt:  base.Add(time.Duration(step)*5*time.Hour + time.Duration(i)*time.Millisecond),
				Destination: event.Location{Region: "CA", Country: "US"}}
			e.ID = event.ID(xxh3.Hash128([]byte(tn + typ)).Bytes())
			out = append(out, e)
		}
	}
	return out
}

// BenchmarkApply is the detect stage's cost per event in memory. Target:
// at least 1,000,000 events/s on one core.
func BenchmarkApply(b *testing.B) { benchApply(b, false) }

// BenchmarkApplyLanes is BenchmarkApply with the lane model on, learning
// from every shipment (the model outlives the engines, so it is warm after
// the first round). Target: the same 1,000,000 events/s.
func BenchmarkApplyLanes(b *testing.B) { benchApply(b, true) }

func benchApply(b *testing.B, withLanes bool) {
	evs := timeline(20000)
	r := rules.Default()
	m, err := lanes.New(r.Lanes.Model)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var en *Engine
	d := &discard{}
	for i := 0; i < b.N; i++ {
		if i%len(evs) == 0 {
			b.StopTimer()
			en = New(r)
			if withLanes {
				en.UseLanes(m)
			}
			b.StartTimer()
		}
		en.Apply(&evs[i%len(evs)], d)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestMemoryPerShipment measures the heap of 1,000,000 tracked shipments
// (in transit, a timer armed each). Target: at most 256 bytes each. It logs
// the figure; run with -v. Skipped in -short runs.
func TestMemoryPerShipment(t *testing.T) { memoryPerShipment(t, false) }

// TestMemoryPerShipmentLanes is the same with the lane model on: a
// shipment holds only its lane's number. Target: at most 320 bytes each.
func TestMemoryPerShipmentLanes(t *testing.T) { memoryPerShipment(t, true) }

func memoryPerShipment(t *testing.T, withLanes bool) {
	if testing.Short() {
		t.Skip("allocates a million shipments")
	}
	const n = 1_000_000
	r := rules.Default()
	m, err := lanes.New(r.Lanes.Model)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	ev := event.Event{Carrier: "ups", Service: "ground", Type: taxonomy.MustLookup("in_transit.picked_up"),
		Destination: event.Location{Region: "CA", Country: "US"}}
	d := &discard{}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	en := New(r)
	if withLanes {
		en.UseLanes(m)
	}
	for i := 0; i < n; i++ {
		ev.TrackingNumber = fmt.Sprintf("1Z%016d", i)
		ev.OccurredAt = base.Add(time.Duration(i) * time.Millisecond)
		ev.ID = event.ID(xxh3.Hash128([]byte(ev.TrackingNumber)).Bytes())
		en.Apply(&ev, d)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%d shipments: %.0f bytes of heap each (State struct %d bytes)", en.Len(), per, stateSize())
	if en.Len() != n {
		t.Fatalf("%d shipments tracked", en.Len())
	}
	runtime.KeepAlive(en)
}

// BenchmarkRestore is the in-memory half of restoring a partition: decode
// one changelog record and install the state (the broker's half is measured
// against the real broker by the detect stage's integration test). Target:
// at least 300,000 records/s.
func BenchmarkRestore(b *testing.B) {
	src := New(rules.Default())
	evs := timeline(10_000)
	d := &discard{}
	for i := range evs {
		src.Apply(&evs[i], d)
	}
	type rec struct {
		id   string
		data []byte
	}
	var recs []rec
	for id, s := range src.states {
		recs = append(recs, rec{id, MarshalState(nil, s)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	en := New(rules.Default())
	for i := 0; i < b.N; i++ {
		r := recs[i%len(recs)]
		if err := en.Restore(r.id, r.data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
