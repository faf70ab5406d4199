package lanes

import (
	"reflect"
	"testing"
)

// recorder is a Learner that keeps the observations, as the detect stage
// writes them: once for every lane of the chain, keyed by that lane.
type recorder struct {
	m   *Model
	obs []Observation
}

func (r *recorder) add(id ID, k Kind, g Gap, v int64) {
	for ; id != 0; id = r.m.Parent(id) {
		r.obs = append(r.obs, Observation{Key: r.m.Key(id), Kind: k, Gap: g, Value: v})
	}
}
func (r *recorder) ObserveGap(id ID, g Gap, s int64) { r.add(id, KindGap, g, s) }
func (r *recorder) ObserveTransit(id ID, d int)      { r.add(id, KindTransit, 0, int64(d)) }
func (r *recorder) ObserveLastMile(id ID, d int)     { r.add(id, KindLastMile, 0, int64(d)) }
func (r *recorder) ObserveOutcome(id ID, s int64)    { r.add(id, KindOutcome, 0, s) }

// The lanes learned one by one from the chain's observations (the lane
// stage) are the lanes the model learns in one process (backtest), bins,
// counts and sampling counters alike; and a lane's State rebuilds it.
func TestOwnLanesEqualChain(t *testing.T) {
	whole, _ := New(DefaultConfig)
	table, _ := New(DefaultConfig)
	rec := &recorder{m: table}
	from, to := AreaOf("US", "CA", "94107"), AreaOf("US", "NY", "10001")
	feed := func(l Learner, id ID) {
		for i := range 3000 { // past sampleAfter
			l.ObserveGap(id, GapInTransit, int64(3600+(i*7919)%40000))
			if i%10 == 0 {
				l.ObserveTransit(id, 2+i%4)
				l.ObserveOutcome(id, int64(600+i))
				l.ObserveLastMile(id, i%2)
			}
		}
	}
	feed(whole, whole.Lookup("ups", "ground", from, to))
	feed(rec, table.Lookup("ups", "ground", from, to))
	own, _ := New(DefaultConfig)
	for i := range rec.obs {
		own.Learn(own.Own(rec.obs[i].Key), &rec.obs[i])
	}
	if own.Len() != whole.Len() || own.Len() != 4 {
		t.Fatalf("lanes: own %d, whole %d, want 4", own.Len(), whole.Len())
	}
	rebuilt, _ := New(DefaultConfig)
	for id := ID(1); int(id) <= whole.Len(); id++ {
		k := whole.Key(id)
		oid, ok := own.Find(k)
		if !ok {
			t.Fatalf("lane %s not learned", k)
		}
		if !reflect.DeepEqual(own.State(oid), whole.State(id)) {
			t.Errorf("lane %s: learned alone differs from the chain", k)
		}
		st := own.State(oid)
		rid := rebuilt.LookupKey(k)
		rebuilt.SetState(rid, &st)
	}
	id := whole.Lookup("ups", "ground", from, to)
	rid := rebuilt.Lookup("ups", "ground", from, to)
	for g := Gap(0); g < numGaps; g++ {
		a, aok := whole.StallAfter(id, g)
		b, bok := rebuilt.StallAfter(rid, g)
		if a != b || aok != bok {
			t.Errorf("gap %d: stall after %d %v, rebuilt %d %v", g, a, aok, b, bok)
		}
	}
	if a, _ := whole.Predict(id, 1); a != func() Dates { d, _ := rebuilt.Predict(rid, 1); return d }() {
		t.Error("rebuilt model predicts otherwise")
	}
}

// Truncate and SetState undo a batch: the lanes made are gone, the lanes
// changed are as they were.
func TestUndo(t *testing.T) {
	m, _ := New(DefaultConfig)
	a := m.Own(Key{Carrier: "ups", Level: Any})
	m.ObserveGap(a, GapInTransit, 100)
	before, n := m.State(a), m.Len()
	m.ObserveGap(a, GapInTransit, 5000)
	b := m.Own(Key{Carrier: "fedex", Level: Any})
	m.ObserveTransit(b, 3)
	m.SetState(a, &before)
	m.Truncate(n)
	if m.Len() != 1 || !reflect.DeepEqual(m.State(a), before) {
		t.Errorf("after undo: %d lanes, state %+v, want 1 and %+v", m.Len(), m.State(a), before)
	}
	if _, ok := m.Find(Key{Carrier: "fedex", Level: Any}); ok {
		t.Error("a truncated lane is still found")
	}
	if id := m.Own(Key{Carrier: "fedex", Level: Any}); id != 2 {
		t.Errorf("a lane made again gets id %d, want 2", id)
	}
}
