package all_test

import (
	"os"
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
	{"fedex", normalizers.JSON, []string{"fedex/track-v1-ground-*.json", "fedex/track-v1-priority-*.json"}},
	{"usps", normalizers.JSON, []string{"usps/tracking-v3-*-delivered-*.json"}},
	{"dhl", normalizers.JSON, []string{"dhl/unified-parcel-de-*.json", "dhl/unified-express-*.json"}},
	// XML has no allocation target; measured for reference.
	{"usps", normalizers.XML, []string{"usps/webtools-*.xml"}},
	// Avro payloads are binary: used as they are, not compacted.
	{"generic", normalizers.Avro, []string{"avro/ocf-*.avro"}},
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
			if s.format == normalizers.JSON {
				payloads = append(payloads, normalizertest.Compact(b, p)...)
				continue
			}
			for _, f := range normalizertest.Fixtures(b, p) {
				data, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				payloads = append(payloads, data)
			}
		}
		name := s.carrier // BenchmarkNormalize/ups; other formats get a suffix
		if s.format != normalizers.JSON {
			name += "_" + string(s.format)
		}
		b.Run(name, func(b *testing.B) { normalizertest.Bench(b, n, s.format, payloads) })
	}
}
