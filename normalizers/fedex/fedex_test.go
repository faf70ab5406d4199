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

var n = fedex.New()

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

// --- FedEx Web Services Track (XML)

func FuzzFedExXML(f *testing.F) {
	normalizertest.Seeds(f, "fedex/*.xml")
	f.Add([]byte(wsV16SOAP))
	f.Add([]byte(wsV9(wsDetailXML("", "123456789013", wsNote("Notification", "ERROR", "6035", "Invalid tracking numbers. Please check the following numbers and resubmit.")))))
	f.Add([]byte(wsV5Error("ERROR", "9040", "No information for the following shipments has been received by our system yet.")))
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
		`<faultcode>soapenv:Server</faultcode><faultstring>Fault</faultstring><detail><desc>validation failure</desc></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.XML, data) })
}

// wsV16SOAP is a v16 reply as FedEx's SOAP endpoint sends it: an Envelope,
// the reply in the default namespace, CompletedTrackDetails, Service and
// DatesOrTimes instead of ServiceType and EstimatedDeliveryTimestamp, and a
// delivery exception (DE 08) after an out-for-delivery scan.
const wsV16SOAP = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
  <SOAP-ENV:Header/>
  <SOAP-ENV:Body>
    <TrackReply xmlns="http://fedex.com/ws/track/v16">
      <HighestSeverity>SUCCESS</HighestSeverity>
      <Notifications>
        <Severity>SUCCESS</Severity>
        <Source>trck</Source>
        <Code>0</Code>
        <Message>Request was successfully processed.</Message>
        <LocalizedMessage>Request was successfully processed.</LocalizedMessage>
      </Notifications>
      <TransactionDetail><CustomerTransactionId>Track By Number_v16</CustomerTransactionId></TransactionDetail>
      <Version><ServiceId>trck</ServiceId><Major>16</Major><Intermediate>0</Intermediate><Minor>0</Minor></Version>
      <CompletedTrackDetails>
        <HighestSeverity>SUCCESS</HighestSeverity>
        <Notifications>
          <Severity>SUCCESS</Severity>
          <Source>trck</Source>
          <Code>0</Code>
          <Message>Request was successfully processed.</Message>
          <LocalizedMessage>Request was successfully processed.</LocalizedMessage>
        </Notifications>
        <DuplicateWaybill>false</DuplicateWaybill>
        <MoreData>false</MoreData>
        <TrackDetailsCount>0</TrackDetailsCount>
        <TrackDetails>
          <Notification>
            <Severity>SUCCESS</Severity>
            <Source>trck</Source>
            <Code>0</Code>
            <Message>Request was successfully processed.</Message>
            <LocalizedMessage>Request was successfully processed.</LocalizedMessage>
          </Notification>
          <TrackingNumber>794887075005</TrackingNumber>
          <TrackingNumberUniqueIdentifier>12021~794887075005~FDEG</TrackingNumberUniqueIdentifier>
          <StatusDetail>
            <CreationTime>2021-04-22T00:00:00</CreationTime>
            <Code>DE</Code>
            <Description>Delivery exception</Description>
            <Location>
              <City>DENVER</City>
              <StateOrProvinceCode>CO</StateOrProvinceCode>
              <CountryCode>US</CountryCode>
              <CountryName>United States</CountryName>
              <Residential>false</Residential>
            </Location>
            <AncillaryDetails>
              <Reason>08</Reason>
              <ReasonDescription>Customer not available or business closed</ReasonDescription>
            </AncillaryDetails>
          </StatusDetail>
          <CarrierCode>FDXE</CarrierCode>
          <OperatingCompanyOrCarrierDescription>FedEx Express</OperatingCompanyOrCarrierDescription>
          <Service>
            <Type>FEDEX_2_DAY</Type>
            <Description>FedEx 2Day</Description>
            <ShortDescription>E2</ShortDescription>
          </Service>
          <PackageWeight><Units>LB</Units><Value>2.0</Value></PackageWeight>
          <Packaging>Your Packaging</Packaging>
          <PackagingType>YOUR_PACKAGING</PackagingType>
          <PhysicalPackagingType>PACKAGE</PhysicalPackagingType>
          <PackageSequenceNumber>1</PackageSequenceNumber>
          <PackageCount>1</PackageCount>
          <ShipperAddress>
            <City>AUSTIN</City>
            <StateOrProvinceCode>TX</StateOrProvinceCode>
            <CountryCode>US</CountryCode>
            <CountryName>United States</CountryName>
            <Residential>false</Residential>
          </ShipperAddress>
          <OriginLocationAddress>
            <City>AUSTIN</City>
            <StateOrProvinceCode>TX</StateOrProvinceCode>
            <CountryCode>US</CountryCode>
            <CountryName>United States</CountryName>
            <Residential>false</Residential>
          </OriginLocationAddress>
          <DatesOrTimes><Type>ACTUAL_PICKUP</Type><DateOrTimestamp>2021-04-20T16:52:00-05:00</DateOrTimestamp></DatesOrTimes>
          <DatesOrTimes><Type>ESTIMATED_DELIVERY</Type><DateOrTimestamp>2021-04-23T00:00:00</DateOrTimestamp></DatesOrTimes>
          <DatesOrTimes><Type>SHIP</Type><DateOrTimestamp>2021-04-20T00:00:00</DateOrTimestamp></DatesOrTimes>
          <DestinationAddress>
            <City>DENVER</City>
            <StateOrProvinceCode>CO</StateOrProvinceCode>
            <CountryCode>US</CountryCode>
            <CountryName>United States</CountryName>
            <Residential>false</Residential>
          </DestinationAddress>
          <DeliveryAttempts>1</DeliveryAttempts>
          <TotalUniqueAddressCountInConsolidation>0</TotalUniqueAddressCountInConsolidation>
          <NotificationEventsAvailable>ON_DELIVERY</NotificationEventsAvailable>
          <DeliveryOptionEligibilityDetails><Option>REDIRECT_TO_HOLD_AT_LOCATION</Option><Eligibility>ELIGIBLE</Eligibility></DeliveryOptionEligibilityDetails>
          <Events>
            <Timestamp>2021-04-22T10:12:00-06:00</Timestamp>
            <EventType>DE</EventType>
            <EventDescription>Delivery exception</EventDescription>
            <StatusExceptionCode>08</StatusExceptionCode>
            <StatusExceptionDescription>Customer not available or business closed</StatusExceptionDescription>
            <Address>
              <City>DENVER</City>
              <StateOrProvinceCode>CO</StateOrProvinceCode>
              <PostalCode>80216</PostalCode>
              <CountryCode>US</CountryCode>
              <CountryName>United States</CountryName>
              <Residential>false</Residential>
            </Address>
            <ArrivalLocation>DELIVERY_LOCATION</ArrivalLocation>
          </Events>
          <Events>
            <Timestamp>2021-04-22T07:58:00-06:00</Timestamp>
            <EventType>OD</EventType>
            <EventDescription>On FedEx vehicle for delivery</EventDescription>
            <Address>
              <City>DENVER</City>
              <StateOrProvinceCode>CO</StateOrProvinceCode>
              <PostalCode>80216</PostalCode>
              <CountryCode>US</CountryCode>
              <Residential>false</Residential>
            </Address>
            <ArrivalLocation>VEHICLE</ArrivalLocation>
          </Events>
          <Events>
            <Timestamp>2021-04-21T22:41:00-05:00</Timestamp>
            <EventType>DP</EventType>
            <EventDescription>Departed FedEx hub</EventDescription>
            <Address>
              <City>MEMPHIS</City>
              <StateOrProvinceCode>TN</StateOrProvinceCode>
              <PostalCode>38118</PostalCode>
              <CountryCode>US</CountryCode>
              <Residential>false</Residential>
            </Address>
            <ArrivalLocation>FEDEX_FACILITY</ArrivalLocation>
          </Events>
          <Events>
            <Timestamp>2021-04-20T16:52:00-05:00</Timestamp>
            <EventType>PU</EventType>
            <EventDescription>Picked up</EventDescription>
            <Address>
              <City>AUSTIN</City>
              <StateOrProvinceCode>TX</StateOrProvinceCode>
              <PostalCode>78758</PostalCode>
              <CountryCode>US</CountryCode>
              <Residential>false</Residential>
            </Address>
            <ArrivalLocation>PICKUP_LOCATION</ArrivalLocation>
          </Events>
          <Events>
            <Timestamp>2021-04-19T09:11:27-05:00</Timestamp>
            <EventType>OC</EventType>
            <EventDescription>Shipment information sent to FedEx</EventDescription>
            <Address>
              <CountryCode>US</CountryCode>
              <Residential>false</Residential>
            </Address>
            <ArrivalLocation>CUSTOMER</ArrivalLocation>
          </Events>
        </TrackDetails>
      </CompletedTrackDetails>
    </TrackReply>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
`

// wsNote is a notification element (Notifications under a reply,
// Notification under a TrackDetails).
func wsNote(elem, severity, code, msg string) string {
	return fmt.Sprintf(`<%[1]s><Severity>%s</Severity><Source>trck</Source><Code>%s</Code><Message>%s</Message><LocalizedMessage>%[4]s</LocalizedMessage></%[1]s>`,
		elem, severity, code, msg)
}

var wsOK = wsNote("Notifications", "SUCCESS", "0", "Request was successfully processed.")

// wsV5Error is a v5 reply that is one error notification.
func wsV5Error(severity, code, msg string) string {
	return `<TrackReply xmlns="http://fedex.com/ws/track/v5"><HighestSeverity>` + severity + `</HighestSeverity>` +
		wsNote("Notifications", severity, code, msg) + `</TrackReply>`
}

// wsV9 is a v9 reply with one CompletedTrackDetails per argument.
func wsV9(completed ...string) string {
	var sb strings.Builder
	sb.WriteString(`<v9:TrackReply xmlns:v9="http://fedex.com/ws/track/v9"><v9:HighestSeverity>SUCCESS</v9:HighestSeverity>` +
		strings.ReplaceAll(strings.ReplaceAll(wsOK, "<", "<v9:"), "<v9:/", "</v9:"))
	for _, c := range completed {
		sb.WriteString(`<v9:CompletedTrackDetails><v9:HighestSeverity>SUCCESS</v9:HighestSeverity>` + c + `</v9:CompletedTrackDetails>`)
	}
	sb.WriteString(`</v9:TrackReply>`)
	return sb.String()
}

// wsDetailXML is a TrackDetails (unprefixed, which a v9:-prefixed reply
// may mix in only when the default namespace is FedEx's; the decoder
// ignores namespaces either way).
func wsDetailXML(events, number, note string) string {
	if note == "" {
		note = wsNote("Notification", "SUCCESS", "0", "Request was successfully processed.")
	}
	num := ""
	if number != "" {
		num = `<TrackingNumber>` + number + `</TrackingNumber>`
	}
	return `<TrackDetails>` + note + num + `<ServiceType>FEDEX_GROUND</ServiceType>` + events + `</TrackDetails>`
}

func wsEventXML(ts, typ, exc, desc, excDesc string) string {
	return `<Events><Timestamp>` + ts + `</Timestamp><EventType>` + typ + `</EventType><EventDescription>` + desc +
		`</EventDescription><StatusExceptionCode>` + exc + `</StatusExceptionCode><StatusExceptionDescription>` + excDesc +
		`</StatusExceptionDescription><Address><City>MEMPHIS</City><StateOrProvinceCode>TN</StateOrProvinceCode>` +
		`<PostalCode>38118</PostalCode><CountryCode>US</CountryCode></Address><ArrivalLocation>FEDEX_FACILITY</ArrivalLocation></Events>`
}

func runXML(t *testing.T, p string, hint string) (*normalizers.Batch, error) {
	t.Helper()
	return normalizertest.Normalize(n, normalizers.XML, []byte(p), hint)
}

func TestXMLSOAPv16(t *testing.T) {
	b, err := runXML(t, wsV16SOAP, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ typ, utc, local, city, facility string }{
		// oldest first, whatever order the reply lists them in
		{"info_received.label_created", "2021-04-19T14:11:27Z", "2021-04-19T09:11:27-05:00", "", "CUSTOMER"},
		{"in_transit.picked_up", "2021-04-20T21:52:00Z", "2021-04-20T16:52:00-05:00", "AUSTIN", "PICKUP_LOCATION"},
		{"in_transit.departed_facility", "2021-04-22T03:41:00Z", "2021-04-21T22:41:00-05:00", "MEMPHIS", "FEDEX_FACILITY"},
		{"out_for_delivery.out_for_delivery", "2021-04-22T13:58:00Z", "2021-04-22T07:58:00-06:00", "DENVER", "VEHICLE"},
		{"attempt_failed.recipient_unavailable", "2021-04-22T16:12:00Z", "2021-04-22T10:12:00-06:00", "DENVER", "DELIVERY_LOCATION"},
	}
	if len(b.Events) != len(want) || len(b.Rejected) != 0 {
		t.Fatalf("got %d events, %v rejected; want %d events", len(b.Events), b.Rejected, len(want))
	}
	for i, w := range want {
		e := &b.Events[i]
		local := e.OccurredAt.In(time.FixedZone("", int(e.LocalOffset))).Format(time.RFC3339)
		if e.Type.Name != w.typ || e.OccurredAt.Format(time.RFC3339) != w.utc || local != w.local ||
			e.TZSource != event.TZCarrierOffset || e.Location.City != w.city || e.Location.Facility != w.facility {
			t.Errorf("event %d: %s %s %s %v %+v, want %+v", i, e.Type.Name, e.OccurredAt.Format(time.RFC3339), local, e.TZSource, e.Location, w)
		}
		if e.TrackingNumber != "794887075005" || e.Service != "2_day" || e.EstimatedDelivery != "2021-04-23" ||
			e.Origin.City != "AUSTIN" || e.Origin.Region != "TX" || e.Destination.City != "DENVER" || e.Destination.Region != "CO" {
			t.Errorf("event %d: tracking %q, service %q, eta %q, origin %+v, destination %+v",
				i, e.TrackingNumber, e.Service, e.EstimatedDelivery, e.Origin, e.Destination)
		}
	}
	if r := b.Events[4].Raw; r.Code != "DE" || r.Type != "08" || r.Description != "Delivery exception: Customer not available or business closed" {
		t.Errorf("raw %+v", r)
	}

	// Namespaces and prefixes do not matter: the same reply bare, and with
	// every element of the reply prefixed, gives the same events.
	reply := wsV16SOAP[strings.Index(wsV16SOAP, "<TrackReply") : strings.Index(wsV16SOAP, "</TrackReply>")+len("</TrackReply>")]
	prefixed := strings.NewReplacer("</", "</ns:", "<", "<ns:", ` xmlns="`, ` xmlns:ns="`).Replace(reply)
	for name, p := range map[string]string{"bare": reply, "prefixed": prefixed, "soap12": `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>` + prefixed + `</env:Body></env:Envelope>`} {
		b2, err := runXML(t, p, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b2.Events) != len(b.Events) {
			t.Fatalf("%s: got %d events, want %d", name, len(b2.Events), len(b.Events))
		}
		for i := range b.Events {
			if b2.Events[i].ID != b.Events[i].ID || b2.Events[i].Type != b.Events[i].Type {
				t.Errorf("%s: event %d differs: %+v", name, i, b2.Events[i])
			}
		}
	}
}

// The same scan read from the Track API and from the Web Services reply is
// one event: same table, same classification, same id.
func TestXMLMatchesJSON(t *testing.T) {
	jb, err := run(t, payload(result("123456789012", shipment("123456789012",
		scan("2024-04-25T11:26:00-05:00", "DE", "08", "Delivery exception")))), "")
	if err != nil {
		t.Fatal(err)
	}
	xb, err := runXML(t, wsV9(wsDetailXML(wsEventXML("2024-04-25T11:26:00-05:00", "DE", "08", "Delivery exception", ""), "123456789012", "")), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(jb.Events) != 1 || len(xb.Events) != 1 {
		t.Fatalf("got %d and %d events", len(jb.Events), len(xb.Events))
	}
	j, x := jb.Events[0], xb.Events[0]
	if j.ID != x.ID || j.Type != x.Type || j.Service != x.Service || j.OccurredAt != x.OccurredAt {
		t.Errorf("JSON %s %s %s %s, XML %s %s %s %s", j.ID, j.Type.Name, j.Service, j.OccurredAt, x.ID, x.Type.Name, x.Service, x.OccurredAt)
	}
}

func TestXMLNotifications(t *testing.T) {
	const (
		noInfo   = "No information for the following shipments has been received by our system yet.  Please try again or contact Customer Service at 1.800.Go.FedEx(R) 800.463.3339."
		invalid  = "Invalid tracking numbers.  Please check the following numbers and resubmit."
		unable   = "Sorry, we are unable to process your tracking request.  Please retry later, or contact Customer Service at 1.800.Go.FedEx(R) 800.463.3339."
		notFound = "This tracking number cannot be found. Please check the number or contact the sender."
	)
	valid := wsDetailXML(wsEventXML("2024-02-13T13:41:00-06:00", "PU", "", "Picked up", ""), "123456789012", "")
	detail := func(number, severity, code, msg string) string {
		return wsDetailXML("", number, wsNote("Notification", severity, code, msg))
	}
	cases := []struct {
		name, payload, hint string
		kind                normalizers.Kind // "" = accepted
		events              int
		pending             string // tracking number of the pending event
		msg                 string // in the error
	}{
		{"v5 not yet received, with hint", wsV5Error("ERROR", "9040", noInfo), "794698123456", "", 1, "794698123456", ""},
		{"v5 not yet received, without hint", wsV5Error("ERROR", "9040", noInfo), "", normalizers.KindNotFound, 0, "", "no data yet (9040 No information for the following shipments"},
		{"detail not found names its number", wsV9(detail("39936862321", "ERROR", "9040", notFound)), "", "", 1, "39936862321", ""},
		{"detail not found, number from hint", wsV9(detail("", "ERROR", "9040", noInfo)), "39936862321", "", 1, "39936862321", ""},
		{"detail not found, no number at all", wsV9(detail("", "ERROR", "9040", noInfo)), "", normalizers.KindNotFound, 0, "", "does not name the tracking number"},
		{"detail invalid number", wsV9(detail("123456789013", "ERROR", "6035", invalid)), "", normalizers.KindInvalidTracking, 0, "",
			"fedex 123456789013: invalid_tracking_number: FedEx error 6035: Invalid tracking numbers. Please check the following numbers and resubmit."},
		{"detail invalid beside valid and pending", wsV9(valid, detail("123456789013", "ERROR", "6035", invalid), detail("39936862321", "ERROR", "9040", notFound)), "",
			"", 2, "39936862321", ""},
		{"invalid in one detail of one group", wsV9(detail("123456789013", "ERROR", "6035", invalid) + valid), "", "", 1, "", ""},
		// 9045 and 9080 say FedEx could not process the request, not that
		// the number is wrong.
		{"detail 9045 unable to process", wsV9(detail("020207021381215", "FAILURE", "9045", unable)), "", normalizers.KindCarrierError, 0, "", "FedEx error 9045: Sorry, we are unable"},
		{"detail 9080 without number", wsV9(detail("", "FAILURE", "9080", unable)), "", normalizers.KindCarrierError, 0, "", "FedEx error 9080"},
		{"group failure without details", wsV9(wsNote("Notifications", "FAILURE", "6330", unable)), "", normalizers.KindCarrierError, 0, "", "FedEx error 6330"},
		{"v5 invalid number", wsV5Error("ERROR", "5508", "Invalid tracking number."), "", normalizers.KindInvalidTracking, 0, "", "FedEx error 5508: Invalid tracking number."},
		{"invalid by wording", wsV5Error("ERROR", "6036", "Invalid tracking number format."), "", normalizers.KindInvalidTracking, 0, "", "6036"},
		{"authentication failed", wsV5Error("ERROR", "1000", "Authentication Failed"), "", normalizers.KindCarrierError, 0, "", "FedEx error 1000: Authentication Failed"},
		{"severity without code", `<TrackReply><HighestSeverity>FAILURE</HighestSeverity></TrackReply>`, "", normalizers.KindCarrierError, 0, "", "FedEx failure"},
		{"success without details", `<TrackReply><HighestSeverity>SUCCESS</HighestSeverity>` + wsOK + `</TrackReply>`, "", normalizers.KindEmpty, 0, "", ""},
		{"warning beside scans", wsV9(wsDetailXML(wsEventXML("2024-02-13T13:41:00-06:00", "PU", "", "Picked up", ""), "123456789012",
			wsNote("Notification", "WARNING", "9999", "Some data is unavailable"))), "", "", 1, "", ""},
		{"error beside scans", wsV9(wsDetailXML(wsEventXML("2024-02-13T13:41:00-06:00", "PU", "", "Picked up", ""), "123456789012",
			wsNote("Notification", "ERROR", "9040", notFound))), "", "", 1, "", ""},
		{"soap fault", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
			`<faultcode>soapenv:Server</faultcode><faultstring>Fault</faultstring><detail><cause>UnrecoverableClientError</cause><code>SchemaError</code>` +
			`<desc>validation failure for TrackRequest Error:cvc-complex-type.2.4.a</desc></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`, "",
			normalizers.KindCarrierError, 0, "", "FedEx SOAP fault: soapenv:Server: Fault: validation failure for TrackRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := runXML(t, c.payload, c.hint)
			// A number's own error rejects that number only: it is in
			// b.Rejected while the payload's other numbers still count.
			if err == nil && len(b.Rejected) > 0 && c.kind != "" {
				err = b.Rejected[0]
			}
			if c.kind == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else if normalizers.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.msg) {
				t.Fatalf("error %v, want kind %s containing %q", err, c.kind, c.msg)
			}
			if len(b.Events) != c.events {
				t.Fatalf("got %d events, want %d: %+v", len(b.Events), c.events, b.Events)
			}
			if c.pending != "" {
				found := false
				for _, e := range b.Events {
					if e.Type.Name == "pending.tracking_registered" && e.TrackingNumber == c.pending && e.Raw.Code == "9040" {
						found = true
					}
				}
				if !found {
					t.Errorf("no pending event for %s in %+v", c.pending, b.Events)
				}
			}
		})
	}

	// The rejected number beside the valid ones is named, with FedEx's text.
	b, err := runXML(t, wsV9(valid, detail("123456789013", "ERROR", "6035", invalid)), "")
	if err != nil || len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindInvalidTracking ||
		b.Rejected[0].Tracking != "123456789013" || !strings.Contains(b.Rejected[0].Msg, "Invalid tracking numbers.") {
		t.Errorf("error %v, rejections %v", err, b.Rejected)
	}
}

func TestXMLMalformed(t *testing.T) {
	cases := []struct {
		name, payload string
		format        normalizers.Format
		kind          normalizers.Kind
		msg           string
	}{
		{"truncated", `<TrackReply xmlns="http://fedex.com/ws/track/v5"><HighestSeverity>SUCCESS</HighestSeverity><TrackDetails><Events><Timestamp>2014`,
			normalizers.XML, normalizers.KindDecode, "malformed XML"},
		{"mismatched tags", `<TrackReply><TrackDetails></Events></TrackReply>`, normalizers.XML, normalizers.KindDecode, "malformed XML"},
		// The whole payload is read: an Envelope cut after its reply is broken too.
		{"envelope cut after the reply", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><TrackReply><HighestSeverity>SUCCESS</HighestSeverity></TrackReply></soap:Bo`,
			normalizers.XML, normalizers.KindDecode, "malformed XML"},
		{"not XML", `Service Unavailable`, normalizers.XML, normalizers.KindDecode, "no reply element"},
		{"declaration only", `<?xml version="1.0" encoding="UTF-8"?>`, normalizers.XML, normalizers.KindDecode, "no reply element"},
		{"empty", ``, normalizers.XML, normalizers.KindDecode, "no reply element"},
		{"request, not reply", `<TrackRequest xmlns="http://fedex.com/ws/track/v16"><TransactionDetail/></TrackRequest>`,
			normalizers.XML, normalizers.KindDecode, "not a FedEx Web Services TrackReply: the reply element is <TrackRequest>"},
		{"gateway error page", `<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>`,
			normalizers.XML, normalizers.KindDecode, "reply element is <html>"},
		{"USPS reply", `<TrackResponse><TrackInfo ID="9400100000000000000000"/></TrackResponse>`, normalizers.XML, normalizers.KindDecode, "<TrackResponse>"},
		{"empty SOAP body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body/></soap:Envelope>`,
			normalizers.XML, normalizers.KindDecode, "<Body> holds no reply element"},
		{"SOAP without body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/></soap:Envelope>`,
			normalizers.XML, normalizers.KindDecode, "<Envelope> holds no reply element"},
		{"unknown charset", `<?xml version="1.0" encoding="Shift_JIS"?><TrackReply/>`, normalizers.XML, normalizers.KindDecode, "Shift_JIS"},
		// The first byte wins over the configured format.
		{"JSON on an XML binding", `{"output":`, normalizers.XML, normalizers.KindDecode, "malformed JSON"},
		{"XML on a JSON binding", `<TrackRequest/>`, normalizers.JSON, normalizers.KindDecode, "<TrackRequest>"},
		{"unknown format", `garbage`, normalizers.Avro, normalizers.KindUnsupportedCarrier, `format "avro"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := normalizertest.Normalize(n, c.format, []byte(c.payload), "")
			if normalizers.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.msg) {
				t.Fatalf("error %v, want kind %s containing %q", err, c.kind, c.msg)
			}
			if len(b.Events) != 0 {
				t.Errorf("got %d events", len(b.Events))
			}
		})
	}
}

func TestXMLDetails(t *testing.T) {
	// A Latin-1 reply with a byte order mark and a pretty-printed message;
	// an event without a time or place; a scan with a bare wall clock.
	p := "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + `<TrackReply xmlns="http://fedex.com/ws/track/v5"><HighestSeverity>SUCCESS</HighestSeverity>` +
		`<TrackDetails><TrackingNumber> 61299998245239562042 </TrackingNumber><ServiceInfo>FedEx SmartPost</ServiceInfo>` +
		`<ShipperAddress><Residential>false</Residential></ShipperAddress><OriginLocationAddress><City>MONTR` + "\xc9" + `AL</City><StateOrProvinceCode>QC</StateOrProvinceCode><CountryCode>CA</CountryCode></OriginLocationAddress>` +
		`<DestinationAddress><Residential>true</Residential></DestinationAddress><ActualDeliveryAddress><City>GREENACRES</City><StateOrProvinceCode>WA</StateOrProvinceCode><CountryCode>US</CountryCode></ActualDeliveryAddress>` +
		`<EstimatedDeliveryTimestamp>2015-12-12T18:00:00-08:00</EstimatedDeliveryTimestamp>` +
		`<Events><Timestamp>2015-12-08T17:33:00</Timestamp><EventType>ar</EventType><EventDescription>Arrived at FedEx location</EventDescription>` +
		`<Address><City>TROUTDALE</City><StateOrProvinceCode>OR</StateOrProvinceCode><CountryCode>US</CountryCode></Address><StationId>PDXA</StationId><ArrivalLocation>FEDEX_FACILITY</ArrivalLocation></Events>` +
		`<Events><EventType>DP</EventType><EventDescription>Departed FedEx location</EventDescription></Events>` +
		`<Events><Timestamp>2015-12-09T09:00:00-08:00</Timestamp><EventType>QQ</EventType><EventDescription>Something new</EventDescription></Events>` +
		`</TrackDetails></TrackReply>`
	b, err := runXML(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindTimestamp {
		t.Fatalf("got %d events, rejections %v; want 2 events and the DP scan rejected for its time", len(b.Events), b.Rejected)
	}
	e := b.Events[0]
	// Troutdale, OR in December: PST, from the place since FedEx gave no offset.
	if e.TrackingNumber != "61299998245239562042" || e.Service != "smartpost" || e.Raw.Code != "AR" ||
		e.OccurredAt.Format(time.RFC3339) != "2015-12-09T01:33:00Z" || e.LocalOffset != -8*3600 || e.TZSource != event.TZLocation ||
		e.Location.Facility != "PDXA" || e.Origin.City != "MONTRÉAL" || e.Destination.City != "GREENACRES" || e.EstimatedDelivery != "2015-12-12" {
		t.Errorf("got %+v", e)
	}
	if u := b.Events[1]; u.Type.Name != "unknown.unmapped" || u.Raw.Code != "QQ" {
		t.Errorf("unknown event type: %s %+v", u.Type.Name, u.Raw)
	}
}
