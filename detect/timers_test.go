package detect

import (
	"testing"
	"time"

	"github.com/wismo/wismo/rules"
)

// TestTimerMovesOn: a deadline that a later scan moves later keeps one
// timer entry per shipment, NextDue names the deadline as it is now (not
// the one the earlier scan armed), and the stall fires at the later time,
// not the earlier one.
func TestTimerMovesOn(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	first := scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU")
	second := scan("in_transit.departed_facility", "2026-11-17T09:00:00Z", "DF")
	en.Apply(first, c)
	en.Apply(second, c)
	if len(en.timers) != 1 {
		t.Errorf("%d timer entries for one shipment, want 1", len(en.timers))
	}
	want := second.OccurredAt.Add(rules.Default().StallsFor("dhl", "").InTransitDomestic)
	if at, ok := en.NextDue(); !ok || !at.Equal(want) {
		t.Errorf("NextDue %v %v, want %v (the first scan's deadline was %v)", at.UTC(), ok, want,
			first.OccurredAt.Add(rules.Default().StallsFor("dhl", "").InTransitDomestic))
	}
	en.Advance(want.Add(-time.Second), c)
	if len(c.events) != 0 {
		t.Fatalf("stalled before the moved deadline: %v at %v", c.events[0].Type.Name, c.events[0].OccurredAt)
	}
	en.Advance(want, c)
	if len(c.events) != 1 || c.events[0].Type.Name != "exception.stalled_in_transit" || !c.events[0].OccurredAt.Equal(want) {
		t.Fatalf("at the deadline: %d synthetic events, want the in-transit stall at %v", len(c.events), want)
	}
}

// TestStallsFollowService: the rules' thresholds a shipment's deadlines use
// (kept beside its state) follow its service once an event names it: UPS
// Next Day Air stalls after 24 h in transit, where UPS without a service
// waits 48 h.
func TestStallsFollowService(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	label := scan("info_received.label_created", "2026-11-16T09:00:00Z", "LC")
	label.Carrier = "ups"
	moved := scan("in_transit.picked_up", "2026-11-16T12:00:00Z", "PU")
	moved.Carrier, moved.Service = "ups", "next_day_air"
	en.Apply(label, c)
	en.Apply(moved, c)
	want := moved.OccurredAt.Add(rules.Default().StallsFor("ups", "next_day_air").InTransitDomestic)
	if at, ok := en.NextDue(); !ok || !at.Equal(want) {
		t.Errorf("NextDue %v %v, want %v: next_day_air's threshold from the pickup", at.UTC(), ok, want)
	}
}
