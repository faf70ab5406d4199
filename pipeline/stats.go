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
	Produced           int64 // output records, not counting dead letters
}

// Stats accumulates Counts per label for committed transactions only:
// counts of an aborted batch are thrown away with the batch.
type Stats struct {
	mu        sync.Mutex
	committed map[string]*Counts
	pending   map[string]*Counts
	txns      int64
	aborts    int64
}

func newStats() *Stats {
	return &Stats{committed: map[string]*Counts{}, pending: map[string]*Counts{}}
}

func (s *Stats) add(label string, in, out, dead, partial, produced int64) {
	c := s.pending[label]
	if c == nil {
		c = &Counts{}
		s.pending[label] = c
	}
	c.In += in
	c.Out += out
	c.Dead += dead
	c.Partial += partial
	c.Produced += produced
}

func (s *Stats) settle(committed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if committed {
		s.txns++
		for k, p := range s.pending {
			c := s.committed[k]
			if c == nil {
				c = &Counts{}
				s.committed[k] = c
			}
			c.In += p.In
			c.Out += p.Out
			c.Dead += p.Dead
			c.Partial += p.Partial
			c.Produced += p.Produced
		}
	} else {
		s.aborts++
	}
	clear(s.pending)
}

// Snapshot returns the committed counts per label, and the totals.
func (s *Stats) Snapshot() (byLabel map[string]Counts, total Counts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byLabel = make(map[string]Counts, len(s.committed))
	for k, c := range s.committed {
		byLabel[k] = *c
		total.In += c.In
		total.Out += c.Out
		total.Dead += c.Dead
		total.Partial += c.Partial
		total.Produced += c.Produced
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
