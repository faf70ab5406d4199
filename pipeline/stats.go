package pipeline

import (
	"sort"
	"sync"
)

// Counts are a stage's record accounting for one label (a carrier). The
// invariant the tests check: In == Out + Dead, where Out counts input
// records that produced output and Dead those that were dead-lettered.
type Counts struct {
	In, Out, Dead, Partial int64
	Produced               int64 // output records, not counting dead letters
}

func (c *Counts) add(o Counts) {
	c.In += o.In
	c.Out += o.Out
	c.Dead += o.Dead
	c.Partial += o.Partial
	c.Produced += o.Produced
}

type kindKey struct{ carrier, kind string }

// Stats accumulates Counts per label for committed transactions only:
// counts of an aborted batch are thrown away with the batch, since its
// records will be counted when they are processed again.
type Stats struct {
	mu        sync.Mutex
	committed map[string]*Counts
	txns      int64
	aborts    int64

	// the batch in progress; only the stage's goroutine touches these
	pending      map[string]*Counts
	pendingDead  map[kindKey]int64
	pendingParts map[kindKey]int64
	// carriers bounds the labels: the detect stage's carrier comes from
	// the events it reads, which any producer to the topic can name.
	carriers *LabelCap
}

func newStats() *Stats {
	return &Stats{committed: map[string]*Counts{}, pending: map[string]*Counts{},
		pendingDead: map[kindKey]int64{}, pendingParts: map[kindKey]int64{},
		carriers: NewLabelCap(MaxCarrierLabels)}
}

func (s *Stats) record(out *Output, produced int64) {
	c := s.pending[out.Carrier]
	if c == nil {
		c = &Counts{}
		s.pending[out.Carrier] = c
	}
	c.In++
	if out.Dead {
		c.Dead++
		s.pendingDead[kindKey{out.Carrier, out.deadKind}]++
	} else {
		c.Out++
	}
	c.Partial += int64(out.Partial)
	c.Produced += produced
	for _, k := range out.partialKinds {
		s.pendingParts[kindKey{out.Carrier, k}]++
	}
}

// settle folds the batch into the committed counts (and metrics), or drops it.
func (s *Stats) settle(committed bool, stage string, m *Metrics) {
	s.mu.Lock()
	if committed {
		s.txns++
		for k, p := range s.pending {
			k = s.carriers.Value(k)
			c := s.committed[k]
			if c == nil {
				c = &Counts{}
				s.committed[k] = c
			}
			c.add(*p)
		}
	} else {
		s.aborts++
	}
	s.mu.Unlock()
	if committed && m != nil {
		for k, p := range s.pending {
			k = s.carriers.Value(k)
			m.In.WithLabelValues(stage, k).Add(float64(p.In))
			m.Out.WithLabelValues(stage, k).Add(float64(p.Out))
			m.Produced.WithLabelValues(stage, k).Add(float64(p.Produced))
		}
		for k, n := range s.pendingDead {
			m.DeadLetter.WithLabelValues(stage, s.carriers.Value(k.carrier), LabelValue(k.kind)).Add(float64(n))
		}
		for k, n := range s.pendingParts {
			m.Partial.WithLabelValues(stage, s.carriers.Value(k.carrier), LabelValue(k.kind)).Add(float64(n))
		}
	}
	clear(s.pending)
	clear(s.pendingDead)
	clear(s.pendingParts)
}

// Snapshot returns the committed counts per label, and the totals.
func (s *Stats) Snapshot() (byLabel map[string]Counts, total Counts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byLabel = make(map[string]Counts, len(s.committed))
	for k, c := range s.committed {
		byLabel[k] = *c
		total.add(*c)
	}
	return byLabel, total
}

// Transactions returns how many batches committed and aborted.
func (s *Stats) Transactions() (committed, aborted int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txns, s.aborts
}

// Labels returns the labels seen, sorted.
func Labels(m map[string]Counts) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
