// Package gen generates realistic shipment lifecycles, deterministically
// from a seed: each shipment is told as the raw payloads a tracking poller
// would write to the carrier's raw topic (UPS Track API v1 JSON, FedEx Track
// API v1 JSON, USPS Tracking API v3 JSON, DHL unified API JSON, Royal Mail
// mailpieces v2 JSON, PostNL shipping status v2 JSON, Canada Post
// tracking-detail XML, DPD ParcelLifeCycle SOAP XML), one record per poll
// that found something new, with the history so far, in the order the polls
// happened across all shipments.
//
// Problems are injected at configurable rates: stalls (a long silence
// before pickup, in transit, on the delivery day, or for good), carrier
// exceptions (delays, customs, address problems, failed attempts, parcels
// held for pickup, returns), noise scans that must not notify, resent
// payloads, payloads out of order (a later poll's answer first, or a scan
// the carrier reports only after the delivery), and malformed records.
//
// Every shipment comes with its expected outcome: the commands (triggers,
// in order) the detection policy must decide for it, the canonical events
// its payloads normalize to, and the records that must be dead-lettered.
// Expectations are derived from the story as it is written, with the rule
// thresholds of the rule set (rules.Default unless given), and times are
// kept clear of every deadline by safety margins, so that each expectation
// holds whatever the interleaving with other shipments; see story.go.
package gen

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/rules"
)

// Options say what to generate.
type Options struct {
	Seed      uint64
	Shipments int
	// Start is when the first label may be created (default
	// 2026-03-02T00:00:00Z, a Monday, so that runs cross the US and EU
	// daylight-saving changes); Window is the time over which labels are
	// created (default 7 days).
	Start  time.Time
	Window time.Duration
	// Carriers weighs the carriers (default DefaultCarriers); see
	// ParseCarriers.
	Carriers map[string]float64
	// International is the share of UPS and FedEx shipments on
	// international lanes (0: none). Half of DHL's shipments are DHL
	// Express international, the other half DHL Paket within Germany; USPS
	// is domestic.
	International float64
	// Rates, each the share of shipments (or, for malformed records, of
	// shipments that get one broken record) with that problem; 0 turns it
	// off.
	StallRate, ExceptionRate, NoiseRate, ResendRate, OutOfOrderRate, MalformedRate float64
	// Rules gives the thresholds the stories keep clear of (default
	// rules.Default()). Expectations are only valid for this rule set.
	Rules *rules.Rules
}

// DefaultStart is the default Options.Start.
var DefaultStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// DefaultCarriers is the default carrier mix: every carrier gen writes, at
// its weight.
var DefaultCarriers = func() string {
	var parts []string
	for _, c := range carrierSpecs {
		parts = append(parts, c.name+"="+strconv.FormatFloat(c.weight, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}()

// Record is one raw record, as a poller would produce it.
type Record struct {
	Topic string // raw.<carrier>
	Key   string // the tracking number
	// Value is the payload. It is only valid until the emit callback
	// returns: copy it to keep it.
	Value []byte
	Time  time.Time // when the poll (or the resend) happened
	// Shipment is the index of the shipment (Expected.Shipment).
	Shipment int
	// Bad says how the record is broken ("" when it is not), ErrorKind the
	// dead-letter error_kind it must get.
	Bad, ErrorKind string
}

// Expected is the outcome a shipment must have.
type Expected struct {
	Shipment       int      `json:"shipment"`
	ShipmentID     string   `json:"shipment_id"`
	Carrier        string   `json:"carrier"`
	TrackingNumber string   `json:"tracking_number"`
	Topic          string   `json:"topic"`
	Service        string   `json:"service"`
	Origin         string   `json:"origin"`
	Destination    string   `json:"destination"`
	International  bool     `json:"international"`
	Scenario       []string `json:"scenario"`
	// Triggers are the commands detection must decide, in order: one per
	// entry ("stalled" twice when a stall is escalated).
	Triggers []string `json:"triggers"`
	// Events are the canonical events the payloads normalize to.
	Events      []ExpectedEvent `json:"events"`
	Records     int             `json:"records"`
	DeadLetters []DeadLetter    `json:"dead_letters"`
	// SettleBy is when every expected command has been decided, once the
	// clock has run there (lost parcels expire 30 days after their last
	// scan).
	SettleBy time.Time `json:"settle_by"`
}

// ExpectedEvent is one canonical event: when and what.
type ExpectedEvent struct {
	At   time.Time `json:"at"`
	Type string    `json:"type"`
}

// DeadLetter is a record that must be rejected.
type DeadLetter struct {
	Time      time.Time `json:"time"`
	Bad       string    `json:"bad"`
	ErrorKind string    `json:"error_kind"`
}

// ParseCarriers reads a carrier mix: "ups=0.3,fedex=0.3,usps=0.2,dhl=0.2".
// Weights need not add up to 1.
func ParseCarriers(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("carriers: %q is not name=weight", part)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if carrierByName[name] == nil {
			if _, ok := normalizers.Registered(name); ok {
				return nil, fmt.Errorf("carriers: wismo gen has no payload writer for carrier %q, which is registered (gen writes %s); "+
					"leave it out of --carriers, or add its writer to gen/formats.go", name, strings.Join(CarrierNames(), ", "))
			}
			return nil, fmt.Errorf("carriers: unknown carrier %q (gen writes %s)", name, strings.Join(CarrierNames(), ", "))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("carriers: weight of %s: %q is not a non-negative number", name, w)
		}
		out[name] += f
	}
	total := 0.0
	for _, w := range out {
		total += w
	}
	if total <= 0 {
		return nil, errors.New("carriers: no carrier has a positive weight")
	}
	return out, nil
}

// CarrierNames lists the carriers the generator knows.
func CarrierNames() []string {
	var out []string
	for _, c := range carrierSpecs {
		out = append(out, c.name)
	}
	return out
}

// Topic is the raw topic of a carrier.
func Topic(carrier string) string { return "raw." + carrier }

// Format is the format of the payloads gen writes for a carrier, which its
// raw topic is bound to (normalizers.JSON for a carrier gen does not know).
func Format(carrier string) normalizers.Format {
	if c := carrierByName[carrier]; c != nil && c.format != "" {
		return c.format
	}
	return normalizers.JSON
}

// Validate checks the options as Generate will.
func (o Options) Validate() error { return o.setDefaults() }

func (o *Options) setDefaults() error {
	if o.Shipments < 0 {
		return errors.New("gen: shipments must not be negative")
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Window <= 0 {
		o.Window = 7 * 24 * time.Hour
	}
	for _, t := range []time.Time{o.Start, o.Start.Add(o.Window + 60*24*time.Hour)} { // the stories run a few weeks past the window
		if err := event.CheckTime(t); err != nil {
			return fmt.Errorf("gen: start %s and window %v: scans would reach %w", o.Start.Format(time.RFC3339), o.Window, err)
		}
	}
	if o.Carriers == nil {
		o.Carriers, _ = ParseCarriers(DefaultCarriers)
	}
	for name, rate := range map[string]float64{"international": o.International, "stall rate": o.StallRate,
		"exception rate": o.ExceptionRate, "noise rate": o.NoiseRate, "resend rate": o.ResendRate,
		"out-of-order rate": o.OutOfOrderRate, "malformed rate": o.MalformedRate} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("gen: %s %v is not between 0 and 1", name, rate)
		}
	}
	if o.Rules == nil {
		o.Rules = rules.Default()
	}
	return nil
}

// Stats counts what was generated.
type Stats struct {
	Shipments int
	Records   int
	Bad       int
	Bytes     int64
	ByTopic   map[string]int
}

// Generate makes the shipments. emit receives the records in time order
// (ties: by shipment, then by record); expect receives each shipment's
// expected outcome, in shipment order, before its first record. Either
// callback may stop the run by returning an error, which Generate returns.
func Generate(o Options, emit func(*Record) error, expect func(*Expected) error) (Stats, error) {
	if err := o.setDefaults(); err != nil {
		return Stats{}, err
	}
	g := &generator{o: &o, stats: Stats{ByTopic: map[string]int{}}}
	g.weights(o.Carriers)
	for i := 0; i < o.Shipments; i++ {
		created := g.created(i)
		for g.h.Len() > 0 && g.h[0].at <= created {
			if err := g.emitNext(emit); err != nil {
				return g.stats, err
			}
		}
		p := g.plan(i, created)
		if expect != nil {
			if err := expect(p.expected()); err != nil {
				return g.stats, err
			}
		}
		g.stats.Shipments++
		heap.Push(&g.h, entryOf(p))
	}
	for g.h.Len() > 0 {
		if err := g.emitNext(emit); err != nil {
			return g.stats, err
		}
	}
	return g.stats, nil
}

type generator struct {
	o       *Options
	h       planHeap
	cw      []float64 // cumulative carrier weights, by carrierSpecs order
	rec     Record
	buf     []byte
	scratch []*scan
	stats   Stats
}

func (g *generator) weights(m map[string]float64) {
	total := 0.0
	for _, c := range carrierSpecs {
		total += m[c.name]
		g.cw = append(g.cw, total)
	}
	for i := range g.cw {
		g.cw[i] /= total
	}
}

// created is when shipment i's label may be created: the window split in
// equal slots, a random point in each, so that creation times increase
// with the index (the generator streams in time order).
func (g *generator) created(i int) int64 {
	w := g.o.Window.Seconds()
	frac := (float64(i) + 0.999*unit(g.o.Seed, uint64(i))) / float64(max(g.o.Shipments, 1))
	return g.o.Start.Unix() + int64(w*frac)
}

// unit is a deterministic number in [0, 1) for (seed, i).
func unit(seed, i uint64) float64 {
	return float64(mix(seed^mix(i+0x51ed27))>>11) / (1 << 53)
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *generator) plan(i int, created int64) *plan {
	o := g.o
	r := rand.New(rand.NewPCG(mix(o.Seed), mix(uint64(i)+1)))
	x := r.Float64()
	c := carrierSpecs[len(carrierSpecs)-1]
	for j, w := range g.cw {
		if x < w {
			c = carrierSpecs[j]
			break
		}
	}
	p := &plan{idx: i, c: c, business: o.Rules.BusinessDaysOnly[c.name]}
	intlShare := o.International
	if c.intlShare != nil {
		intlShare = *c.intlShare
	}
	if len(c.intl) > 0 && r.Float64() < intlShare {
		p.svc = pickService(r, c.intl)
		p.lane = &p.svc.lanes[r.IntN(len(p.svc.lanes))]
		p.origin, p.dest = pick(r, p.lane.from), pick(r, p.lane.to)
	} else {
		p.svc = pickService(r, c.domestic)
		p.origin = pick(r, c.ends)
		p.dest = pickOther(r, c.ends, p.origin)
	}
	p.intl = p.origin.country != p.dest.country
	p.tracking = c.track(o.Seed, uint64(i), p.svc)
	p.st = o.Rules.StallsFor(c.name, p.svc.key)
	p.thr = int64(p.st.InTransitDomestic / time.Second)
	if p.intl {
		p.thr = int64(p.st.InTransitInternational / time.Second)
	}

	// The label is printed in working hours at the origin.
	label := created
	if m := localMinutes(label, p.origin.zone); m < 7*60 || m > 20*60 {
		label = atLocal(label, p.origin.zone, 0, 7*60) + r.Int64N(4*hour)
		if label < created {
			label = atLocal(created, p.origin.zone, 1, 7*60) + r.Int64N(4*hour)
		}
	}
	if p.business {
		label = offWeekend(label, p.zone())
	}

	// What happens to it.
	b := &builder{r: r, o: o, p: p, vs: p.svc.vs}
	st, ex := stallNone, excNone
	if b.chance(o.StallRate) {
		st = b.pickStall()
	}
	if b.chance(o.ExceptionRate) {
		ex = b.pickExc(st)
	}
	noise := b.chance(o.NoiseRate)
	resend := b.chance(o.ResendRate)
	ooo := b.chance(o.OutOfOrderRate)
	bad := b.chance(o.MalformedRate)
	p.shuffle = ooo && b.chance(0.5)
	backfill := ooo && b.chance(0.5)

	for {
		p.scans, p.trigs, p.scenario, p.recs, p.nextID = p.scans[:0], p.trigs[:0], p.scenario[:0], p.recs[:0], 0
		b.cur, b.openDelay, p.settle = label, false, 0
		b.story(st, ex, noise)
		if backfill && !b.backfill() {
			backfill = false
		}
		b.fill()
		b.polls()
		if p.capSafe(o.Rules.DailyCap) {
			break
		}
		// Too many commands on one day: the cap would drop some. Tell a
		// simpler story.
		switch {
		case ex != excNone:
			ex = excNone
		case st != stallNone:
			st = stallNone
		default:
			panic("gen: a plain shipment exceeds the daily cap")
		}
	}
	if backfill {
		p.scenario = append(p.scenario, "delivered_before_out_for_delivery")
	} else if ooo {
		if g.swap(b) {
			p.scenario = append(p.scenario, "payloads_out_of_order")
		} else if !p.shuffle {
			p.shuffle = true
		}
	}
	if p.shuffle {
		p.scenario = append(p.scenario, "history_unsorted")
	}
	seq := int32(len(p.recs))
	for i := range p.recs {
		p.recs[i].seq = int32(i)
	}
	good := len(p.recs)
	if resend {
		n := 1 + r.IntN(3)
		for range n {
			src := p.recs[r.IntN(good)]
			p.recs = append(p.recs, recPlan{at: src.at + b.u(minute, 6*hour), upto: src.upto, seq: seq})
			seq++
		}
		p.scenario = append(p.scenario, "resent")
	}
	if bad {
		src := p.recs[r.IntN(good)]
		p.recs = append(p.recs, recPlan{at: src.at + b.u(0, 20*minute), upto: src.upto, seq: seq,
			bad: badKind(1 + r.IntN(int(nBad)-1))})
		p.scenario = append(p.scenario, "malformed")
	}
	sort.Slice(p.recs, func(x, y int) bool {
		if p.recs[x].at != p.recs[y].at {
			return p.recs[x].at < p.recs[y].at
		}
		return p.recs[x].seq < p.recs[y].seq
	})
	if p.settle == 0 {
		p.settle = p.recs[len(p.recs)-1].at
	}
	p.edd = eddOf(p)
	return p
}

// swap makes a later poll's answer arrive before the one before it, when
// two polls are close enough that the clock cannot run past a deadline of
// another shipment because of it.
func (g *generator) swap(b *builder) bool {
	p := b.p
	var cand []int
	for k := 0; k+1 < len(p.recs); k++ {
		if p.recs[k+1].at-p.recs[k].at <= overshoot {
			cand = append(cand, k)
		}
	}
	if len(cand) == 0 {
		return false
	}
	k := cand[b.r.IntN(len(cand))]
	p.recs[k].upto, p.recs[k+1].upto = p.recs[k+1].upto, p.recs[k].upto
	return true
}

func pickService(r *rand.Rand, ss []*service) *service {
	total := 0.0
	for _, s := range ss {
		total += s.weight
	}
	x := r.Float64() * total
	for _, s := range ss {
		if x -= s.weight; x < 0 {
			return s
		}
	}
	return ss[len(ss)-1]
}

// eddOf is the carrier's estimated delivery date: the local date of the
// first planned delivery attempt.
func eddOf(p *plan) string {
	for i := range p.scans {
		if k := p.scans[i].v.k; k == kOFD || k == kDelivered {
			return time.Unix(p.scans[i].at, 0).In(p.zone()).Format("2006-01-02")
		}
	}
	return ""
}

func (p *plan) expected() *Expected {
	e := &Expected{
		Shipment: p.idx, ShipmentID: p.c.name + ":" + p.tracking, Carrier: p.c.name, TrackingNumber: p.tracking,
		Topic: p.c.topic, Service: p.svc.key, Origin: where(p.origin), Destination: where(p.dest),
		International: p.intl, Scenario: append([]string{}, p.scenario...), Records: len(p.recs),
		SettleBy: time.Unix(p.settle, 0).UTC(), Triggers: []string{}, DeadLetters: []DeadLetter{},
	}
	for _, t := range p.trigs {
		e.Triggers = append(e.Triggers, t.name)
	}
	for i := range p.scans {
		e.Events = append(e.Events, ExpectedEvent{At: time.Unix(p.scans[i].at, 0).UTC(), Type: p.scans[i].v.typ.Name})
	}
	for _, rc := range p.recs {
		if rc.bad != badNone {
			e.DeadLetters = append(e.DeadLetters, DeadLetter{Time: time.Unix(rc.at, 0).UTC(),
				Bad: badNames[rc.bad], ErrorKind: badErrorKind[rc.bad]})
		}
	}
	return e
}

func where(pl *place) string {
	if pl.region == "" {
		return pl.country
	}
	return pl.country + "-" + pl.region
}

// ---- emitting records ----

// planHeap orders the live shipments by their next record; the key is
// kept in the entry, away from the plan, so that sifting stays in cache.
type planHeap []heapEntry

type heapEntry struct {
	at  int64
	idx int
	seq int32
	p   *plan
}

func entryOf(p *plan) heapEntry {
	rc := &p.recs[p.next]
	return heapEntry{at: rc.at, idx: p.idx, seq: rc.seq, p: p}
}

func (h planHeap) Len() int { return len(h) }
func (h planHeap) Less(i, j int) bool {
	a, b := &h[i], &h[j]
	if a.at != b.at {
		return a.at < b.at
	}
	if a.idx != b.idx {
		return a.idx < b.idx
	}
	return a.seq < b.seq
}
func (h planHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *planHeap) Push(x any)   { *h = append(*h, x.(heapEntry)) }
func (h *planHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (g *generator) emitNext(emit func(*Record) error) error {
	p := g.h[0].p
	rc := &p.recs[p.next]
	g.buf = g.payload(g.buf[:0], p, rc)
	g.rec = Record{Topic: p.c.topic, Key: p.tracking, Value: g.buf, Time: time.Unix(rc.at, 0).UTC(),
		Shipment: p.idx, Bad: badNames[rc.bad], ErrorKind: badErrorKind[rc.bad]}
	g.stats.Records++
	g.stats.Bytes += int64(len(g.buf))
	g.stats.ByTopic[p.c.topic]++
	if rc.bad != badNone {
		g.stats.Bad++
	}
	p.next++
	if p.next == len(p.recs) {
		heap.Pop(&g.h)
		p.scans, p.recs = nil, nil
	} else {
		g.h[0] = entryOf(p)
		heap.Fix(&g.h, 0)
	}
	return emit(&g.rec)
}

// payload writes a record's bytes: the carrier's answer with the scans the
// record holds, newest first as carriers list them (or in no order for a
// carrier that scrambles its history), or a broken copy.
func (g *generator) payload(dst []byte, p *plan, rc *recPlan) []byte {
	list := g.scratch[:0]
	for i := range p.scans {
		if p.scans[i].vis <= rc.upto {
			list = append(list, &p.scans[i])
		}
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	seed := mix(uint64(p.idx)<<20 ^ uint64(rc.upto))
	if p.shuffle {
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	g.scratch = list
	switch rc.bad {
	case badWrongType:
		return p.c.wrong(dst, p)
	case badGarbage:
		r := rand.New(rand.NewPCG(seed, uint64(rc.seq)))
		n := 16 + r.IntN(300)
		dst = append(dst, byte(0x80+r.IntN(0x6f))) // not '{', '[', '<', white space or a BOM
		for range n {
			c := byte(r.IntN(256))
			if c == '\n' || c == '\r' {
				c = 0
			}
			dst = append(dst, c)
		}
		return dst
	}
	dst = p.c.encode(dst, p, list, rc.bad == badWrongTimes, seed)
	if rc.bad == badTruncated {
		r := rand.New(rand.NewPCG(seed, uint64(rc.seq)))
		dst = dst[:1+r.IntN(len(dst)-1)]
	}
	return dst
}
