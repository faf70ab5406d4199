package trackingmore_test

import (
	"maps"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/trackingmore"
	"github.com/wismo/wismo/taxonomy"
)

var n = trackingmore.New()

func FuzzTrackingMore(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"meta":{"code":200},"data":[{"tracking_number":"1","courier_code":"usps","origin_info":{"trackinfo":[{"checkpoint_date":"2024-02-30T10:00:00","checkpoint_delivery_status":"pickup"}]}},7]}`,
		`{"meta":{"code":401,"message":"Unauthorized"}}`,
		`{"tracking_number":"1","courier_code":"","destination_info":{"trackinfo":[null]}}`,
	)
}

// The documented vocabulary (VOCAB.md §6): 8 statuses and 19 sub-statuses,
// and the partly documented ones (pickup003, exception001), each map to a
// type of the right milestone.
func TestVocabulary(t *testing.T) {
	status := map[string]string{
		"pending": "pending", "notfound": "pending", "transit": "in_transit", "pickup": "out_for_delivery",
		"delivered": "delivered", "undelivered": "attempt_failed", "exception": "exception", "expired": "exception",
	}
	sub := map[string][2]string{
		"notfound001": {"notfound", "info_received"}, "notfound002": {"notfound", "pending"},
		"transit001": {"transit", "in_transit"}, "transit002": {"transit", "in_transit"}, "transit003": {"transit", "in_transit"},
		"transit004": {"transit", "in_transit"}, "transit005": {"transit", "in_transit"},
		"delivered001": {"delivered", "delivered"}, "delivered002": {"delivered", "delivered"},
		"delivered003": {"delivered", "delivered"}, "delivered004": {"delivered", "delivered"},
		"exception004": {"exception", "exception"}, "exception005": {"exception", "exception"}, "exception006": {"exception", "exception"},
		"exception007": {"exception", "exception"}, "exception008": {"exception", "exception"}, "exception009": {"exception", "exception"},
		"exception010": {"exception", "returned"}, "exception011": {"exception", "returned"},
	}
	if len(status) != 8 || len(sub) != 19 {
		t.Fatalf("enumerated %d statuses and %d sub-statuses; VOCAB.md has 8 and 19", len(status), len(sub))
	}
	milestones := map[string]string{
		"pickup/pickup003": "out_for_delivery", "exception/exception001": "exception", "undelivered/undelivered001": "attempt_failed",
	}
	maps.Copy(milestones, status)
	for c, w := range sub {
		milestones[w[0]+"/"+c] = w[1]
	}
	feedstest.Check(t, feedstest.Codes(n), feedstest.Vocabulary{Milestones: milestones})
}

const tracking = `{"tracking_number":"rr050349575ph","courier_code":"PHLPost","delivery_status":"delivered","substatus":"delivered001",
 "customer_name":"JOHN SMITH","origin_country":"PH","destination_country":"US",
 "origin_info":{"trackinfo":[{"checkpoint_date":"2015-10-30T18:00:00","tracking_detail":"Picked up","location":"Manila PH","city":"Manila","country_iso2":"PH","checkpoint_delivery_status":"transit","checkpoint_delivery_substatus":"transit001"}]},
 "destination_info":{"trackinfo":[{"checkpoint_date":"2015-11-02T17:11:00-08:00","tracking_detail":"Delivered, signed by: JOHN SMITH","city":"RENTON","state":"WA","country_iso2":"US","checkpoint_delivery_status":"delivered","checkpoint_delivery_substatus":"delivered003"}]}}`

// A tracking, a list of them and a bare tracking give the same events; the
// shipment is the parcel's carrier's, and the signer's name stays out.
func TestShapesGiveTheSameEvents(t *testing.T) {
	e := feedstest.SameEvents(t, n, 2, map[string]string{
		"get":  `{"meta":{"code":200,"type":"Success","message":"Success"},"data":` + tracking + `}`,
		"list": `{"meta":{"code":200},"data":[` + tracking + `]}`,
		"bare": tracking,
	}).Events
	if e[0].ShipmentID() != "phlpost:RR050349575PH" || e[0].Feed != "trackingmore" || e[0].TZSource != event.TZLocation {
		t.Errorf("first event %s %q %s", e[0].ShipmentID(), e[0].Feed, e[0].TZSource)
	}
	if e[1].Type.Name != "delivered.signed" || e[1].TZSource != event.TZCarrierOffset || e[1].Raw.Description != "Delivered, signed by: [name withheld]" {
		t.Errorf("second event %s %s %q", e[1].Type.Name, e[1].TZSource, e[1].Raw.Description)
	}
	b := feedstest.MustNormalize(t, n, `{"meta":{"code":200},"data":{"tracking_number":"9400100000000000000000","courier_code":"usps","delivery_status":"notfound","origin_info":{"trackinfo":[]}}}`)
	if len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].ShipmentID() != "usps:9400100000000000000000" {
		t.Errorf("no checkpoints: %+v", b.Events)
	}
}

func TestErrors(t *testing.T) {
	feedstest.CheckRejections(t, n, []feedstest.Rejection{
		{Payload: `{"meta":{"code":401,"type":"Unauthorized","message":"Invalid API key"},"data":[]}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"meta":{"code":200},"data":[]}`, Kind: normalizers.KindEmpty},
		{Payload: `{"meta":{"code":200},"data":"x"}`, Kind: normalizers.KindDecode},
		{Payload: `{"meta":{"code":200}}`, Kind: normalizers.KindDecode},
		{Payload: `{"data":{"tracking_number":"1"}}`, Kind: normalizers.KindValidate},
		{Payload: `{"data":{"tracking_number":1,"courier_code":"usps"}}`, Kind: normalizers.KindValidate},
	})
}

func BenchmarkNormalize(b *testing.B) {
	normalizertest.Bench(b, n, normalizers.JSON, normalizertest.Compact(b, "trackingmore/*.json"))
}
