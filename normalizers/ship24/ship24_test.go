package ship24_test

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/ship24"
	"github.com/wismo/wismo/taxonomy"
)

var n = ship24.New()

func FuzzShip24(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"trackings":[{"tracker":{"trackingNumber":"1","courierCode":["ups"]},"events":[{"statusMilestone":"delivered","occurrenceDatetime":"2024-02-30T10:00:00","utcOffset":"+25:00","location":", ZZ 1"}]},7]}`,
		`{"errors":[{"code":"tracker_not_found","message":"Tracker not found"}],"data":null}`,
		`{"data":{"trackings":[{"tracker":{"trackingNumber":"1"},"shipment":null,"events":[]}]}}`,
		`{"tracker":{"trackingNumber":"1","courierCode":"us-post"},"events":[{"datetime":"2024-10-07T10:46:14.000Z","location":"  ,  "}]}`,
	)
}

// The documented vocabulary (VOCAB.md §5): the 8 milestones and the 3
// status codes seen, each to a type of its milestone.
func TestVocabulary(t *testing.T) {
	feedstest.Check(t, feedstest.Codes(n), feedstest.Vocabulary{Milestones: map[string]string{
		"pending": "pending", "info_received": "info_received", "in_transit": "in_transit", "out_for_delivery": "out_for_delivery",
		"failed_attempt": "attempt_failed", "available_for_pickup": "available_for_pickup", "delivered": "delivered", "exception": "exception",
	}})
	for _, c := range []struct{ milestone, code, want string }{
		{"info_received", "data_order_created", "info_received.label_created"},
		{"out_for_delivery", "delivery_out_for_delivery", "out_for_delivery.out_for_delivery"},
		{"delivered", "delivery_delivered", "delivered.delivered"},
		{"in_transit", "transit_new_code", "in_transit.in_transit"}, // not captured: the milestone's row
	} {
		if m := n.MapCode(c.milestone, c.code, ""); m == nil || m.Type.Name != c.want {
			t.Errorf("%s/%s: %v, want %s", c.milestone, c.code, m, c.want)
		}
	}
	// The wording refines a milestone, never moves a scan out of it.
	if got := n.MapCode("in_transit", "", "Arrived at Hub").Type.Name; got != "in_transit.arrived_at_facility" {
		t.Errorf("wording: %s", got)
	}
	if got := n.MapCode("in_transit", "", "Delivered, front door").Type.Name; got != "in_transit.in_transit" {
		t.Errorf("wording of another milestone: %s", got)
	}
}

const tracking = `{"tracker":{"trackerId":"x","trackingNumber":"9400111202544843610364","courierCode":["us-post"]},
 "shipment":{"statusMilestone":"delivered","originCountryCode":"CN","destinationCountryCode":"US",
  "delivery":{"service":"Parcel Post","signedBy":"JOHN SMITH"},"recipient":{"name":"JOHN SMITH","address":"1 MAIN ST","postCode":"94901"}},
 "events":[
  {"eventId":"a","status":"Delivered, signed by: JOHN SMITH","occurrenceDatetime":"2021-03-04T17:12:57","order":2,"location":"SAN RAFAEL, CA 94901","courierCode":"us-post","statusCode":"delivery_delivered","statusMilestone":"delivered"},
  {"eventId":"b","status":"Dispatched from Office of Exchange","occurrenceDatetime":"2021-03-02T22:23:41","utcOffset":"+08:00","order":1,"location":"Beijing","courierCode":"cn-post","statusCode":null,"statusMilestone":"in_transit"}]}`

// The webhook and the API's results give the same events: the parcel's
// carrier (the tracker's courierCode) names the shipment, no name or street
// reaches an event; a local time without offset takes its place's zone, one
// with utcOffset that offset.
func TestShapesGiveTheSameEvents(t *testing.T) {
	e := feedstest.SameEvents(t, n, 2, map[string]string{
		"webhook": `{"trackings":[` + tracking + `]}`,
		"results": `{"data":{"trackings":[` + tracking + `]}}`,
		"bare":    tracking,
	}).Events
	for _, e := range e {
		line := string(event.AppendJSON(nil, &e))
		if e.ShipmentID() != "usps:9400111202544843610364" || e.Feed != "ship24" || strings.Contains(line, "JOHN") || strings.Contains(line, "MAIN ST") {
			t.Errorf("%s", line)
		}
	}
	if e[0].Type.Name != "in_transit.departed_origin_country" || e[0].TZSource != event.TZCarrierOffset || e[0].LocalOffset != 8*3600 {
		t.Errorf("first event %s %s %d", e[0].Type.Name, e[0].TZSource, e[0].LocalOffset)
	}
	if e[1].TZSource != event.TZLocation || e[1].LocalOffset != -8*3600 || e[1].Location != (event.Location{City: "SAN RAFAEL", Region: "CA", PostalCode: "94901", Country: "US"}) {
		t.Errorf("second event %s %d %+v", e[1].TZSource, e[1].LocalOffset, e[1].Location)
	}
	// Without the tracker's code, the newest event's courier names it; a
	// UTC datetime wins over the local time.
	p := strings.Replace(tracking, `"courierCode":["us-post"]`, `"courierCode":[]`, 1)
	p = strings.Replace(p, `"occurrenceDatetime":"2021-03-04T17:12:57"`, `"datetime":"2021-03-05T01:12:57.000Z","occurrenceDatetime":"2021-03-04T09:00:00"`, 1)
	b := feedstest.MustNormalize(t, n, p)
	if b.Events[1].ShipmentID() != "usps:9400111202544843610364" || b.Events[1].OccurredAt != e[1].OccurredAt {
		t.Errorf("without the tracker's courier: %s at %s", b.Events[1].ShipmentID(), b.Events[1].OccurredAt)
	}
	b = feedstest.MustNormalize(t, n, `{"trackings":[{"tracker":{"trackingNumber":"1Z999AA10123456784","courierCode":["ups"]},"shipment":{"statusMilestone":"pending"},"events":[]}]}`)
	if len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].ShipmentID() != "ups:1Z999AA10123456784" {
		t.Errorf("no events: %+v", b.Events)
	}
}

func TestErrors(t *testing.T) {
	feedstest.CheckRejections(t, n, []feedstest.Rejection{
		{Payload: `{"errors":[{"code":"unauthorized","message":"Invalid API key"}],"data":null}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"trackings":[]}`, Kind: normalizers.KindEmpty},
		{Payload: `{"trackings":{}}`, Kind: normalizers.KindDecode},
		{Payload: `{"data":{"tracker":7}}`, Kind: normalizers.KindValidate},
		{Payload: `{"metadata":{}}`, Kind: normalizers.KindDecode},
		{Payload: `{"trackings":[{"tracker":{"trackingNumber":"1"},"events":[]}]}`, Kind: normalizers.KindNotFound},
		{Payload: `{"trackings":[{"tracker":{"trackingNumber":"1"},"events":[{"statusMilestone":"delivered"}]}]}`, Kind: normalizers.KindValidate},
	})
}

func BenchmarkNormalize(b *testing.B) {
	normalizertest.Bench(b, n, normalizers.JSON, normalizertest.Compact(b, "ship24/*.json"))
}
