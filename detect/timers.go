package detect

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

// deadline kinds, in the order they are checked when several fall due at
// once
type kind uint8

const (
	kindNone kind = iota
	kindPreTransit
	kindInTransit
	kindOutForDelivery
	kindPickupReminder
	kindEscalate
	kindExpiry
	kindForget
)

var synthetic = map[kind]*taxonomy.Type{
	kindPreTransit:     taxonomy.MustLookup("exception.stalled_pre_transit"),
	kindInTransit:      taxonomy.MustLookup("exception.stalled_in_transit"),
	kindOutForDelivery: taxonomy.MustLookup("exception.stalled_out_for_delivery"),
	kindPickupReminder: taxonomy.MustLookup("available_for_pickup.pickup_deadline_approaching"),
	kindExpiry:         taxonomy.MustLookup("expired.no_updates_timeout"),
}

// deadlines lists what the shipment is waiting for, each with its due time.
func (e *Engine) deadlines(id string, s *State, visit func(k kind, at int64)) {
	carrier, _, _ := strings.Cut(id, ":")
	e.deadlinesOf(e.factsFor(carrier, s.Service), s, visit)
}

// deadlinesOf is deadlines with the facts of the shipment's carrier and
// service.
func (e *Engine) deadlinesOf(f *facts, s *State, visit func(k kind, at int64)) {
	if s.Current == nil && s.LastScan == 0 && s.LabelAt == 0 {
		return
	}
	st := &f.stalls
	if s.terminal() {
		last := int64(max(s.LastScan, s.CurrentAt, s.ExceptAt))
		// A finished shipment is kept as long as a late or resent scan
		// may still come, so that it changes nothing; then it is
		// forgotten (and its changelog record deleted), which bounds the
		// state to the shipments of the last expiry window.
		visit(kindForget, last+int64(st.Expiry/time.Second))
		return
	}
	business := f.business
	zone := zoneOr(s.Zone)
	visit(kindExpiry, int64(max(s.LastScan, s.CurrentAt))+int64(st.Expiry/time.Second))
	if s.Flags&flagStalled != 0 {
		if s.Flags&flagEscalated == 0 {
			visit(kindEscalate, int64(s.ExceptAt)+int64(st.EscalateAfter/time.Second))
		}
		return
	}
	if s.OpenException != nil && s.OpenException.Class == taxonomy.Actionable {
		// The shipment waits on the customer (an address to fix, duties to
		// pay): silence is expected, and the customer was told what to do.
		// Only expiry still applies.
		return
	}
	m := s.Milestone()
	if (m == "pending" || m == "info_received") && s.LastMove != 0 {
		m = "in_transit" // only movement scans so far, all of them noise
	}
	switch m {
	case "info_received", "pending":
		if s.LastMove == 0 && s.LabelAt != 0 {
			visit(kindPreTransit, addTime(int64(s.LabelAt), e.stallAfter(s, lanes.GapPreTransit, st.PreTransit), business, zone))
		}
	case "in_transit", "attempt_failed":
		if s.LastMove != 0 {
			d := st.InTransitDomestic
			if s.Flags&flagInternational != 0 {
				d = st.InTransitInternational
			}
			visit(kindInTransit, e.inTransitDue(s, d, business, zone))
		}
	case "out_for_delivery":
		visit(kindOutForDelivery, calendar.At(int64(s.CurrentAt), zone, 0, int64(st.OutForDeliveryCutoff)*60))
	case "available_for_pickup":
		if s.Notified&pickupReminderBit == 0 {
			visit(kindPickupReminder, int64(s.CurrentAt)+int64(st.PickupReminder/time.Second))
		}
	}
}

// nextDeadline is the earliest of a tracked shipment's deadlines (0: none).
func (e *Engine) nextDeadline(s *State) int64 {
	var next int64
	e.deadlinesOf(e.factsOf(s), s, func(_ kind, at int64) {
		if next == 0 || at < next {
			next = at
		}
	})
	return next
}

// fire handles every deadline of the shipment due at or before at. It
// reports whether the shipment is to be forgotten.
func (e *Engine) fire(id string, s *State, at int64, out Sink) (forget bool) {
	var due []kind
	e.deadlinesOf(e.factsOf(s), s, func(k kind, t int64) {
		if t <= at {
			due = append(due, k)
		}
	})
	for _, k := range due {
		switch k {
		case kindForget:
			return true
		case kindEscalate:
			s.Flags |= flagEscalated
			e.escalate(id, s, at, out)
		case kindExpiry:
			ev := e.syntheticEvent(id, s, synthetic[k], at)
			out.Event(ev)
			s.remember(ev.ID)
			e.decide(id, s, ev, out)
			s.Flags |= flagExpired
			return false
		default:
			ev := e.syntheticEvent(id, s, synthetic[k], at)
			out.Event(ev)
			s.remember(ev.ID)
			e.decide(id, s, ev, out)
		}
	}
	return false
}

// escalate repeats a stall report once, with a higher priority, when the
// silence goes on. It supersedes the first report.
func (e *Engine) escalate(id string, s *State, at int64, out Sink) {
	carrier, tracking, _ := strings.Cut(id, ":")
	first := commandID(id, "stalled", s.Episode)
	decided := time.Unix(at, 0).UTC()
	out.Command(&Command{
		SchemaVersion: 1, CommandID: commandID(id, "stalled.escalated", s.Episode), ShipmentID: id,
		Carrier: carrier, TrackingNumber: tracking, Trigger: "stalled",
		EventType: s.OpenException.Name, EventID: "", Priority: "high",
		Message:    "Your parcel still has no tracking update. We are looking into it with the carrier.",
		OccurredAt: decided, DecidedAt: decided, NotBefore: e.notBefore(decided, s.Zone),
		Supersedes: first, Episode: int(s.Episode),
	})
}

// syntheticEvent makes a pipeline event. Its id depends only on the
// shipment, the type and what the deadline was measured from, so a replay
// makes the same event.
func (e *Engine) syntheticEvent(id string, s *State, t *taxonomy.Type, at int64) *event.Event {
	carrier, tracking, _ := strings.Cut(id, ":")
	b := make([]byte, 0, 96)
	b = append(b, "pipeline\x00"...)
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, t.Name...)
	b = binary.BigEndian.AppendUint64(b, uint64(max(s.LastMove, s.CurrentAt, s.LabelAt)))
	ev := &event.Event{
		ID: event.ID(xxh3.Hash128(b).Bytes()), Carrier: carrier, TrackingNumber: tracking,
		Service: s.Service, Type: t, Reason: t.Reason, OccurredAt: time.Unix(at, 0).UTC(),
		TZSource: event.TZAssumedUTC, Source: event.FromPipeline,
	}
	if s.Zone != nil {
		_, off := ev.OccurredAt.In(s.Zone).Zone()
		ev.LocalOffset, ev.TZSource = int32(off), event.TZLocation
	}
	return ev
}

// addTime adds d to a Unix time; for carriers that do not scan on
// weekends, Saturdays and Sundays in the zone do not count. Rules bound d
// (rules.MaxThreshold), far inside calendar.AddWeekdays's bound; were it
// hit, the deadline would count every day, coming early rather than never.
func addTime(from int64, d time.Duration, businessOnly bool, zone *time.Location) int64 {
	if !businessOnly {
		return from + int64(d/time.Second)
	}
	at, _ := calendar.AddWeekdays(from, int64(d/time.Second), zone)
	return at
}

var pickupReminderBit = triggerBit["pickup_reminder"]

// facts is what the rules say of one carrier and service: the deadlines
// ask on every arm and every timer fired, and StallsFor merges the rules'
// overrides each time it is asked.
type facts struct {
	service  string
	stalls   rules.Stalls
	business bool // the carrier does not move on weekends
}

// factsFor is the facts of a carrier and service, made once.
func (e *Engine) factsFor(carrier, service string) *facts {
	k := [2]string{carrier, service}
	i, ok := e.factsIdx[k]
	if !ok {
		k = [2]string{strings.Clone(carrier), strings.Clone(service)}
		i = uint32(len(e.facts))
		e.facts = append(e.facts, &facts{service: k[1], stalls: e.rules.StallsFor(carrier, service), business: e.rules.BusinessDaysOnly[carrier]})
		if e.factsIdx == nil {
			e.factsIdx = map[[2]string]uint32{}
		}
		e.factsIdx[k] = i
	}
	return e.facts[i]
}

// factsOf is factsFor of a tracked shipment, remembered beside its state
// until its service changes (it is set once known; Rollback may put it
// back).
func (e *Engine) factsOf(s *State) *facts {
	t := trackedOf(s)
	if t.facts != 0 {
		if f := e.facts[t.facts-1]; f.service == s.Service {
			return f
		}
	}
	carrier, _, _ := strings.Cut(t.id, ":")
	f := e.factsFor(carrier, s.Service)
	t.facts = e.factsIdx[[2]string{carrier, s.Service}] + 1
	return f
}
