package aftership_test

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/aftership"
	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/taxonomy"
)

var n = aftership.New()

func FuzzAfterShip(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"event":"tracking_update","msg":{"slug":"ups","tracking_number":"1Z","checkpoints":[{"tag":"Delivered","subtag":"Delivered_003","checkpoint_time":"2024-10-07T10:46:14"}]}}`,
		`{"msg":{"tracking":{"slug":"dhl","tracking_number":"1","checkpoints":[{"checkpoint_time":"2024-10-07T10:46:14+02:00","country_iso3":"DEU","location":"BONN DE"}]}}}`,
		`{"data":{"slug":"usps","tracking_number":"9","checkpoint":{"tag":"InTransit","checkpoint_time":"2024-02-30T10:46:14Z"}}}`,
		`{"meta":{"code":4004,"message":"Tracking does not exist.","type":"NotFound"},"data":{}}`,
		`{"data":{"trackings":[{"slug":"","tracking_number":"1"},{"slug":"fedex","tracking_number":"2","tag":"Pending"},7]}}`,
		`{"tracking_number":"1","slug":"x","checkpoints":[null,{"subtag":"Exception_099"}]}`,
	)
}

// The whole documented vocabulary (VOCAB.md §3): every tag, every subtag
// AfterShip lists, and the ones known only by their numbering, maps to a
// canonical type of the milestone the subtag's meaning belongs to, none to
// unknown.unmapped, none to a type only the pipeline makes.
func TestVocabulary(t *testing.T) {
	milestone := map[string]string{
		// tags (9)
		"Pending": "pending", "InfoReceived": "info_received", "InTransit": "in_transit",
		"OutForDelivery": "out_for_delivery", "AttemptFail": "attempt_failed", "Delivered": "delivered",
		"AvailableForPickup": "available_for_pickup", "Exception": "exception", "Expired": "exception",
		// the 41 classic subtags: 36 with their meaning, Pending_002..006 below
		"Delivered_001": "delivered", "Delivered_002": "delivered", "Delivered_003": "delivered", "Delivered_004": "delivered",
		"AvailableForPickup_001": "available_for_pickup",
		"Exception_001":          "exception", "Exception_002": "exception", "Exception_003": "exception", "Exception_004": "exception",
		"Exception_005": "exception", "Exception_006": "exception", "Exception_007": "exception", "Exception_008": "exception",
		"Exception_009": "exception", "Exception_010": "returned", "Exception_011": "returned", "Exception_012": "exception",
		"Exception_013":   "exception",
		"AttemptFail_001": "attempt_failed", "AttemptFail_002": "attempt_failed", "AttemptFail_003": "attempt_failed",
		"InTransit_001": "in_transit", "InTransit_002": "in_transit", "InTransit_003": "in_transit", "InTransit_004": "in_transit",
		"InTransit_005": "in_transit", "InTransit_006": "in_transit", "InTransit_007": "in_transit", "InTransit_008": "in_transit",
		"InTransit_009":      "in_transit",
		"InfoReceived_001":   "info_received",
		"OutForDelivery_001": "out_for_delivery", "OutForDelivery_003": "out_for_delivery", "OutForDelivery_004": "out_for_delivery",
		"Pending_001": "pending", "Expired_001": "exception",
		// older lists' OutForDelivery_002 ("available for pickup")
		"OutForDelivery_002": "available_for_pickup",
		// later additions (docs 2026-07)
		"Delivered_005": "delivered", "Exception_016": "exception", "Exception_017": "exception", "Exception_018": "exception",
		// classic, without a captured meaning, and known by their numbering
		// only (014, 015): their tag's row
		"Pending_002": "pending", "Pending_003": "pending", "Pending_004": "pending", "Pending_005": "pending", "Pending_006": "pending",
		"Exception_014": "exception", "Exception_015": "exception",
	}
	subtags := 0
	for code := range milestone {
		if strings.Contains(code, "_") {
			subtags++
		}
	}
	feedstest.Check(t, feedstest.Codes(n), feedstest.Vocabulary{Milestones: milestone})
	if subtags != 41+1+4+2 {
		t.Errorf("%d subtags enumerated, want 41 classic, 1 older, 4 newer and 2 by numbering", subtags)
	}
	// Specific subtags keep their meaning (a few that a fallback would blur).
	for code, want := range map[string]string{
		"Delivered_003": "delivered.signed", "Delivered_005": "delivered.to_neighbor", "InTransit_002": "in_transit.picked_up",
		"InTransit_004": "in_transit.arrived_destination_country", "Exception_007": "exception.address_incorrect",
		"Exception_013": "exception.lost", "AttemptFail_003": "attempt_failed.business_closed",
	} {
		if got := n.MapCode(code, "", "").Type.Name; got != want {
			t.Errorf("%s: %s, want %s", code, got, want)
		}
	}
}

const checkpoints = `"checkpoints":[
 {"slug":"ups","tag":"InTransit","subtag":"InTransit_002","message":"Picked up","checkpoint_time":"2024-10-07T10:46:14-04:00","city":"Atlanta","state":"GA","country_iso3":"USA","raw_tag":"PU"},
 {"slug":"ups","tag":"Delivered","subtag":"Delivered_003","message":"Delivered - Signed for by: JOHN SMITH","checkpoint_time":"2024-10-08T12:00:00","location":"SAVANNAH, GA","state":"GA","country_iso3":"USA"}]`

// Every shape AfterShip sends the same tracking in gives the same events:
// the webhook's msg (bare or holding tracking), GET /trackings/:slug/:number,
// the list, and a bare tracking object. The shipment is the parcel's
// carrier's, the feed is AfterShip, and the signer's name never reaches
// the event.
func TestShapesGiveTheSameEvents(t *testing.T) {
	tracking := `{"slug":"ups","tracking_number":"1z999aa10123456784","signed_by":"JOHN SMITH","tag":"Delivered",` + checkpoints + `}`
	shapes := map[string]string{
		"webhook":      `{"event":"tracking_update","event_id":"x","is_tracking_first_tag":false,"msg":` + tracking + `,"ts":1728400000}`,
		"webhook-wrap": `{"event":"tracking_update","msg":{"tracking":` + tracking + `}}`,
		"get":          `{"meta":{"code":200},"data":{"tracking":` + tracking + `}}`,
		"list":         `{"meta":{"code":200},"data":{"page":1,"trackings":[` + tracking + `]}}`,
		"bare":         tracking,
	}
	e := feedstest.SameEvents(t, n, 2, shapes).Events
	for _, e := range e {
		if e.ShipmentID() != "ups:1Z999AA10123456784" || e.Feed != "aftership" || e.CarrierName != "UPS" {
			t.Errorf("shipment %s, feed %q, carrier name %q", e.ShipmentID(), e.Feed, e.CarrierName)
		}
		if strings.Contains(e.Raw.Description, "JOHN") {
			t.Errorf("a name reached the event: %q", e.Raw.Description)
		}
	}
	if e[0].Type.Name != "in_transit.picked_up" || e[0].Raw != (event.Raw{Code: "InTransit_002", Type: "PU", Description: "Picked up"}) {
		t.Errorf("first event: %s %+v", e[0].Type.Name, e[0].Raw)
	}
	// A checkpoint time with an offset is the carrier's; one without takes
	// the zone of its place (Savannah, GA: EDT in October).
	if e[0].TZSource != event.TZCarrierOffset || e[0].OccurredAt.Format("2006-01-02T15:04:05Z07:00") != "2024-10-07T14:46:14Z" {
		t.Errorf("first event at %s (%s)", e[0].OccurredAt, e[0].TZSource)
	}
	if e[1].Type.Name != "delivered.signed" || e[1].TZSource != event.TZLocation || e[1].LocalOffset != -4*3600 ||
		e[1].Location.City != "SAVANNAH" || e[1].Location.Country != "US" {
		t.Errorf("second event: %s, %s offset %d, %+v", e[1].Type.Name, e[1].TZSource, e[1].LocalOffset, e[1].Location)
	}
}

// A tracking without checkpoints is one pending event of the parcel's
// carrier (its summary tag makes no scan); a tracking with checkpoints
// makes none, whatever its tag says.
func TestSummaryNeverMakesAScan(t *testing.T) {
	b := feedstest.MustNormalize(t, n, `{"msg":{"slug":"royal-mail","tracking_number":"AB123456789GB","tag":"Pending","subtag":"Pending_001","checkpoints":[]}}`)
	if len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].ShipmentID() != "royalmail:AB123456789GB" || b.Events[0].Feed != "aftership" {
		t.Fatalf("events %+v", b.Events)
	}
	b = feedstest.MustNormalize(t, n, `{"msg":{"slug":"ups","tracking_number":"1Z","tag":"Delivered",`+checkpoints+`}}`)
	for _, e := range b.Events {
		if e.Type == taxonomy.Pending {
			t.Errorf("a pending event beside the checkpoints")
		}
	}
}

// The v3 API has tags without subtags: the message's wording refines the
// tag within its milestone and never moves a scan out of it; a subtag
// AfterShip adds later is placed by its tag.
func TestTagAloneRefinedByWording(t *testing.T) {
	for _, c := range []struct{ tag, subtag, msg, want string }{
		{"InTransit", "", "ARRIVAL SCAN", "in_transit.arrived_at_facility"},
		{"InTransit", "", "DELIVERED", "in_transit.in_transit"}, // wording of another milestone: the tag stands
		{"Exception", "", "THE STREET NUMBER IS INCORRECT.", "exception.address_incorrect"},
		{"Delivered", "", "Left at front door", "delivered.left_at_safe_place"},
		{"Exception", "Exception_099", "", "exception.generic"},
		{"InTransit", "InTransit_003", "In transit", "in_transit.arrived_at_facility"}, // a known subtag is not re-read
		{"Teleported", "", "", "unknown.unmapped"},
	} {
		p := `{"slug":"ups","tracking_number":"1Z","checkpoints":[{"tag":"` + c.tag + `","subtag":"` + c.subtag + `","message":"` + c.msg + `","checkpoint_time":"2024-10-07T10:46:14Z"}]}`
		b := feedstest.MustNormalize(t, n, p)
		if len(b.Events) != 1 || b.Events[0].Type.Name != c.want {
			t.Errorf("%s/%s %q: %v, want %s", c.tag, c.subtag, c.msg, b.Events, c.want)
		}
	}
}

// AfterShip's error answers and unusable trackings are rejected with the
// kind the dead-letter topic needs; one unusable tracking in a list does
// not reject the others.
func TestErrors(t *testing.T) {
	feedstest.CheckRejections(t, n, []feedstest.Rejection{
		{Payload: `{"meta":{"code":4004,"message":"Tracking does not exist.","type":"NotFound"},"data":{}}`, Kind: normalizers.KindNotFound},
		{Payload: `{"meta":{"code":4005,"message":"The value of tracking_number is invalid.","type":"BadRequest"},"data":{}}`, Kind: normalizers.KindInvalidTracking},
		{Payload: `{"meta":{"code":401,"message":"Invalid API key.","type":"Unauthorized"},"data":{}}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"meta":{"code":200},"data":{"trackings":[]}}`, Kind: normalizers.KindEmpty},
		{Payload: `{"meta":{"code":200},"data":{"tracking":[]}}`, Kind: normalizers.KindDecode},
		{Payload: `{"meta":{"code":200},"data":{"trackings":{}}}`, Kind: normalizers.KindDecode},
		{Payload: `{"meta":{"code":200},"data":{"count":0}}`, Kind: normalizers.KindDecode},
		{Payload: `{"msg":"tracking_update"}`, Kind: normalizers.KindDecode},
		{Payload: `{"msg":{"tracking_number":"1Z","checkpoints":[]}}`, Kind: normalizers.KindValidate},
		{Payload: `{"msg":{"tracking_number":12,"slug":"ups","checkpoints":[]}}`, Kind: normalizers.KindValidate},
	})
	b := feedstest.MustNormalize(t, n, `{"data":{"trackings":[{"tracking_number":"1"},{"slug":"usps","tracking_number":"9400","checkpoints":[7]},{"slug":"usps","tracking_number":"9401"}]}}`)
	// The unusable tracking is rejected on its own, with its reason, not
	// dropped unsaid beside the good one (and the bad checkpoint too).
	if len(b.Events) != 1 || b.Events[0].TrackingNumber != "9401" || len(b.Rejected) != 2 ||
		b.Rejected[0].Kind != normalizers.KindValidate || !strings.Contains(b.Rejected[0].Msg, "tracking 1 names no carrier") {
		t.Errorf("events %v, rejected %v", b.Events, b.Rejected)
	}
}

// GET /last_checkpoint answers one checkpoint beside the tracking's slug
// and number.
func TestLastCheckpoint(t *testing.T) {
	b := feedstest.MustNormalize(t, n, `{"meta":{"code":200},"data":{"id":"x","tracking_number":"123456789012","slug":"fedex","tag":"InTransit","checkpoint":
	{"slug":"fedex","tag":"InTransit","subtag":"InTransit_007","message":"Departed FedEx location","checkpoint_time":"2018-07-24T03:26:00+08:00","location":"GUANGZHOU CN","country_iso3":"CHN"}}}`)
	if len(b.Events) != 1 || b.Events[0].ShipmentID() != "fedex:123456789012" || b.Events[0].Type.Name != "in_transit.departed_facility" ||
		b.Events[0].Location.City != "GUANGZHOU" || b.Events[0].Location.Country != "CN" {
		t.Fatalf("events %+v", b.Events)
	}
}

func BenchmarkNormalize(b *testing.B) {
	normalizertest.Bench(b, n, normalizers.JSON, normalizertest.Compact(b, "aftership/*.json"))
}
