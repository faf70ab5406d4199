package lasership_test

import (
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/lasership"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = lasership.New()

func FuzzLaserShip(f *testing.F) {
	normalizertest.Seeds(f, "lasership/*.json")
	for _, s := range []string{
		`{"Pieces":[{"TrackingNumber":"LX1"}],"Events":[{"DateTime":"2024-02-30T10:00:00","UTCDateTime":"2024-02-30T15:00:00","EventType":"Delivered"}]}`,
		`{"Pieces":[{"TrackingNumber":"LX1"}],"Events":[{"DateTime":"2024-02-03T10:00:00","UTCDateTime":"2024-02-03T10:07:00","State":"ZZ","Country":"US"}]}`,
		`{"Pieces":[],"Events":[]}`,
		`{"Error":true,"ErrorMessage":"Tracking number not found"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// The offset comes from the two stamps of a scan; a scan with one stamp
// takes its place's zone; an EventType the table lacks is placed by its
// wording, one nobody knows is unknown.unmapped with its EventType kept;
// an impossible date rejects that scan alone.
func TestTimesCodesAndWording(t *testing.T) {
	payload := `{"Pieces":[{"TrackingNumber":"1LSX1"}],"Destination":{"State":"IL","Country":"US"},"Events":[
	{"DateTime":"2024-07-01T10:00:00","UTCDateTime":"2024-07-01T15:00:00","EventType":"NewThing","EventShortText":"Delivered to neighbor","State":"IL","Country":"US"},
	{"DateTime":"2024-07-01T08:00:00","EventType":"Brandnew","EventShortText":"Something else","State":"AZ","Country":"US"},
	{"DateTime":"2024-02-30T08:00:00","UTCDateTime":"2024-02-30T13:00:00","EventType":"Delivered","State":"IL","Country":"US"}]}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %d: %v", len(b.Events), len(b.Rejected), b.Rejected)
	}
	got := map[string]event.Event{}
	for _, e := range b.Events {
		got[e.Raw.Code] = e
	}
	if e := got["NewThing"]; e.Type.Name != "delivered.to_neighbor" || e.TZSource != event.TZCarrierOffset || e.LocalOffset != -5*3600 {
		t.Errorf("NewThing: %s %v %d", e.Type.Name, e.TZSource, e.LocalOffset)
	}
	// Arizona keeps standard time in July: -7h, from the place.
	if e := got["Brandnew"]; e.Type.Name != "unknown.unmapped" || e.TZSource != event.TZLocation || e.LocalOffset != -7*3600 {
		t.Errorf("Brandnew: %s %v %d", e.Type.Name, e.TZSource, e.LocalOffset)
	}
}

// An order of several pieces: the record's own number, when it is one of
// them, names the scans.
func TestPieceOfTheRecord(t *testing.T) {
	payload := `{"Pieces":[{"TrackingNumber":"1LSA"},{"TrackingNumber":"1LSB"}],"Events":[
	{"DateTime":"2024-07-01T10:00:00","UTCDateTime":"2024-07-01T15:00:00","EventType":"Arrived","State":"IL","Country":"US"}]}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "1LSB")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || b.Events[0].TrackingNumber != "1LSB" {
		t.Fatalf("events %+v", b.Events)
	}
}
