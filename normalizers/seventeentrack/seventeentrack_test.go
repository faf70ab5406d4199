package seventeentrack_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds/feedstest"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/seventeentrack"
	"github.com/wismo/wismo/taxonomy"
)

var n = seventeentrack.New()

func Fuzz17Track(f *testing.F) {
	feedstest.Fuzz(f, n,
		`{"event":"TRACKING_UPDATED","data":{"number":"1Z","carrier":100002,"track_info":{"tracking":{"providers":[{"events":[{"time_utc":"2024-10-07T10:46:14Z","time_iso":"2024-10-07T06:46:14-04:00","sub_status":"Delivered_Other","stage":"Delivered"}]}]}}}}`,
		`{"event":"TRACKING_STOPPED","data":{"number":"1Z","carrier":100002}}`,
		`{"code":0,"data":{"accepted":[],"rejected":[{"number":"X","error":{"code":-18019909,"message":"No tracking information at this time."}}]}}`,
		`{"number":"1","carrier":"21051","track_info":{"latest_status":{"status":"NotFound"},"tracking":{"providers":[{"provider":{"key":21051},"events":[]}]}}}`,
		`{"data":{"number":"1","carrier":0,"track_info":{"tracking":{"providers":[{"provider":{"key":"x"},"events":[null,{"time_iso":"2024-02-30T10:46:14"}]}]}}}}`,
		`{"code":-18010002,"data":"bad token"}`,
	)
}

// The whole documented vocabulary (VOCAB.md §4): 9 main statuses, 30
// sub-statuses (and the "_Damaged" spelling seen in the wild), and the 9
// milestone stages each map to a canonical type of the right milestone,
// none to unknown.unmapped or a pipeline-only type.
func TestVocabulary(t *testing.T) {
	status := map[string]string{
		"NotFound": "pending", "InfoReceived": "info_received", "InTransit": "in_transit", "Expired": "exception",
		"AvailableForPickup": "available_for_pickup", "OutForDelivery": "out_for_delivery",
		"DeliveryFailure": "attempt_failed", "Delivered": "delivered", "Exception": "exception",
	}
	sub := map[string]string{
		"NotFound_Other": "pending", "NotFound_InvalidCode": "pending",
		"InfoReceived":       "info_received",
		"InTransit_PickedUp": "in_transit", "InTransit_Departure": "in_transit", "InTransit_Arrival": "in_transit",
		"InTransit_CustomsProcessing": "in_transit", "InTransit_CustomsReleased": "in_transit",
		"InTransit_CustomsRequiringInformation": "exception", "InTransit_Other": "in_transit",
		"Expired_Other":            "exception",
		"AvailableForPickup_Other": "available_for_pickup",
		"OutForDelivery_Other":     "out_for_delivery",
		"DeliveryFailure_Other":    "attempt_failed", "DeliveryFailure_NoBody": "attempt_failed", "DeliveryFailure_Security": "attempt_failed",
		"DeliveryFailure_Rejected": "exception", "DeliveryFailure_InvalidAddress": "attempt_failed",
		"Delivered_Other": "delivered",
		"Exception_Other": "exception", "Exception_Returning": "returned", "Exception_Returned": "returned",
		"Exception_NoBody": "attempt_failed", "Exception_Security": "exception", "Exception_Damage": "exception",
		"Exception_Rejected": "exception", "Exception_Delayed": "exception", "Exception_Lost": "exception",
		"Exception_Destroyed": "exception", "Exception_Cancel": "exception",
	}
	stage := map[string]string{
		"InfoReceived": "info_received", "PickedUp": "in_transit", "Departure": "in_transit", "Arrival": "in_transit",
		"AvailableForPickup": "available_for_pickup", "OutForDelivery": "out_for_delivery", "Delivered": "delivered",
		"Returning": "returned", "Returned": "returned",
	}
	if len(status) != 9 || len(sub) != 30 || len(stage) != 9 {
		t.Fatalf("enumerated %d statuses, %d sub-statuses, %d stages; VOCAB.md has 9, 30, 9", len(status), len(sub), len(stage))
	}
	milestones := map[string]string{"Exception_Damaged": "exception"}
	for _, m := range []map[string]string{status, sub} {
		maps.Copy(milestones, m)
	}
	for c, want := range stage {
		milestones["/"+c] = want // an event with a stage and no sub_status
	}
	feedstest.Check(t, feedstest.Codes(n), feedstest.Vocabulary{Milestones: milestones})
	// A stage refines a generic sub_status, never a specific one; an
	// unknown sub_status takes its main status.
	for _, c := range []struct{ sub, stage, want string }{
		{"InTransit_Other", "Departure", "in_transit.departed_origin_country"},
		{"InTransit_Other", "Returning", "returned.returning_in_transit"},
		{"InTransit_Other", "", "in_transit.in_transit"},
		{"InTransit_CustomsReleased", "Arrival", "in_transit.customs_cleared"},
		{"InTransit_TransportArrived", "", "in_transit.in_transit"},
		{"InTransit_TransportArrived", "PickedUp", "in_transit.picked_up"},
		{"Exception_Other", "Returned", "returned.returned_to_sender"},
		{"Teleported", "Delivered", "delivered.delivered"},
	} {
		if m := n.MapCode(c.sub, c.stage, ""); m == nil || m.Type.Name != c.want {
			t.Errorf("%s/%s: %v, want %s", c.sub, c.stage, m, c.want)
		}
	}
	if m := n.MapCode("Teleported", "", ""); m != nil {
		t.Errorf("an unknown status with no stage maps to %s", m.Type.Name)
	}
}

const item = `{"number":"1z999aa10123456784","carrier":100002,"param":null,"tag":"order-7",
 "track_info":{"shipping_info":{"shipper_address":{"country":"US"},"recipient_address":{"country":"US","street":"1 MAIN ST"}},
 "latest_status":{"status":"Delivered","sub_status":"Delivered_Other"},
 "tracking":{"providers":[{"provider":{"key":100002,"name":"UPS"},"events":[
  {"time_iso":"2024-10-08T12:00:00-04:00","time_utc":"2024-10-08T16:00:00Z","description":"Delivered, signed by: JOHN SMITH","location":"SAVANNAH, GA","stage":"Delivered","sub_status":"Delivered_Other","address":{"country":"US","state":"GA","city":"SAVANNAH","street":"1 MAIN ST"}},
  {"time_iso":"2024-10-07T10:46:14+09:00","time_utc":"2024-10-07T14:46:14Z","description":"Pickup Scan","location":"ATLANTA, GA","stage":"PickedUp","sub_status":"InTransit_PickedUp","address":{"country":"US","state":"GA","city":"ATLANTA"}},
  {"time_iso":"2024-10-06T09:00:00","description":"Label created","stage":"InfoReceived","sub_status":"InfoReceived"}]}]}}}`

// The push and gettrackinfo carry the same item and give the same events:
// the shipment is the parcel's carrier's, the feed 17TRACK, no name or
// street reaches an event.
func TestShapesGiveTheSameEvents(t *testing.T) {
	shapes := map[string]string{
		"push":         `{"event":"TRACKING_UPDATED","data":` + item + `}`,
		"gettrackinfo": `{"code":0,"data":{"accepted":[` + item + `],"rejected":[]}}`,
		"item":         item,
	}
	e := feedstest.SameEvents(t, n, 3, shapes).Events
	for _, e := range e {
		line := string(event.AppendJSON(nil, &e))
		if e.ShipmentID() != "ups:1Z999AA10123456784" || e.Feed != "17track" || strings.Contains(line, "JOHN") || strings.Contains(line, "MAIN ST") {
			t.Errorf("%s", line)
		}
	}
	// Oldest first: label (time_iso alone, no offset: the origin's zone is
	// the country's, US has several, so UTC is assumed), pickup, delivery.
	types := []string{"info_received.manifest_received", "in_transit.picked_up", "delivered.delivered"}
	for i, w := range types {
		if e[i].Type.Name != w {
			t.Errorf("event %d: %s, want %s", i, e[i].Type.Name, w)
		}
	}
	// time_utc and time_iso agree: the carrier's offset.
	if e[2].OccurredAt != time.Date(2024, 10, 8, 16, 0, 0, 0, time.UTC) || e[2].TZSource != event.TZCarrierOffset || e[2].LocalOffset != -4*3600 {
		t.Errorf("delivery at %s, %s %d", e[2].OccurredAt, e[2].TZSource, e[2].LocalOffset)
	}
	// They disagree (Atlanta is not at +09:00): the UTC stamp wins, the
	// place gives the local time.
	if e[1].OccurredAt != time.Date(2024, 10, 7, 14, 46, 14, 0, time.UTC) || e[1].TZSource != event.TZLocation || e[1].LocalOffset != -4*3600 {
		t.Errorf("pickup at %s, %s %d", e[1].OccurredAt, e[1].TZSource, e[1].LocalOffset)
	}
	if e[2].Raw != (event.Raw{Code: "Delivered_Other", Type: "Delivered", Description: "Delivered, signed by: [name withheld]"}) {
		t.Errorf("raw %+v", e[2].Raw)
	}
}

// An item without events is one pending event of its carrier (the latest
// status makes no scan); the carrier code may be a string, or only the
// provider's.
func TestPending(t *testing.T) {
	for _, p := range []string{
		`{"event":"TRACKING_UPDATED","data":{"number":"9400100000000000000000","carrier":"21051","track_info":{"latest_status":{"status":"NotFound","sub_status":"NotFound_Other"},"tracking":{"providers":[]}}}}`,
		`{"event":"TRACKING_UPDATED","data":{"number":"9400100000000000000000","track_info":{"latest_status":{"status":"NotFound","sub_status":"NotFound_Other"},"tracking":{"providers":[{"provider":{"key":21051},"events":[]}]}}}}`,
	} {
		b := feedstest.MustNormalize(t, n, p)
		if len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].ShipmentID() != "usps:9400100000000000000000" ||
			b.Events[0].Feed != "17track" || b.Events[0].CarrierName != "USPS" {
			t.Errorf("%s: %+v", p, b.Events)
		}
	}
}

// An event without time_iso and time_utc has the carrier's time_raw.
func TestTimeRaw(t *testing.T) {
	for raw, want := range map[string]string{
		`{"date":"2022-05-02","time":"14:34:00","timezone":"-04:00"}`: "2022-05-02T18:34:00Z carrier_offset",
		`{"date":"2022-05-02","time":"14:34","timezone":null}`:        "2022-05-02T21:34:00Z location", // Los Angeles, PDT
		`{"date":"2022-05-02","time":null,"timezone":null}`:           "2022-05-02T07:00:00Z location",
	} {
		b := feedstest.MustNormalize(t, n, `{"number":"RR123456789CN","carrier":3011,"track_info":{"tracking":{"providers":[{"events":[
		 {"time_raw":`+raw+`,"sub_status":"Delivered_Other","address":{"country":"US","state":"CA","city":"LOS ANGELES"}}]}]}}}`)
		if len(b.Events) != 1 {
			t.Fatalf("%s: %d events, rejected %v", raw, len(b.Events), b.Rejected)
		}
		if got := b.Events[0].OccurredAt.Format(time.RFC3339) + " " + b.Events[0].TZSource.String(); got != want {
			t.Errorf("%s: %s, want %s", raw, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	feedstest.CheckRejections(t, n, []feedstest.Rejection{
		{Payload: `{"event":"TRACKING_STOPPED","data":{"number":"1Z","carrier":100002}}`, Kind: normalizers.KindEmpty},
		{Payload: `{"event":"TRACKING_UPDATED","data":{"number":"1Z","carrier":100002,"track_info":null}}`, Kind: normalizers.KindEmpty},
		{Payload: `{"code":0,"data":{"accepted":[],"rejected":[{"number":"X","error":{"code":-18019909,"message":"No tracking information."}}]}}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"code":0,"data":{"accepted":[],"rejected":[]}}`, Kind: normalizers.KindEmpty},
		{Payload: `{"code":-18010002,"data":"bad token"}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"code":401}`, Kind: normalizers.KindCarrierError},
		{Payload: `{"page":{"data_total":0}}`, Kind: normalizers.KindDecode},
		{Payload: `{"data":[1]}`, Kind: normalizers.KindDecode},
		{Payload: `{"data":{"number":"1Z","carrier":100002}}`, Kind: normalizers.KindDecode},
		{Payload: `{"data":{"number":"1Z","track_info":{}}}`, Kind: normalizers.KindValidate},
		{Payload: `{"data":{"number":12,"carrier":100002,"track_info":{}}}`, Kind: normalizers.KindValidate},
	})
}

func BenchmarkNormalize(b *testing.B) {
	normalizertest.Bench(b, n, normalizers.JSON, normalizertest.Compact(b, "17track/*.json"))
}
