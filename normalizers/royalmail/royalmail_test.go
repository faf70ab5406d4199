package royalmail_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/royalmail"
)

var n = royalmail.New()

func FuzzRoyalMail(f *testing.F) {
	normalizertest.Seeds(f, "royalmail/*.json")
	for _, s := range []string{
		`{"mailPieces":[{"mailPieceId":"X1","summary":{"oneDBarcode":"AB123","lastEventCode":"EVKSP","lastEventDateTime":"2024-01-02T03:04:05+00:00"}},{"mailPieceId":"X2","error":{"errorCode":"E1142"}}]}`,
		`{"httpCode":"400","errors":[{"errorCode":"E1141","errorDescription":"bad"}]}`,
		`{"mailPieces":{"mailPieceId":"X1","summary":{"originCountryCode":"ZZZ","destinationCountryCode":"DE"},"estimatedDelivery":{"date":"2024-02-30"},"events":[{"eventCode":"EVXXX","eventName":"Delivered to neighbour","eventDateTime":"2024-02-30T03:04:05Z"}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// A code the table does not list is classified by its English name, and
// one it cannot place is unknown.unmapped with its code kept; an impossible
// date rejects that scan alone.
func TestCodesThenWording(t *testing.T) {
	payload := `{"mailPieces":{"mailPieceId":"X1","summary":{"oneDBarcode":"FQ1GB","originCountryCode":"GBR","destinationCountryCode":"FRA"},
	"estimatedDelivery":{"date":"2024-03-05T00:00:00+00:00"},
	"events":[
	{"eventCode":"EVZZ1","eventName":"Delivered to neighbour","eventDateTime":"2024-03-04T10:00:00+01:00"},
	{"eventCode":"EVZZ2","eventName":"Something new","eventDateTime":"2024-03-03T10:00:00+01:00"},
	{"eventCode":"EVKSP","eventName":"Delivered and Signed","eventDateTime":"2024-02-30T10:00:00+01:00"}]}}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %d: %v", len(b.Events), len(b.Rejected), b.Rejected)
	}
	got := map[string]string{}
	for _, e := range b.Events {
		got[e.Raw.Code] = e.Type.Name
		if e.Origin.Country != "GB" || e.Destination.Country != "FR" || e.EstimatedDelivery != "2024-03-05" {
			t.Errorf("origin %q destination %q edd %q", e.Origin.Country, e.Destination.Country, e.EstimatedDelivery)
		}
	}
	if got["EVZZ1"] != "delivered.to_neighbor" || got["EVZZ2"] != "unknown.unmapped" {
		t.Errorf("types %v", got)
	}
}
