package easypost

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = New()

func FuzzEasyPost(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"object":"Event","description":"tracker.updated","result":{"tracking_code":"1","carrier":"UPS","tracking_details":[{"datetime":"2024-01-01T00:00:00Z","status":"in_transit","carrier_code":"DP"}]}}`,
		`[{"tracking_code":12345,"tracking_details":[{"datetime":null}]},{"tracking_code":"","tracking_details":[]},null]`,
		`{"trackers":[{"tracking_code":"9400100000000000000000","carrier":"USPS","tracking_details":[{"datetime":"2024-02-30T00:00:00Z"}]}]}`,
		`{"error":{"code":null,"message":7}}`,
		`{"result":{"tracking_details":{}}}`,
	)
}

// The tracker in a webhook Event, alone, or in a list is the same
// shipment with the same events; sent again later, the same ids.
func TestShapesAndResend(t *testing.T) {
	event := feedstest.Sample(t, "easypost/tracker-updated-event-fedex-in-transit.json")
	start := strings.Index(string(event), `"result":`) + len(`"result":`)
	tracker := event[start : len(event)-2] // the Event ends with "}}\n"
	if tracker[0] != '{' || tracker[len(tracker)-1] != '}' {
		t.Fatalf("cannot cut the tracker out of the event: %.40q ... %.40q", tracker, tracker[len(tracker)-40:])
	}
	feedstest.Same(t, n, event, tracker)
	feedstest.Same(t, n, tracker, []byte(`{"trackers":[`+string(tracker)+`]}`))
	feedstest.Same(t, n, tracker, []byte(`[`+string(event)+`]`))
	feedstest.Resent(t, n, event)
	feedstest.Resent(t, n, feedstest.Sample(t, "easypost/tracker-sandbox-EZ7-unknown.json"))
	feedstest.Resent(t, n, feedstest.Sample(t, "easypost/synthetic-event-tracker-created-ups-no-history.json"))
}

// The shipment is the parcel: an EasyPost tracker names its carrier's id
// and the tracking number as that carrier's API spells it.
func TestShipmentIsTheParcel(t *testing.T) {
	for name, want := range map[string]string{
		"tracker-updated-event-fedex-in-transit.json":         `"shipment_id":"fedex:1"`,
		"synthetic-event-tracker-created-ups-no-history.json": `"shipment_id":"ups:1Z999AA10123456784"`,
		"tracker-sandbox-usps-delivered-status-detail.json":   `"shipment_id":"usps:9400100208271116404754"`,
		"synthetic-trackers-list-ups-weather-and-error.json":  `"shipment_id":"ups:1Z999AA10123456784"`,
		"tracker-sandbox-EZ7-unknown.json":                    `"event_type":"pending.tracking_registered"`,
	} {
		for _, e := range feedstest.Events(t, n, feedstest.Sample(t, "easypost/"+name), normalizertest.Now) {
			if !strings.Contains(e, want) || !strings.Contains(e, `"feed":"easypost"`) {
				t.Errorf("%s: want %s and feed easypost: %s", name, want, e)
			}
			if name == "synthetic-trackers-list-ups-weather-and-error.json" {
				break // its second tracker is on USPS
			}
		}
	}
}
