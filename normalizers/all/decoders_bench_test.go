package all_test

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// fedexScans is the part of a FedEx Track API response a decoder needs,
// for encoding/json; everything else in the payload is skipped.
type fedexScans struct {
	Output struct {
		CompleteTrackResults []struct {
			TrackResults []struct {
				TrackingNumberInfo struct {
					TrackingNumber string `json:"trackingNumber"`
				} `json:"trackingNumberInfo"`
				ScanEvents []struct {
					Date                 string `json:"date"`
					EventType            string `json:"eventType"`
					EventDescription     string `json:"eventDescription"`
					ExceptionCode        string `json:"exceptionCode"`
					ExceptionDescription string `json:"exceptionDescription"`
					ScanLocation         struct {
						City                string `json:"city"`
						StateOrProvinceCode string `json:"stateOrProvinceCode"`
						PostalCode          string `json:"postalCode"`
						CountryCode         string `json:"countryCode"`
					} `json:"scanLocation"`
					LocationID string `json:"locationId"`
				} `json:"scanEvents"`
			} `json:"trackResults"`
		} `json:"completeTrackResults"`
	} `json:"output"`
}

// BenchmarkDecoders compares JSON decoders on the FedEx captures, decode
// only, to justify the choice of fastjson for the normalizers (see
// BENCHMARKS.md): encoding/json into the smallest useful struct against
// fastjson's tree parse.
func BenchmarkDecoders(b *testing.B) {
	var payloads [][]byte
	for _, p := range []string{"fedex/track-v1-ground-*.json", "fedex/track-v1-priority-*.json"} {
		payloads = append(payloads, normalizertest.Compact(b, p)...)
	}
	size := 0
	for _, p := range payloads {
		size += len(p)
	}
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(size / len(payloads)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var v fedexScans
			if err := json.Unmarshal(payloads[i%len(payloads)], &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fastjson", func(b *testing.B) {
		var p fastjson.Parser
		b.SetBytes(int64(size / len(payloads)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.ParseBytes(payloads[i%len(payloads)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
