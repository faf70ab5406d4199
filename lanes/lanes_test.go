package lanes

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

func model(t testing.TB, mod func(*Config)) *Model {
	t.Helper()
	cfg := DefaultConfig
	if mod != nil {
		mod(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	la  = AreaOf("US", "CA", "90210")
	sf  = AreaOf("US", "CA", "94105")
	nyc = AreaOf("US", "NY", "10001")
)

func TestLookupBuildsChainAndReusesIt(t *testing.T) {
	m := model(t, nil)
	id := m.Lookup("ups", "ground", la, nyc)
	if k := m.Key(id); k.Level != Area || k.From.Postal != "902" || k.To.Postal != "100" {
		t.Fatalf("finest lane %v", k)
	}
	levels := []Level{}
	for l := id; l != 0; l = m.lanes[l].parent {
		levels = append(levels, m.Key(l).Level)
	}
	if len(levels) != 4 || levels[3] != Any {
		t.Fatalf("chain levels %v, want area, region, country, any", levels)
	}
	if again := m.Lookup("ups", "ground", AreaOf("US", "CA", "90299"), AreaOf("US", "NY", "10099")); again != id {
		t.Errorf("same postal areas gave lane %d, want %d", again, id)
	}
	// No postal code: the region lane itself, not a copy of it.
	noPostal := m.Lookup("ups", "ground", Place{Country: "US", Region: "CA"}, Place{Country: "US", Region: "NY"})
	if m.Key(noPostal).Level != Region {
		t.Errorf("a route without postal codes got a %v lane", m.Key(noPostal).Level)
	}
	if m.Len() != 4 {
		t.Errorf("%d lanes, want 4", m.Len())
	}
}

func TestThinLaneFallsBackToCoarser(t *testing.T) {
	m := model(t, func(c *Config) { c.MinObservations = 10 })
	busy := m.Lookup("ups", "ground", la, nyc)
	thin := m.Lookup("ups", "ground", sf, nyc) // shares the region lane US/CA -> US/NY
	for i := 0; i < 100; i++ {
		m.ObserveGap(busy, GapInTransit, 3600)
	}
	m.ObserveGap(thin, GapInTransit, 40*3600)
	cut, ok := m.StallAfter(thin, GapInTransit)
	if !ok {
		t.Fatal("thin lane with a busy region lane: no threshold")
	}
	if cut < 3600 || cut > 2*3600 {
		t.Errorf("thin lane's threshold %ds, want its region's ~1.5h", cut)
	}
	if _, ok := m.StallAfter(thin, GapPreTransit); ok {
		t.Error("a milestone no lane has seen has a threshold")
	}
	other := m.Lookup("fedex", "ground", la, nyc)
	if _, ok := m.StallAfter(other, GapInTransit); ok {
		t.Error("another carrier's lane borrowed ups's data")
	}
}

func TestStallAfterIsQuantileTimesFactor(t *testing.T) {
	m := model(t, nil)
	id := m.Lookup("ups", "ground", la, nyc)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		m.ObserveGap(id, GapInTransit, int64(3600+r.IntN(7200))) // uniform 1h..3h
	}
	cut, _ := m.StallAfter(id, GapInTransit)
	want := (3600 + 0.95*7200) * DefaultConfig.StallFactor
	if f := float64(cut) / want; f < 0.96 || f > 1.04 {
		t.Errorf("threshold %ds, want about %.0fs (p95 x %v)", cut, want, DefaultConfig.StallFactor)
	}
}

func TestPredictConditionsOnElapsed(t *testing.T) {
	m := model(t, nil)
	id := m.Lookup("ups", "ground", la, nyc)
	if _, ok := m.Predict(id, 0); ok {
		t.Fatal("an empty lane predicted")
	}
	// 3 days for most, 5 for a fifth, 8 for a twentieth.
	for i := 0; i < 100; i++ {
		d := 3
		switch {
		case i%20 == 0:
			d = 8
		case i%5 == 0:
			d = 5
		}
		m.ObserveTransit(id, d)
	}
	p, ok := m.Predict(id, 0)
	if !ok || p.Likely != 3 || p.Earliest != 3 || p.Latest != 5 {
		t.Errorf("at departure: %+v, want 3/3/5", p)
	}
	if p.Confidence != Medium {
		t.Errorf("area lane with 100 legs (min 30): confidence %v, want medium", p.Confidence)
	}
	p, _ = m.Predict(id, 4) // not there after 4 days: the slow ones
	if p.Earliest != 5 || p.Latest != 8 {
		t.Errorf("after 4 days: %+v, want earliest 5, latest 8", p)
	}
	p, _ = m.Predict(id, 50) // past the table
	if p.Likely != 50 || p.Confidence != Low {
		t.Errorf("after 50 days: %+v", p)
	}
}

func TestMaxLanesBoundsTheModel(t *testing.T) {
	m := model(t, func(c *Config) { c.MaxLanes = 10 })
	var last ID
	for i := 0; i < 100; i++ {
		last = m.Lookup("ups", "ground", la, AreaOf("US", "NY", string(rune('A'+i%26))+string(rune('A'+i/26))+"1"))
	}
	if m.Len() != 10 {
		t.Fatalf("%d lanes, max 10", m.Len())
	}
	if last == 0 || m.Key(last).Level == Area {
		t.Errorf("a lane past the bound got %v, want its coarser lane", m.Key(last))
	}
	m.ObserveTransit(last, 2) // learns, into what exists
}

func TestConfigCheck(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.MaxLanes = 0 },
		func(c *Config) { c.MaxBins = 2 },
		func(c *Config) { c.RelativeAccuracy = 0 },
		func(c *Config) { c.StallQuantile = 1 },
		func(c *Config) { c.StallFactor = 0.5 },
		func(c *Config) { c.MinObservations = 0 },
		func(c *Config) { c.MaxTransitDays = 0 },
	}
	for i, mod := range bad {
		c := DefaultConfig
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

// TestMemoryPer10000Lanes measures the heap of 10,000 lanes (area lanes and
// the coarser lanes they make) that have each learned every kind of sketch from
// spread-out data, so every sketch reaches its bin bound. Run with -v.
func TestMemoryPer10000Lanes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10,000 lanes")
	}
	const n = 10_000
	r := rand.New(rand.NewPCG(3, 4))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	m := model(t, func(c *Config) { c.MaxLanes = 2 * n })
	for i := 0; m.Len() < n; i++ {
		to := AreaOf("US", string(rune('A'+i%50/26))+string(rune('A'+i%26)), string(rune('0'+i/50%10))+string(rune('0'+i/500%10))+string(rune('0'+i/5000%10)))
		id := m.Lookup("ups", "ground", la, to)
		for j := 0; j < 200; j++ {
			m.ObserveGap(id, Gap(j%int(numGaps)), int64(60+r.IntN(300_000)))
			m.ObserveTransit(id, r.IntN(20))
			m.ObserveOutcome(id, int64(60+r.IntN(40_000)))
		}
		m.StallAfter(id, GapInTransit)
		m.Predict(id, 2)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(m.Len())
	t.Logf("%d lanes: %.0f bytes of heap each, %.1f MB per 10,000 lanes", m.Len(), per, per*10_000/1e6)
	// The bound: every gap and outcome sketch at MaxBins float64 bins, the
	// transit sketch at transitBins, plus 2 KB of headers and caches.
	bound := float64(((int(numGaps)+1)*DefaultConfig.MaxBins+transitBins)*8 + 2048)
	if per > bound {
		t.Errorf("%.0f bytes per lane, over the %.0f bytes its bins bound it to", per, bound)
	}
	runtime.KeepAlive(m)
}
