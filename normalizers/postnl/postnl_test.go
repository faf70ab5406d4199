package postnl_test

import (
	"testing"
	"time"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/postnl"
)

var n = postnl.New()

func FuzzPostNL(f *testing.F) {
	normalizertest.Seeds(f, "postnl/*.json")
	for _, s := range []string{
		`{"CompleteStatus":{"Shipment":[{"Barcode":"3S1","Event":{"Code":"X","TimeStamp":"31-02-2021 10:00:00"}}]}}`,
		`{"CurrentStatus":{"Shipment":{"MainBarcode":"3S2","Status":[{"TimeStamp":"2021-03-01T10:00:00","StatusCode":"7"}]}}}`,
		`{"Errors":[{"Code":"13","Description":"Invalid barcode"}]}`,
		`{"fault":{"faultstring":"Invalid ApiKey"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// Codes first, the wording refining them within their milestone, in German
// too; a code and wording nobody knows is unknown.unmapped with the code
// kept; an impossible date rejects its scan alone; times without an offset
// take the Dutch zone of the shipment (summer time from 28 March 2021).
func TestClassifyAndTimes(t *testing.T) {
	payload := `{"CompleteStatus":{"Shipment":{"Barcode":"3sabcd1","Address":[{"AddressType":"01","CountryCode":"NL","City":"Utrecht"},{"AddressType":"02","CountryCode":"NL"}],
	"Event":[
	{"Code":"01B","Description":"Die Sendung wurde beim Nachbarn zugestellt","TimeStamp":"29-03-2021 15:06:53"},
	{"Code":"Z99","Description":"Die Sendung ist in Zustellung","TimeStamp":"29-03-2021 09:00:00"},
	{"Code":"Z98","Description":"Iets nieuws","TimeStamp":"27-03-2021 09:00:00.123"},
	{"Code":"J01","Description":"Zending is gesorteerd","TimeStamp":"30-02-2021 09:00:00"}]}}}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 3 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %v", len(b.Events), b.Rejected)
	}
	want := map[string]struct{ typ, local string }{
		"01B": {"delivered.to_neighbor", "2021-03-29T15:06:53+02:00"},
		"Z99": {"out_for_delivery.out_for_delivery", "2021-03-29T09:00:00+02:00"},
		"Z98": {"unknown.unmapped", "2021-03-27T09:00:00.123+01:00"},
	}
	for _, e := range b.Events {
		w := want[e.Raw.Code]
		local := e.OccurredAt.In(timeZone(e.LocalOffset)).Format("2006-01-02T15:04:05.999Z07:00")
		if e.Type.Name != w.typ || local != w.local || e.TrackingNumber != "3SABCD1" {
			t.Errorf("%s: %s at %s (%s), want %s at %s", e.Raw.Code, e.Type.Name, local, e.TrackingNumber, w.typ, w.local)
		}
	}
}

func timeZone(offset int32) *time.Location { return time.FixedZone("", int(offset)) }
