package amazon_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/amazon"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = amazon.New()

func FuzzAmazon(f *testing.F) {
	normalizertest.Seeds(f, "amazon/*.json")
	for _, s := range []string{
		`{"payload":{"trackingId":"T1","eventHistory":[{"eventCode":"Lost","eventTime":"2024-02-30T10:00:00Z"},{"eventCode":"New","eventTime":"2024-02-03T10:00:00Z","location":{"countryCode":"DE"}}]}}`,
		`{"errors":[{"code":"InvalidInput","message":"bad"}]}`,
		`{"trackingId":"T2","summary":{"status":"PreTransit"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// An unknown code is unknown.unmapped with the code kept, an impossible
// date rejects its scan alone, and a UTC time takes its place's offset.
func TestUnknownCodeAndZone(t *testing.T) {
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(`{"trackingId":"t1","eventHistory":[
	{"eventCode":"Teleported","eventTime":"2024-01-03T10:00:00Z","location":{"countryCode":"US","stateOrRegion":"NY"}},
	{"eventCode":"Delivered","eventTime":"2024-02-30T10:00:00Z"}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %v", len(b.Events), b.Rejected)
	}
	if e := b.Events[0]; e.Type.Name != "unknown.unmapped" || e.Raw.Code != "Teleported" || e.LocalOffset != -5*3600 || e.TrackingNumber != "T1" {
		t.Errorf("%s %q offset %d %s", e.Type.Name, e.Raw.Code, e.LocalOffset, e.TrackingNumber)
	}
}
