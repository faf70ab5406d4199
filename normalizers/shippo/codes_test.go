package shippo

import (
	"testing"

	"github.com/wismo/wismo/normalizers/feeds/feedstest"
)

// The whole documented vocabulary (../shared/fixtures/aggregators/VOCAB.md
// section 2: shippo-javascript-sdk trackingstatusenum.ts and the "Event
// Definitions" substatus codes) maps: 6 statuses, 27 substatus codes under
// their parents, and every code under every status.
func TestVocabulary(t *testing.T) {
	subs := map[string]string{"information_received": "PRE_TRANSIT", "delivered": "DELIVERED",
		"return_to_sender": "RETURNED", "package_unclaimed": "RETURNED",
		"package_undeliverable": "FAILURE", "package_disposed": "FAILURE", "package_lost": "FAILURE",
		"other": "UNKNOWN"}
	for _, s := range []string{"address_issue", "contact_carrier", "delayed", "delivery_attempted",
		"delivery_rescheduled", "delivery_scheduled", "location_inaccessible", "notice_left", "out_for_delivery",
		"package_accepted", "package_arrived", "package_damaged", "package_departed", "package_forwarded",
		"package_held", "package_processed", "package_processing", "pickup_available", "reschedule_delivery"} {
		subs[s] = "TRANSIT"
	}
	if len(subs) != 27 {
		t.Fatalf("%d substatus codes, want 27", len(subs))
	}
	feedstest.Check(t, feedstest.Statuses(Table), feedstest.Vocabulary{
		Statuses: []string{"PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"},
		Subs:     subs,
		// "other" is a carrier status Shippo does not recognise.
		Unmapped: []string{"UNKNOWN/other"},
	})
}
