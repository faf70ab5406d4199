package fedex_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/fedex"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = &fedex.Normalizer{}

func TestGolden(t *testing.T) { normalizertest.Golden(t, n, normalizers.JSON, "fedex/*.json") }

func FuzzFedEx(f *testing.F) {
	normalizertest.Seeds(f, "fedex/*.json")
	f.Add([]byte(`{"errors":[{"code":"TRACKING.TRACKINGNUMBER.INVALID","message":"Invalid tracking number."}]}`))
	f.Add([]byte(payload(result("123456789012", `"latestStatusDetail":{"code":"DL","description":"Delivered"},"dateAndTimes":[{"type":"ACTUAL_DELIVERY","dateTime":"2024-02-17T12:34:26-05:00"}]`))))
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// FuzzFedExScan puts arbitrary values into the fields of a well-formed scan,
// which byte-level mutation of whole payloads seldom reaches.
func FuzzFedExScan(f *testing.F) {
	f.Add("2024-04-25T11:26:00-07:00", "DE", "08", "Delivery exception", "Customer not available or business closed", "IT", "US", "CA")
	f.Add("2024-08-15T00:00:00", "PU", "", "Picked up", "", "PU", "US", "MN")
	f.Add("2024-08-15T18:35:00.123Z", "QQ", "A3", "", "Tendered at FedEx Facility", "IN", "CA", "ON")
	f.Fuzz(func(t *testing.T, date, typ, exc, desc, excDesc, derived, country, region string) {
		ev := map[string]any{
			"date": date, "eventType": typ, "exceptionCode": exc, "eventDescription": desc,
			"exceptionDescription": excDesc, "derivedStatusCode": derived,
			"scanLocation": map[string]any{"city": "X", "countryCode": country, "stateOrProvinceCode": region},
		}
		scanJSON, err := json.Marshal(ev)
		if err != nil {
			t.Skip()
		}
		data := payload(result("123456789012", shipment("123456789012", string(scanJSON), string(scanJSON))))
		normalizertest.FuzzNormalizer(t, n, normalizers.JSON, []byte(data))
	})
}

func TestMapCode(t *testing.T) {
	cases := []struct {
		code, sub, desc, want string
	}{
		// The taxonomy's FedEx examples.
		{"OC", "", "Shipment information sent to FedEx", "info_received.label_created"},
		{"PU", "", "Picked up", "in_transit.picked_up"},
		{"DO", "", "Dropped off", "in_transit.dropped_off"},
		{"AR", "", "Arrived at FedEx hub", "in_transit.arrived_at_facility"},
		{"DP", "", "Departed FedEx hub", "in_transit.departed_facility"},
		{"IT", "", "On the way", "in_transit.in_transit"},
		{"PL", "", "Plane landed", "in_transit.linehaul"},
		{"CP", "", "Clearance in progress", "in_transit.customs_clearance_started"},
		{"CC", "", "International shipment release - Import", "in_transit.customs_cleared"},
		{"OX", "", "Shipment information sent to USPS", "in_transit.handed_to_partner_carrier"},
		{"FD", "", "At FedEx destination facility", "in_transit.arrived_at_delivery_facility"},
		{"RR", "", "Delivery option requested", "in_transit.redirected_by_recipient"},
		{"RM", "", "Delivery option modified", "in_transit.redirected_by_recipient"},
		{"AO", "", "Shipment arriving On-Time", "in_transit.eta_updated"},
		{"OD", "", "On FedEx vehicle for delivery", "out_for_delivery.out_for_delivery"},
		{"HP", "", "Ready for recipient pickup", "available_for_pickup.at_pickup_point"},
		{"HL", "", "Hold at location", "available_for_pickup.at_pickup_point"},
		{"DL", "", "Delivered", "delivered.delivered"},
		{"DE", "08", "Delivery exception: Customer not available or business closed", "attempt_failed.recipient_unavailable"},
		{"DY", "", "Delay", "exception.delayed_carrier_operations"},
		{"DY", "A52", "Delay: Package delayed", "exception.delayed_carrier_operations"},
		{"CD", "", "Clearance delay", "exception.customs_hold"},
		{"RS", "", "Return to shipper", "returned.return_initiated"},

		// The scan location decides between a hub and the delivering station.
		{"AR", "", "At local FedEx facility", "in_transit.arrived_at_delivery_facility"},
		{"AR", "", "At destination sort facility", "in_transit.arrived_at_facility"},

		// Exception codes refine the event type ...
		{"DE", "007", "Delivery exception: Customer not available or business closed", "attempt_failed.recipient_unavailable"},
		{"DE", "A47", "Delivery exception: FedEx redirected your package to a nearby FedEx location", "out_for_delivery.to_pickup_point"},
		{"DE", "03", "Delivery exception: Incorrect address", "exception.address_incorrect"},
		{"DE", "07", "Delivery exception: Delivery was refused by the recipient", "exception.refused"},
		{"DE", "17", "Delivery exception: A request was made to change this delivery date", "in_transit.delivery_rescheduled"},
		{"DE", "083", "Delivery exception: Local delivery restriction, delivery not attempted", "exception.delayed_carrier_operations"},
		{"PU", "A3", "Picked up: Tendered at FedEx Facility", "in_transit.dropped_off"},
		{"AF", "A3", "At local FedEx facility: Tendered at FedEx Facility", "in_transit.dropped_off"},
		{"DL", "014", "Delivered: Left at front door. Signature Service not requested.", "delivered.left_at_safe_place"},
		{"DL", "02", "Delivered: Left at front door. Package delivered to recipient address - release authorized", "delivered.left_at_safe_place"},
		{"DL", "", "Delivered: Receptionist/Front Desk", "delivered.to_agent"},
		{"DL", "", "Delivered: Returned to shipper", "returned.returned_to_sender"},

		// ... and unknown or reused codes go by the wording.
		{"DE", "", "Delivery exception: Incorrect address - Apartment number missing", "exception.address_incorrect"},
		{"DE", "99", "Delivery exception: Local weather delay - Delivery not attempted", "exception.delayed_weather"},
		{"DE", "15", "Delivery exception: Business closed - No delivery attempt", "attempt_failed.business_closed"},
		{"DE", "ZZ", "Delivery exception: Customer not available or business closed", "attempt_failed.recipient_unavailable"},
		{"DE", "", "Delivery exception: Package held at FedEx location", "available_for_pickup.held_after_attempt"},
		{"DE", "", "Delivery exception: Adult signature required", "attempt_failed.id_or_signature_required"},
		{"DE", "", "Delivery exception", "exception.generic"},
		{"SE", "099", "Shipment exception: Unable to deliver", "exception.generic"},
		{"SE", "", "Shipment exception: Barcode label unreadable and replaced", "in_transit.processing_at_facility"},
		{"SE", "", "Shipment exception: Package damaged", "exception.damaged"},
		{"SE", "", "Shipment exception: Unable to deliver shipment, returned to shipper", "returned.undeliverable_returning"},
		{"DY", "", "Delay: Severe weather conditions have delayed delivery", "exception.delayed_weather"},
		{"DY", "", "Delay: Delay beyond our control - natural disaster", "exception.delayed_force_majeure"},
		{"CD", "", "Clearance delay: Import duties/taxes due", "exception.customs_payment_required"},
		{"CD", "", "Clearance delay: Commercial invoice required", "exception.customs_documents_required"},
		{"RS", "", "Return to shipper: Package not claimed", "exception.unclaimed_pickup_expired"},

		// An unknown code is left unmapped unless its wording is clear.
		{"ZZ", "", "Something new", ""},
		{"ZZ", "", "Weather delay", "exception.delayed_weather"},
	}
	for _, c := range cases {
		m := n.MapCode(c.code, c.sub, c.desc)
		got := ""
		if m != nil {
			got = m.Type.Name
		}
		if got != c.want {
			t.Errorf("MapCode(%q, %q, %q) = %q, want %q", c.code, c.sub, c.desc, got, c.want)
		}
	}
}

// payload wraps trackResults, grouped by queried number, in a Track API
// answer.
func payload(complete ...string) string {
	return `{"transactionId":"t","output":{"completeTrackResults":[` + strings.Join(complete, ",") + `]}}`
}

func result(number string, trackResults ...string) string {
	return fmt.Sprintf(`{"trackingNumber":%q,"trackResults":[{%s}]}`, number, strings.Join(trackResults, "},{"))
}

func shipment(number string, scans ...string) string {
	return fmt.Sprintf(`"trackingNumberInfo":{"trackingNumber":%q},"serviceDetail":{"type":"FEDEX_GROUND","description":"FedEx Ground"},"scanEvents":[%s]`,
		number, strings.Join(scans, ","))
}

func scan(date, typ, exc, desc string) string {
	return fmt.Sprintf(`{"date":%q,"eventType":%q,"eventDescription":%q,"exceptionCode":%q,"exceptionDescription":"",`+
		`"scanLocation":{"city":"MEMPHIS","stateOrProvinceCode":"TN","postalCode":"38118","countryCode":"US"},"locationId":"MEMH","derivedStatusCode":"IT"}`,
		date, typ, desc, exc)
}

func run(t *testing.T, p string, hint string) (*normalizers.Batch, error) {
	t.Helper()
	return normalizertest.Normalize(n, normalizers.JSON, []byte(p), hint)
}

func TestDuplicates(t *testing.T) {
	ar := scan("2024-04-24T22:39:00-07:00", "AR", "", "Arrived at FedEx hub")
	dp := scan("2024-04-25T02:15:00-07:00", "DP", "", "Departed FedEx hub")
	// Repeated within a trackResult, and again in a second trackResult and
	// a second completeTrackResult for the same number.
	p := payload(
		result("776094337676", shipment("776094337676", ar, ar, dp), shipment("776094337676", dp)),
		result("776094337676", shipment("776094337676", ar)),
	)
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(b.Events))
	}
	first := b.Events[0].ID

	// The same scan polled again, reworded, is the same event.
	b2, err := run(t, payload(result("776094337676", shipment("776094337676",
		scan("2024-04-24T22:39:00-07:00", "AR", "", "Arrived at FedEx location")))), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b2.Events) != 1 || b2.Events[0].ID != first {
		t.Fatalf("resent scan has id %v, want %v", b2.Events, first)
	}
}

func TestAbsurdTimestamp(t *testing.T) {
	p := payload(result("123456789012", shipment("123456789012",
		scan("1999-12-31T10:00:00-05:00", "PU", "", "Picked up"),
		scan("2099-01-01T10:00:00-05:00", "DL", "", "Delivered"),
		scan("not a date", "AR", "", "Arrived at FedEx location"),
		scan("2024-02-13T13:41:00-07:00", "DP", "", "Departed FedEx location"),
	)))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || b.Events[0].Raw.Code != "DP" {
		t.Fatalf("got events %+v, want only DP", b.Events)
	}
	if len(b.Rejected) != 3 {
		t.Fatalf("got %d rejections, want 3: %v", len(b.Rejected), b.Rejected)
	}
	for _, r := range b.Rejected {
		if r.Kind != normalizers.KindTimestamp || r.Tracking != "123456789012" {
			t.Errorf("rejection %v, want a timestamp rejection of 123456789012", r)
		}
	}
}

func TestTimes(t *testing.T) {
	p := payload(result("123456789012", shipment("123456789012",
		scan("2024-08-15T00:00:00", "PU", "", "Picked up"),
		scan("2024-08-15T18:35:00Z", "AR", "", "Arrived at FedEx location"),
		scan("2024-08-15T19:29:25.5-05:00", "DP", "", "Left FedEx origin facility"),
	)))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		utc    string
		offset int32
		src    event.TZSource
	}{
		{"2024-08-15T05:00:00Z", -5 * 3600, event.TZLocation}, // Memphis in August: CDT
		{"2024-08-15T18:35:00Z", -5 * 3600, event.TZLocation},
		{"2024-08-16T00:29:25Z", -5 * 3600, event.TZCarrierOffset},
	}
	if len(b.Events) != len(want) {
		t.Fatalf("got %d events", len(b.Events))
	}
	for i, w := range want {
		e := b.Events[i]
		if got := e.OccurredAt.Truncate(time.Second).Format(time.RFC3339); got != w.utc || e.LocalOffset != w.offset || e.TZSource != w.src {
			t.Errorf("event %d: %s %d %v, want %s %d %v", i, got, e.LocalOffset, e.TZSource, w.utc, w.offset, w.src)
		}
	}
}

func TestDerivedStatusFallback(t *testing.T) {
	p := payload(result("123456789012", shipment("123456789012",
		// An eventType the table does not know, with FedEx's derived status.
		`{"date":"2024-02-15T10:51:13-06:00","eventType":"QQ","eventDescription":"Something new","derivedStatusCode":"IT"}`,
		// Unknown everywhere: kept as unknown.unmapped with its raw code.
		`{"date":"2024-02-15T11:51:13-06:00","eventType":"QR","eventDescription":"Something else","derivedStatusCode":"Q9"}`,
		// A known eventType is not overridden by the derived status.
		`{"date":"2024-02-15T12:51:13-06:00","eventType":"AO","eventDescription":"Shipment arriving On-Time","derivedStatusCode":"IT"}`,
	)))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"in_transit.in_transit", "unknown.unmapped", "in_transit.eta_updated"}
	for i, e := range b.Events {
		if e.Type.Name != want[i] {
			t.Errorf("event %d (%s): %s, want %s", i, e.Raw.Code, e.Type.Name, want[i])
		}
	}
	if b.Events[1].Raw.Code != "QR" {
		t.Errorf("unmapped event lost its raw code: %+v", b.Events[1].Raw)
	}
}

func TestShipmentFields(t *testing.T) {
	p := payload(result("123456789012", `"trackingNumberInfo":{"trackingNumber":"123456789012"},`+
		`"serviceDetail":{"type":"PRIORITY_OVERNIGHT","description":"FedEx Priority Overnight"},`+
		`"shipperInformation":{"address":{"residential":false}},`+
		`"originLocation":{"locationContactAndAddress":{"address":{"city":"COSTA MESA","stateOrProvinceCode":"CA","countryCode":"US"}}},`+
		`"recipientInformation":{"address":{"city":"Fresno","stateOrProvinceCode":"CA","countryCode":"US"}},`+
		`"lastUpdatedDestinationAddress":{"city":"CLOVIS","stateOrProvinceCode":"CA","countryCode":"US"},`+
		`"estimatedDeliveryTimeWindow":{"window":{}},`+
		`"dateAndTimes":[{"type":"ACTUAL_PICKUP","dateTime":"2024-04-24T16:05:00-07:00"},{"type":"ESTIMATED_DELIVERY","dateTime":"2024-04-26T00:00:00-06:00"}],`+
		`"standardTransitTimeWindow":{"window":{"ends":"2024-04-25T10:30:00-07:00"}},`+
		`"scanEvents":[`+scan("2024-04-24T16:05:00-07:00", "PU", "", "Picked up")+`]`))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	e := b.Events[0]
	if e.Service != "priority_overnight" || e.EstimatedDelivery != "2024-04-26" ||
		e.Origin.City != "COSTA MESA" || e.Destination.City != "CLOVIS" || e.Location.Facility != "MEMH" {
		t.Errorf("got service %q, eta %q, origin %+v, destination %+v, location %+v",
			e.Service, e.EstimatedDelivery, e.Origin, e.Destination, e.Location)
	}
}

func TestLatestStatusWithoutScans(t *testing.T) {
	p := payload(result("270872375308", `"trackingNumberInfo":{"trackingNumber":"270872375308"},`+
		`"latestStatusDetail":{"code":"DL","derivedCode":"DL","description":"Delivered","scanLocation":{"city":"Gaffney","stateOrProvinceCode":"SC","countryCode":"US"},`+
		`"ancillaryDetails":[{"reason":"014","reasonDescription":"Left at front door.Signature Service not requested."}]},`+
		`"dateAndTimes":[{"type":"ACTUAL_DELIVERY","dateTime":"2024-02-17T12:34:26-05:00"}]`))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(b.Events))
	}
	e := b.Events[0]
	if e.Type.Name != "delivered.left_at_safe_place" || e.OccurredAt.Format(time.RFC3339) != "2024-02-17T17:34:26Z" || e.Location.City != "Gaffney" {
		t.Errorf("got %s at %s in %+v", e.Type.Name, e.OccurredAt, e.Location)
	}
}

func TestLabelWithoutScans(t *testing.T) {
	p := payload(result("449044304137821", `"trackingNumberInfo":{"trackingNumber":"449044304137821"},`+
		`"latestStatusDetail":{"code":"OC","derivedCode":"IN","statusByLocale":"Label created","description":"Shipment information sent to FedEx"},"scanEvents":[]`))
	b, err := run(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" || b.Events[0].Raw.Code != "OC" {
		t.Fatalf("got %+v, want one pending event", b.Events)
	}
}

func TestErrors(t *testing.T) {
	valid := result("123456789012", shipment("123456789012", scan("2024-02-13T13:41:00-07:00", "PU", "", "Picked up")))
	invalid := `{"trackingNumber":"1Z2050VDDG23324091","trackResults":[{"trackingNumberInfo":{"trackingNumber":"1Z2050VDDG23324091"},` +
		`"error":{"code":"TRACKING.TRACKINGNUMBER.INVALID","message":"Invalid tracking number. Please correct the tracking number format and try again."}}]}`
	notFound := `{"trackingNumber":"39936862321","trackResults":[{"trackingNumberInfo":{"trackingNumber":"39936862321"},` +
		`"error":{"code":"TRACKING.TRACKINGNUMBER.NOTFOUND","message":"Tracking number cannot be found. Please correct the tracking number and try again."}}]}`
	topLevel := func(code, msg string) string {
		return fmt.Sprintf(`{"transactionId":"t","errors":[{"code":%q,"message":%q}]}`, code, msg)
	}
	cases := []struct {
		name, payload, hint string
		kind                normalizers.Kind // "" = accepted
		events              int
		pending             string // tracking number of the pending event
		msg                 string // in the error
	}{
		{"malformed", `{"output":`, "", normalizers.KindDecode, 0, "", "malformed JSON"},
		{"not an object", `[1,2]`, "", normalizers.KindDecode, 0, "", "not an object"},
		{"other shape", `{"trackResponse":{}}`, "", normalizers.KindDecode, 0, "", "no output.completeTrackResults"},
		{"results not an array", `{"output":{"completeTrackResults":{}}}`, "", normalizers.KindDecode, 0, "", "not an array"},
		{"no results", payload(), "", normalizers.KindEmpty, 0, "", ""},
		{"top-level invalid", topLevel("TRACKING.TRACKINGNUMBER.INVALID", "Invalid tracking number."), "", normalizers.KindInvalidTracking, 0, "",
			"FedEx error TRACKING.TRACKINGNUMBER.INVALID: Invalid tracking number."},
		{"top-level not found with hint", topLevel("TRACKING.TRACKINGNUMBER.NOTFOUND", "Tracking number cannot be found."), "794698123456", "", 1, "794698123456", ""},
		{"top-level not found without hint", topLevel("TRACKING.TRACKINGNUMBER.NOTFOUND", "Tracking number cannot be found."), "", normalizers.KindNotFound, 0, "", "no data yet"},
		{"top-level unauthorized", topLevel("NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again."), "", normalizers.KindCarrierError, 0, "", "NOT.AUTHORIZED.ERROR"},
		{"top-level error beside empty results", `{"output":{"completeTrackResults":[]},"errors":[{"code":"TRACKING.TRACKINGNUMBER.EMPTY","message":"Please provide tracking number."}]}`, "",
			normalizers.KindInvalidTracking, 0, "", "Please provide tracking number."},
		{"top-level bad request", topLevel("BAD.REQUEST.ERROR", "The given JWT is invalid."), "", normalizers.KindCarrierError, 0, "", "BAD.REQUEST.ERROR"},
		{"result not found", payload(notFound), "", "", 1, "39936862321", ""},
		{"result invalid alone", payload(invalid), "", normalizers.KindInvalidTracking, 0, "", "1Z2050VDDG23324091"},
		{"result invalid beside valid ones", payload(invalid, valid, notFound), "", "", 2, "39936862321", ""},
		{"result other error alone", payload(`{"trackingNumber":"123","trackResults":[{"error":{"code":"SYSTEM.UNAVAILABLE.EXCEPTION","message":"down"}}]}`), "",
			normalizers.KindCarrierError, 0, "", "SYSTEM.UNAVAILABLE.EXCEPTION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := run(t, c.payload, c.hint)
			// A result's own error rejects that result only: it is in
			// b.Rejected while the payload's other results still count.
			if err == nil && len(b.Rejected) > 0 && c.kind != "" {
				err = b.Rejected[0]
			}
			if c.name == "result invalid beside valid ones" && (len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindInvalidTracking) {
				t.Errorf("rejections %v, want the invalid number's", b.Rejected)
			}
			if c.kind == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else if normalizers.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.msg) {
				t.Fatalf("error %v, want kind %s containing %q", err, c.kind, c.msg)
			}
			if len(b.Events) != c.events {
				t.Fatalf("got %d events, want %d", len(b.Events), c.events)
			}
			if c.pending != "" {
				found := false
				for _, e := range b.Events {
					if e.Type.Name == "pending.tracking_registered" && e.TrackingNumber == c.pending {
						found = true
					}
				}
				if !found {
					t.Errorf("no pending event for %s in %+v", c.pending, b.Events)
				}
			}
		})
	}
}
