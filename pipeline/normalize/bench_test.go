package normalize_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/internal/registrytest"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
)

// BenchmarkProcess is the normalize stage's hot path per raw record,
// encoding and record building included: UPS payloads, every scan sent
// (RememberScans 0), in each encoding.
func BenchmarkProcess(b *testing.B) {
	payloads := normalizertest.Compact(b, "ups/track-v1-*.json")
	reg := registrytest.New(b)
	for _, c := range []struct {
		name string
		o    codec.Options
	}{{"avro", codec.Options{}}, {"confluent", codec.Options{Registry: &codec.Registry{URL: reg.URL}}}, {"json", codec.Options{Encoding: codec.JSON}}} {
		b.Run(c.name, func(b *testing.B) {
			ev, err := codec.NewEventEncoder(b.Context(), "events", c.o)
			if err != nil {
				b.Fatal(err)
			}
			p, err := normalize.New(normalize.Config{Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups"}}, Events: ev,
				Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) }})
			if err != nil {
				b.Fatal(err)
			}
			rec := &kgo.Record{Topic: "raw.ups"}
			var out pipeline.Output
			events := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rec.Value = payloads[i%len(payloads)]
				i++
				out = pipeline.Output{Records: out.Records[:0]}
				p.Process(rec, &out)
				events += len(out.Records)
			}
			b.ReportMetric(float64(events)/float64(i), "records/op")
		})
	}
}
