package all_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// BenchmarkNormalize measures decode plus normalization for every
// registered carrier in every format it reads, and every generic feed
// (BenchmarkNormalize/ups, /usps_xml, /generic_avro...), the hot path of
// the normalize stage, over the carrier's samples (Spec.Bench narrows
// them). Target: >= 1,000,000 events/s on one core and <= 2 allocs per
// event (allocs/op divided by events/op); XML has no allocation target.
func BenchmarkNormalize(b *testing.B) {
	for _, src := range normalizers.Sources() {
		n, err := normalizers.Lookup(src.Carrier, src.Format)
		if err != nil {
			b.Fatal(err)
		}
		payloads, hints := samplePayloads(b, src, src.Bench)
		b.Run(src.Name(), func(b *testing.B) { normalizertest.BenchKeyed(b, n, src.Format, payloads, hints) })
	}
}

// The sub-benchmarks keep the names they had before they came from the
// registry, so that benchmark comparisons with older commits match them,
// and the demo binds the raw topics it always did.
func TestSourceNames(t *testing.T) {
	got := map[string]string{}
	for _, src := range normalizers.Sources() {
		got[src.Name()] = src.Topic
	}
	for name, topic := range map[string]string{"ups": "raw.ups", "fedex": "raw.fedex", "usps": "raw.usps", "dhl": "raw.dhl",
		"usps_xml": "raw.usps.webtools", "generic_avro": "raw.scans.avro", "ups_xml": "raw.ups.xml"} {
		if got[name] != topic {
			t.Errorf("source %s: topic %q, want %q (sources: %v)", name, got[name], topic, got)
		}
	}
}
