package detect

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/rules"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// snapshot encodes every state of en, for comparisons.
func snapshot(en *Engine) map[string][]byte {
	out := map[string][]byte{}
	for id, s := range en.states {
		out[id] = MarshalState(nil, s)
	}
	return out
}

func TestStateRoundTrip(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	for _, e := range happy[:4] {
		en.Apply(e, c)
	}
	en.Apply(scan("exception.address_incorrect", "2026-11-17T21:00:00Z", "AX"), c)
	s := en.State("dhl:T1")
	if s == nil || s.OpenException == nil || s.Zone == nil || s.EDD != 0 && s.EDD < 0 {
		t.Fatalf("state not as set up: %+v", s)
	}
	data := MarshalState(nil, s)
	var back State
	if err := unmarshalState(data, &back, en.internBytes); err != nil {
		t.Fatal(err)
	}
	want := *s
	want.due, want.lane = 0, 0
	if back != want {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, want)
	}
	for i := range data {
		if err := unmarshalState(data[:i], &back, en.internBytes); err == nil {
			t.Errorf("truncated at %d of %d bytes: no error", i, len(data))
		}
	}
	if err := unmarshalState(append(data, 0), &back, en.internBytes); err == nil {
		t.Error("trailing byte: no error")
	}
	bad := bytes.Clone(data)
	bad[0] = 99
	if err := unmarshalState(bad, &back, en.internBytes); err == nil {
		t.Error("unknown version: no error")
	}
}

// A version 1 record (before FirstMove) still restores: a release reads
// the changelog the one before it wrote.
func TestStateVersion1Restores(t *testing.T) {
	en := New(rules.Default())
	v1 := []byte{1}
	for _, str := range []string{"express", "Europe/Berlin", "in_transit.departed_facility", ""} {
		v1 = appendStr(v1, str)
	}
	for _, v := range []uint64{1795000000, 1795000100, 1795000000, 1794990000, 0} {
		v1 = binary.AppendUvarint(v1, v)
	}
	v1 = binary.AppendVarint(v1, 20775)
	v1 = binary.AppendVarint(v1, 20774)
	v1 = binary.AppendUvarint(v1, 3)
	v1 = binary.AppendUvarint(v1, 1)
	v1 = append(v1, flagInternational, 2, 1)
	for i := range 4 {
		v1 = binary.BigEndian.AppendUint64(v1, uint64(i+7))
	}
	var s State
	if err := unmarshalState(v1, &s, en.internBytes); err != nil {
		t.Fatal(err)
	}
	if s.Service != "express" || s.LastMove != 1795000000 || s.FirstMove != 0 || s.EDD != 20775 || s.Episode != 3 || s.Recent[3] != 10 {
		t.Errorf("version 1 record read as %+v", s)
	}
}

// A deadline that passed while no instance owned the shipment fires once
// after the state is restored, and not again from a state saved after it
// fired.
func TestRestoreFiresMissedDeadlineOnce(t *testing.T) {
	a := New(rules.Default())
	c := &collect{}
	for _, e := range happy[:3] { // in transit since 2026-11-17T03:00Z
		a.Apply(e, c)
	}
	want(t, c, "shipped")
	saved := snapshot(a)

	b := New(rules.Default())
	b.UseWallClock()
	for id, data := range saved {
		if err := b.Restore(id, data); err != nil {
			t.Fatal(err)
		}
	}
	cb := &collect{}
	b.Advance(at("2026-11-19T12:00:00Z"), cb) // 57 h later: the 48 h stall is due
	want(t, cb, "stalled")
	b.Advance(at("2026-11-19T13:00:00Z"), cb)
	want(t, cb, "stalled")
	if len(cb.events) != 1 || cb.events[0].Type.Name != "exception.stalled_in_transit" {
		t.Fatalf("synthetic events %v", cb.events)
	}

	// Restored again from the state saved after the stall: nothing new
	// until the escalation is due.
	again := New(rules.Default())
	again.UseWallClock()
	for id, data := range snapshot(b) {
		if err := again.Restore(id, data); err != nil {
			t.Fatal(err)
		}
	}
	cc := &collect{}
	again.Advance(at("2026-11-19T13:00:00Z"), cc)
	want(t, cc)
}

// An aborted batch leaves the state as it found it, and replaying the batch
// decides the same commands with the same ids.
func TestRollback(t *testing.T) {
	en := New(rules.Default())
	en.Journal()
	c := &collect{}
	for _, e := range happy[:5] {
		en.Apply(e, c)
	}
	en.Commit()
	before := snapshot(en)

	first := &collect{}
	en.Apply(happy[5], first)
	en.Apply(scan("delivered.delivered", "2026-11-18T19:00:00Z", "OK"), first)
	en.Apply(scan("in_transit.picked_up", "2026-11-20T09:00:00Z", "PU"), first) // a new shipment? no: same id, late
	other := scan("in_transit.picked_up", "2026-11-18T09:00:00Z", "PU")
	other.TrackingNumber = "T2"
	en.Apply(other, first)
	en.Advance(at("2026-12-30T00:00:00Z"), first) // T2 stalls and expires; T1 is forgotten
	if en.State("dhl:T1") != nil {
		t.Error("delivered shipment not forgotten after the expiry window")
	}
	var changed []string
	en.Changes(func(id string, s *State) {
		changed = append(changed, id)
		if id == "dhl:T1" && s != nil {
			t.Error("forgotten shipment reported with a state, want a tombstone")
		}
	})
	if len(changed) != 2 {
		t.Errorf("changes %v, want dhl:T1 and dhl:T2", changed)
	}
	en.Rollback()
	after := snapshot(en)
	if len(after) != len(before) {
		t.Fatalf("%d shipments after rollback, want %d", len(after), len(before))
	}
	for id, b := range before {
		if !bytes.Equal(after[id], b) {
			t.Errorf("%s: state differs after rollback", id)
		}
	}
	second := &collect{}
	en.Apply(happy[5], second)
	en.Apply(scan("delivered.delivered", "2026-11-18T19:00:00Z", "OK"), second)
	en.Apply(scan("in_transit.picked_up", "2026-11-20T09:00:00Z", "PU"), second)
	en.Apply(other, second)
	en.Advance(at("2026-12-30T00:00:00Z"), second)
	if len(first.cmds) == 0 || len(first.cmds) != len(second.cmds) {
		t.Fatalf("replay decided %d commands, first run %d", len(second.cmds), len(first.cmds))
	}
	for i := range first.cmds {
		if first.cmds[i].CommandID != second.cmds[i].CommandID || first.cmds[i].Trigger != second.cmds[i].Trigger {
			t.Errorf("command %d: %s %s, first run %s %s", i, second.cmds[i].Trigger, second.cmds[i].CommandID,
				first.cmds[i].Trigger, first.cmds[i].CommandID)
		}
	}
}

// A movement scan from before an exception, arriving after it, does not
// clear it; a later one does.
func TestLateMovementKeepsException(t *testing.T) {
	c := run(t, "",
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("exception.address_incorrect", "2026-11-17T10:00:00Z", "AX"),
		scan("in_transit.arrived_at_facility", "2026-11-17T08:00:00Z", "AF"), // late
		scan("in_transit.departed_facility", "2026-11-17T12:00:00Z", "DF"),
	)
	want(t, c, "shipped", "action_required")
	en := New(rules.Default())
	for _, e := range []*event.Event{
		scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"),
		scan("exception.address_incorrect", "2026-11-17T10:00:00Z", "AX"),
		scan("in_transit.arrived_at_facility", "2026-11-17T08:00:00Z", "AF"),
	} {
		en.Apply(e, &collect{})
	}
	if en.State("dhl:T1").OpenException == nil {
		t.Error("a late movement scan cleared the exception")
	}
}

func FuzzUnmarshalState(f *testing.F) {
	en := New(rules.Default())
	c := &collect{}
	for _, e := range happy {
		en.Apply(e, c)
		f.Add(MarshalState(nil, en.State("dhl:T1")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if err := unmarshalState(data, &s, en.internBytes); err != nil {
			return
		}
		if again := MarshalState(nil, &s); !bytes.Equal(again, data) {
			// Varints have one canonical form on the way out; accept a
			// non-canonical input only if it decodes to the same state.
			var s2 State
			if err := unmarshalState(again, &s2, en.internBytes); err != nil || s2 != s {
				t.Fatalf("re-encoded state differs")
			}
		}
	})
}

// An open actionable exception (duties to pay) with no movement for days:
// the customer was told what to do, so no stall fires, and the deadline
// logic must not spin (it once re-fired the same overdue stall forever).
// Only expiry comes, once.
func TestActionableExceptionSilenceDoesNotLoop(t *testing.T) {
	en := New(rules.Default())
	c := &collect{}
	en.Apply(scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"), c)
	en.Apply(scan("exception.customs_payment_required", "2026-11-17T10:00:00Z", "CP"), c)
	done := make(chan struct{})
	go func() {
		en.Advance(at("2027-01-30T00:00:00Z"), c)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Advance did not return: a deadline fires forever")
	}
	want(t, c, "shipped", "action_required", "expired")
	if len(c.events) != 1 {
		t.Errorf("%d synthetic events, want the expiry alone", len(c.events))
	}
}

// An aborted batch on the event-time clock puts the clock back too: the
// batch read again decides the same commands at the same decided_at, and
// meets the same deadlines.
func TestRollbackRestoresTheClock(t *testing.T) {
	en := New(rules.Default())
	en.Journal()
	c := &collect{}
	en.Apply(scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"), c)
	en.Commit()
	other := scan("in_transit.picked_up", "2026-11-20T09:00:00Z", "PU")
	other.TrackingNumber = "T2"
	batch := []*event.Event{
		scan("in_transit.arrived_at_facility", "2026-11-17T08:00:00Z", "AF"),
		other, // moves the clock past T1's 48 h stall deadline
		scan("out_for_delivery.out_for_delivery", "2026-11-21T08:00:00Z", "WC"),
	}
	first := &collect{}
	for _, e := range batch {
		en.Apply(e, first)
	}
	en.Rollback()
	if !en.Now().Equal(at("2026-11-16T21:00:00Z")) {
		t.Fatalf("clock after rollback %v, want the committed 2026-11-16T21:00:00Z", en.Now())
	}
	second := &collect{}
	for _, e := range batch {
		en.Apply(e, second)
	}
	if len(first.cmds) != len(second.cmds) {
		t.Fatalf("replay decided %v, first run %v", second.triggers(), first.triggers())
	}
	for i := range first.cmds {
		a, b := first.cmds[i], second.cmds[i]
		if a.CommandID != b.CommandID || !a.DecidedAt.Equal(b.DecidedAt) || !a.NotBefore.Equal(b.NotBefore) {
			t.Errorf("command %d: %s decided %v, first run %s decided %v", i, b.Trigger, b.DecidedAt, a.Trigger, a.DecidedAt)
		}
	}
}
