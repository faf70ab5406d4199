package serve

import (
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The CPU and allocations of one request in wismo itself (routing, the
// limits, the token or key check, the summary, JSON or HTML), without the
// lookup's store or the network: the delivered fixture shipment.
func BenchmarkHandler(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.RatePerIP, c.RatePerToken, c.Burst, c.Logger = 1e9, 1e9, 1e9, zap.NewNop() })
	tok, err := h.ring.Sign("ups:1ZDELIVERED", h.now.Add(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, path, auth string }{
		{"api", "/v1/shipments/ups:1ZDELIVERED", "Bearer bot-secret"},
		{"page", "/t/" + tok, ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", c.path, nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", c.path, w.Code, w.Body)
				}
			}
			// CPU time, steadier than ns/op on a shared machine
			b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
