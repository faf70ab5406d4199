package serve

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters are token buckets per key (a client address, a token's hash),
// at most max of them: when full, the buckets idle long enough to be full
// again are dropped, and if that frees nothing, all are (a flood of new
// keys then gets fresh buckets rather than growing memory).
type limiters struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	max   int
	idle  time.Duration
	m     map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiters(perMinute, burst, max int) *limiters {
	every := rate.Limit(float64(perMinute) / 60)
	return &limiters{every: every, burst: burst, max: max, m: map[string]*bucket{},
		idle: time.Duration(float64(burst)/float64(every)*float64(time.Second)) + time.Second}
}

func (ls *limiters) allow(key string, now time.Time) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	b, ok := ls.m[key]
	if !ok {
		if len(ls.m) >= ls.max {
			for k, x := range ls.m {
				if now.Sub(x.seen) > ls.idle {
					delete(ls.m, k)
				}
			}
			if len(ls.m) >= ls.max {
				clear(ls.m)
			}
		}
		b = &bucket{l: rate.NewLimiter(ls.every, ls.burst)}
		ls.m[key] = b
	}
	b.seen = now
	return b.l.AllowN(now, 1)
}
