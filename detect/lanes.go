package detect

import (
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/taxonomy"
)

// The lane model's part of the engine: which lane a shipment is on, what
// its legs teach the model, the learned stall thresholds and the predicted
// delivery dates. Without a model (UseLanes not called) none of this runs
// and the flat rules decide alone.

// UseLanes makes the engine learn into m and decide with it: stall
// thresholds per lane, predicted delivery on the commands, predicted_late
// delays. One model may serve several engines only when they run on one
// goroutine (the model is not safe for concurrent use).
func (e *Engine) UseLanes(m *lanes.Model) { e.lanes, e.learn = m, m }

// LearnInto sends what the shipments' legs teach to l instead of the
// model UseLanes gave, which then only decides: `wismo run`'s detect
// stage writes the observations to the lane topic, and its model is the
// lane stage's, read from the lanes topic.
func (e *Engine) LearnInto(l lanes.Learner) { e.learn = l }

// ShadowLanes keeps the lane model learning (lanes looked up, legs
// observed) while the flat rules decide alone: no learned thresholds, no
// prediction, no predicted_late. An operator watches the model fill before
// letting it decide, and a run checked against the flat reference (make
// chaos) still exercises the lane topics and stage.
func (e *Engine) ShadowLanes() { e.shadow = true }

// Lanes is the engine's lane model, or nil.
func (e *Engine) Lanes() *lanes.Model { return e.lanes }

// findLane sets the shipment's lane from the event's route, once both ends
// are known (until then from what is known, refined later).
func (e *Engine) findLane(s *State, ev *event.Event) {
	if e.lanes == nil || s.lane != 0 && s.Flags&flagRoute != 0 {
		return // (a restored state has flagRoute but no lane: look it up)
	}
	o, d := &ev.Origin, &ev.Destination
	if s.lane != 0 && (o.Country == "" || d.Country == "") {
		return // nothing that would complete the route
	}
	s.lane = uint32(e.lanes.Lookup(ev.Carrier, s.Service, lanes.AreaOf(o.Country, o.Region, o.PostalCode),
		lanes.AreaOf(d.Country, d.Region, d.PostalCode)))
	if o.Country != "" && d.Country != "" {
		s.Flags |= flagRoute
	}
}

// business says whether the (tracked) shipment's carrier does not move on
// weekends.
func (e *Engine) business(s *State) bool { return e.factsOf(s).business }

// learnMove teaches the lane the gap a movement scan at at ends: from the
// label to the first movement (pre-transit), or from the last movement in
// the milestone the shipment was in. Carriers that do not move on weekends
// have their gaps measured on weekdays only, as their deadlines are.
func (e *Engine) learnMove(id string, s *State, at uint32) {
	if s.FirstMove == 0 || at < s.FirstMove {
		s.FirstMove = at
	}
	if e.lanes == nil || s.lane == 0 {
		return
	}
	from, g := s.LastMove, gapOf(s)
	switch {
	case s.LastMove == 0 && s.LabelAt != 0 && at > s.LabelAt:
		from, g = s.LabelAt, lanes.GapPreTransit
	case s.LastMove == 0 || at <= s.LastMove:
		return
	case s.Milestone() == "out_for_delivery" || s.terminal():
		return // not a gap of the line haul
	}
	gap := int64(at - from)
	if e.business(s) {
		gap = calendar.WeekdaySeconds(int64(from), int64(at), s.Zone)
	}
	e.learn.ObserveGap(lanes.ID(s.lane), g, gap)
}

// learnOutcome teaches the lane a finished leg when t, at at, ends it:
// delivered ends the transit from the first movement, and an outcome after
// out for delivery ends that last mile.
func (e *Engine) learnOutcome(id string, s *State, t *taxonomy.Type, at uint32) {
	if e.lanes == nil || s.lane == 0 || s.terminal() {
		return
	}
	lane := lanes.ID(s.lane)
	if s.Current == atDeliveryFacility && at >= s.CurrentAt && t != atDeliveryFacility {
		from, to := calendar.Day(int64(s.CurrentAt), s.Zone), calendar.Day(int64(at), s.Zone)
		e.learn.ObserveLastMile(lane, int(calendar.Weekdays(from, to, e.business(s))))
	}
	if s.Milestone() == "out_for_delivery" && at >= s.CurrentAt && t.Milestone != "out_for_delivery" {
		e.learn.ObserveOutcome(lane, int64(at-s.CurrentAt))
	}
	if t.Milestone == "delivered" && s.FirstMove != 0 && at >= s.FirstMove {
		from, to := calendar.Day(int64(s.FirstMove), s.Zone), calendar.Day(int64(at), s.Zone)
		e.learn.ObserveTransit(lane, int(calendar.Weekdays(from, to, e.business(s))))
	}
}

// gapOf is the stage of a moving shipment whose gaps its silence is
// measured against.
func gapOf(s *State) lanes.Gap {
	switch {
	case s.Milestone() == "attempt_failed":
		return lanes.GapAttemptFailed
	case s.Current == atDeliveryFacility:
		return lanes.GapAtDelivery
	}
	return lanes.GapInTransit
}

// stallAfter is the silence threshold of the milestone's gap: the lane's,
// clamped between the rules' floor and the flat threshold, or the flat one
// where the lane (and every coarser one) is thin.
func (e *Engine) stallAfter(s *State, g lanes.Gap, flat time.Duration) time.Duration {
	if e.lanes == nil || e.shadow || s.lane == 0 {
		return flat
	}
	sec, ok := e.lanes.StallAfter(lanes.ID(s.lane), g)
	if !ok {
		return flat
	}
	return min(max(time.Duration(sec)*time.Second, e.rules.Lanes.StallFloor), flat)
}

// atDeliveryFacility is the scan after which a parcel waits for its
// delivery round.
var atDeliveryFacility = taxonomy.MustLookup("in_transit.arrived_at_delivery_facility")

// inTransitDue is when a moving shipment's silence becomes a stall: after
// the lane's threshold for its stage (see stallAfter). A parcel waiting at
// the delivery facility waits for a delivery round, whatever time it came
// in: the lane's threshold runs from its arrival, but not to before the
// rules' lanes.delivery_round_by on the next (business) day.
func (e *Engine) inTransitDue(s *State, flat time.Duration, business bool, zone *time.Location) int64 {
	g := gapOf(s)
	d := e.stallAfter(s, g, flat)
	at := addTime(int64(s.LastMove), d, business, zone)
	if d >= flat || g != lanes.GapAtDelivery {
		return at
	}
	round := calendar.At(int64(s.LastMove), zone, 1, int64(e.rules.Lanes.DeliveryRoundBy)*60)
	for i := 0; i < 2 && business; i++ { // past a weekend: Monday's round
		if wd := calendar.Weekday(calendar.Day(round, zone)); wd == time.Saturday || wd == time.Sunday {
			round = calendar.At(round, zone, 1, int64(e.rules.Lanes.DeliveryRoundBy)*60)
		}
	}
	return min(max(at, round), addTime(int64(s.LastMove), flat, business, zone))
}

// Prediction is a command's predicted delivery: dates in the destination's
// local calendar (YYYY-MM-DD), the lane's p10, p50 and p90 for a parcel
// where this one is, on its way this long.
type Prediction struct {
	Earliest   string `json:"earliest"`
	Likely     string `json:"likely"`
	Latest     string `json:"latest"`
	Confidence string `json:"confidence"`
}

// predictDays is the shipment's predicted delivery as local Day numbers,
// as of now; false when the lane is thin or the shipment is finished.
func (e *Engine) predictDays(id string, s *State) (earliest, likely, latest int64, conf lanes.Confidence, ok bool) {
	if e.lanes == nil || e.shadow || s.lane == 0 || s.terminal() {
		return 0, 0, 0, 0, false
	}
	lane := lanes.ID(s.lane)
	today := calendar.Day(e.now, s.Zone)
	if s.Milestone() == "out_for_delivery" {
		// On the van: today, or when the lane's last miles end.
		if within, ok := e.lanes.OutcomeWithin(lane); ok {
			last := max(calendar.Day(int64(s.CurrentAt)+within, s.Zone), today)
			return today, today, last, lanes.High, true
		}
	}
	business := e.business(s)
	start := today
	if s.FirstMove != 0 {
		start = calendar.Day(int64(s.FirstMove), s.Zone)
	}
	d, ok := e.lanes.Predict(lane, int(calendar.Weekdays(start, today, business)))
	if !ok {
		return 0, 0, 0, 0, false
	}
	// Where the parcel is: not yet at the delivery facility, it is at
	// least the lane's usual last mile away.
	soonest := today
	if s.Milestone() == "in_transit" && s.Current != atDeliveryFacility {
		if n, ok := e.lanes.LastMile(lane); ok {
			soonest = calendar.AddDays(today, int64(n), business)
		}
	}
	day := func(n uint16) int64 { return max(calendar.AddDays(start, int64(n), business), soonest) }
	return day(d.Earliest), day(d.Likely), day(d.Latest), d.Confidence, true
}

func (e *Engine) prediction(id string, s *State) *Prediction {
	lo, mid, hi, conf, ok := e.predictDays(id, s)
	if !ok {
		return nil
	}
	p := prediction(string(e.appendPrediction(make([]byte, 0, 30), lo, mid, hi)), conf)
	return &p
}

// appendPrediction appends the three dates of a prediction.
func (e *Engine) appendPrediction(dst []byte, earliest, likely, latest int64) []byte {
	return e.appendDate(e.appendDate(e.appendDate(dst, earliest), likely), latest)
}

// prediction cuts appendPrediction's dates.
func prediction(dates string, conf lanes.Confidence) Prediction {
	return Prediction{Earliest: dates[:10], Likely: dates[10:20], Latest: dates[20:], Confidence: conf.String()}
}

// Predict is the shipment's predicted delivery as of the engine's clock (nil
// when the lane is thin, there is no model, or the shipment is finished):
// the shipment state's view of it, computed from the lane, not stored.
func (e *Engine) Predict(shipmentID string) *Prediction {
	s := e.states[shipmentID]
	if s == nil {
		return nil
	}
	return e.prediction(shipmentID, s)
}

// checkLate sends a delayed command (reason predicted_late) when the likely
// date passes the carrier's estimated date or the order's promised date
// (order context), once until the parcel is back on track, which sends the
// follow-up.
func (e *Engine) checkLate(id string, s *State, ev *event.Event, out Sink) {
	// Before pickup the lane's clock has not started (the carrier dates
	// from the pickup); on the van it is no news; with a delay or stall
	// open the customer has been told.
	if e.lanes == nil || e.shadow || s.FirstMove == 0 || s.terminal() || s.OpenException != nil || s.Milestone() == "out_for_delivery" {
		return
	}
	promised := e.orderOf(id).promised
	if s.EDD == 0 && promised == 0 {
		return
	}
	_, likely, _, _, ok := e.predictDays(id, s)
	if !ok {
		return
	}
	lateEDD := s.EDD != 0 && likely > int64(s.EDD)
	latePromise := promised != 0 && likely > int64(promised)
	switch {
	case (lateEDD || latePromise) && s.Flags&flagPredictedLate == 0:
		s.Flags |= flagPredictedLate
		msg := e.rules.Lanes.PredictedLateMessage
		if !lateEDD {
			s.Flags |= flagLatePromise
			msg = e.rules.Lanes.PromiseLateMessage
		}
		e.notifyWith(id, s, ev, "delayed", "normal", msg, "predicted_late", out)
	case !lateEDD && !latePromise && s.Flags&flagPredictedLate != 0:
		msg := e.rules.Lanes.BackOnTrackMessage
		if s.Flags&flagLatePromise != 0 {
			msg = e.rules.Lanes.PromiseKeptMessage
		}
		s.Flags &^= flagPredictedLate | flagLatePromise
		e.notifyWith(id, s, ev, "exception_resolved", "normal", msg, "back_on_track", out)
	}
}
