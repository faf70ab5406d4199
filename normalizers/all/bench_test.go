package all_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// benchSets are realistic multi-scan payloads per carrier: the real
// captures in testdata, compacted as the carriers' APIs send them.
var benchSets = []struct {
	carrier  string
	format   normalizers.Format
	patterns []string
}{
	{"ups", normalizers.JSON, []string{"ups/track-v1-express-*.json", "ups/track-v1-ground-*.json"}},
}

// BenchmarkNormalize measures decode plus normalization per carrier, the
// hot path of the normalize stage. Target: >= 1,000,000 events/s on one
// core and <= 2 allocs per event (allocs/op divided by events/op).
func BenchmarkNormalize(b *testing.B) {
	for _, s := range benchSets {
		n, err := normalizers.Lookup(s.carrier, s.format)
		if err != nil {
			b.Fatal(err)
		}
		var payloads [][]byte
		for _, p := range s.patterns {
			payloads = append(payloads, normalizertest.Compact(b, p)...)
		}
		b.Run(s.carrier, func(b *testing.B) { normalizertest.Bench(b, n, s.format, payloads) })
	}
}
