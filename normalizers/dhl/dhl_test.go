package dhl_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/dhl"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = dhl.New()

func FuzzDHL(f *testing.F) {
	normalizertest.Seeds(f, "dhl/*.json")
	for _, s := range []string{
		`{"title":"Too many requests","status":"429"}`,
		`{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}`,
		`{"status":404,"title":"No result found","instance":"/track/shipments?trackingNumber=JJD0099&x=1"}`,
		`{"id":"X1","events":[{"timestamp":"2024-01-02T03:04:05Z","statusDetailed":"DLVRD_NGHBR_ZU","statusCode":"delivered"}]}`,
		`{"shipments":[{"id":12.5e3,"returnFlag":true,"events":[{"timestamp":"2024-01-02T03:04","status":"OK","location":"X, NY-USA"}]}]}`,
		`{"shipments":[{"id":"A","status":{"timestamp":"2024-01-02T03:04:05+01:00","statusCode":"transit"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}
