package karrio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = New()

func FuzzKarrio(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"type":"tracker_updated","data":{"carrier_name":"ups","tracking_number":"1","events":[{"date":"2024-01-01","time":"12:00 AM","location":",,,,,,,,","code":"DP"}]}}`,
		`{"messages":[],"tracking":{"tracking_number":397538144353,"events":[{"date":"2024-01-01","time":"9:05","location":"A, B, 1, US"}]}}`,
		`{"results":[{"tracking_number":"X","events":[{"timestamp":"2024-02-30T00:00:00Z"}]},7]}`,
		`{"tracking_number":"X","events":[{"date":"2024-01-01","time":"25:61"}],"status":{}}`,
	)
}

// The tracker alone, in the proxy tracking response, in a tracker_updated
// webhook and in a results page gives the same events; sent again later,
// the same ids.
func TestShapesAndResend(t *testing.T) {
	tracker := feedstest.Sample(t, "karrio/tracker-fedex-delivered-doc-example.json")
	webhook := []byte(`{"id":"evt_1","type":"tracker_updated","data":` + string(tracker) + `,"test_mode":false,"pending_webhooks":0}`)
	// The doc examples' two trackers differ only in their karrio id.
	feedstest.Same(t, n, tracker, feedstest.Sample(t, "karrio/proxy-tracking-fedex-delivered-doc-example.json"))
	feedstest.Same(t, n, tracker, webhook)
	feedstest.Same(t, n, tracker, []byte(`{"count":1,"results":[`+string(tracker)+`]}`))
	feedstest.Resent(t, n, webhook)
	feedstest.Resent(t, n, feedstest.Sample(t, "karrio/synthetic-results-colissimo-and-not-yet-tracked.json"))
}

// karrio's one-string locations and its clock formats.
func TestPlaceAndTime(t *testing.T) {
	b := normalizers.NewBatch()
	for in, want := range map[string]event.Location{
		"Logansport, IN, 46947, US": {City: "Logansport", Region: "IN", PostalCode: "46947", Country: "US"},
		"LYON, 69003, FR":           {City: "LYON", PostalCode: "69003", Country: "FR"},
		"ATLANTA, GA, US":           {City: "ATLANTA", Region: "GA", Country: "US"},
		"CUSTOMER":                  {City: "CUSTOMER"},
		"London, SW1A 1AA, GB":      {City: "London", PostalCode: "SW1A 1AA", Country: "GB"},
		"":                          {},
	} {
		var got event.Location
		place([]byte(in), &got, b)
		if got != want {
			t.Errorf("place(%q) = %+v, want %+v", in, got, want)
		}
	}
	for clock, want := range map[string]string{"10:39": "10:39:00", "10:39:05": "10:39:05", "9:05": "09:05:00",
		"1039": "10:39:00", "06:05 PM": "18:05:00", "12:10 AM": "00:10:00", "12:10 PM": "12:10:00", "": "00:00:00"} {
		v := `{"date":"2024-03-14","time":"` + clock + `"}`
		ev := feedstest.Events(t, n, []byte(`{"tracking_number":"1","events":[`+v+`]}`), normalizertest.Now)
		if len(ev) != 1 || !strings.Contains(ev[0], `"occurred_at":"2024-03-14T`+want+`Z"`) {
			t.Errorf("time %q: %v, want %s", clock, ev, want)
		}
	}
}

// One allocation a payload, as every carrier's decoder (plus, once a
// payload, the normalized id and display name of a carrier wismo has no
// name for), not one per entry, per scan or per clock ("06:05 PM" was
// upper-cased into a new slice: 32 allocations for the FedEx tracker).
func TestAllocations(t *testing.T) {
	for name, most := range map[string]float64{
		"synthetic-results-colissimo-and-not-yet-tracked.json": 4,
		"synthetic-webhook-tracker-updated-ups-attempt.json":   1,
		"tracker-fedex-delivered-doc-example.json":             1,
	} {
		if a := feedstest.Allocs(t, n, feedstest.Sample(t, "karrio/"+name)); a > most {
			t.Errorf("%s: %.0f allocations per payload, want at most %.0f", name, a, most)
		}
	}
}

// trim cuts what bytes.TrimSpace cuts: blanks, tabs and line ends, Unicode
// white space, or nothing.
func TestTrim(t *testing.T) {
	for _, s := range []string{"", " ", "  ", "Paris", " Paris ", "\tParis\r\n", "\u00a0Paris\u00a0", " \u2003Paris", "Paris\u0085",
		"é", " Zürich ", "a b", " a\tb ", "\u00a0"} {
		if got, want := string(trim([]byte(s))), string(bytes.TrimSpace([]byte(s))); got != want {
			t.Errorf("trim(%q) = %q, want %q", s, got, want)
		}
	}
}
