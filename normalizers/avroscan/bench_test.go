package avroscan_test

import (
	"fmt"
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/schemas"
)

// benchScans is a realistic run of 20 UPS scans over 4 parcels.
func benchScans() []scan {
	steps := []struct{ code, sub, desc string }{
		{"MP", "M", "Shipper created a label, UPS has not received the package yet."},
		{"PU", "P", "Pickup Scan"},
		{"AR", "I", "Arrived at Facility"},
		{"DP", "I", "Departed from Facility"},
		{"FS", "D", "DELIVERED"},
	}
	var out []scan
	for p := 0; p < 4; p++ {
		for i, s := range steps {
			out = append(out, scan{Carrier: "ups", Tracking: fmt.Sprintf("1Z999AA1012345678%d", p), Service: "UPS Ground",
				Code: s.code, Subcode: s.sub, Desc: s.desc, At: fmt.Sprintf("2026-11-%02dT%02d:15:00-05:00", 16+i, 8+p),
				City: "Louisville", Region: "KY", Postal: "40209", Country: "US", ETA: "2026-11-20"})
		}
	}
	return out
}

// BenchmarkNormalize: a container of 20 scans (a file or batch export) and
// single datums (a Kafka record each).
func BenchmarkNormalize(b *testing.B) {
	scans := benchScans()
	var recs []map[string]any
	var datums [][]byte
	for _, s := range scans {
		recs = append(recs, s.native())
		datums = append(datums, datum(b, s))
	}
	for _, c := range []string{"null", "deflate"} {
		p := ocf(b, schemas.Scan, c, recs...)
		b.Run("ocf20-"+c, func(b *testing.B) { normalizertest.Bench(b, generic, normalizers.Avro, [][]byte{p}) })
	}
	b.Run("datum", func(b *testing.B) { normalizertest.Bench(b, generic, normalizers.Avro, datums) })
}
