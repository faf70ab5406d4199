package ups_test

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/ups"
	"github.com/wismo/wismo/taxonomy"
)

var n = ups.New()

// payload builds a one-package UPS response from activities given as
// (type, code, statusCode, description, date, time, gmtOffset, state).
func payload(acts ...[8]string) []byte {
	var sb strings.Builder
	sb.WriteString(`{"trackResponse":{"shipment":[{"inquiryNumber":"1Z999AA10123456784","package":[{"trackingNumber":"1Z999AA10123456784","service":{"description":"UPS Ground"},"activity":[`)
	for i, a := range acts {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"location":{"address":{"city":"LOUISVILLE","stateProvince":%q,"countryCode":"US"}},"status":{"type":%q,"code":%q,"statusCode":%q,"description":%q},"date":%q,"time":%q,"gmtOffset":%q}`,
			a[7], a[0], a[1], a[2], a[3], a[4], a[5], a[6])
	}
	sb.WriteString(`]}]}]}}`)
	return []byte(sb.String())
}

func act(typ, code, statusCode, desc string) [8]string {
	return [8]string{typ, code, statusCode, desc, "20261120", "100405", "-05:00", "KY"}
}

func normalize(t *testing.T, data []byte) *normalizers.Batch {
	t.Helper()
	b, err := normalizertest.Normalize(n, normalizers.JSON, data, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCodeTable(t *testing.T) {
	for _, c := range []struct {
		act  [8]string
		want string
	}{
		{act("M", "MP", "003", "Shipper created a label"), "info_received.label_created"},
		{act("M", "MV", "007", "Shipment information voided"), "info_received.label_voided"},
		{act("P", "PU", "038", "Pickup Scan"), "in_transit.picked_up"},
		{act("I", "OR", "005", "Origin Scan"), "in_transit.accepted_at_origin_facility"},
		{act("I", "DP", "005", "Departed from Facility"), "in_transit.departed_facility"},
		{act("I", "AR", "005", "Arrived at Facility"), "in_transit.arrived_at_facility"},
		{act("I", "OF", "072", "Loaded on Delivery Vehicle"), "out_for_delivery.loaded_on_vehicle"},
		{act("I", "OT", "021", "Out For Delivery Today"), "out_for_delivery.out_for_delivery"},
		{act("D", "FS", "011", "DELIVERED"), "delivered.delivered"},
		{act("D", "KM", "011", "DELIVERED"), "delivered.signed"},
		{act("X", "DJ", "032", "ADVERSE WEATHER CONDITIONS CAUSED THIS DELAY"), "exception.delayed_weather"},
		{act("X", "L1", "022", "THE RECEIVER'S LOCATION WAS CLOSED ON THE 2ND DELIVERY ATTEMPT"), "attempt_failed.business_closed"},
		{act("X", "Q9", "013", "The address is incorrect. We're attempting to update it."), "exception.address_incorrect"},
		{act("X", "ZZ", "013", "The receiver was not available for delivery."), "attempt_failed.recipient_unavailable"},
		{act("X", "ZZ", "013", "Something new happened"), "exception.generic"},
		{act("X", "", "092", "The package is at the clearing agency awaiting final release."), "in_transit.customs_clearance_started"},
		{act("I", "Q7", "046", "Delivered to UPS Access Point"), "available_for_pickup.at_pickup_point"},
		{act("I", "Q7", "005", "Some new in-transit scan"), "unknown.unmapped"},
	} {
		b := normalize(t, payload(c.act))
		if len(b.Events) != 1 {
			t.Fatalf("%v: %d events", c.act, len(b.Events))
		}
		e := b.Events[0]
		if e.Type.Name != c.want {
			t.Errorf("%s/%s/%s %q: %s, want %s", c.act[0], c.act[1], c.act[2], c.act[3], e.Type.Name, c.want)
		}
		if e.Type.Name == "unknown.unmapped" && (e.Raw.Code != "Q7" || e.Raw.Description == "") {
			t.Errorf("unmapped scan lost its raw code: %+v", e.Raw)
		}
	}
}

func TestTimesAndDedup(t *testing.T) {
	dp := act("I", "DP", "005", "Departed from Facility")
	noOffset := act("I", "AR", "005", "Arrived at Facility")
	noOffset[6] = "" // no gmtOffset: the zone comes from the state
	future := act("I", "AR", "005", "Arrived at Facility")
	future[4] = "20271120"
	b := normalize(t, payload(dp, noOffset, dp, future))
	if len(b.Events) != 2 {
		t.Fatalf("%d events, want 2 (the repeated scan once, the future one rejected)", len(b.Events))
	}
	if len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindTimestamp {
		t.Fatalf("rejections %v", b.Rejected)
	}
	e := b.Events[0]
	if got := e.OccurredAt.Format(time.RFC3339); got != "2026-11-20T15:04:05Z" || e.TZSource != event.TZCarrierOffset {
		t.Errorf("carrier offset: %s %s", got, e.TZSource)
	}
	e = b.Events[1]
	if got := e.OccurredAt.Format(time.RFC3339); got != "2026-11-20T15:04:05Z" || e.TZSource != event.TZLocation || e.LocalOffset != -5*3600 {
		t.Errorf("from location (Kentucky, EST): %s %s %d", got, e.TZSource, e.LocalOffset)
	}
	first := b.Events[0].ID
	// The same history polled again: same ids.
	b = normalize(t, payload(act("I", "OT", "021", "Out For Delivery Today"), dp))
	if b.Events[1].ID != first {
		t.Error("a resent scan got a new event id")
	}
}

func TestRejectsBrokenInput(t *testing.T) {
	for name, data := range map[string]string{
		"truncated":     `{"trackResponse":{"shipment":[`,
		"not ups":       `{"hello":"world"}`,
		"wrong type":    `{"trackResponse":{"shipment":"nope"}}`,
		"no shipment":   `{"trackResponse":{}}`,
		"no tracking":   `{"trackResponse":{"shipment":[{"package":[{"activity":[]}]}]}}`,
		"invalid utf-8": "{\"trackResponse\":{\"shipment\":[{\"inquiryNumber\":\"\xff\"}]}}",
	} {
		b := normalizers.NewBatch()
		err := normalizers.Normalize(n, &normalizers.Input{Payload: []byte(data), Now: normalizertest.Now}, b, 0)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// xmlPayload builds a legacy XML TrackResponse with one package whose
// activities are given as raw <Activity> bodies.
func xmlPayload(activities ...string) []byte {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?><TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response>` +
		`<Shipment><Shipper><Address><City>LOUISVILLE</City><StateProvinceCode>KY</StateProvinceCode><CountryCode>US</CountryCode></Address></Shipper>` +
		`<ShipTo><Address><City>CHICAGO</City><StateProvinceCode>IL</StateProvinceCode><CountryCode>US</CountryCode></Address></ShipTo>` +
		`<Service><Code>003</Code><Description>GROUND</Description></Service>` +
		`<ShipmentIdentificationNumber>1Z999AA10123456784</ShipmentIdentificationNumber>` +
		`<Package><TrackingNumber>1Z999AA10123456784</TrackingNumber>`)
	for _, a := range activities {
		sb.WriteString("<Activity>" + a + "</Activity>")
	}
	sb.WriteString(`</Package></Shipment></TrackResponse>`)
	return []byte(sb.String())
}

// xmlAct is one activity in Louisville, KY, on 2026-11-20 at 10:04:05 local,
// with extra elements (GMT fields) appended.
func xmlAct(typ, code, desc, extra string) string {
	var sb strings.Builder
	sb.WriteString(`<ActivityLocation><Address><City>LOUISVILLE</City><StateProvinceCode>KY</StateProvinceCode><CountryCode>US</CountryCode></Address></ActivityLocation><Status><StatusType><Code>`)
	xml.EscapeText(&sb, []byte(typ))
	sb.WriteString(`</Code><Description>`)
	xml.EscapeText(&sb, []byte(desc))
	sb.WriteString(`</Description></StatusType><StatusCode><Code>`)
	xml.EscapeText(&sb, []byte(code))
	sb.WriteString(`</Code></StatusCode></Status><Date>20261120</Date><Time>100405</Time>` + extra)
	return sb.String()
}

func normalizeXML(t *testing.T, data []byte, hint string) *normalizers.Batch {
	t.Helper()
	b, err := normalizertest.Normalize(n, normalizers.XML, data, hint)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormats(t *testing.T) {
	got := n.Formats()
	if len(got) != 2 || got[0] != normalizers.JSON || got[1] != normalizers.XML {
		t.Errorf("Formats() = %v, want [json xml] (json stays the default)", got)
	}
	if _, err := normalizers.Lookup("ups", normalizers.XML); err != nil {
		t.Errorf("Lookup(ups, xml): %v", err)
	}
}

// The same activity maps to the same type and reason in both formats: the
// XML decoder shares the JSON decoder's table and classification. Cases
// with only a three-digit status code have no XML form and are skipped.
func TestXMLClassifiesLikeJSON(t *testing.T) {
	for _, c := range []struct{ typ, code, desc string }{
		{"M", "MP", "BILLING INFORMATION RECEIVED"},
		{"M", "MV", "Shipment information voided"},
		{"P", "PU", "PICKUP SCAN"},
		{"I", "OR", "ORIGIN SCAN"},
		{"I", "AR", "ARRIVAL SCAN"},
		{"I", "DP", "DEPARTURE SCAN"},
		{"I", "OT", "OUT FOR DELIVERY"},
		{"D", "FS", "DELIVERED"},
		{"D", "KM", "DELIVERED"},
		{"D", "KB", "DELIVERED"},
		{"X", "KB", "UPS INTERNAL ACTIVITY CODE"},
		{"X", "DJ", "ADVERSE WEATHER CONDITIONS CAUSED THIS DELAY"},
		{"X", "L1", "THE RECEIVER'S LOCATION WAS CLOSED ON THE 2ND DELIVERY ATTEMPT"},
		{"X", "ZZ", "The receiver was not available for delivery."},
		{"X", "ZZ", "Something new happened"},
		{"I", "Q7", "Some new in-transit scan"},
		{"D", "", "DELIVERED"},
	} {
		j := normalize(t, payload([8]string{c.typ, c.code, "", c.desc, "20261120", "100405", "", "KY"}))
		x := normalizeXML(t, xmlPayload(xmlAct(c.typ, c.code, c.desc, "")), "")
		if len(j.Events) != 1 || len(x.Events) != 1 {
			t.Fatalf("%v: %d JSON events, %d XML events", c, len(j.Events), len(x.Events))
		}
		je, xe := &j.Events[0], &x.Events[0]
		if je.Type != xe.Type || je.Reason != xe.Reason {
			t.Errorf("%v: JSON %s/%s, XML %s/%s", c, je.Type.Name, je.Reason, xe.Type.Name, xe.Reason)
		}
		if xe.Raw.Code != c.code || xe.Raw.Type != c.typ || xe.Raw.Description != c.desc {
			t.Errorf("%v: raw %+v", c, xe.Raw)
		}
		// Same scan, same place, same wall clock: the same event id too.
		if je.ID != xe.ID {
			t.Errorf("%v: JSON and XML give different event ids", c)
		}
	}
}

func TestXMLTimes(t *testing.T) {
	for _, c := range []struct {
		name, extra, utc string
		src              event.TZSource
		offset           int32
	}{
		// No offset: the wall clock is placed in Kentucky (EST in November).
		{"wall clock", "", "2026-11-20T15:04:05Z", event.TZLocation, -5 * 3600},
		{"gmt offset", "<GMTDate>20261120</GMTDate><GMTTime>150405</GMTTime><GMTOffset>-05:00</GMTOffset>",
			"2026-11-20T15:04:05Z", event.TZCarrierOffset, -5 * 3600},
		// A GMT date and time without an offset is the instant itself.
		{"gmt instant", "<GMTDate>20261120</GMTDate><GMTTime>140405</GMTTime>", "2026-11-20T14:04:05Z", event.TZLocation, -5 * 3600},
	} {
		b := normalizeXML(t, xmlPayload(xmlAct("I", "AR", "ARRIVAL SCAN", c.extra)), "")
		if len(b.Events) != 1 {
			t.Fatalf("%s: %d events", c.name, len(b.Events))
		}
		e := &b.Events[0]
		if got := e.OccurredAt.Format(time.RFC3339); got != c.utc || e.TZSource != c.src || e.LocalOffset != c.offset {
			t.Errorf("%s: %s %s %d, want %s %s %d", c.name, got, e.TZSource, e.LocalOffset, c.utc, c.src, c.offset)
		}
	}
	// No usable time at all: that one scan is rejected, not the payload.
	bad := strings.Replace(xmlAct("I", "AR", "ARRIVAL SCAN", ""), "<Date>20261120</Date>", "<Date>2026112</Date>", 1)
	b := normalizeXML(t, xmlPayload(bad, xmlAct("I", "DP", "DEPARTURE SCAN", "")), "")
	if len(b.Events) != 1 || len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindTimestamp {
		t.Errorf("bad date: %d events, rejections %v", len(b.Events), b.Rejected)
	}
}

func TestXMLShipmentFields(t *testing.T) {
	data := `<TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response><Shipment>` +
		`<Shipper><Address><City>Cedar Rapids</City><StateProvinceCode>ia</StateProvinceCode><PostalCode>52404</PostalCode><CountryCode>us</CountryCode></Address></Shipper>` +
		`<Service><Description>UPS NEXT DAY AIR SAVER</Description></Service>` +
		`<ShipmentIdentificationNumber> 1z12345e6892410845 </ShipmentIdentificationNumber><ScheduledDeliveryDate>20261123</ScheduledDeliveryDate>` +
		`<Package><Activity>` + xmlAct("I", "AR", "ARRIVAL SCAN", "") + `</Activity></Package>` +
		`<Package><TrackingNumber>1Z12345E6892410846</TrackingNumber><RescheduledDeliveryDate>20261124</RescheduledDeliveryDate><Activity>` +
		xmlAct("I", "DP", "DEPARTURE SCAN", "") + `</Activity></Package></Shipment></TrackResponse>`
	b := normalizeXML(t, []byte(data), "")
	if len(b.Events) != 2 {
		t.Fatalf("%d events", len(b.Events))
	}
	first, second := &b.Events[0], &b.Events[1]
	// A package without its own number takes the shipment's.
	if first.TrackingNumber != "1Z12345E6892410845" || second.TrackingNumber != "1Z12345E6892410846" {
		t.Errorf("tracking numbers %q %q", first.TrackingNumber, second.TrackingNumber)
	}
	if first.EstimatedDelivery != "2026-11-23" || second.EstimatedDelivery != "2026-11-24" {
		t.Errorf("estimated delivery %q %q, want scheduled then rescheduled", first.EstimatedDelivery, second.EstimatedDelivery)
	}
	if first.Service != "next_day_air_saver" {
		t.Errorf("service %q", first.Service)
	}
	if o := first.Origin; o.City != "Cedar Rapids" || o.Region != "IA" || o.PostalCode != "52404" || o.Country != "US" {
		t.Errorf("origin %+v", o)
	}
}

func TestXMLSniffing(t *testing.T) {
	x := xmlPayload(xmlAct("I", "AR", "ARRIVAL SCAN", ""))
	j := payload(act("I", "AR", "005", "Arrived at Facility"))
	for name, c := range map[string]struct {
		format normalizers.Format
		data   []byte
	}{
		"xml on a json topic":      {normalizers.JSON, x},
		"xml with space and a BOM": {normalizers.JSON, append([]byte("\ufeff \r\n\t"), x...)},
		"json on an xml topic":     {normalizers.XML, j},
		"xml, format unset":        {"", x},
	} {
		b, err := normalizertest.Normalize(n, c.format, c.data, "")
		if err != nil || len(b.Events) != 1 {
			t.Errorf("%s: %v, %d events", name, err, len(b.Events))
		}
	}
}

func TestXMLErrorBodies(t *testing.T) {
	const hint = "1Z999AA10123456784"
	for _, c := range []struct {
		name, hint, status, code, desc string
		kind                           normalizers.Kind // "" for a pending event
		text                           string
	}{
		{"no data yet, with hint", hint, "0", "151044", "No tracking information available", "", ""},
		{"no data yet (151018), with hint", hint, "0", "151018", "No tracking information available", "", ""},
		{"no data yet, no hint", "", "0", "151044", "No tracking information available", normalizers.KindNotFound, "151044"},
		{"invalid number 150022", hint, "0", "150022", "Invalid tracking number", normalizers.KindInvalidTracking, "Invalid tracking number"},
		{"invalid number 151019", "", "0", "151019", "Invalid inquiry number", normalizers.KindInvalidTracking, "Invalid inquiry number"},
		{"invalid number 154030", "", "0", "154030", "Invalid tracking number", normalizers.KindInvalidTracking, "154030"},
		{"other failure", hint, "0", "250003", "Invalid Access License number", normalizers.KindCarrierError, "Invalid Access License number"},
		{"error without status", "", "", "250002", "Invalid Authentication Information.", normalizers.KindCarrierError, "250002"},
		{"failure without error", "", "0", "", "", normalizers.KindCarrierError, "without an Error"},
	} {
		errElem := ""
		if c.code != "" {
			errElem = `<Error><ErrorSeverity>Hard</ErrorSeverity><ErrorCode>` + c.code + `</ErrorCode><ErrorDescription>` +
				c.desc + `</ErrorDescription></Error>`
		}
		data := []byte(`<?xml version="1.0"?><TrackResponse><Response><TransactionReference><CustomerContext>n/a</CustomerContext></TransactionReference>` +
			`<ResponseStatusCode>` + c.status + `</ResponseStatusCode><ResponseStatusDescription>Failure</ResponseStatusDescription>` +
			errElem + `</Response></TrackResponse>`)
		b, err := normalizertest.Normalize(n, normalizers.XML, data, c.hint)
		if c.kind == "" {
			if err != nil || len(b.Events) != 1 {
				t.Errorf("%s: %v, %d events, want one pending event", c.name, err, len(b.Events))
				continue
			}
			e := &b.Events[0]
			if e.Type.Name != "pending.tracking_registered" || e.TrackingNumber != c.hint || e.Raw.Code != c.code || e.Raw.Description != c.desc {
				t.Errorf("%s: %s %s %+v", c.name, e.Type.Name, e.TrackingNumber, e.Raw)
			}
			continue
		}
		if normalizers.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.text) {
			t.Errorf("%s: %v, want %s quoting %q", c.name, err, c.kind, c.text)
		}
		if len(b.Events) != 0 {
			t.Errorf("%s: %d events from an error body", c.name, len(b.Events))
		}
	}
	// A warning beside shipments does not void their scans.
	warned := strings.Replace(string(xmlPayload(xmlAct("I", "AR", "ARRIVAL SCAN", ""))), "</ResponseStatusCode>",
		"</ResponseStatusCode><Error><ErrorSeverity>Warning</ErrorSeverity><ErrorCode>154010</ErrorCode><ErrorDescription>Some warning</ErrorDescription></Error>", 1)
	if b := normalizeXML(t, []byte(warned), ""); len(b.Events) != 1 {
		t.Errorf("warning with shipments: %d events", len(b.Events))
	}
}

func TestXMLRejectsBrokenInput(t *testing.T) {
	for _, c := range []struct {
		name, data string
		kind       normalizers.Kind
		text       string
	}{
		{"truncated", `<TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response><Shipment><Package>`, normalizers.KindDecode, "malformed XML"},
		{"mismatched tags", `<TrackResponse><Shipment></Package></TrackResponse>`, normalizers.KindDecode, "malformed XML"},
		{"invalid utf-8", "<TrackResponse><Shipment><ShipmentIdentificationNumber>\xff</ShipmentIdentificationNumber></Shipment></TrackResponse>", normalizers.KindDecode, "malformed XML"},
		{"another UPS API", `<RatingServiceSelectionResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response></RatingServiceSelectionResponse>`, normalizers.KindDecode, "root element is <RatingServiceSelectionResponse>"},
		{"USPS", `<TrackResponse2><TrackInfo ID="9400"/></TrackResponse2>`, normalizers.KindDecode, "not a UPS XML TrackResponse"},
		{"only a declaration", `<?xml version="1.0"?>`, normalizers.KindDecode, "no XML element"},
		{"unknown charset", `<?xml version="1.0" encoding="EBCDIC"?><TrackResponse/>`, normalizers.KindDecode, "EBCDIC"},
		{"no tracking number", `<TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response><Shipment><Package><Activity/></Package></Shipment></TrackResponse>`, normalizers.KindValidate, "TrackingNumber"},
		{"empty response", `<TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response></TrackResponse>`, normalizers.KindEmpty, ""},
	} {
		b, err := normalizertest.Normalize(n, normalizers.XML, []byte(c.data), "")
		if normalizers.KindOf(err) != c.kind || !strings.Contains(fmt.Sprint(err), c.text) {
			t.Errorf("%s: %v, want %s containing %q", c.name, err, c.kind, c.text)
		}
		if err != nil && len(b.Events) != 0 {
			t.Errorf("%s: rejected but kept %d events", c.name, len(b.Events))
		}
	}
}

// A payload declared ISO-8859-1 is read, its Latin-1 bytes turned to UTF-8.
func TestXMLLatin1(t *testing.T) {
	data := strings.Replace(string(xmlPayload(xmlAct("I", "AR", "ARRIVAL SCAN", ""))), `<?xml version="1.0"?>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?>`, 1)
	data = strings.Replace(data, "<City>LOUISVILLE</City><StateProvinceCode>KY", "<City>MONTR\xc9AL</City><StateProvinceCode>KY", 1)
	b := normalizeXML(t, []byte(data), "")
	if len(b.Events) != 1 || b.Events[0].Origin.City != "MONTRÉAL" {
		t.Errorf("latin-1: %d events, origin %+v", len(b.Events), b.Events)
	}
}

// Fields count wherever they stand, as they did with encoding/xml: a
// Shipment's service and scheduled date after its packages; a failed
// Response after the shipments still makes the payload UPS's error answer,
// without their scans.
func TestXMLFieldOrder(t *testing.T) {
	act := "<Activity>" + xmlAct("I", "AR", "ARRIVAL SCAN", "") + "</Activity>"
	late := `<TrackResponse><Shipment><Package><TrackingNumber>1Z999AA10123456784</TrackingNumber>` + act + `</Package>` +
		`<Service><Description>NEXT DAY AIR</Description></Service><ScheduledDeliveryDate>20261123</ScheduledDeliveryDate></Shipment>` +
		`<Response><ResponseStatusCode>1</ResponseStatusCode></Response></TrackResponse>`
	b := normalizeXML(t, []byte(late), "")
	if len(b.Events) != 1 || b.Events[0].Service != "next_day_air" || b.Events[0].EstimatedDelivery != "2026-11-23" {
		t.Fatalf("late shipment fields: %+v", b.Events)
	}
	failed := strings.Replace(late, `<ResponseStatusCode>1</ResponseStatusCode>`,
		`<ResponseStatusCode>0</ResponseStatusCode><Error><ErrorCode>151018</ErrorCode><ErrorDescription>Invalid tracking number</ErrorDescription></Error>`, 1)
	b, err := normalizertest.Normalize(n, normalizers.XML, []byte(failed), "1Z999AA10123456799")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].TrackingNumber != "1Z999AA10123456799" || len(b.Rejected) != 0 {
		t.Fatalf("failed Response last: err %v, events %+v, rejected %v", err, b.Events, b.Rejected)
	}
}
