package detect

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

// laneScan is a dhl scan of shipment tn on the New York to Boston lane.
func laneScan(tn, typ string, at time.Time) *event.Event {
	e := &event.Event{
		Carrier: "dhl", TrackingNumber: tn, Service: "parcel", Type: taxonomy.MustLookup(typ), OccurredAt: at.UTC(),
		Origin:      event.Location{Region: "NY", PostalCode: "10001", Country: "US"},
		Destination: event.Location{Region: "MA", PostalCode: "02110", Country: "US"},
	}
	e.ID = event.ID(xxh3.Hash128([]byte(tn + typ + at.String())).Bytes())
	return e
}

var laneStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC) // a Monday

// trainLane runs n shipments through the lane: picked up, moving every gap
// for six scans, out for delivery, delivered; each starts an hour after the
// one before. It returns when the last delivered.
func trainLane(en *Engine, c Sink, n int, gap time.Duration) time.Time {
	var end time.Time
	for i := 0; i < n; i++ {
		tn := fmt.Sprintf("TRAIN%04d", i)
		t := laneStart.Add(time.Duration(i) * time.Hour)
		en.Apply(laneScan(tn, "in_transit.picked_up", t), c)
		for j := 0; j < 6; j++ {
			t = t.Add(gap)
			en.Apply(laneScan(tn, "in_transit.departed_facility", t), c)
		}
		t = t.Add(gap)
		en.Apply(laneScan(tn, "out_for_delivery.out_for_delivery", t), c)
		t = t.Add(3 * time.Hour)
		en.Apply(laneScan(tn, "delivered.delivered", t), c)
		end = t
	}
	return end
}

func laneEngine(t *testing.T, mod func(*rules.Rules)) *Engine {
	t.Helper()
	r := rules.Default()
	if mod != nil {
		mod(r)
	}
	m, err := lanes.New(r.Lanes.Model)
	if err != nil {
		t.Fatal(err)
	}
	en := New(r)
	en.UseLanes(m)
	return en
}

// stalledAfter runs one more shipment that moves once, then is silent, and
// says how long after its last scan it was reported stalled (0: never
// within 96 hours).
func stalledAfter(en *Engine, from time.Time) time.Duration {
	c := &collect{}
	en.Apply(laneScan("HELD", "in_transit.picked_up", from), c)
	en.Apply(laneScan("HELD", "in_transit.departed_facility", from.Add(time.Hour)), c)
	last := from.Add(time.Hour)
	for h := 1; h <= 96; h++ {
		en.Advance(last.Add(time.Duration(h)*time.Hour), c)
		for _, x := range c.cmds {
			if x.Trigger == "stalled" {
				return time.Duration(h) * time.Hour
			}
		}
	}
	return 0
}

// A lane that scans every two hours has a stall threshold of its p95 x 2
// (4 hours, the floor too): a parcel silent 5 hours there is
// stalled long before the flat 48 hours, and one silent 3 hours is not.
func TestLaneStallThreshold(t *testing.T) {
	en := laneEngine(t, nil)
	end := trainLane(en, &collect{}, 60, 2*time.Hour)
	if got := stalledAfter(en, end.Add(time.Hour)); got != 4*time.Hour {
		t.Errorf("learned lane: stalled after %v of silence, want 4h (p95 2h x 2, floor 4h)", got)
	}
	flat := New(rules.Default())
	trainLane(flat, &collect{}, 60, 2*time.Hour)
	if got := stalledAfter(flat, end.Add(time.Hour)); got != 48*time.Hour {
		t.Errorf("flat rules: stalled after %v, want 48h", got)
	}
}

// The learned threshold is clamped: never under the floor, never over the
// flat threshold; a thin lane keeps the flat one.
func TestLaneStallClamped(t *testing.T) {
	en := laneEngine(t, func(r *rules.Rules) { r.Lanes.StallFloor, r.Lanes.Model.StallFactor = time.Hour, 1.5 })
	end := trainLane(en, &collect{}, 60, 2*time.Hour)
	if got := stalledAfter(en, end.Add(time.Hour)); got != 3*time.Hour {
		t.Errorf("floor 1h, p95 x 1.5: stalled after %v, want the learned 3h", got)
	}
	slow := laneEngine(t, nil)
	end = trainLane(slow, &collect{}, 60, 40*time.Hour)
	if got := stalledAfter(slow, end.Add(time.Hour)); got != 48*time.Hour {
		t.Errorf("40h gaps: stalled after %v, want the flat ceiling 48h", got)
	}
	thin := laneEngine(t, nil)
	end = trainLane(thin, &collect{}, 3, 2*time.Hour) // 18 gaps, under min_observations
	if got := stalledAfter(thin, end.Add(time.Hour)); got != 48*time.Hour {
		t.Errorf("thin lane: stalled after %v, want the flat 48h", got)
	}
}

// Commands carry the lane's predicted delivery, none while the lane is
// thin, and the carrier's EDD beside it.
func TestPredictedDeliveryOnCommands(t *testing.T) {
	en := laneEngine(t, nil)
	c := &collect{}
	en.Apply(laneScan("FIRST", "in_transit.picked_up", laneStart.Add(-time.Hour)), c)
	if p := c.cmds[0].PredictedDelivery; p != nil {
		t.Errorf("empty model predicted %+v", p)
	}
	end := trainLane(en, &collect{}, 40, 2*time.Hour) // 14h picked up to delivered: same or next day
	c = &collect{}
	from := end.Add(24 * time.Hour) // a Wednesday morning
	ev := laneScan("NEW", "in_transit.picked_up", from)
	ev.EstimatedDelivery = "2026-11-06"
	en.Apply(ev, c)
	if len(c.cmds) != 1 {
		t.Fatalf("commands %v", c.triggers())
	}
	p, cmd := c.cmds[0].PredictedDelivery, c.cmds[0]
	if p == nil {
		t.Fatal("no prediction on a learned lane")
	}
	day := from.Format("2006-01-02")
	next := from.Add(24 * time.Hour).Format("2006-01-02")
	if p.Earliest < day || p.Likely > next || p.Latest > next || p.Confidence == "" {
		t.Errorf("prediction %+v for a pickup on %s of a lane of 0-1 day", p, day)
	}
	if cmd.EstimatedDelivery != "2026-11-06" {
		t.Errorf("carrier EDD beside it: %q", cmd.EstimatedDelivery)
	}
	if got := en.Predict("dhl:NEW"); got == nil || *got != *p {
		t.Errorf("the state's prediction %+v, the command's %+v", got, p)
	}
}

// When the likely date passes the carrier's date the customer hears of it
// first from us (delayed, predicted_late), once; when the carrier's date
// moves back within reach, the follow-up says it is back on track.
func TestPredictedLate(t *testing.T) {
	en := laneEngine(t, nil)
	end := trainLane(en, &collect{}, 40, 10*time.Hour) // 80h picked up to delivered
	from := time.Date(2026, 11, 9, 8, 0, 0, 0, time.UTC)
	if from.Before(end) {
		t.Fatal("training runs past the test's week")
	}
	c := &collect{}
	early := laneScan("LATE", "in_transit.picked_up", from)
	early.EstimatedDelivery = "2026-11-10" // the lane takes 3 to 4 days
	en.Apply(early, c)
	again := laneScan("LATE", "in_transit.departed_facility", from.Add(2*time.Hour))
	again.EstimatedDelivery = "2026-11-10"
	en.Apply(again, c)
	var reasons []string
	for _, x := range c.cmds {
		reasons = append(reasons, x.Trigger+"/"+x.Reason)
	}
	if fmt.Sprint(reasons) != "[shipped/ delayed/predicted_late]" {
		t.Fatalf("commands %v, want shipped then one delayed/predicted_late", reasons)
	}
	c = &collect{}
	moved := laneScan("LATE", "in_transit.arrived_at_facility", from.Add(4*time.Hour))
	moved.EstimatedDelivery = "2026-11-14"
	en.Apply(moved, c)
	if len(c.cmds) != 1 || c.cmds[0].Trigger != "exception_resolved" || c.cmds[0].Reason != "back_on_track" {
		t.Errorf("after the carrier's date moved out: %v", c.triggers())
	}
}

// A parcel at the delivery facility waits for the next delivery round: a
// lane whose dwell there is short does not make an afternoon arrival a
// stall before the rules' delivery_round_by (12:00) of the next day.
func TestAtDeliveryFacilityWaitsForTheRound(t *testing.T) {
	en := laneEngine(t, nil)
	c := &collect{}
	for i := 0; i < 60; i++ { // arrivals at 05:00 New York, out for delivery at 08:00
		tn := fmt.Sprintf("DWELL%03d", i)
		day := laneStart.Add(time.Duration(i) * 24 * time.Hour)
		en.Apply(laneScan(tn, "in_transit.picked_up", day), c)
		en.Apply(laneScan(tn, "in_transit.arrived_at_delivery_facility", day.Add(2*time.Hour)), c) // 10:00Z
		en.Apply(laneScan(tn, "out_for_delivery.out_for_delivery", day.Add(5*time.Hour)), c)
		en.Apply(laneScan(tn, "delivered.delivered", day.Add(8*time.Hour)), c)
	}
	arrive := time.Date(2027, 1, 5, 19, 0, 0, 0, time.UTC) // 14:00 in Boston
	c = &collect{}
	en.Apply(laneScan("PM", "in_transit.picked_up", arrive.Add(-2*time.Hour)), c)
	en.Apply(laneScan("PM", "in_transit.arrived_at_delivery_facility", arrive), c)
	en.Advance(time.Date(2027, 1, 6, 16, 59, 0, 0, time.UTC), c) // 11:59 the next day
	for _, x := range c.cmds {
		if x.Trigger == "stalled" {
			t.Fatalf("stalled at %v, before the next day's round", x.DecidedAt)
		}
	}
	en.Advance(time.Date(2027, 1, 6, 17, 1, 0, 0, time.UTC), c)
	if got := c.triggers(); len(got) == 0 || got[len(got)-1] != "stalled" {
		t.Errorf("no stall after the next day's round: %v", got)
	}
}

// A shipment restored from the changelog finds its lane again at its next
// event: the lane's number is not in the changelog, though the flag saying
// the route was complete is.
func TestRestoredShipmentFindsItsLane(t *testing.T) {
	en := laneEngine(t, nil)
	end := trainLane(en, &collect{}, 40, 2*time.Hour)
	from := end.Add(24 * time.Hour)
	en.Apply(laneScan("MOVED", "in_transit.picked_up", from), &collect{})
	data := MarshalState(nil, en.State("dhl:MOVED"))

	en.Forget()
	if err := en.Restore("dhl:MOVED", data); err != nil {
		t.Fatal(err)
	}
	en.Apply(laneScan("MOVED", "in_transit.departed_facility", from.Add(time.Hour)), &collect{})
	if p := en.Predict("dhl:MOVED"); p == nil {
		t.Error("a restored shipment on a learned lane predicts nothing: it lost its lane")
	}
}

// Before pickup the lane's clock has not started: a label with a carrier
// date that the lane could not make from today is no predicted_late.
func TestNoPredictedLateBeforePickup(t *testing.T) {
	en := laneEngine(t, nil)
	trainLane(en, &collect{}, 40, 10*time.Hour) // 80 h picked up to delivered
	c := &collect{}
	label := laneScan("LABEL", "info_received.label_created", time.Date(2026, 11, 9, 8, 0, 0, 0, time.UTC))
	label.EstimatedDelivery = "2026-11-10"
	en.Apply(label, c)
	for _, x := range c.cmds {
		if x.Reason == "predicted_late" {
			t.Errorf("predicted_late on a label: %+v", x)
		}
	}
}

// In shadow the lanes learn but decide nothing: the learned lane of
// TestLaneStallThreshold, which stalls a parcel after 4 hours, leaves it to
// the flat 48, and the commands are the flat engine's, with no prediction.
func TestShadowLanesDecideNothing(t *testing.T) {
	shadow := laneEngine(t, nil)
	shadow.ShadowLanes()
	flat := New(rules.Default())
	sc, fc := &collect{}, &collect{}
	end := trainLane(shadow, sc, 60, 2*time.Hour)
	trainLane(flat, fc, 60, 2*time.Hour)
	if n := shadow.Lanes().Len(); n == 0 {
		t.Fatal("the shadow model learned no lane")
	}
	if !reflect.DeepEqual(sc.cmds, fc.cmds) {
		t.Errorf("shadow commands differ from the flat rules': %d against %d", len(sc.cmds), len(fc.cmds))
	}
	if got := stalledAfter(shadow, end.Add(time.Hour)); got != 48*time.Hour {
		t.Errorf("shadow: stalled after %v, want the flat 48h", got)
	}
}
