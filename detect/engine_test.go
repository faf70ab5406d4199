package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

type collect struct {
	cmds   []*Command
	events []*event.Event
}

func (c *collect) Command(x *Command)   { c.cmds = append(c.cmds, x) }
func (c *collect) Event(e *event.Event) { c.events = append(c.events, e) }
func (c *collect) triggers() []string {
	var out []string
	for _, x := range c.cmds {
		out = append(out, x.Trigger)
	}
	return out
}

// scan makes a carrier event for shipment dhl:T1 (DHL scans on weekends,
// so business-day rules stay out of the way) delivered to New York.
func scan(typ string, at string, code string) *event.Event {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	e := &event.Event{
		Carrier: "dhl", TrackingNumber: "T1", Type: taxonomy.MustLookup(typ), OccurredAt: t.UTC(),
		Raw:         event.Raw{Code: code},
		Destination: event.Location{City: "New York", Region: "NY", Country: "US"},
		Origin:      event.Location{Country: "US"},
		Location:    event.Location{City: "Newark", Region: "NJ", Country: "US"},
	}
	e.ID = event.ID(xxh3.Hash128([]byte(typ + at + code)).Bytes()) // distinct per scan, stable across resends
	return e
}

func run(t *testing.T, until string, evs ...*event.Event) *collect {
	t.Helper()
	en := New(rules.Default())
	c := &collect{}
	for _, e := range evs {
		en.Apply(e, c)
	}
	if until != "" {
		u, err := time.Parse(time.RFC3339, until)
		if err != nil {
			t.Fatal(err)
		}
		en.Advance(u, c)
	}
	return c
}

func want(t *testing.T, c *collect, triggers ...string) {
	t.Helper()
	if got := strings.Join(c.triggers(), ","); got != strings.Join(triggers, ",") {
		t.Errorf("triggers %q, want %q", got, strings.Join(triggers, ","))
	}
}

var happy = []*event.Event{
	scan("info_received.label_created", "2026-11-16T15:00:00Z", "LC"),
	scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
	scan("in_transit.departed_facility", "2026-11-17T03:00:00Z", "DF"),
	scan("in_transit.arrived_at_facility", "2026-11-17T20:00:00Z", "AF"),
	scan("in_transit.arrived_at_delivery_facility", "2026-11-18T11:00:00Z", "AR"),
	scan("out_for_delivery.out_for_delivery", "2026-11-18T13:00:00Z", "WC"),
	scan("delivered.delivered", "2026-11-18T19:00:00Z", "OK"),
}

func TestHappyPath(t *testing.T) {
	c := run(t, "2027-01-30T00:00:00Z", happy...)
	want(t, c, "shipped", "out_for_delivery", "delivered")
	if len(c.events) != 0 {
		t.Errorf("synthetic events on a happy path: %v", c.events[0].Type.Name)
	}
	for _, x := range c.cmds {
		if x.Message == "" || x.CommandID == "" || x.EventID == "" {
			t.Errorf("incomplete command %+v", x)
		}
	}
}

func TestRerouteAndMissortAreNoise(t *testing.T) {
	c := run(t, "2026-11-18T12:00:00Z",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("in_transit.misrouted_corrected", "2026-11-17T03:00:00Z", "MS"),
		scan("exception.missorted", "2026-11-17T05:00:00Z", "MX"),
		scan("in_transit.departed_facility", "2026-11-17T09:00:00Z", "DF"),
	)
	want(t, c, "shipped")
}

func TestFailedAttemptHasANextStep(t *testing.T) {
	c := run(t, "",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("out_for_delivery.out_for_delivery", "2026-11-18T13:00:00Z", "WC"),
		scan("attempt_failed.business_closed", "2026-11-18T18:00:00Z", "NH"),
	)
	want(t, c, "shipped", "out_for_delivery", "attempt_failed")
	last := c.cmds[len(c.cmds)-1]
	if last.NextStep == "" || last.Priority != "high" {
		t.Errorf("attempt_failed command %+v", last)
	}
}

func TestSilenceInTransitStallsThenResolves(t *testing.T) {
	c := run(t, "",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("in_transit.departed_facility", "2026-11-17T03:00:00Z", "DF"),
		// 50 hours of silence, then movement
		scan("in_transit.arrived_at_facility", "2026-11-19T05:00:00Z", "AF"),
	)
	want(t, c, "shipped", "stalled", "exception_resolved")
	if len(c.events) != 1 || c.events[0].Type.Name != "exception.stalled_in_transit" || c.events[0].Source != event.FromPipeline {
		t.Fatalf("synthetic events %v", c.events)
	}
	if got := c.events[0].OccurredAt.Format(time.RFC3339); got != "2026-11-19T03:00:00Z" {
		t.Errorf("stall fired at %s, want 48 h after the last movement", got)
	}
}

func TestStallFiresWithoutANewEvent(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	en.Apply(scan("in_transit.departed_facility", "2026-11-17T03:00:00Z", "DF"), c)
	en.Advance(time.Date(2026, 11, 19, 2, 0, 0, 0, time.UTC), c)
	want(t, c)
	en.Advance(time.Date(2026, 11, 19, 4, 0, 0, 0, time.UTC), c)
	want(t, c, "stalled")
	en.Advance(time.Date(2026, 11, 19, 5, 0, 0, 0, time.UTC), c)
	want(t, c, "stalled") // once
	en.Advance(time.Date(2026, 11, 21, 4, 0, 0, 0, time.UTC), c)
	want(t, c, "stalled", "stalled") // the escalation, 48 h later
	if esc := c.cmds[1]; esc.Priority != "high" || esc.Supersedes != c.cmds[0].CommandID {
		t.Errorf("escalation %+v", esc)
	}
}

func TestResentHistoryGivesNothingNew(t *testing.T) {
	all := append(append([]*event.Event{}, happy...), happy...)
	c := run(t, "", all...)
	want(t, c, "shipped", "out_for_delivery", "delivered")
}

func TestDeliveredBeforeOutForDeliveryDoesNotRegress(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	en.Apply(scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"), c)
	en.Apply(scan("delivered.delivered", "2026-11-18T19:00:00Z", "OK"), c)
	en.Apply(scan("out_for_delivery.out_for_delivery", "2026-11-18T13:00:00Z", "WC"), c)
	want(t, c, "shipped", "delivered")
	if m := en.State("dhl:T1").Milestone(); m != "delivered" {
		t.Errorf("milestone %s after a late out-for-delivery scan", m)
	}
}

func TestQuietHoursShiftNotBefore(t *testing.T) {
	// 23:30 in New York (EST): quiet until 08:00 local, 13:00 UTC.
	c := run(t, "",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("out_for_delivery.out_for_delivery", "2026-11-18T13:00:00Z", "WC"),
		scan("attempt_failed.recipient_unavailable", "2026-11-19T04:30:00Z", "NH"),
	)
	last := c.cmds[len(c.cmds)-1]
	if got := last.NotBefore.Format(time.RFC3339); got != "2026-11-19T13:00:00Z" {
		t.Errorf("not_before %s, want 2026-11-19T13:00:00Z", got)
	}
	if !last.DecidedAt.Equal(time.Date(2026, 11, 19, 4, 30, 0, 0, time.UTC)) {
		t.Errorf("decided_at %s", last.DecidedAt)
	}
	if first := c.cmds[0]; !first.NotBefore.Equal(first.DecidedAt) {
		t.Errorf("a daytime command was delayed: %+v", first)
	}
}

func TestActionableExceptionHoldsRoutineUpdates(t *testing.T) {
	c := run(t, "",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("exception.address_incorrect", "2026-11-17T10:00:00Z", "BA"),
		scan("exception.delayed_weather", "2026-11-17T11:00:00Z", "WX"),
	)
	want(t, c, "shipped", "action_required")
}

func TestBusinessDaysOnly(t *testing.T) {
	// UPS does not scan on weekends: a Friday evening departure stalls on
	// Tuesday evening, not on Sunday.
	e := scan("in_transit.departed_facility", "2026-11-20T22:00:00Z", "DP") // Friday 17:00 in New York
	e.Carrier = "ups"
	en := New(rules.Default())
	c := &collect{}
	en.Apply(e, c)
	en.Advance(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), c)
	want(t, c)
	en.Advance(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), c)
	want(t, c, "stalled")
}

func TestExpiry(t *testing.T) {
	c := run(t, "2027-01-01T00:00:00Z", scan("info_received.label_created", "2026-11-16T15:00:00Z", "LC"))
	want(t, c, "stalled", "stalled", "expired")
}

func TestCommandIDsAreDeterministic(t *testing.T) {
	a := run(t, "", happy...)
	b := run(t, "", happy...)
	for i := range a.cmds {
		if a.cmds[i].CommandID != b.cmds[i].CommandID {
			t.Fatal("command ids differ between runs")
		}
	}
}
