package australiapost_test

import (
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/australiapost"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = australiapost.New()

func FuzzAustraliaPost(f *testing.F) {
	normalizertest.Seeds(f, "australiapost/*.json")
	for _, s := range []string{
		`{"tracking_results":[{"tracking_id":"A1","trackable_items":[{"article_id":"A1","events":[{"location":"X (Y)","description":"Delivered","date":"2024-02-30T10:00:00+11:00"}]}]}]}`,
		`{"errors":[{"code":51101,"name":"TOO_MANY_AP_TRACKING_IDS","message":"too many"}]}`,
		`{"tracking_results":[{"tracking_id":"A1","trackable_items":[{"consignment_id":"C1","items":[{"events":[{"location":"VIC","date":"2024-01-01T00:00:00"}]}]}]}]}`,
		`{"tracking_results":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// Places of every shape Australia Post writes; a time without an offset
// takes the zone of the Australian state; an unknown description is
// unknown.unmapped with its text kept; an impossible date rejects that
// scan alone.
func TestPlacesTimesAndWording(t *testing.T) {
	payload := `{"tracking_results":[{"tracking_id":"AB123456789AU","trackable_items":[{"article_id":"AB123456789AU","product_type":"Express Post","events":[
	{"location":"PERTH AIRPORT WA 6105","description":"Something we have never seen","date":"2024-07-01T10:00:00"},
	{"location":"AUCKLAND (NZ)","description":"Delivered","date":"2024-07-05T10:00:00+12:00"},
	{"location":"US-60199, UNITED STATES","description":"Arrived at facility","date":"2024-06-30T10:00:00+10:00"},
	{"location":"KEW VIC","description":"Delivered","date":"2024-02-30T10:00:00+11:00"}]}]}]}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 3 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %d: %v", len(b.Events), len(b.Rejected), b.Rejected)
	}
	e := b.Events[1] // Perth
	if e.Location != (event.Location{City: "PERTH AIRPORT", Region: "WA", PostalCode: "6105", Country: "AU"}) ||
		e.TZSource != event.TZLocation || e.LocalOffset != 8*3600 || e.Type.Name != "unknown.unmapped" || e.Raw.Description == "" {
		t.Errorf("Perth: %+v %v %d %s", e.Location, e.TZSource, e.LocalOffset, e.Type.Name)
	}
	if l := b.Events[0].Location; l.PostalCode != "60199" || l.Country != "US" {
		t.Errorf("US: %+v", l)
	}
	if l := b.Events[2].Location; l.City != "AUCKLAND" || l.Country != "NZ" {
		t.Errorf("NZ: %+v", l)
	}
	if e.Service != "express_post" || e.Origin.Country != "AU" {
		t.Errorf("service %q origin %q", e.Service, e.Origin.Country)
	}
}
