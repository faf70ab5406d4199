package karrio

import (
	"testing"

	"github.com/wismo/wismo/normalizers/feeds/feedstest"
)

// The whole documented vocabulary (../shared/fixtures/aggregators/VOCAB.md
// section 7: karrio TrackerStatus and TrackingIncidentReason) maps: 12
// statuses, each with any of the 35 incident reasons.
func TestVocabulary(t *testing.T) {
	subs := map[string]string{}
	for _, r := range []string{
		"carrier_damaged_parcel", "carrier_sorting_error", "carrier_address_not_found", "carrier_parcel_lost",
		"carrier_not_enough_time", "carrier_vehicle_issue", "carrier_capacity_exceeded", "carrier_mechanical_delay",
		"retailer_cancelled", "retailer_incorrect_data", "retailer_not_ready", "retailer_incorrect_parcel",
		"retailer_incorrect_dimensions", "retailer_packaging_issue",
		"consignee_refused", "consignee_business_closed", "consignee_not_available", "consignee_not_home",
		"consignee_cancelled", "consignee_verification_failed", "consignee_incorrect_address",
		"consignee_access_restricted", "consignee_safe_place_unavailable",
		"customs_delay", "customs_documentation", "customs_duties_unpaid", "customs_prohibited", "customs_inspection",
		"weather_delay", "natural_disaster", "force_majeure",
		"parcel_being_researched", "security_issue", "regulatory_hold", "unknown",
	} {
		subs[r] = ""
	}
	if len(subs) != 35 {
		t.Fatalf("%d reasons, want 35", len(subs))
	}
	feedstest.Check(t, feedstest.Statuses(Table), feedstest.Vocabulary{
		Statuses: []string{"pending", "picked_up", "unknown", "on_hold", "cancelled", "delivered", "in_transit",
			"delivery_delayed", "out_for_delivery", "ready_for_pickup", "delivery_failed", "return_to_sender"},
		Subs:    subs,
		Generic: []string{"unknown"},
		// unknown: karrio could not map the carrier's status either.
		Unmapped: []string{"unknown"},
	})
}
