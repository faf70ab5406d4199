package gen

// How a story and its expectations are written.
//
// A shipment's scans are written in time order, and the commands detection
// must decide for it are written with them, from the rules as data
// (rules.Rules: triggers, stall thresholds, business days, cutoff, pickup
// reminder, escalation, expiry, daily cap) and the taxonomy's rules: a
// notifying scan adds its trigger where the story says it is due (the
// first pickup, each out-for-delivery run, the delivery, each exception);
// a stall adds "stalled" at the time the silence crosses its threshold
// (counted on weekdays only for carriers that do not scan on weekends), a
// second "stalled" when the silence outlasts the escalation, "expired" 30
// days after the last scan of a lost parcel; the next movement after a
// told delay or stall adds "exception_resolved", unless it is the delivery.
//
// Only unambiguous stories are written: every scan that must reach
// detection before a deadline happens at least safeAhead before it, and
// every intended stall resumes well after its deadline and away from its
// escalation; long waits in transit get the facility's own scans (fill);
// a shipment whose commands could crowd one local day past the daily cap
// is told again with fewer problems (capSafe); carriers that send local
// times without an offset never scan in the hour a fall-back repeats.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/wismo/wismo/rules"
)

// maxShift bounds the hours a scan is moved out of a repeated hour: a
// fall-back repeats one hour (half an hour on Lord Howe Island). The loops
// of this file over calendar time are bounded; reaching a bound is a bug of
// the generator, never of its input, and it panics saying which.
const maxShift = 4

// scan is one carrier scan of a shipment's story.
type scan struct {
	id  int32 // order of creation, stable across sorting
	at  int64 // when it happened
	vis int64 // from when polls show it (after at when the carrier backfills it)
	v   *variant
	pl  *place
	// stall marks a scan that ends an intended stall: the silence before it
	// is meant to be long.
	stall bool
}

// badKind is how a malformed record is broken.
type badKind uint8

const (
	badNone badKind = iota
	badTruncated
	badWrongType
	badWrongTimes
	badGarbage
	nBad
)

var badNames = [nBad]string{"", "truncated", "wrong_type", "wrong_type_times", "garbage"}

// badErrorKind is the normalizers' error kind each breakage must get.
var badErrorKind = [nBad]string{"", "decode", "decode", "timestamp", "decode"}

// recPlan is one record of a shipment: a poll's answer, or a resent or
// broken copy of one.
type recPlan struct {
	at   int64
	upto int64 // holds the scans with vis <= upto
	bad  badKind
	seq  int32
}

// trig is one expected command, with what decides when it is made: a
// scan (its id) or, for the pipeline's own timers, a time.
type trig struct {
	name string
	scan int32 // -1 for a timer
	at   int64 // timer time
}

// plan is one shipment: its story and its records.
type plan struct {
	idx          int
	c            *carrierSpec
	svc          *service
	origin, dest *place
	intl         bool
	tracking     string
	business     bool
	thr          int64 // in-transit stall threshold
	st           rules.Stalls
	edd          string
	lane         *lane

	scans    []scan
	recs     []recPlan
	trigs    []trig
	scenario []string
	settle   int64
	shuffle  bool
	next     int // next record to emit
	nextID   int32
}

func (p *plan) zone() *time.Location { return p.dest.zone }

// builder writes a shipment's story.
type builder struct {
	r   *rand.Rand
	o   *Options
	p   *plan
	vs  *variants
	cur int64
	// openDelay: a delay or stall was told; the next movement that is not
	// a delivery resolves it (and says so).
	openDelay bool
}

// u returns a uniform time in [lo, hi).
func (b *builder) u(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + b.r.Int64N(hi-lo)
}

func (b *builder) chance(p float64) bool { return p > 0 && b.r.Float64() < p }

// push keeps scans of carriers that do not scan on weekends off weekends.
func (b *builder) push(t int64) int64 {
	if b.p.business {
		return offWeekend(t, b.p.zone())
	}
	return t
}

// step is the time of the next scan, lo to hi after the last one.
func (b *builder) step(lo, hi int64) int64 { return b.push(b.cur + b.u(lo, hi)) }

// add appends a scan of kind k at t and applies the rules every scan
// follows: movement ends an open delay or stall, which is told
// (exception_resolved) unless the movement is the delivery itself.
func (b *builder) add(k kind, t int64, pl *place) *scan {
	p := b.p
	v := b.vs[k][b.r.IntN(len(b.vs[k]))]
	if p.c.minutes {
		t -= t % minute
	}
	if n := len(p.scans); n > 0 && t <= p.scans[n-1].at {
		t = p.scans[n-1].at + minute
	}
	for n := 0; p.svc.wallOnly && ambiguous(t, pl.zone); n++ {
		if n == maxShift {
			panic(fmt.Sprintf("gen: %s still names two instants after %d hours", time.Unix(t, 0).In(pl.zone), n))
		}
		t += hour // the hour a fall-back repeats: its wall clock names two instants
	}
	p.scans = append(p.scans, scan{id: p.nextID, at: t, vis: t, v: v, pl: pl})
	p.nextID++
	b.cur = t
	s := &p.scans[len(p.scans)-1]
	if v.movement && b.openDelay {
		b.openDelay = false
		if v.typ.Milestone != "delivered" {
			b.trigScan("exception_resolved", s)
		}
	}
	return s
}

// notify records the trigger the scan's type notifies with.
func (b *builder) notify(s *scan) {
	n := b.o.Rules.NotifyFor(s.v.typ)
	if n == nil {
		panic("gen: " + s.v.typ.Name + " does not notify")
	}
	b.trigScan(n.Trigger, s)
	if n.Trigger == "delayed" {
		b.openDelay = true
	}
}

func (b *builder) trigScan(name string, s *scan) {
	b.p.trigs = append(b.p.trigs, trig{name: name, scan: s.id})
}

func (b *builder) trigTimer(name string, at int64) {
	b.p.trigs = append(b.p.trigs, trig{name: name, scan: -1, at: at})
}

// Injected problems.
type stallKind uint8

const (
	stallNone stallKind = iota
	stallPre
	stallTransit
	stallOFD
	stallLost
)

type excKind uint8

const (
	excNone excKind = iota
	excDelay
	excCustomsHold
	excCustomsPay
	excAddress
	excAttempt
	excHeld
	excHeldReminder
	excReturn
)

var excNames = map[excKind]string{excDelay: "delay", excCustomsHold: "customs_hold", excCustomsPay: "customs_payment",
	excAddress: "address_problem", excAttempt: "failed_attempt", excHeld: "held_for_pickup",
	excHeldReminder: "held_for_pickup_reminder", excReturn: "return_to_sender"}

// pickStall and pickExc choose the problems of a shipment.
func (b *builder) pickStall() stallKind {
	x := b.r.Float64()
	switch {
	case x < 0.2 && b.vs.has(kLabel):
		return stallPre
	case x < 0.65:
		return stallTransit
	case x < 0.9:
		return stallOFD
	}
	return stallLost
}

func (b *builder) pickExc(st stallKind) excKind {
	opts := []excKind{excDelay, excAttempt, excHeld, excHeldReminder, excReturn}
	if b.p.thr >= 48*hour {
		opts = append(opts, excAddress)
	}
	if b.p.intl && b.vs.has(kCustomsHold) {
		opts = append(opts, excCustomsHold, excCustomsHold, excCustomsPay)
	}
	ok := func(e excKind) bool {
		if st == stallLost && e != excDelay && e != excCustomsHold && e != excCustomsPay {
			return false // a lost parcel is not delivered, so no delivery problem
		}
		if st == stallOFD && e >= excAddress {
			return false // one problem on the delivery day is enough
		}
		return b.vs.has(excScan[e])
	}
	// A carrier without scans for any problem allowed here (no delay scan
	// for a lost parcel) gets none: the draw below would never end.
	first := slices.IndexFunc(opts, ok)
	if first < 0 {
		return excNone
	}
	// Drawing until a fit, rather than from the fitting ones, keeps the
	// random sequence, so earlier seeds still make the same loads; the
	// bound only makes the loop's end certain.
	for range 256 {
		if e := opts[b.r.IntN(len(opts))]; ok(e) {
			return e
		}
	}
	return opts[first]
}

// excScan is the scan kind that tells each problem.
var excScan = map[excKind]kind{excDelay: kDelay, excCustomsHold: kCustomsHold, excCustomsPay: kCustomsPay,
	excAddress: kAddress, excAttempt: kAttempt, excHeld: kHeld, excHeldReminder: kHeld, excReturn: kReturn}

// resume picks when a parcel moves again after a stall reported at due,
// away from the escalation: escalated says whether the report was repeated.
func (b *builder) resume(due int64, wantEsc bool) (t int64, escalated bool) {
	esc := due + int64(b.p.st.EscalateAfter/time.Second)
	for range 2 { // the second try wants the escalation, which is always far enough
		if wantEsc {
			t = esc + b.u(margin, 30*hour)
		} else {
			t = due + b.u(margin, esc-due-safeAhead-margin)
		}
		t = b.push(t)
		if t >= esc+margin {
			return t, true
		}
		if t+safeAhead <= esc {
			return t, false
		}
		wantEsc = true
	}
	panic("gen: no resumption time away from the escalation")
}

// nextOFD is when the parcel goes out for delivery, at or after earliest:
// in the morning of a delivery day (a late morning run when it arrived in
// the morning), never on Sunday, and never on a weekend for carriers that
// do not work then.
func (b *builder) nextOFD(earliest int64, nextDay bool) int64 {
	z := b.p.zone()
	d := 0
	if nextDay || localMinutes(earliest, z) > 12*60 {
		d = 1
	}
	for ; d < 8; d++ { // a week always has a delivery day
		t := atLocal(earliest, z, d, 7*60+b.u(0, 150))
		wd := time.Unix(t, 0).In(z).Weekday()
		if wd == time.Sunday || b.p.business && wd == time.Saturday {
			continue
		}
		if t < earliest {
			if d > 0 {
				continue
			}
			t = earliest + b.u(30*minute, 90*minute)
		}
		return t
	}
	panic(fmt.Sprintf("gen: no delivery day in the week after %s", time.Unix(earliest, 0).In(z)))
}

// deliverBy is the latest time of a delivery (or failed attempt) on the
// day of the run that started at ofd: early enough that the scan is read
// before the out-for-delivery cutoff.
func (b *builder) deliverBy(ofd int64) int64 {
	return atLocal(ofd, b.p.zone(), 0, int64(b.p.st.OutForDeliveryCutoff)) - safeAhead
}

func (b *builder) deliveryTime(ofd int64) int64 {
	return ofd + b.u(45*minute, max(46*minute, b.deliverBy(ofd)-ofd))
}

// route is the places the parcel passes between pickup and the delivery
// facility, both ends included.
func (b *builder) route() (stops []*place, out, in int) {
	p, r := b.p, b.r
	out, in = -1, -1
	stops = []*place{p.origin}
	if p.intl {
		ln := p.lane
		if len(ln.out) > 0 {
			stops = append(stops, pick(r, ln.out))
			out = len(stops) - 1
		}
		stops = append(stops, pick(r, ln.in))
		in = len(stops) - 1
		if b.chance(0.5) && len(p.c.hubs) > 0 && p.dest.country == p.c.hubs[0].country {
			stops = append(stops, pick(r, p.c.hubs))
		}
	} else {
		n := 1 + r.IntN(p.svc.speed+1)
		used := map[*place]bool{}
		for range n {
			h := pick(r, p.c.hubs)
			if !used[h] {
				used[h] = true
				stops = append(stops, h)
			}
		}
	}
	return append(stops, p.dest), out, in
}

// travel is how long one leg between facilities takes.
func (b *builder) travel(intlLeg bool) (int64, int64) {
	switch {
	case intlLeg:
		return 7 * hour, 15 * hour
	case b.p.svc.speed == 0:
		return 1 * hour, 5 * hour
	case b.p.svc.speed == 1:
		return 2 * hour, 8 * hour
	}
	return 3 * hour, 13 * hour
}

// story writes the shipment's scans and the commands they must produce.
func (b *builder) story(st stallKind, ex excKind, noise bool) {
	p, r := b.p, b.r
	if st != stallNone {
		p.scenario = append(p.scenario, [...]string{"", "stall_pre_transit", "stall_in_transit", "stall_out_for_delivery", "lost"}[st])
	}
	if ex >= excAddress {
		p.scenario = append(p.scenario, excNames[ex])
	}

	// Label, then pickup.
	first := kLabel
	if !b.vs.has(kLabel) || st != stallPre && b.vs.has(kManifest) && b.chance(0.5) {
		first = kManifest
	}
	label := b.add(first, b.cur, p.origin)
	var pu int64
	if st == stallPre {
		due := addCounted(label.at, int64(p.st.PreTransit/time.Second), p.business, p.zone())
		b.trigTimer("stalled", due)
		t, esc := b.resume(due, b.chance(0.3))
		if esc {
			b.trigTimer("stalled", due+int64(p.st.EscalateAfter/time.Second))
		}
		b.openDelay = true
		pu = t
	} else {
		pu = b.step(1*hour, 18*hour)
	}
	s := b.add(kPickup, pu, p.origin)
	s.stall = st == stallPre
	b.notify(s) // shipped
	if b.vs.has(kOrigin) && b.chance(0.7) {
		b.add(kOrigin, b.step(20*minute, 3*hour), p.origin)
	}
	if b.vs.has(kETA) && b.chance(0.25) {
		b.add(kETA, b.step(10*minute, 2*hour), p.origin)
	}

	// Through the network.
	stops, out, in := b.route()
	legs := len(stops) - 1
	stallLeg, delayLeg, noiseLeg := -1, -1, -1
	if st == stallTransit || st == stallLost {
		stallLeg = r.IntN(legs)
	}
	if ex == excDelay {
		var cand []int
		for i := range legs {
			if i != stallLeg && (st != stallLost || i < stallLeg) {
				cand = append(cand, i)
			}
		}
		if len(cand) > 0 {
			delayLeg = cand[r.IntN(len(cand))]
		}
	}
	if noise {
		noiseLeg = r.IntN(legs)
	}
	for i := range legs {
		from, to := stops[i], stops[i+1]
		if i == out && b.vs.has(kExport) {
			b.add(kExport, b.step(30*minute, 3*hour), from)
		}
		b.add(kDepart, b.step(1*hour, 6*hour), from)
		if i == delayLeg {
			b.notify(b.add(kDelay, b.step(30*minute, 4*hour), from))
			p.scenario = append(p.scenario, excNames[excDelay])
		}
		lo, hi := b.travel(i == out || i+1 == in)
		k := kArrive
		if i+1 == legs {
			k = kDestFacility
		}
		if i == stallLeg {
			due := addCounted(b.cur, p.thr, p.business, p.zone())
			b.trigTimer("stalled", due)
			if st == stallLost {
				b.trigTimer("stalled", due+int64(p.st.EscalateAfter/time.Second))
				b.trigTimer("expired", b.cur+int64(p.st.Expiry/time.Second))
				p.settle = b.cur + int64(p.st.Expiry/time.Second) + minute
				return
			}
			t, esc := b.resume(due, b.chance(0.3))
			if esc {
				b.trigTimer("stalled", due+int64(p.st.EscalateAfter/time.Second))
			}
			b.openDelay = true
			s := b.add(k, t, to)
			s.stall = true
		} else {
			b.add(k, b.step(lo, hi), to)
		}
		if i+1 == in {
			if b.vs.has(kImport) {
				b.add(kImport, b.step(20*minute, 2*hour), to)
			}
			switch ex {
			case excCustomsHold:
				p.scenario = append(p.scenario, excNames[ex])
				b.notify(b.add(kCustomsHold, b.step(1*hour, 4*hour), to))
				b.add(kCleared, b.step(6*hour, 30*hour), to)
			case excCustomsPay:
				p.scenario = append(p.scenario, excNames[ex])
				b.notify(b.add(kCustomsPay, b.step(1*hour, 4*hour), to))
				b.add(kCleared, b.step(10*hour, 40*hour), to)
			default:
				if b.vs.has(kCleared) {
					b.add(kCleared, b.step(2*hour, 10*hour), to)
				}
			}
		}
		if i == noiseLeg {
			b.add(kNoise, b.step(20*minute, 3*hour), to)
			p.scenario = append(p.scenario, "noise")
		}
		if i+1 < legs && b.vs.has(kProcess) && b.chance(0.3) {
			b.add(kProcess, b.step(20*minute, 2*hour), to)
		}
	}

	// Delivery.
	dest := p.dest
	nextDay := false
	if ex == excAddress {
		b.notify(b.add(kAddress, b.step(1*hour, 4*hour), dest))
		nextDay = true
	}
	ofd := b.nextOFD(b.cur+30*minute, nextDay)
	if b.vs.has(kLoaded) && b.chance(0.5) {
		b.add(kLoaded, max(b.cur+minute, ofd-b.u(20*minute, 80*minute)), dest)
	}
	b.notify(b.add(kOFD, ofd, dest))
	switch {
	case st == stallOFD:
		cut := atLocal(ofd, p.zone(), 0, int64(p.st.OutForDeliveryCutoff))
		b.trigTimer("stalled", cut)
		b.openDelay = true
		esc := cut + int64(p.st.EscalateAfter/time.Second)
		t2 := b.nextOFD(cut+hour, false)
		for n := 0; t2 < esc+margin && t2+safeAhead > esc; n++ {
			if n == 8 { // each try is a day later; the escalation is a few hours wide
				panic("gen: no second delivery run away from the escalation")
			}
			t2 = b.nextOFD(t2+12*hour, true)
		}
		if t2 >= esc+margin {
			b.trigTimer("stalled", esc)
		}
		if b.chance(0.6) {
			b.notify(b.add(kOFD, t2, dest))
			b.notify(b.add(kDelivered, b.deliveryTime(t2), dest))
		} else {
			b.notify(b.add(kDelivered, b.deliveryTime(t2), dest))
		}
	case ex == excAttempt:
		b.notify(b.add(kAttempt, b.deliveryTime(ofd), dest))
		o2 := b.nextOFD(b.cur+hour, true)
		b.notify(b.add(kOFD, o2, dest))
		b.notify(b.add(kDelivered, b.deliveryTime(o2), dest))
	case ex == excHeld || ex == excHeldReminder:
		b.notify(b.add(kAttempt, b.deliveryTime(ofd), dest))
		h := b.nextOFD(b.cur+hour, true) + b.u(30*minute, 2*hour)
		held := b.add(kHeld, h, dest)
		b.notify(held)
		remind := held.at + int64(p.st.PickupReminder/time.Second)
		var c int64
		if ex == excHeldReminder {
			b.trigTimer("pickup_reminder", remind)
			c = remind + b.u(margin, 48*hour)
		} else {
			c = held.at + b.u(3*hour, remind-held.at-safeAhead)
		}
		b.notify(b.add(kCollected, c, dest))
	case ex == excReturn:
		b.notify(b.add(kAttempt, b.deliveryTime(ofd), dest))
		rt := b.nextOFD(b.cur+hour, true) + b.u(hour, 3*hour)
		b.notify(b.add(kReturn, rt, dest))
		back := stops[len(stops)-2]
		b.add(kDepart, b.step(2*hour, 10*hour), dest)
		b.add(kArrive, b.step(6*hour, 20*hour), back)
		b.add(kDepart, b.step(2*hour, 10*hour), back)
		b.add(kReturned, b.step(10*hour, 30*hour), p.origin) // same episode: no new command
	default:
		b.notify(b.add(kDelivered, b.deliveryTime(ofd), dest))
	}
}

// fill keeps the silence between two movement scans, while the parcel
// travels, short enough that no stall is detected (except the intended
// ones): a long wait at a facility gets the facility's own scans, as real
// histories have. Scans are taken in the order polls show them.
func (b *builder) fill() {
	p := b.p
	z := p.zone()
	for guard := 0; guard < 64; guard++ {
		order := b.visOrder()
		state, lastMove, currentAt := "info_received", int64(0), int64(0)
		var lastPlace *place
		fixed := true
		for _, i := range order {
			s := &p.scans[i]
			late := s.at < currentAt
			if s.v.movement {
				if (state == "in_transit" || state == "attempt_failed") && lastMove != 0 && !s.stall {
					due := addCounted(lastMove, p.thr, p.business, z)
					if s.vis+safeAhead > due {
						f := addCounted(lastMove, p.thr-safeAhead-hour, p.business, z)
						if f <= lastMove || f >= s.at {
							f = lastMove + (s.at-lastMove)/2
						}
						b.insert(kProcess, f, lastPlace)
						fixed = false
						break
					}
				}
				if !late && s.at >= lastMove {
					lastMove, lastPlace = s.at, s.pl
				}
			}
			if !s.v.noise && s.v.typ.Milestone != "exception" && !late {
				state, currentAt = s.v.typ.Milestone, s.at
			}
		}
		if fixed {
			return
		}
	}
	panic("gen: cannot fill the gaps of shipment " + p.tracking)
}

// insert adds a scan in time order (not at the end).
func (b *builder) insert(k kind, t int64, pl *place) {
	p := b.p
	list := b.vs[k]
	v := list[b.r.IntN(len(list))]
	if p.c.minutes {
		t -= t % minute
	}
	for n := 0; p.svc.wallOnly && ambiguous(t, pl.zone); n++ {
		if n == maxShift {
			panic(fmt.Sprintf("gen: %s still names two instants after %d hours", time.Unix(t, 0).In(pl.zone), n))
		}
		t -= hour
	}
	i, _ := slices.BinarySearchFunc(p.scans, t, func(s scan, t int64) int { return int(s.at - t) })
	for i < len(p.scans) && p.scans[i].at == t {
		t++
		i++
	}
	p.scans = slices.Insert(p.scans, i, scan{id: p.nextID, at: t, vis: t, v: v, pl: pl})
	p.nextID++
}

// visOrder is the order in which polls show the scans.
func (b *builder) visOrder() []int {
	p := b.p
	order := make([]int, len(p.scans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		sx, sy := &p.scans[x], &p.scans[y]
		if sx.vis != sy.vis {
			return cmp64(sx.vis, sy.vis)
		}
		return cmp64(sx.at, sy.at)
	})
	return order
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// backfill makes the carrier report the last out-for-delivery scan only
// after the delivery: it reaches detection late, so no out_for_delivery
// command is due for it. It reports whether the story allowed it.
func (b *builder) backfill() bool {
	p := b.p
	n := len(p.scans)
	if n < 2 || p.scans[n-1].v.k != kDelivered || p.scans[n-2].v.k != kOFD {
		return false
	}
	ofd, dl := &p.scans[n-2], &p.scans[n-1]
	if localDay(ofd.at, p.zone()) != localDay(dl.at, p.zone()) {
		return false // the run did not end in the delivery (a stall on the delivery day)
	}
	ti := -1
	for i, t := range p.trigs {
		if t.scan == ofd.id {
			if t.name != "out_for_delivery" {
				return false // it also resolves a stall: keep it simple
			}
			ti = i
		}
	}
	if ti < 0 {
		return false
	}
	ofd.vis = dl.at + pollMax + b.u(hour, 4*hour)
	p.trigs = slices.Delete(p.trigs, ti, ti+1)
	return true
}

// polls makes the records: a poll every interval while the shipment is
// live, a record whenever a poll shows something new.
func (b *builder) polls() {
	p := b.p
	order := b.visOrder()
	every := b.u(pollMax/2, pollMax)
	t := p.scans[order[0]].vis + b.u(minute, every)
	shown := 0
	for shown < len(order) {
		n := shown
		for n < len(order) && p.scans[order[n]].vis <= t {
			n++
		}
		if n > shown {
			p.recs = append(p.recs, recPlan{at: t, upto: t})
			shown = n
			if shown == len(order) {
				break
			}
		}
		if nv := p.scans[order[shown]].vis; nv > t+every {
			t += (nv - t) / every * every
		}
		t += every
	}
}

// shownAt is, per scan id, the time of the first record that holds it.
func (p *plan) shownAt() map[int32]int64 {
	m := make(map[int32]int64, len(p.scans))
	for _, rc := range p.recs {
		if rc.bad != badNone {
			continue
		}
		for i := range p.scans {
			s := &p.scans[i]
			if s.vis <= rc.upto {
				if at, ok := m[s.id]; !ok || rc.at < at {
					m[s.id] = rc.at
				}
			}
		}
	}
	return m
}

// capSafe reports whether no local day of the destination can hold more
// commands than the daily cap, wherever in its window each command is
// decided: the cap would drop some, and which would be ambiguous.
func (p *plan) capSafe(cap int) bool {
	shown := p.shownAt()
	z := p.zone()
	byID := make(map[int32]int64, len(p.scans))
	for i := range p.scans {
		byID[p.scans[i].id] = p.scans[i].at
	}
	perDay := map[int64]int{}
	for _, t := range p.trigs {
		lo, hi := t.at, t.at
		if t.scan >= 0 {
			lo, hi = byID[t.scan], shown[t.scan]+overshoot
		}
		for d := localDay(lo, z); d <= localDay(hi, z); d++ {
			perDay[d]++
			if perDay[d] > cap {
				return false
			}
		}
	}
	return true
}
