// Package lanes is the lane model: what the network normally does between
// two places, learned online from completed legs. A lane is carrier x
// service x origin area x destination area; where the data of a lane is
// thin its coarser lanes answer (region, then country, then any place).
//
// Per lane it keeps three kinds of quantile sketches (DDSketch, from
// github.com/DataDog/sketches-go, with a bounded number of bins each):
//   - transit: local days from the first movement scan to delivery (business
//     days for carriers that do not move on weekends);
//   - gap: seconds between movement scans, per milestone;
//   - outcome: seconds from out for delivery to the outcome.
//
// Memory is bounded: at most Config.MaxLanes lanes, each with sketches of at
// most Config.MaxBins bins. Answers (stall thresholds, predictions) are
// computed from a sketch only when its count has grown enough since the last
// time, so that the detector's hot path reads a cached number.
package lanes

import (
	"fmt"
	"math"
	"sort"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// Level is how coarse a lane is.
type Level uint8

const (
	Area    Level = iota // postal area (first characters of the postal code)
	Region               // state or province
	Country              // country
	Any                  // carrier and service only
	numLevels
)

var levelNames = [numLevels]string{"area", "region", "country", "any"}

func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", l)
}

// PostalArea is how many leading characters of a postal code make an area.
const PostalArea = 3

// Place is one end of a lane.
type Place struct {
	Country, Region, Postal string
}

// AreaOf makes a place from a location's parts; the postal code is cut to
// its area (a substring, no copy).
func AreaOf(country, region, postal string) Place {
	if len(postal) > PostalArea {
		postal = postal[:PostalArea]
	}
	return Place{Country: country, Region: region, Postal: postal}
}

func (p Place) at(l Level) Place {
	switch l {
	case Area:
		return p
	case Region:
		return Place{Country: p.Country, Region: p.Region}
	case Country:
		return Place{Country: p.Country}
	}
	return Place{}
}

// Key names a lane.
type Key struct {
	Carrier, Service string
	Level            Level
	From, To         Place
}

// Coarser is the key one level up (Any stays Any).
func (k Key) Coarser() Key {
	l := k.Level + 1
	if l >= numLevels {
		l = Any
	}
	return Key{Carrier: k.Carrier, Service: k.Service, Level: l, From: k.From.at(l), To: k.To.at(l)}
}

// String is the lane key of the lane topics: carrier|service|level|from|to.
func (k Key) String() string {
	return fmt.Sprintf("%s|%s|%s|%s/%s/%s|%s/%s/%s", k.Carrier, k.Service, k.Level,
		k.From.Country, k.From.Region, k.From.Postal, k.To.Country, k.To.Region, k.To.Postal)
}

// Stages whose movement gaps are learned, in their Gap index order: the
// milestones, and the wait at the delivery facility (in transit, but a wait
// for the next delivery round rather than a trunk).
var GapMilestones = [...]string{"info_received", "in_transit", "attempt_failed", "at_delivery_facility"}

// Gap indexes GapMilestones.
type Gap uint8

const (
	GapPreTransit Gap = iota
	GapInTransit
	GapAttemptFailed
	GapAtDelivery
	numGaps
)

// GapFor is the gap index of a milestone, or false.
func GapFor(milestone string) (Gap, bool) {
	for i, m := range GapMilestones {
		if m == milestone {
			return Gap(i), true
		}
	}
	return 0, false
}

// Config bounds and tunes the model.
type Config struct {
	MaxLanes         int     // lanes kept; a new lane past this learns into its coarser ones only
	MaxBins          int     // bins per gap and outcome sketch
	RelativeAccuracy float64 // of the gap and outcome sketches' quantiles
	MinObservations  int     // below this a lane is thin: its coarser lane answers
	StallQuantile    float64 // of the movement gap ...
	StallFactor      float64 // ... times this is the lane's stall threshold
	MaxTransitDays   int     // transit predictions are conditioned on up to this many days elapsed
}

// DefaultConfig is what the rules use unless they say otherwise.
// At 5% relative accuracy 128 bins span gaps from a minute to 40 weeks
// before the lowest bins collapse.
var DefaultConfig = Config{MaxLanes: 100_000, MaxBins: 128, RelativeAccuracy: 0.05, MinObservations: 30,
	StallQuantile: 0.95, StallFactor: 2, MaxTransitDays: 30}

// Check says what is wrong with a configuration.
func (c Config) Check() error {
	switch {
	case c.MaxLanes < 1 || c.MaxLanes > 10_000_000:
		return fmt.Errorf("lanes: max_lanes %d, want 1 to 10,000,000", c.MaxLanes)
	case c.MaxBins < 8 || c.MaxBins > 4096:
		return fmt.Errorf("lanes: max_bins %d, want 8 to 4096", c.MaxBins)
	case !(c.RelativeAccuracy > 0 && c.RelativeAccuracy < 0.5):
		return fmt.Errorf("lanes: relative_accuracy %v, want more than 0 and less than 0.5", c.RelativeAccuracy)
	case c.MinObservations < 1:
		return fmt.Errorf("lanes: min_observations %d, want at least 1", c.MinObservations)
	case !(c.StallQuantile > 0 && c.StallQuantile < 1):
		return fmt.Errorf("lanes: stall_quantile %v, want between 0 and 1", c.StallQuantile)
	case !(c.StallFactor >= 1 && c.StallFactor <= 10):
		return fmt.Errorf("lanes: stall_factor %v, want 1 to 10", c.StallFactor)
	case c.MaxTransitDays < 1 || c.MaxTransitDays > 120:
		return fmt.Errorf("lanes: max_transit_days %d, want 1 to 120", c.MaxTransitDays)
	}
	return nil
}

// ID is a lane's number in one model (0: none). It is small, so that a
// shipment's state can name its lane; it means nothing to another process.
type ID uint32

// Model is the lane model. It is not safe for concurrent use.
type Model struct {
	cfg Config
	// The sketches' mappings of values to bins: one for the gaps and
	// outcomes (seconds), one for transit days. Cubic interpolation
	// instead of a logarithm: the same accuracy, cheaper on the hot path.
	gapMap, transitMap mapping.IndexMapping
	ids                map[Key]ID
	lanes              []lane // lanes[0] is unused: ID 0 is none
}

type lane struct {
	key      Key
	parent   ID
	transit  sketch
	outcome  sketch
	lastMile sketch // days from arrival at the delivery facility to the delivery round
	gaps     [numGaps]sketch

	// caches, refreshed as the sketches grow
	gapQ      [numGaps]cachedQuantile // stall threshold, seconds
	outcomeQ  cachedQuantile          // p90, seconds
	lastMileQ cachedQuantile          // p50, days
	pred      []Dates                 // by days elapsed; nil while thin
	predAt    uint32
}

// sketch is a DDSketch made on the first observation (most lanes never see
// some kinds) and its count.
type sketch struct {
	s    *ddsketch.DDSketch
	n    uint32 // observations it stands for
	seen uint32 // observations offered (see sampleAfter)
}

// Past sampleAfter observations a gap or outcome sketch takes every
// sampleEvery-th one, weighted sampleEvery: its quantiles stay those of
// the whole stream (the carrier's Any lane sees every parcel), at a
// quarter of the cost on the detector's hot path.
const (
	sampleAfter = 1024
	sampleEvery = 4
)

// Transit days are read back as whole days: at 1% a bin's value is within
// half a day of the days it counts up to 50 days, and the bins from 1 to
// MaxTransitDays (120 at most) are fewer than transitBins, so the transit
// sketch never collapses.
const (
	transitAccuracy = 0.01
	transitBins     = 512
)

// newSketch makes a sketch on the model's shared mapping; no value is
// negative, so the negative store stays empty.
func newSketch(mp mapping.IndexMapping, bins int) *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(mp, store.NewCollapsingLowestDenseStore(bins), store.NewCollapsingLowestDenseStore(1))
}

// addChain adds seconds (at least 1) to the sketch kind picks of lane id
// and every coarser lane: the bin index is computed once for the chain
// (the same mapping serves every gap and outcome sketch).
func (m *Model) addChain(id ID, seconds int64, pick func(*lane) *sketch) {
	v := float64(max(seconds, 1))
	if v > m.gapMap.MaxIndexableValue() {
		return
	}
	idx := m.gapMap.Index(v)
	for ; id != 0; id = m.lanes[id].parent {
		sk := pick(&m.lanes[id])
		if sk.s == nil {
			sk.s = newSketch(m.gapMap, m.cfg.MaxBins)
		}
		sk.seen++
		if sk.n < sampleAfter {
			sk.s.GetPositiveValueStore().Add(idx)
			sk.n++
		} else if sk.seen%sampleEvery == 0 {
			sk.s.GetPositiveValueStore().AddWithCount(idx, sampleEvery)
			sk.n += sampleEvery
		}
	}
}

// New returns an empty model.
func New(cfg Config) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	gm, err := mapping.NewCubicallyInterpolatedMapping(cfg.RelativeAccuracy)
	if err != nil {
		return nil, fmt.Errorf("lanes: relative_accuracy: %w", err)
	}
	tm, err := mapping.NewCubicallyInterpolatedMapping(transitAccuracy)
	if err != nil {
		return nil, err
	}
	return &Model{cfg: cfg, gapMap: gm, transitMap: tm, ids: map[Key]ID{}, lanes: make([]lane, 1, 64)}, nil
}

// Config is the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Len is the number of lanes.
func (m *Model) Len() int { return len(m.lanes) - 1 }

// Key is the key of a lane.
func (m *Model) Key(id ID) Key { return m.lanes[id].key }

// Lookup is the finest lane of the shipment's route that the model keeps,
// creating it and its coarser lanes while there is room. The key's Level
// must be Area. It returns 0 only when the model is full and not even the
// carrier's Any lane exists.
func (m *Model) Lookup(carrier, service string, from, to Place) ID {
	k := Key{Carrier: carrier, Service: service, Level: Area, From: from, To: to}
	return m.lookup(k)
}

func (m *Model) lookup(k Key) ID {
	if id, ok := m.ids[k]; ok {
		return id
	}
	var parent ID
	if k.Level < Any {
		parent = m.lookup(k.Coarser())
	}
	if len(m.lanes)-1 >= m.cfg.MaxLanes {
		return parent
	}
	if k.Level < Any && parent != 0 {
		// A place unknown at this level (no postal code) makes the same
		// lane as its coarser one: no need for two.
		if pk := m.lanes[parent].key; pk.From == k.From && pk.To == k.To {
			return parent
		}
	}
	id := ID(len(m.lanes))
	m.lanes = append(m.lanes, lane{key: k, parent: parent})
	m.ids[k] = id
	return id
}

// ObserveGap learns a movement gap of the milestone, in seconds, on the
// lane and every coarser one.
func (m *Model) ObserveGap(id ID, g Gap, seconds int64) {
	m.addChain(id, seconds, func(l *lane) *sketch { return &l.gaps[g] })
}

// ObserveTransit learns a delivered leg's transit, in (business) days.
func (m *Model) ObserveTransit(id ID, days int) {
	m.addDays(id, days, func(l *lane) *sketch { return &l.transit })
}

// ObserveLastMile learns the (business) days from a parcel's arrival at
// the delivery facility to its delivery round.
func (m *Model) ObserveLastMile(id ID, days int) {
	m.addDays(id, days, func(l *lane) *sketch { return &l.lastMile })
}

// LastMile is the p50 of the lane's days from arrival at the delivery
// facility to the delivery round, from the finest lane that is not thin.
func (m *Model) LastMile(id ID) (int, bool) {
	d, ok := m.quantile(id, 0.5, 1, func(l *lane) (*sketch, *cachedQuantile) { return &l.lastMile, &l.lastMileQ })
	return int(d), ok
}

// cachedQuantile is a quantile of one sketch, kept until the sketch has
// grown (see stale): v is the value plus 1 (0: not computed yet), at the
// sketch's count when it was computed.
type cachedQuantile struct{ v, at uint32 }

// quantile is the q-quantile times factor, rounded, of the sketch pick
// selects, from the finest lane of id's chain that is not thin; false when
// every one is.
func (m *Model) quantile(id ID, q, factor float64, pick func(*lane) (*sketch, *cachedQuantile)) (int64, bool) {
	need := uint32(m.cfg.MinObservations)
	for ; id != 0; id = m.lanes[id].parent {
		sk, c := pick(&m.lanes[id])
		if sk.n < need {
			continue
		}
		if c.v == 0 || stale(c.at, sk.n) {
			v, err := sk.s.GetValueAtQuantile(q)
			if err != nil {
				continue
			}
			c.v, c.at = uint32(min32(math.Round(v*factor), math.MaxUint32-1))+1, sk.n
		}
		return int64(c.v) - 1, true
	}
	return 0, false
}

func (m *Model) addDays(id ID, days int, pick func(*lane) *sketch) {
	for ; id != 0; id = m.lanes[id].parent {
		sk := pick(&m.lanes[id])
		if sk.s == nil {
			sk.s = newSketch(m.transitMap, transitBins)
		}
		if sk.s.Add(float64(max(days, 0))) == nil {
			sk.n++
		}
	}
}

// ObserveOutcome learns the seconds from out for delivery to its outcome.
func (m *Model) ObserveOutcome(id ID, seconds int64) {
	m.addChain(id, seconds, func(l *lane) *sketch { return &l.outcome })
}

// stale says whether a cache computed at count at should be computed again
// now that the sketch holds n: it doubles its count, or grows by 64.
func stale(at, n uint32) bool { return n >= 2*at || n >= at+64 }

// StallAfter is the lane's stall threshold for the milestone, in seconds:
// the StallQuantile of its movement gaps times StallFactor, from the finest
// lane of id's chain that is not thin. It reports false when every one is.
func (m *Model) StallAfter(id ID, g Gap) (int64, bool) {
	return m.quantile(id, m.cfg.StallQuantile, m.cfg.StallFactor, func(l *lane) (*sketch, *cachedQuantile) { return &l.gaps[g], &l.gapQ[g] })
}

// OutcomeWithin is the p90 of the seconds from out for delivery to its
// outcome, from the finest lane that is not thin.
func (m *Model) OutcomeWithin(id ID) (int64, bool) {
	return m.quantile(id, 0.9, 1, func(l *lane) (*sketch, *cachedQuantile) { return &l.outcome, &l.outcomeQ })
}

func min32(v, hi float64) float64 {
	if v > hi {
		return hi
	}
	if v < 0 {
		return 0
	}
	return v
}

// Dates is a transit prediction in days from the first movement scan: the
// lane's p10, p50 and p90 among the legs that took at least the days
// already elapsed.
type Dates struct {
	Earliest, Likely, Latest uint16
	Confidence               Confidence
}

// Confidence says how much data a prediction stands on.
type Confidence uint8

const (
	None Confidence = iota
	Low
	Medium
	High
)

var confidenceNames = [...]string{"", "low", "medium", "high"}

func (c Confidence) String() string { return confidenceNames[c] }

// Predict is the transit of a parcel on lane id that has been on its way
// for elapsed (business) days, from the finest lane that is not thin. It
// reports false when every lane of the chain is thin.
func (m *Model) Predict(id ID, elapsed int) (Dates, bool) {
	need := uint32(m.cfg.MinObservations)
	for ; id != 0; id = m.lanes[id].parent {
		l := &m.lanes[id]
		if l.transit.n < need {
			continue
		}
		if l.pred == nil || stale(l.predAt, l.transit.n) {
			l.pred = m.conditional(l)
			l.predAt = l.transit.n
		}
		if elapsed < 0 {
			elapsed = 0
		}
		if elapsed >= len(l.pred) {
			// Longer on the way than the table looks: it is late, and the
			// lane knows no more than "soon".
			e := uint16(min(elapsed, math.MaxUint16))
			return Dates{Earliest: e, Likely: e, Latest: e + 1, Confidence: Low}, true
		}
		d := l.pred[elapsed]
		// Confidence: a lane of the finest levels with plenty of data is
		// high; the carrier-wide lane, or a lane near the threshold, low.
		switch {
		case l.key.Level <= Region && l.transit.n >= 4*need:
			d.Confidence = High
		case l.key.Level <= Country:
			d.Confidence = Medium
		default:
			d.Confidence = Low
		}
		return d, true
	}
	return Dates{}, false
}

// conditional tabulates the p10/p50/p90 of the transit days among the legs
// that took at least e days, for e = 0 .. MaxTransitDays.
func (m *Model) conditional(l *lane) []Dates {
	maxd := m.cfg.MaxTransitDays
	hist := make([]float64, maxd+2) // the last bucket holds everything longer
	l.transit.s.ForEach(func(v, c float64) bool {
		d := int(math.Round(v))
		if d > maxd+1 {
			d = maxd + 1
		}
		hist[d] += c
		return false
	})
	out := make([]Dates, maxd+1)
	for e := 0; e <= maxd; e++ {
		var total float64
		for d := e; d < len(hist); d++ {
			total += hist[d]
		}
		if total == 0 {
			out[e] = Dates{Earliest: uint16(e), Likely: uint16(e), Latest: uint16(e + 1)}
			continue
		}
		q := func(p float64) uint16 {
			var run float64
			for d := e; d < len(hist); d++ {
				run += hist[d]
				if run >= p*total {
					return uint16(d)
				}
			}
			return uint16(len(hist) - 1)
		}
		out[e] = Dates{Earliest: q(0.1), Likely: q(0.5), Latest: q(0.9)}
	}
	return out
}

// Counts is what a lane has learned, for reports and the lane topic.
type Counts struct {
	Transit, Outcome uint32
	Gaps             [numGaps]uint32
}

// Counts of lane id.
func (m *Model) Counts(id ID) Counts {
	l := &m.lanes[id]
	c := Counts{Transit: l.transit.n, Outcome: l.outcome.n}
	for i := range l.gaps {
		c.Gaps[i] = l.gaps[i].n
	}
	return c
}

// TransitQuantiles is the lane's own (not a coarser lane's) p50 and p90 of
// transit days, for reports; false while it has no data.
func (m *Model) TransitQuantiles(id ID) (p50, p90 float64, ok bool) {
	sk := &m.lanes[id].transit
	if sk.n == 0 {
		return 0, 0, false
	}
	v, err := sk.s.GetValuesAtQuantiles([]float64{0.5, 0.9})
	if err != nil {
		return 0, 0, false
	}
	return v[0], v[1], true
}

// Each calls fn for every lane, in key order, for reports.
func (m *Model) Each(fn func(id ID, k Key)) {
	ids := make([]ID, 0, m.Len())
	for i := 1; i < len(m.lanes); i++ {
		ids = append(ids, ID(i))
	}
	sort.Slice(ids, func(a, b int) bool { return m.lanes[ids[a]].key.String() < m.lanes[ids[b]].key.String() })
	for _, id := range ids {
		fn(id, m.lanes[id].key)
	}
}

// NumGaps is the number of movement-gap sketches a lane keeps (GapMilestones).
const NumGaps = int(numGaps)

// Learner is what the lanes learn from: the model itself, or (in `wismo
// run`) the detect stage's writer of the lane-observations topic, whose lane
// stage feeds one model for every instance.
type Learner interface {
	ObserveGap(id ID, g Gap, seconds int64)
	ObserveTransit(id ID, days int)
	ObserveLastMile(id ID, days int)
	ObserveOutcome(id ID, seconds int64)
}

// Kind is what an Observation measured.
type Kind uint8

const (
	KindGap      Kind = iota // a movement gap of milestone Gap, seconds
	KindTransit              // a delivered leg's transit, (business) days
	KindLastMile             // delivery facility to delivery round, (business) days
	KindOutcome              // out for delivery to its outcome, seconds
	numKinds
)

var kindNames = [numKinds]string{"gap", "transit", "last_mile", "outcome"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// KindOf is the kind named s, or false.
func KindOf(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// LevelOf is the level named s, or false.
func LevelOf(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Observation is one thing a lane learned: the record of the
// lane-observations topic.
type Observation struct {
	Key   Key
	Kind  Kind
	Gap   Gap // of KindGap
	Value int64
}

// Check says what is wrong with an observation from outside.
func (o *Observation) Check() error {
	switch {
	case o.Kind >= numKinds:
		return fmt.Errorf("lanes: observation kind %d unknown", o.Kind)
	case o.Gap >= numGaps:
		return fmt.Errorf("lanes: observation gap %d unknown", o.Gap)
	case o.Key.Level >= numLevels:
		return fmt.Errorf("lanes: observation level %d unknown", o.Key.Level)
	case o.Value < 0:
		return fmt.Errorf("lanes: observation value %d is negative", o.Value)
	case o.Key.Carrier == "":
		return fmt.Errorf("lanes: observation has no carrier")
	}
	return nil
}

// Learn adds o to lane id (see LookupKey) and its coarser lanes.
func (m *Model) Learn(id ID, o *Observation) {
	switch o.Kind {
	case KindGap:
		m.ObserveGap(id, o.Gap, o.Value)
	case KindTransit:
		m.ObserveTransit(id, int(min(o.Value, math.MaxInt32)))
	case KindLastMile:
		m.ObserveLastMile(id, int(min(o.Value, math.MaxInt32)))
	case KindOutcome:
		m.ObserveOutcome(id, o.Value)
	}
}

// LookupKey is lane k (of any level) as Lookup finds it: the lane itself,
// or the coarser one that stands for it.
func (m *Model) LookupKey(k Key) ID { return m.lookup(k) }

// Find is lane k when the model keeps it, without making it.
func (m *Model) Find(k Key) (ID, bool) {
	id, ok := m.ids[k]
	return id, ok
}

// Bin is one bin of a sketch: its index on the model's mapping and count.
type Bin struct {
	Index int32
	Count float64
}

// SketchState is one sketch's learned data.
type SketchState struct {
	N, Seen uint32
	Bins    []Bin
}

// State is what a lane has learned, whole: the lanes topic carries it, so a
// restarted lane stage rebuilds the sketches (not only their quantiles),
// and the lane stage keeps it to undo an aborted batch.
type State struct {
	Transit, Outcome, LastMile SketchState
	Gaps                       [NumGaps]SketchState
}

func sketchState(sk *sketch) SketchState {
	st := SketchState{N: sk.n, Seen: sk.seen}
	if sk.s != nil {
		sk.s.GetPositiveValueStore().ForEach(func(i int, c float64) bool {
			st.Bins = append(st.Bins, Bin{Index: int32(i), Count: c})
			return false
		})
	}
	return st
}

// State is lane id's learned data.
func (m *Model) State(id ID) State {
	l := &m.lanes[id]
	st := State{Transit: sketchState(&l.transit), Outcome: sketchState(&l.outcome), LastMile: sketchState(&l.lastMile)}
	for g := range l.gaps {
		st.Gaps[g] = sketchState(&l.gaps[g])
	}
	return st
}

func (m *Model) setSketch(sk *sketch, st *SketchState, mp mapping.IndexMapping, bins int) {
	sk.n, sk.seen, sk.s = st.N, st.Seen, nil
	if len(st.Bins) == 0 {
		return
	}
	sk.s = newSketch(mp, bins)
	for _, b := range st.Bins {
		if b.Count > 0 {
			sk.s.GetPositiveValueStore().AddWithCount(int(b.Index), b.Count)
		}
	}
}

// SetState replaces what lane id has learned (the lane's own sketches, not
// its coarser lanes'), as read from the lanes topic or kept to undo a batch.
func (m *Model) SetState(id ID, st *State) {
	l := &m.lanes[id]
	m.setSketch(&l.transit, &st.Transit, m.transitMap, transitBins)
	m.setSketch(&l.outcome, &st.Outcome, m.gapMap, m.cfg.MaxBins)
	m.setSketch(&l.lastMile, &st.LastMile, m.transitMap, transitBins)
	for g := range l.gaps {
		m.setSketch(&l.gaps[g], &st.Gaps[g], m.gapMap, m.cfg.MaxBins)
	}
	l.gapQ, l.outcomeQ, l.lastMileQ, l.pred, l.predAt = [numGaps]cachedQuantile{}, cachedQuantile{}, cachedQuantile{}, nil, 0
}

// Truncate forgets the lanes made after the model had n (undoing an aborted
// batch's new lanes).
func (m *Model) Truncate(n int) {
	for len(m.lanes)-1 > n {
		delete(m.ids, m.lanes[len(m.lanes)-1].key)
		m.lanes[len(m.lanes)-1] = lane{}
		m.lanes = m.lanes[:len(m.lanes)-1]
	}
}

// Parent is the coarser lane id learns into (0: none).
func (m *Model) Parent(id ID) ID { return m.lanes[id].parent }

// Summary is a lane's own quantiles, for the lanes topic's readers that want
// numbers rather than sketches: transit p10/p50/p90 in (business) days, per
// milestone the stall threshold in seconds, and the p90 of out for delivery
// to outcome in seconds; -1 where the lane has no data.
type Summary struct {
	TransitP10, TransitP50, TransitP90 float64
	StallAfter                         [NumGaps]float64
	OutcomeP90                         float64
}

func ownQuantile(sk *sketch, q, factor float64) float64 {
	if sk.s == nil || sk.n == 0 {
		return -1
	}
	v, err := sk.s.GetValueAtQuantile(q)
	if err != nil {
		return -1
	}
	return math.Round(v * factor)
}

// Summary of lane id.
func (m *Model) Summary(id ID) Summary {
	l := &m.lanes[id]
	s := Summary{TransitP10: ownQuantile(&l.transit, 0.1, 1), TransitP50: ownQuantile(&l.transit, 0.5, 1),
		TransitP90: ownQuantile(&l.transit, 0.9, 1), OutcomeP90: ownQuantile(&l.outcome, 0.9, 1)}
	for g := range l.gaps {
		s.StallAfter[g] = ownQuantile(&l.gaps[g], m.cfg.StallQuantile, m.cfg.StallFactor)
	}
	return s
}

// Own is lane k alone, made while there is room (0 when the model is
// full): no coarser lane is made or learned into. The lane stage keeps
// lanes this way, one instance per partition of the lane-observations
// topic, since the detect stage writes an observation once for every lane
// of its chain, each keyed by its own lane.
func (m *Model) Own(k Key) ID {
	if id, ok := m.ids[k]; ok {
		return id
	}
	if len(m.lanes)-1 >= m.cfg.MaxLanes {
		return 0
	}
	id := ID(len(m.lanes))
	m.lanes = append(m.lanes, lane{key: k})
	m.ids[k] = id
	return id
}
