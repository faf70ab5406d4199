package shippo

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = New()

func FuzzShippo(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"event":"track_updated","data":{"carrier":"usps","tracking_number":"1","tracking_status":{"status":"TRANSIT","status_date":"2024-01-01T00:00:00Z"}}}`,
		`{"results":[{"tracking_number":9205590164917312751089,"tracking_history":[{"status":"DELIVERED","substatus":{"code":null},"status_date":"2024-02-30T00:00:00Z"}]},null]}`,
		`{"tracking_number":"X","tracking_status":null,"tracking_history":null}`,
		`{"data":{"tracking_history":[{"status":{},"status_date":""}]}}`,
	)
}

// A track alone, in a track_updated webhook, in a results page or in an
// array gives the same events; sent again later, the same ids.
func TestShapesAndResend(t *testing.T) {
	track := feedstest.Sample(t, "shippo/track-usps-delivered-real.json")
	webhook := []byte(`{"event":"track_updated","test":false,"data":` + string(track) + `}`)
	feedstest.Same(t, n, track, webhook)
	feedstest.Same(t, n, track, []byte(`{"next":null,"results":[`+string(track)+`]}`))
	feedstest.Same(t, n, track, []byte(`[`+string(webhook)+`]`))
	feedstest.Resent(t, n, webhook)
	feedstest.Resent(t, n, []byte(`{"carrier":"ups","tracking_number":"1z999aa10123456784","tracking_status":{"status":"UNKNOWN","status_date":null},"tracking_history":[]}`))
}

// The summary status is a scan only when the history is empty; a track
// with nothing dated is one pending event for the parcel's carrier.
func TestSummaryAndPending(t *testing.T) {
	summaryOnly := `{"carrier":"fedex","tracking_number":"449044304137821","tracking_status":{"status":"TRANSIT","substatus":{"code":"package_departed"},"status_details":"Departed","status_date":"2024-09-10T08:41:00Z"},"tracking_history":[]}`
	ev := feedstest.Events(t, n, []byte(summaryOnly), normalizertest.Now)
	if len(ev) != 1 || !strings.Contains(ev[0], `"event_type":"in_transit.departed_facility"`) {
		t.Errorf("summary only: %v", ev)
	}
	pending := `{"carrier":"ups","tracking_number":"1z999aa10123456784","tracking_status":{"status":"UNKNOWN","status_date":null},"tracking_history":[]}`
	ev = feedstest.Events(t, n, []byte(pending), normalizertest.Now)
	if len(ev) != 1 || !strings.Contains(ev[0], `"event_type":"pending.tracking_registered"`) || !strings.Contains(ev[0], `"shipment_id":"ups:1Z999AA10123456784"`) {
		t.Errorf("no history: %v", ev)
	}
	// The real capture's summary repeats its last history entry: it is not
	// a scan of its own.
	if ev := feedstest.Events(t, n, feedstest.Sample(t, "shippo/track-usps-delivered-real.json"), normalizertest.Now); len(ev) != 11 {
		t.Errorf("%d events from 11 history entries and a summary", len(ev))
	}
}
