// Package detect is the detection logic of wismo: per-shipment state, silent
// stall timers, exception triage and the notification policy. It is pure:
// time comes from the caller (an event-time clock in backtests and tests, the
// wall clock in the live stage), and outputs go to a callback, so the live
// stage and `wismo backtest` run the very same code.
package detect

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
	"github.com/zeebo/xxh3"
)

// Sink receives what the engine decides: notification commands and the
// synthetic events (stalls, expiry) it makes.
type Sink interface {
	Command(c *Command)
	Event(e *event.Event)
}

// Engine holds the state of the shipments of one partition (or of a whole
// backtest) and applies the rules to them.
type Engine struct {
	rules  *rules.Rules
	states map[string]*State // each the State of a tracked (newTracked)
	timers timerHeap
	key    []byte // Apply's scratch: the event's shipment id, to look it up
	now    int64  // the clock: latest time seen or advanced to
	intern map[string]string
	dates  [16]dateText // appendDate's cache
	// facts of the carriers and services seen (factsFor), by index
	facts    []*facts
	factsIdx map[[2]string]uint32
	text     []byte        // notifyWith's scratch: a command's strings
	lanes    *lanes.Model  // nil: flat rules only (see lanes.go)
	learn    lanes.Learner // what the legs teach: lanes, or LearnInto's
	orders   *OrderTable   // order context (see orders.go); nil none
	shadow   bool          // lanes learned, flat rules decide (ShadowLanes)

	// wallClock: Apply does not move the clock; the caller does, with
	// Advance (the live stage, on the wall clock).
	wallClock bool
	// journal, when on, keeps each shipment's state as it was before the
	// batch in progress first touched it: Rollback puts it back, Changes
	// lists what to write to the changelog.
	journaling bool
	journal    map[string]journalEntry
	// committedNow is the clock at the end of the last committed batch:
	// an aborted batch's input is read again from there.
	committedNow int64
}

type journalEntry struct {
	prev    State
	existed bool
}

// New returns an engine with no shipments, on the event-time clock: time is
// the latest occurred_at applied, or what Advance moved it to.
func New(r *rules.Rules) *Engine {
	return &Engine{rules: r, states: map[string]*State{}, intern: map[string]string{}}
}

// UseWallClock makes Apply leave the clock alone: the caller moves it with
// Advance. The live stage does, so deadlines fire on time even when no
// event comes, and an event stamped in the future (a carrier clock ahead)
// does not fire others' deadlines early.
func (e *Engine) UseWallClock() { e.wallClock = true }

// Journal turns on the batch journal (see Changes, Commit and Rollback):
// the live stage writes state in transactions and must undo an aborted one.
func (e *Engine) Journal() {
	e.journaling = true
	e.journal = map[string]journalEntry{}
}

// touch records s as it was before the batch in progress changed it; call
// it before every change. s is nil for a shipment not yet tracked.
func (e *Engine) touch(id string, s *State) {
	if !e.journaling {
		return
	}
	if _, ok := e.journal[id]; ok {
		return
	}
	j := journalEntry{existed: s != nil}
	if s != nil {
		j.prev = *s
	}
	e.journal[id] = j
}

// Changes calls fn for every shipment the batch in progress changed, with
// its state now, or nil when it was forgotten (its changelog record is then
// a tombstone).
func (e *Engine) Changes(fn func(id string, s *State)) {
	for id := range e.journal {
		fn(id, e.states[id])
	}
}

// Commit ends the batch: its changes are now durable.
func (e *Engine) Commit() {
	clear(e.journal)
	e.committedNow = e.now
}

// Rollback undoes every change of the batch in progress: its transaction
// aborted, its input will be read again, and it must find the state it
// found the first time. Deadlines re-arm from the restored states.
func (e *Engine) Rollback() {
	for id, j := range e.journal {
		if !j.existed {
			e.drop(id)
			continue
		}
		s := e.states[id]
		if s == nil {
			s = e.newTracked(id)
		}
		*s = j.prev
		s.due = 0
		e.arm(id, s)
	}
	clear(e.journal)
	// The clock goes back too: on the event-time clock, the batch read
	// again must meet its deadlines at the same points as the first time
	// (and decide with the same decided_at).
	e.now = e.committedNow
}

// Restore installs a shipment's state read from the changelog; empty data
// (a tombstone) forgets the shipment. Deadlines that passed while nobody
// owned the shipment fire at the next Advance, once.
func (e *Engine) Restore(id string, data []byte) error {
	var st State
	if len(data) != 0 {
		if err := unmarshalState(data, &st, e.internBytes); err != nil {
			return fmt.Errorf("%w (shipment %s)", err, id)
		}
	}
	e.drop(id)
	if len(data) == 0 {
		return nil
	}
	s := e.newTracked(strings.Clone(id))
	*s = st
	e.arm(trackedOf(s).id, s)
	return nil
}

// Forget drops every shipment, as when the partition it came from is
// revoked.
func (e *Engine) Forget() {
	clear(e.states)
	clear(e.timers) // the states are garbage now
	e.timers = e.timers[:0]
	if e.journal != nil {
		clear(e.journal)
	}
}

// Len is the number of tracked shipments.
func (e *Engine) Len() int { return len(e.states) }

// State returns a shipment's state, or nil.
func (e *Engine) State(shipmentID string) *State { return e.states[shipmentID] }

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return time.Unix(e.now, 0).UTC() }

// SetClock moves the clock to t without firing anything, when t is later:
// restoring a partition on the event-time clock puts its clock back where
// it was, so deadlines fire at the same point of the input as they would
// have without the restart.
func (e *Engine) SetClock(t time.Time) {
	if u := t.Unix(); u > e.now {
		e.now = u
	}
	e.committedNow = e.now
}

// triggers' bit positions in State.Notified
var triggerBit = func() map[string]uint16 {
	m := map[string]uint16{}
	for i, t := range rules.Triggers {
		m[t] = 1 << i
	}
	return m
}()

// Apply takes one canonical event. The clock first advances to the event's
// time (firing what was due before it), then the event updates the state
// and may notify. An event dated outside the supported range
// (event.CheckTime) changes nothing and is reported: the state's 32-bit
// times cannot hold it. The decoders refuse such events already.
func (e *Engine) Apply(ev *event.Event, out Sink) error {
	if err := event.CheckTime(ev.OccurredAt); err != nil {
		return fmt.Errorf("detect: event %s of %s: occurred_at %w", ev.ID, ev.ShipmentID(), err)
	}
	at := ev.OccurredAt.Unix()
	if at > e.now && !e.wallClock {
		e.Advance(ev.OccurredAt, out)
	}
	e.key = append(append(append(e.key[:0], ev.Carrier...), ':'), ev.TrackingNumber...) // ev.ShipmentID(), without making a string
	s := e.states[string(e.key)]
	if s != nil && s.seenBefore(ev.ID) {
		return nil // a resent scan: already counted and told
	}
	var id string
	if s == nil {
		id = string(e.key)
		e.touch(id, nil)
		s = e.newTracked(id)
	} else {
		id = trackedOf(s).id
		e.touch(id, s)
	}
	s.remember(ev.ID)
	e.update(s, ev)
	e.decide(id, s, ev, out)
	e.checkLate(id, s, ev, out)
	e.arm(id, s)
	return nil
}

func (e *Engine) update(s *State, ev *event.Event) {
	at := ev.OccurredAt.Unix()
	if s.Service == "" && ev.Service != "" {
		s.Service = e.internStr(ev.Service)
	}
	if s.Zone == nil {
		if z := tz.ForLocation(ev.Destination.Country, ev.Destination.Region); z != nil {
			s.Zone = z
		}
	}
	if ev.Origin.Country != "" && ev.Destination.Country != "" && ev.Origin.Country != ev.Destination.Country {
		s.Flags |= flagInternational
	} else if ev.Location.Country != "" && ev.Destination.Country != "" && ev.Location.Country != ev.Destination.Country {
		s.Flags |= flagInternational
	}
	if ev.EstimatedDelivery != "" {
		if d, err := time.Parse("2006-01-02", ev.EstimatedDelivery); err == nil {
			s.EDD = int32(d.Unix() / 86400)
		}
	}
	if ev.Source == event.FromCarrier && u32(at) > s.LastScan {
		s.LastScan = u32(at)
	}
	if ev.Type.Name == "info_received.label_created" && (s.LabelAt == 0 || u32(at) < s.LabelAt) {
		s.LabelAt = u32(at)
	}
	e.findLane(s, ev)
}

// decide applies the taxonomy's rules and the notification policy.
func (e *Engine) decide(id string, s *State, ev *event.Event, out Sink) {
	t := ev.Type
	at := u32(ev.OccurredAt.Unix())
	// A scan older than the latest one that showed movement or changed
	// what the customer sees is late: it is kept for the record (last scan
	// time) but decides nothing. That covers genuinely late scans and, above
	// all, resent histories: a carrier poll returns every scan again, far
	// more than the recent-ids ring holds. Scans of the very latest instant
	// are told apart by that ring. A synthetic stall's time does not count:
	// a carrier scan from before it, showing movement, disproves it.
	threshold := max(s.CurrentAt, s.LastMove)
	if s.OpenException != nil && s.Flags&flagStalled == 0 {
		threshold = max(threshold, s.ExceptAt)
	}
	late := at < threshold

	if ev.Source == event.FromCarrier && t.Movement && !late && at >= s.LastMove {
		// Movement clears an open exception or stall: a stall when the
		// parcel moved after the silence began, an exception when it moved
		// after the exception (a scan from before it, arriving late, does
		// not clear it). When a delay or stall was told, telling that it is
		// over is part of the service.
		clears := s.OpenException != nil && (s.Flags&flagStalled != 0 && at > s.LastMove || at > s.ExceptAt)
		e.learnMove(id, s, at)
		s.LastMove = at
		if clears {
			s.OpenException, s.ExceptAt = nil, 0
			s.Flags &^= flagEscalated | flagStalled
			if s.Flags&flagDelayNotified != 0 && !s.terminal() && t.Milestone != "delivered" {
				s.Flags &^= flagDelayNotified
				e.notifyWith(id, s, ev, "exception_resolved", "normal", e.rules.ResolvedMessage, "", out)
			}
			s.Flags &^= flagDelayNotified
			s.Episode++
			s.Notified = 0
		}
	}
	if t.Class == taxonomy.Noise || late {
		return // noise and late scans never change what the customer sees
	}
	// An open actionable exception waits for the customer: routine updates
	// are held back until movement clears it, and a lesser exception does
	// not replace it.
	held := s.OpenException != nil && s.OpenException.Class == taxonomy.Actionable
	if t.Milestone == "exception" {
		if s.terminal() {
			return
		}
		if !held || t.Class == taxonomy.Actionable {
			s.OpenException, s.ExceptAt = t, at
			s.Flags &^= flagStalled
			if ev.Source == event.FromPipeline && t.Stall {
				s.Flags |= flagStalled
			}
		}
	} else {
		if s.terminal() && t.Milestone != "returned" {
			return // delivered is terminal, except for a return
		}
		if s.Current == nil || t.Milestone != s.Current.Milestone {
			if s.Current != nil && t.Rank < s.Current.Rank && !t.Movement {
				return // an informational scan cannot move a shipment back
			}
			s.Episode++
			s.Notified = 0
		}
		e.learnOutcome(id, s, t, at)
		s.Current, s.CurrentAt = t, at
	}
	n := e.rules.NotifyFor(t)
	if n == nil {
		return
	}
	if held && t.Class != taxonomy.Actionable && n.Priority != "high" && t.Milestone != "delivered" && t.Milestone != "expired" {
		return
	}
	if n.Trigger == "delayed" || n.Trigger == "stalled" {
		s.Flags |= flagDelayNotified
	}
	e.notifyWith(id, s, ev, n.Trigger, n.Priority, eventMessage, "", out)
}

// eventMessage, as notifyWith's message, is the event's own message and
// next step, rendered only when the command goes out.
const eventMessage = "\x00event"

// notifyWith emits one command per trigger per episode, with msg (or the
// event's message and next step: eventMessage) and the command's reason.
func (e *Engine) notifyWith(id string, s *State, ev *event.Event, trigger, priority, msg, reason string, out Sink) {
	bit := triggerBit[trigger]
	if s.Notified&bit != 0 {
		return
	}
	o := e.orderOf(id)
	acc := e.rules.AccommodationFor(trigger, o.segmentName())
	if acc.Priority != "" {
		priority = acc.Priority
	}
	decided := time.Unix(e.now, 0).UTC()
	day := int32(calendar.Day(e.now, s.Zone))
	if day != s.Day {
		s.Day, s.DayCount = day, 0
	}
	if int(s.DayCount) >= e.rules.DailyCap && priority != "high" {
		return // over the daily cap; actionable commands still go out
	}
	s.Notified |= bit
	s.DayCount++
	if trigger == "delayed" {
		s.Flags |= flagPredictedLate // told: the lane model does not tell it again
	}
	// The command's own strings are made as one (a command is two
	// allocations, with its prediction): the ids, the message and next
	// step, the predicted and the carrier's dates.
	b := appendCommandID(e.text[:0], id, trigger, s.Episode)
	b = appendHexID(b, &ev.ID)
	next := len(b)
	if msg == eventMessage { // ev.AppendMessage and AppendNextStep, with the values made once
		v := ev.Values()
		b = ev.Type.Message.Append(b, &v)
		next = len(b)
		b = ev.Type.NextStep.Append(b, &v)
	}
	dates := len(b)
	lo, mid, hi, conf, predicted := e.predictDays(id, s)
	if predicted {
		b = e.appendPrediction(b, lo, mid, hi)
	}
	edd := len(b)
	if s.EDD != 0 {
		b = e.appendDate(b, int64(s.EDD))
	}
	e.text = b
	all := string(b)
	var c *Command
	if predicted {
		cp := new(struct {
			c Command
			p Prediction
		})
		cp.p = prediction(all[dates:edd], conf)
		c = &cp.c
		c.PredictedDelivery = &cp.p
	} else {
		c = new(Command)
	}
	if msg == eventMessage {
		msg = all[2*hexID : next]
	}
	c.SchemaVersion, c.CommandID, c.ShipmentID = 1, all[:hexID], id
	c.Carrier, c.TrackingNumber, c.Trigger = ev.Carrier, ev.TrackingNumber, trigger
	c.EventType, c.EventID, c.Priority = ev.Type.Name, all[hexID:2*hexID], priority
	c.Message, c.NextStep, c.OccurredAt, c.DecidedAt = msg, all[next:dates], ev.OccurredAt, decided
	c.NotBefore, c.Episode = e.notBefore(decided, s.Zone), int(s.Episode)
	c.Reason, c.EstimatedDelivery = reason, all[edd:]
	c.CustomerSegment, c.Accommodation = o.segmentName(), acc.Accommodation
	out.Command(c)
}

// hexID is the length of an id in hex (event.ID.String, a command id).
const hexID = 2 * len(event.ID{})

func commandID(shipment, trigger string, episode uint16) string {
	return string(appendCommandID(make([]byte, 0, hexID), shipment, trigger, episode))
}

// appendCommandID appends the command id of the shipment's trigger in the
// episode, in hex.
func appendCommandID(dst []byte, shipment, trigger string, episode uint16) []byte {
	b := make([]byte, 0, 64)
	b = append(b, shipment...)
	b = append(b, 0)
	b = append(b, trigger...)
	b = binary.BigEndian.AppendUint16(b, episode)
	id := event.ID(xxh3.Hash128(b).Bytes())
	return appendHexID(dst, &id)
}

// notBefore moves a command decided in quiet hours (destination local time)
// to the end of them.
func (e *Engine) notBefore(decided time.Time, z *time.Location) time.Time {
	start, end := int(e.rules.QuietStart), int(e.rules.QuietEnd)
	if start == end {
		return decided
	}
	local := decided.In(zoneOr(z))
	m := local.Hour()*60 + local.Minute()
	quiet := (start < end && m >= start && m < end) || (start > end && (m >= start || m < end))
	if !quiet {
		return decided
	}
	// The end of quiet hours today, or tomorrow when it has passed; where a
	// clock change skips that time, the instant the clocks jump past it.
	return time.Unix(calendar.Next(decided.Unix(), z, int64(end)*60), 0).UTC()
}

func zoneOr(z *time.Location) *time.Location {
	if z == nil {
		return time.UTC
	}
	return z
}

func (e *Engine) internBytes(b []byte) string {
	if v, ok := e.intern[string(b)]; ok {
		return v
	}
	s := string(b)
	e.intern[s] = s
	return s
}

func (e *Engine) internStr(s string) string {
	if v, ok := e.intern[s]; ok {
		return v
	}
	s = strings.Clone(s)
	e.intern[s] = s
	return s
}

// ---- timers ----

type timer struct {
	t  *tracked
	at uint32
}

// tracked is a shipment's State with what the engine keeps beside it: its
// id, the key of its entry in Engine.states (commands, synthetic events and
// timers name the shipment with it, so that Apply need not make the id of
// every event as a string).
type tracked struct {
	State // first: trackedOf converts a *State back
	id    string
	// queued is the time of the shipment's one live entry in the timer
	// heap (0: none), never later than State.due: a deadline that moves
	// later leaves the entry where it is, and Advance moves it on to the
	// deadline when it comes up (see arm). Most events move the deadline
	// later, and each re-arm pushing an entry made the heap hold several
	// per shipment, each popped in turn.
	queued uint32
	facts  uint32 // 1 + the index of its facts in Engine.facts (factsOf); 0 none yet
}

// newTracked makes the state of a shipment not tracked yet.
func (e *Engine) newTracked(id string) *State {
	t := &tracked{id: id}
	e.states[id] = &t.State
	return &t.State
}

// trackedOf is the tracked whose State s is; every State in Engine.states
// is one (newTracked makes them all).
func trackedOf(s *State) *tracked { return (*tracked)(unsafe.Pointer(s)) }

// drop forgets a shipment: its timers, which point to it, are stale from
// now on (see Advance).
func (e *Engine) drop(id string) {
	if s := e.states[id]; s != nil {
		s.due = 0
		delete(e.states, id)
	}
}

// timerHeap is a binary min-heap on at, the same algorithm as
// container/heap's (so deadlines due at the same second fire in the same
// order), on the slice's own type: container/heap's Push and Pop take and
// return an interface, which boxed a timer on every arm and every pop.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	h.up(len(*h) - 1)
}

func (h *timerHeap) pop() timer {
	old := *h
	n := len(old) - 1
	top := old[0]
	old.down(old[n], n)
	old[n] = timer{} // drop the reference to the state
	*h = old[:n]
	return top
}

// up moves h[j] up to its place. Like down, it moves the entries it passes
// rather than swapping them, with container/heap's comparisons.
func (h timerHeap) up(j int) {
	t := h[j]
	for j > 0 {
		i := (j - 1) / 2 // parent
		if t.at >= h[i].at {
			break
		}
		h[j] = h[i]
		j = i
	}
	h[j] = t
}

// down puts t at the root of h[:n], whose root is free, and moves it down
// to its place.
func (h timerHeap) down(t timer, n int) {
	i := 0
	for {
		j := 2*i + 1
		if j >= n || j < 0 { // j < 0 after int overflow
			break
		}
		if j2 := j + 1; j2 < n && h[j2].at < h[j].at {
			j = j2 // the right child is the smaller
		}
		if h[j].at >= t.at {
			break
		}
		h[i] = h[j]
		i = j
	}
	h[i] = t
}

// arm computes the shipment's next deadline from its state and the rules.
// Deadlines live in the state, not in the heap: the heap only says when to
// look again, so a stale heap entry is harmless and a restored state
// re-arms itself.
func (e *Engine) arm(id string, s *State) {
	next := e.nextDeadline(s)
	if next > math.MaxUint32 {
		// Past what a State holds (2106): clamping it would make a
		// deadline that is due again as soon as it fired. Event times are
		// checked at the door (event.CheckTime) and rule durations are
		// bounded, so this does not happen; if it did, the shipment waits
		// for its next event instead.
		next = 0
	}
	due := uint32(next)
	if due == 0 || due == s.due {
		s.due = due
		return
	}
	s.due = due
	if t := trackedOf(s); t.queued == 0 || due < t.queued {
		t.queued = due // an entry queued later than that is stale now
		e.timers.push(timer{at: due, t: t})
	}
}

// settle takes tm, popped from the heap, out of its shipment's queue and
// reports whether its shipment's deadline is due at tm.at: false for a
// stale entry, and for one the deadline has moved on from, which goes
// back into the heap at the deadline.
func (e *Engine) settle(tm timer) bool {
	t := tm.t
	if tm.at != t.queued {
		return false // superseded by an earlier entry of the shipment
	}
	t.queued = 0
	if t.due > tm.at {
		t.queued = t.due
		e.timers.push(timer{at: t.due, t: t})
		return false
	}
	return t.due == tm.at // 0 when nothing is armed, or the shipment was forgotten (drop)
}

// Advance moves the clock to now and fires every deadline due by then, in
// time order. Firing is idempotent: a deadline that fired changed the
// state so that it is not due again.
func (e *Engine) Advance(now time.Time, out Sink) {
	t := now.Unix()
	// Each pop either drops a stale entry or fires a deadline, which re-arms
	// the shipment strictly later (see below); a shipment goes through a
	// handful of deadline kinds at most. The bound is a guard: were it hit,
	// the rest stays due for the next Advance, and the clock stays at the
	// last deadline fired.
	budget := len(e.timers) + len(e.states)*int(kindForget+1) + 16
	for len(e.timers) > 0 && int64(e.timers[0].at) <= t {
		if budget--; budget < 0 {
			return
		}
		tm := e.timers.pop()
		if !e.settle(tm) {
			continue
		}
		s, id := &tm.t.State, tm.t.id
		at := int64(tm.at)
		if at > e.now {
			e.now = at
		}
		e.touch(id, s)
		s.due = 0
		if e.fire(id, s, at, out) {
			e.drop(id)
			continue
		}
		// A deadline that is still due after firing made no progress (a
		// bug in the rules' logic, or state the rules did not foresee):
		// re-arming it would fire it forever. It waits for the next event
		// instead.
		if next := e.nextDeadline(s); next != 0 && next <= at {
			s.due = 0
			continue
		}
		e.arm(id, s)
	}
	if t > e.now {
		e.now = t
	}
}

// NextDue is the earliest armed deadline, if any. The heap's entries that
// are stale or early (see tracked.queued) are settled first, so that the
// live stage does not tick for them; each is settled once, as Advance
// would.
func (e *Engine) NextDue() (time.Time, bool) {
	for len(e.timers) > 0 {
		tm := e.timers[0]
		if t := tm.t; tm.at == t.queued && t.due == tm.at {
			return time.Unix(int64(tm.at), 0), true
		}
		e.settle(e.timers.pop())
	}
	return time.Time{}, false
}
