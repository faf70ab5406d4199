package usps_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/usps"
	"github.com/wismo/wismo/taxonomy"
)

var n = usps.New()

func FuzzUSPSJSON(f *testing.F) {
	normalizertest.Seeds(f, "usps/*.json")
	f.Add([]byte(v3(evDelivered, evOutFor)))
	f.Add([]byte(`[` + v3(evOutFor) + `,{"trackingNumber":"9400100000000000000002","error":{"code":"404","message":"not found"}}]`))
	f.Add([]byte(v3(`{"eventType":"Processed Through Facility","eventTimestamp":"2024-11-20T10:00:00Z","GMTTimestamp":"2024-11-20T10:00:30Z",` +
		`"GMTOffset":"+8","eventCity":"TOKYO INT V BAG 2, JAPAN","eventCode":"ZZ","deliveryAttributeCode":"02"}`)))
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

func FuzzUSPSXML(f *testing.F) {
	normalizertest.Seeds(f, "usps/*.xml")
	f.Add([]byte(`<TrackResponse><TrackInfo ID="1"><Error><Number>-2147219302</Number><Description>could not locate</Description></Error></TrackInfo></TrackResponse>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Error><Number>80040B1A</Number><Description>Authorization failure</Description></Error>`))
	f.Add([]byte(`<TrackResponse><TrackInfo ID="2"><TrackSummary><EventTime>12:05 AM</EventTime><EventDate>2017-01-17</EventDate>` +
		`<Event>Held in Customs</Event><EventCity>ISC NEW YORK NY(USPS)</EventCity><EventCountry>CHINA</EventCountry><GMTOffset>-5:00</GMTOffset></TrackSummary></TrackInfo></TrackResponse>`))
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.XML, data) })
}

func TestCodeTable(t *testing.T) {
	cases := []struct{ code, sub, text, want string }{
		// The taxonomy's USPS examples.
		{"GX", "", "Shipping Label Created, USPS Awaiting Item", "info_received.label_created"},
		{"MA", "", "Pre-Shipment Info Sent to USPS, USPS Awaiting Item", "info_received.manifest_received"},
		{"03", "", "USPS in possession of item", "in_transit.picked_up"},
		{"10", "", "Arrived at USPS Regional Origin Facility", "in_transit.accepted_at_origin_facility"},
		{"A1", "", "Arrived at USPS Regional Facility", "in_transit.arrived_at_facility"},
		{"T1", "", "Departed USPS Regional Facility", "in_transit.departed_facility"},
		{"SF", "", "Departed Post Office", "in_transit.departed_facility"},
		{"EF", "", "Departed USPS Facility", "in_transit.departed_facility"},
		{"PC", "", "Sorting Complete", "in_transit.processing_at_facility"},
		{"TL", "", "In Transit to Next Facility", "in_transit.in_transit"},
		{"42", "", "Delivered to Agent for Final Delivery", "in_transit.handed_to_partner_carrier"},
		{"07", "", "Arrived at Post Office", "in_transit.arrived_at_delivery_facility"},
		{"08", "", "Missent", "in_transit.misrouted_corrected"},
		{"06", "", "Forwarded", "in_transit.forwarded_to_new_address"},
		{"71", "", "Rescheduled to Next Delivery Day", "in_transit.delivery_rescheduled"},
		{"OF", "", "Out for Delivery", "out_for_delivery.out_for_delivery"},
		{"16", "", "Available for Pickup", "available_for_pickup.at_pickup_point"},
		{"14", "", "Arrival at Pickup Point", "available_for_pickup.held_after_attempt"},
		{"01", "", "Delivered", "delivered.delivered"},
		{"17", "", "Picked Up by Agent", "delivered.to_agent"},
		{"02", "", "Notice Left", "attempt_failed.recipient_unavailable"},
		{"52", "", "Notice Left", "attempt_failed.notice_left"},
		{"51", "", "Business Closed", "attempt_failed.business_closed"},
		{"53", "", "Notice Left (Receptacle Blocked)", "attempt_failed.no_secure_location"},
		{"54", "", "Notice Left (Receptacle Full/Item Oversized)", "attempt_failed.no_secure_location"},
		{"55", "", "Notice Left (No Secure Location Available)", "attempt_failed.no_secure_location"},
		{"30", "", "Delivery Attempted - No Access to Delivery Location", "attempt_failed.access_problem"},
		{"56", "", "Notice Left (No Authorized Recipient Available)", "attempt_failed.id_or_signature_required"},
		{"22", "", "Insufficient Address", "exception.address_incorrect"},
		{"23", "", "Moved, Left No Address", "exception.recipient_moved"},
		{"27", "", "Unclaimed", "exception.unclaimed_pickup_expired"},
		{"31", "", "Return to Sender - Not Picked Up", "exception.unclaimed_pickup_expired"},
		{"04", "", "Refused", "exception.refused"},
		{"11", "", "Dead Letter", "exception.disposed"},
		{"09", "", "Return to Sender", "returned.return_initiated"},
		{"05", "", "Undeliverable as Addressed", "returned.undeliverable_returning"},
		{"21", "", "No Such Number", "returned.undeliverable_returning"},
		{"24", "", "Forward Expired", "returned.undeliverable_returning"},
		{"25", "", "Addressee Unknown", "returned.undeliverable_returning"},
		{"26", "", "Vacant", "returned.undeliverable_returning"},
		{"28", "", "Deceased", "returned.undeliverable_returning"},
		// Delivered variants, by text and by delivery attribute code.
		{"01", "", "Delivered, Front Door/Porch", "delivered.left_at_safe_place"},
		{"01", "", "Delivered, In/At Mailbox", "delivered.to_mailbox_or_locker"},
		{"01", "", "Delivered, Parcel Locker", "delivered.to_mailbox_or_locker"},
		{"01", "", "Delivered, Front Desk/Reception/Mail Room", "delivered.to_agent"},
		{"01", "", "Delivered, Individual Picked Up at Post Office", "delivered.collected_by_recipient"},
		{"01", "", "Delivered, Neighbor as Requested", "delivered.to_neighbor"},
		{"01", "", "Delivered, To Original Sender", "returned.returned_to_sender"},
		{"01", "", "Held at Post Office, Retrieved from full parcel locker", "available_for_pickup.at_pickup_point"},
		{"01", "02", "Delivered", "delivered.left_at_safe_place"},
		{"01", "04", "Delivered, Left with Individual", "delivered.delivered"},
		// Codes USPS reuses, refined by text.
		{"10", "", "Departed USPS Destination Facility", "in_transit.departed_facility"},
		{"10", "", "Arrived at USPS Destination Facility", "in_transit.arrived_at_facility"},
		{"10", "", "Processed through USPS Sort Facility", "in_transit.processing_at_facility"},
		{"52", "", "Notice Left (No Secure Location Available)", "attempt_failed.no_secure_location"},
		{"16", "", "Available for Pickup, Parcel Locker", "available_for_pickup.at_locker"},
		{"GX", "", "Label Cancelled", "info_received.label_voided"},
		{"80", "", "Picked Up By Shipping Partner, USPS Awaiting Item", "in_transit.picked_up"},
		{"AD", "", "Accepted at USPS Regional Destination Facility", "in_transit.accepted_at_origin_facility"},
		// No code, or one the table lacks: the text decides.
		{"", "", "Customs Clearance", "in_transit.customs_clearance_started"},
		{"ZZ", "", "Held in Customs", "exception.customs_hold"},
		{"ZZ", "", "Inbound Out of Customs", "in_transit.customs_cleared"},
		{"ZZ", "", "Customs Clearance Processing Complete", "in_transit.customs_cleared"},
		{"ZZ", "", "Processed Through Facility", "in_transit.processing_at_facility"},
		{"ZZ", "", "In Transit, Arriving Late", "exception.delayed_carrier_operations"},
		{"ZZ", "", "Reminder to Schedule Redelivery of your item", "available_for_pickup.held_after_attempt"},
		{"ZZ", "", "Held at Post Office, At Customer Request", "exception.held_at_recipient_request"},
		{"ZZ", "", "Delivered, To Original Sender", "returned.returned_to_sender"},
		{"ZZ", "", "Departed Shipping Partner Facility, USPS Awaiting Item", "in_transit.departed_facility"},
		{"ZZ", "", "USPS: Sent to Mail Recovery Center", "exception.lost"},
		{"ZZ", "", "Unclaimed/Being Returned to Sender", "exception.unclaimed_pickup_expired"},
	}
	for _, c := range cases {
		m := n.MapCode(c.code, c.sub, c.text)
		got := "<nil>"
		if m != nil {
			got = m.Type.Name
		}
		if got != c.want {
			t.Errorf("MapCode(%q, %q, %q) = %s, want %s", c.code, c.sub, c.text, got, c.want)
		}
	}
	if m := n.MapCode("99", "", "Something USPS has never said"); m != nil {
		t.Errorf("unknown code and text mapped to %s, want no mapping", m.Type.Name)
	}
}

func run(t *testing.T, format normalizers.Format, payload, hint string) (*normalizers.Batch, error) {
	t.Helper()
	return normalizertest.Normalize(n, format, []byte(payload), hint)
}

func mustRun(t *testing.T, format normalizers.Format, payload string) *normalizers.Batch {
	t.Helper()
	b, err := run(t, format, payload, "")
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	return b
}

func wantKind(t *testing.T, err error, kind normalizers.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", kind)
	}
	if got := normalizers.KindOf(err); got != kind {
		t.Fatalf("error kind %s (%v), want %s", got, err, kind)
	}
}

// v3 wraps events into a minimal Tracking API v3 response.
func v3(events ...string) string {
	return `{"trackingNumber":"9400100000000000000001","mailClass":"Priority Mail<SUP>&#174;</SUP>",` +
		`"trackingEvents":[` + strings.Join(events, ",") + `]}`
}

const (
	evDelivered = `{"eventType":"Delivered, Front Door/Porch","eventTimestamp":"2024-11-22T13:58:00","GMTTimestamp":"2024-11-22T18:58:40Z","GMTOffset":"-05:00","eventCity":"HERNANDO","eventState":"FL","eventZIP":"34442","eventCountry":null,"eventCode":"01"}`
	evOutFor    = `{"eventType":"Out for Delivery","eventTimestamp":"2024-11-22T09:10:00","GMTTimestamp":"2024-11-22T14:10:45Z","GMTOffset":"-05:00","eventCity":"HERNANDO","eventState":"FL","eventZIP":"34442","eventCode":"OF"}`
)

func TestJSONScan(t *testing.T) {
	b := mustRun(t, normalizers.JSON, v3(evDelivered))
	if len(b.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(b.Events))
	}
	e := b.Events[0]
	if e.Type.Name != "delivered.left_at_safe_place" || e.Service != "priority_mail" || e.TrackingNumber != "9400100000000000000001" {
		t.Errorf("got %s service %q tracking %q", e.Type.Name, e.Service, e.TrackingNumber)
	}
	if !e.OccurredAt.Equal(time.Date(2024, 11, 22, 18, 58, 0, 0, time.UTC)) || e.LocalOffset != -5*3600 || e.TZSource != event.TZCarrierOffset {
		t.Errorf("time %v offset %d source %v", e.OccurredAt, e.LocalOffset, e.TZSource)
	}
	if e.Location.Country != "US" || e.Location.Region != "FL" || e.Location.City != "HERNANDO" || e.Location.PostalCode != "34442" {
		t.Errorf("location %+v", e.Location)
	}
}

func TestDedup(t *testing.T) {
	// The same scan twice in one payload is one event.
	b := mustRun(t, normalizers.JSON, v3(evDelivered, evOutFor, evDelivered))
	if len(b.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(b.Events))
	}
	first := b.Events[1].ID // oldest first: out for delivery, then delivered
	// The same scan polled again, reworded, is the same event.
	reworded := strings.Replace(evDelivered, "Delivered, Front Door/Porch", "Delivered, Front Door / Porch", 1)
	b2 := mustRun(t, normalizers.JSON, v3(evOutFor, reworded))
	if b2.Events[1].ID != first {
		t.Errorf("same scan in two payloads got ids %s and %s", first, b2.Events[1].ID)
	}
	// Two scans under one code at the same minute and place are two events.
	arrived := `{"eventType":"Arrived at USPS Destination Facility","eventTimestamp":"2017-01-15T17:57:00","eventCity":"SAN DIEGO","eventState":"CA","eventZIP":"92199","eventCode":"10"}`
	departed := strings.Replace(arrived, "Arrived at", "Departed", 1)
	b3 := mustRun(t, normalizers.JSON, v3(arrived, departed))
	if len(b3.Events) != 2 || b3.Events[0].ID == b3.Events[1].ID {
		t.Fatalf("arrival and departure under code 10 merged: %d events", len(b3.Events))
	}
}

func TestAbsurdTimestamp(t *testing.T) {
	old := strings.Replace(evOutFor, "2024-11-22T09:10:00", "1999-12-31T09:10:00", 1)
	future := strings.Replace(evOutFor, "2024-11-22T09:10:00", "2031-01-01T09:10:00", 1)
	garbage := strings.Replace(evOutFor, "2024-11-22T09:10:00", "yesterday", 1)
	garbage = strings.Replace(garbage, `"GMTTimestamp":"2024-11-22T14:10:45Z",`, "", 1)
	b := mustRun(t, normalizers.JSON, v3(evDelivered, old, future, garbage))
	if len(b.Events) != 1 || len(b.Rejected) != 3 {
		t.Fatalf("got %d events and %d rejections, want 1 and 3", len(b.Events), len(b.Rejected))
	}
	for _, r := range b.Rejected {
		if r.Kind != normalizers.KindTimestamp {
			t.Errorf("rejection kind %s, want timestamp", r.Kind)
		}
	}
}

func TestTimes(t *testing.T) {
	cases := []struct {
		name, ev string
		utc      time.Time
		off      int32
		src      event.TZSource
	}{
		{"no offset: the state decides",
			`{"eventType":"Out for Delivery","eventTimestamp":"2024-07-02T09:10:00","eventCity":"DENVER","eventState":"CO","eventCode":"OF"}`,
			time.Date(2024, 7, 2, 15, 10, 0, 0, time.UTC), -6 * 3600, event.TZLocation},
		{"single-digit offset",
			`{"eventType":"Out for Delivery","eventTimestamp":"2024-07-02T09:10:00","GMTOffset":"-7:00","eventCity":"PHOENIX","eventState":"AZ","eventCode":"OF"}`,
			time.Date(2024, 7, 2, 16, 10, 0, 0, time.UTC), -7 * 3600, event.TZCarrierOffset},
		{"offset wins over a GMT stamp a day off",
			`{"eventType":"Departed Post Office","eventTimestamp":"2024-11-25T18:31:00","GMTTimestamp":"2024-11-25T00:31:21Z","GMTOffset":"-06:00","eventCity":"NEW BERLIN","eventState":"WI","eventCode":"SF"}`,
			time.Date(2024, 11, 26, 0, 31, 0, 0, time.UTC), -6 * 3600, event.TZCarrierOffset},
		{"no place, no offset: the GMT stamp implies it",
			`{"eventType":"In Transit to Next Facility","eventTimestamp":"2024-11-20T01:11:00","GMTTimestamp":"2024-11-20T06:11:52Z","eventCode":"TL"}`,
			time.Date(2024, 11, 20, 6, 11, 0, 0, time.UTC), -5 * 3600, event.TZCarrierOffset},
		{"plant name carries the state",
			`{"eventType":"Arrived at USPS Regional Facility","eventTimestamp":"2024-11-20T01:13:00","eventCity":"JACKSONVILLE FL DISTRIBUTION CENTER","eventCode":"A1"}`,
			time.Date(2024, 11, 20, 6, 13, 0, 0, time.UTC), -5 * 3600, event.TZLocation},
		{"international scan, country by name",
			`{"eventType":"Processed Through Facility","eventTimestamp":"2024-11-20T10:00:00","eventCity":"SHANGHAI","eventCountry":"CHINA","eventCode":"10"}`,
			time.Date(2024, 11, 20, 2, 0, 0, 0, time.UTC), 8 * 3600, event.TZLocation},
	}
	for _, c := range cases {
		b := mustRun(t, normalizers.JSON, v3(c.ev))
		if len(b.Events) != 1 {
			t.Errorf("%s: %d events, rejected %v", c.name, len(b.Events), b.Rejected)
			continue
		}
		e := b.Events[0]
		if !e.OccurredAt.Equal(c.utc) || e.LocalOffset != c.off || e.TZSource != c.src {
			t.Errorf("%s: got %v %d %v, want %v %d %v", c.name, e.OccurredAt, e.LocalOffset, e.TZSource, c.utc, c.off, c.src)
		}
	}
}

func TestPlaces(t *testing.T) {
	cases := []struct{ city, state, country, wantCity, wantRegion, wantCountry, wantFacility string }{
		{"OAK CREEK WI DISTRIBUTION CENTER", "", "", "OAK CREEK", "WI", "US", "OAK CREEK WI DISTRIBUTION CENTER"},
		{"ISC NEW YORK NY(USPS)", "", "", "ISC NEW YORK", "NY", "US", "ISC NEW YORK NY(USPS)"},
		{"LA PUENTE CA DISTRIBUTION CENTER", "", "", "LA PUENTE", "CA", "US", "LA PUENTE CA DISTRIBUTION CENTER"},
		{"TOKYO INT V BAG 2, JAPAN", "", "", "TOKYO INT V BAG 2", "", "JP", ""},
		{"LONDON", "", "GREAT BRITAIN AND NORTHERN IRELAND", "LONDON", "", "GB", ""},
		{"TORONTO", "ON", "CANADA", "TORONTO", "ON", "CA", ""},
		{"CHICAGO", "IL", "", "CHICAGO", "IL", "US", ""},
		{"SOMEWHERE", "", "ATLANTIS", "SOMEWHERE", "", "", ""},
	}
	for _, c := range cases {
		ev := `{"eventType":"Processed Through Facility","eventTimestamp":"2024-11-20T10:00:00","GMTOffset":"+00:00",` +
			`"eventCity":"` + c.city + `","eventState":"` + c.state + `","eventCountry":"` + c.country + `","eventCode":"10"}`
		b := mustRun(t, normalizers.JSON, v3(ev))
		l := b.Events[0].Location
		if l.City != c.wantCity || l.Region != c.wantRegion || l.Country != c.wantCountry || l.Facility != c.wantFacility {
			t.Errorf("%q/%q/%q: got %+v", c.city, c.state, c.country, l)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		format  normalizers.Format
		payload string
	}{
		{normalizers.JSON, `{"trackingNumber": "94001", "trackingEvents": [`},
		{normalizers.JSON, `"just a string"`},
		{normalizers.JSON, `{"hello": "world"}`},
		{normalizers.JSON, `{"trackingNumber":"1","trackingEvents":{"a":1}}`},
		{normalizers.XML, `<TrackResponse><TrackInfo ID="1">`},
		{normalizers.XML, `<Other/>`},
		{normalizers.XML, `not xml at all`},
	} {
		_, err := run(t, c.format, c.payload, "")
		wantKind(t, err, normalizers.KindDecode)
	}
}

func TestErrorBodies(t *testing.T) {
	notYet := `{"apiVersion":"/tracking/v3","error":{"code":"400","message":"12: A status update is not yet available on your package. - ",` +
		`"errors":[{"title":"12: A status update is not yet available on your package. It will be available when the shipper provides an update or the package is given to USPS. - ","detail":"","code":"150001"}]}}`
	// No number anywhere: a notice, not an event.
	_, err := run(t, normalizers.JSON, notYet, "")
	wantKind(t, err, normalizers.KindNotFound)
	// The transport knows the number: a pending event.
	b, err := run(t, normalizers.JSON, notYet, "9400100000000000000001")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].Raw.Code != "150001" {
		t.Fatalf("pending: err %v events %+v", err, b.Events)
	}
	if d := b.Events[0].Raw.Description; strings.Contains(d, "<") || strings.HasSuffix(d, "-") {
		t.Errorf("pending description not cleaned: %q", d)
	}
	// The number in the body wins over the hint.
	withNumber := strings.Replace(notYet, `{"apiVersion"`, `{"trackingNumber":"9400199999999999999999","apiVersion"`, 1)
	b, err = run(t, normalizers.JSON, withNumber, "OTHER")
	if err != nil || len(b.Events) != 1 || b.Events[0].TrackingNumber != "9400199999999999999999" {
		t.Fatalf("pending with number: err %v events %+v", err, b.Events)
	}

	invalid := `{"apiVersion":"/tracking/v3","error":{"code":"400","message":"Invalid tracking number.","errors":[{"code":"150002","title":"Invalid tracking number.","detail":"The tracking number 123 is not valid."}]}}`
	_, err = run(t, normalizers.JSON, invalid, "123")
	wantKind(t, err, normalizers.KindInvalidTracking)
	if !strings.Contains(err.Error(), "USPS error 150002") {
		t.Errorf("error message %q lacks the USPS code", err)
	}
	unauthorized := `{"apiVersion":"/tracking/v3","error":{"code":"401","message":"Unauthorized: Invalid access token."}}`
	_, err = run(t, normalizers.JSON, unauthorized, "123")
	wantKind(t, err, normalizers.KindCarrierError)
	_, err = run(t, normalizers.JSON, `{"error":"invalid_token","error_description":"Access token expired"}`, "123")
	wantKind(t, err, normalizers.KindCarrierError)

	xmlNotFound := `<?xml version="1.0" encoding="UTF-8"?><TrackResponse><TrackInfo ID="9400100000000000000002"><Error>` +
		`<Number>-2147219302</Number><Description>The Postal Service could not locate the tracking information for your request. Please verify your tracking number and try again later.</Description>` +
		`<HelpFile/><HelpContext/></Error></TrackInfo></TrackResponse>`
	b, err = run(t, normalizers.XML, xmlNotFound, "")
	if err != nil || len(b.Events) != 1 || b.Events[0].TrackingNumber != "9400100000000000000002" || b.Events[0].Raw.Code != "-2147219302" {
		t.Fatalf("XML could-not-locate: err %v events %+v", err, b.Events)
	}
	xmlInvalid := `<TrackResponse><TrackInfo ID="ABC"><Error><Number>-2147219301</Number><Description>Invalid Tracking Number.</Description></Error></TrackInfo></TrackResponse>`
	_, err = run(t, normalizers.XML, xmlInvalid, "")
	wantKind(t, err, normalizers.KindInvalidTracking)
	xmlAuth := `<?xml version="1.0" encoding="UTF-8"?><Error><Number>80040B1A</Number><Description>Authorization failure.  Perhaps username and/or password is incorrect.</Description><Source>USPSCOM::DoAuth</Source></Error>`
	_, err = run(t, normalizers.XML, xmlAuth, "")
	wantKind(t, err, normalizers.KindCarrierError)
}

func TestXML(t *testing.T) {
	payload := `<?xml version="1.0" encoding="UTF-8"?><TrackResponse><TrackInfo ID="9400111899223100000007">` +
		`<Class>Priority Mail Express 2-Day&lt;SUP&gt;&amp;#153;&lt;/SUP&gt;</Class><ExpectedDeliveryDate>January 17, 2017</ExpectedDeliveryDate>` +
		`<TrackSummary><EventTime>12:15 pm</EventTime><EventDate>January 17, 2017</EventDate><Event>Delivered, Left with Individual</Event>` +
		`<EventCity>SAN DIEGO</EventCity><EventState>CA</EventState><EventZIPCode>92104</EventZIPCode><EventCountry/><FirmName/><Name>J G</Name>` +
		`<AuthorizedAgent>false</AuthorizedAgent><EventCode>01</EventCode><DeliveryAttributeCode>04</DeliveryAttributeCode></TrackSummary>` +
		`<TrackDetail><EventTime>12:00 am</EventTime><EventDate>January 17, 2017</EventDate><Event>Arrived at Post Office</Event>` +
		`<EventCity>SAN DIEGO</EventCity><EventState>CA</EventState><EventZIPCode>92108</EventZIPCode><EventCode>07</EventCode></TrackDetail>` +
		`</TrackInfo></TrackResponse>`
	// Read as XML even when the binding says JSON.
	b := mustRun(t, normalizers.JSON, payload)
	if len(b.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(b.Events))
	}
	e := b.Events[1] // oldest first: the summary is the newest scan
	if e.Type.Name != "delivered.delivered" || e.Raw.Type != "04" || e.Service != "priority_mail_express_2_day" || e.EstimatedDelivery != "2017-01-17" {
		t.Errorf("summary scan: %s raw %+v service %q eta %q", e.Type.Name, e.Raw, e.Service, e.EstimatedDelivery)
	}
	if !e.OccurredAt.Equal(time.Date(2017, 1, 17, 20, 15, 0, 0, time.UTC)) || e.TZSource != event.TZLocation {
		t.Errorf("summary time %v %v", e.OccurredAt, e.TZSource)
	}
	if got := b.Events[0].OccurredAt; !got.Equal(time.Date(2017, 1, 17, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("12:00 am read as %v", got)
	}

	textOnly := `<TrackResponse><TrackInfo ID="EJ958083578US"><TrackSummary>Your item was delivered at 8:10 am on June 1 in Wilmington DE 19801.</TrackSummary></TrackInfo></TrackResponse>`
	_, err := run(t, normalizers.XML, textOnly, "")
	wantKind(t, err, normalizers.KindValidate)
}

// webtools is a TrackResponse with one TrackInfo holding body.
func webtools(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><TrackResponse><TrackInfo ID="9400111899223100000007">` + body + `</TrackInfo></TrackResponse>`
}

// detail is a TrackDetail in Wilmington, DE (Eastern time).
func detail(date, clock string) string {
	return `<TrackDetail><EventTime>` + clock + `</EventTime><EventDate>` + date + `</EventDate><Event>Arrived at Post Office</Event>` +
		`<EventCity>WILMINGTON</EventCity><EventState>DE</EventState><EventZIPCode>19801</EventZIPCode><EventCode>07</EventCode></TrackDetail>`
}

// The dates and clocks Web Tools writes, read without encoding/xml or fmt;
// one that is not a date or a clock leaves the scan without a time.
func TestXMLDatesAndClocks(t *testing.T) {
	for _, c := range []struct{ date, clock, want string }{
		{"February 6, 2014", "2:03 pm", "2014-02-06T19:03:00Z"},
		{"Feb. 6 2014", "2:03 P.M.", "2014-02-06T19:03:00Z"},
		{" february 6,2014 ", "12:24 am", "2014-02-06T05:24:00Z"},
		{"Sept 9, 2014", "12:00 pm", "2014-09-09T16:00:00Z"},
		{"2014-02-06", "14:03", "2014-02-06T19:03:00Z"},
		{"02/06/2014", "2:03:15 PM", "2014-02-06T19:03:15Z"},
		{"2/6/2014", "", "2014-02-06T05:00:00Z"}, // no time: local midnight
		{"February 30, 2014", "2:03 pm", ""},
		{"Febuary 6, 2014", "2:03 pm", ""},
		{"February 6th, 2014", "2:03 pm", ""},
		{"2014-2x-06", "2:03 pm", ""},
		{"02/06", "2:03 pm", ""},
		{"February 6, 2014", "13:03 pm", ""},
		{"February 6, 2014", "2:3:4:5", ""},
		{"February 6, 2014", "2 pm", ""},
		{"February 6, 2014", "2:003 pm", ""},
	} {
		b, err := run(t, normalizers.XML, webtools(detail(c.date, c.clock)), "")
		switch {
		case c.want == "":
			if err != nil || len(b.Events) != 0 || len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindTimestamp {
				t.Errorf("%q %q: err %v, %d events, rejections %v; want the scan rejected for its time", c.date, c.clock, err, len(b.Events), b.Rejected)
			}
		case err != nil || len(b.Events) != 1:
			t.Errorf("%q %q: err %v, %d events", c.date, c.clock, err, len(b.Events))
		case b.Events[0].OccurredAt.Format(time.RFC3339) != c.want:
			t.Errorf("%q %q: %s, want %s", c.date, c.clock, b.Events[0].OccurredAt.Format(time.RFC3339), c.want)
		}
	}
}

// A TrackInfo's fields count wherever they stand in it, as they did with
// encoding/xml: the shipment fields after the scans, a field sent twice
// (its last value), an entity in the ID attribute, a prefixed element.
func TestXMLFieldOrder(t *testing.T) {
	p := `<TrackResponse><TrackInfo ID="9400111899223100000&#48;07">` + detail("February 6, 2014", "2:03 pm") +
		`<Class>First-Class</Class><Class>Priority Mail</Class><DestinationCity>DOVER</DestinationCity><DestinationState>DE</DestinationState>` +
		`<x:ExpectedDeliveryDate xmlns:x="u">February 7, 2014</x:ExpectedDeliveryDate></TrackInfo></TrackResponse>`
	b, err := run(t, normalizers.XML, p, "")
	if err != nil || len(b.Events) != 1 {
		t.Fatalf("err %v, %d events", err, len(b.Events))
	}
	e := b.Events[0]
	if e.TrackingNumber != "9400111899223100000007" || e.Service != "priority_mail" || e.Destination.City != "DOVER" || e.EstimatedDelivery != "2014-02-07" {
		t.Errorf("got %+v", e)
	}
}
