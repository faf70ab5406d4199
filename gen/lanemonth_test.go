package gen

import (
	"testing"

	"github.com/wismo/wismo/event"
)

func TestLaneMonthDeterministicAndTruthful(t *testing.T) {
	run := func() ([]LaneTruth, []*event.Event) {
		var evs []*event.Event
		tr, err := LaneMonth(LaneOptions{Seed: 7, Shipments: 2000}, func(e *event.Event) error { evs = append(evs, e); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return tr, evs
	}
	a, evs := run()
	b, evs2 := run()
	if len(evs) != len(evs2) || len(a) != 2000 {
		t.Fatalf("%d and %d events, %d truths", len(evs), len(evs2), len(a))
	}
	for i := range evs {
		if evs[i].ID != evs2[i].ID || !evs[i].OccurredAt.Equal(evs2[i].OccurredAt) {
			t.Fatalf("event %d differs between runs of one seed", i)
		}
		if i > 0 && evs[i].OccurredAt.Before(evs[i-1].OccurredAt) {
			t.Fatalf("event %d is out of time order", i)
		}
		if err := event.CheckTime(evs[i].OccurredAt); err != nil {
			t.Fatal(err)
		}
	}
	var stuck, late, lost, delays int
	for i := range a {
		tr := &a[i]
		if b[i].ShipmentID != tr.ShipmentID {
			t.Fatal("truths differ between runs")
		}
		if !tr.StallAt.IsZero() {
			stuck++
		}
		if tr.Delivered.IsZero() {
			lost++
		}
		if tr.Late() {
			late++
		}
		if !tr.CarrierDelayAt.IsZero() {
			delays++
			if !tr.Late() {
				t.Errorf("%s: a delay scan on a parcel that was on time", tr.ShipmentID)
			}
		}
		if tr.Promised != tr.EDD+1 {
			t.Errorf("%s: promised %d, EDD %d", tr.ShipmentID, tr.Promised, tr.EDD)
		}
	}
	// Each problem is there, at a plausible share.
	if stuck < 60 || lost == 0 || late < 200 || delays == 0 || late > 1200 {
		t.Errorf("stalls %d, lost %d, late %d, carrier delay scans %d of 2000", stuck, lost, late, delays)
	}
}
