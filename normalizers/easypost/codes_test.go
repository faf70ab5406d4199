package easypost

import (
	"testing"

	"github.com/wismo/wismo/normalizers/feeds/feedstest"
)

// The whole documented vocabulary (../shared/fixtures/aggregators/VOCAB.md
// section 1: easypost-node TrackerStatus.d.ts and TrackerStatusDetail.d.ts)
// maps: 10 statuses, each with any of the 28 status details.
func TestVocabulary(t *testing.T) {
	subs := map[string]string{}
	for _, d := range []string{
		"address_correction", "arrived_at_destination", "arrived_at_facility", "arrived_at_pickup_location",
		"awaiting_information", "cancelled", "damaged", "delayed", "delivery_exception", "departed_facility",
		"departed_origin_facility", "expired", "failure", "held", "in_transit", "label_created", "lost",
		"missorted", "out_for_delivery", "received_at_destination_facility", "received_at_origin_facility",
		"refused", "return", "status_update", "transferred_to_destination_carrier", "transit_exception",
		"unknown", "weather_delay",
	} {
		subs[d] = ""
	}
	if len(subs) != 28 {
		t.Fatalf("%d status details, want 28", len(subs))
	}
	feedstest.Check(t, feedstest.Statuses(Table), feedstest.Vocabulary{
		Statuses: []string{"unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered",
			"available_for_pickup", "return_to_sender", "failure", "cancelled", "error"},
		Subs:    subs,
		Generic: []string{"status_update", "unknown"},
	})
}
