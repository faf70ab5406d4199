// Package fedex normalizes FedEx Track API v1 JSON
// (output.completeTrackResults[].trackResults[].scanEvents[]) and, in
// xml.go, the legacy FedEx Web Services Track reply (TrackReply, XML).
//
// FedEx gives each scan an ISO 8601 local time, almost always with its UTC
// offset (tz_source carrier_offset); a bare wall clock gets the zone of the
// scan's place. Scans are classified by eventType, refined by exceptionCode
// and, since FedEx reuses and renumbers exception codes, by the exception's
// wording; see codes.tsv for the lookup order.
//
// One answer may carry several tracking numbers (completeTrackResults) and
// several shipments under one number (trackResults, e.g. a package and its
// redirect to a FedEx location); scans repeated across them are emitted once
// because Batch.Add drops duplicate event ids.
package fedex

import (
	"bytes"
	_ "embed"
	"errors"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the FedEx code table.
var Table = normalizers.MustLoadTable("fedex/codes.tsv", codesTSV)

const carrier = "fedex"

// defaultSub is the subcode of a code's fallback row in codes.tsv. It is
// never a real FedEx exception code, so ordinary lookups skip those rows.
const defaultSub = "default"

// Spec is everything wismo knows about FedEx; its samples are in
// testdata/carriers/fedex. The benchmark measures the Track API captures
// it always has, so its figures compare across commits.
var Spec = normalizers.Spec{ID: carrier, Name: "FedEx", Reads: []normalizers.Format{normalizers.JSON, normalizers.XML}, Table: Table,
	Bench: []string{"track-v1-ground-*.json", "track-v1-priority-*.json", "*.xml"}}

// Normalizer reads FedEx payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a FedEx normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps an eventType, exceptionCode and description the way a scan in
// a Track API payload is mapped (without the derivedStatusCode fallback).
func (*Normalizer) MapCode(code, subcode, description string) *normalizers.Mapping {
	if m, known := lookupCode(code, subcode, description); known {
		return m
	}
	return Table.Lookup("*", subcode, description)
}

// lookupCode applies a code's own rows, then the shared exception wording,
// then the code's default row. known is false when the table has no rows
// for the code at all, so that the caller can try another code first.
func lookupCode(code, sub, text string) (m *normalizers.Mapping, known bool) {
	m = Table.Lookup(code, sub, text)
	if m != nil && m.Code == code {
		return m, true
	}
	// The first lookup already tried every own row that is not a default
	// row, so an own match now is the default row.
	d := Table.Lookup(code, defaultSub, text)
	if d == nil || d.Code != code {
		return nil, false
	}
	if m != nil {
		return m, true
	}
	return d, true
}

// Error codes of the Track API. "Not found" means FedEx has no scan for the
// number yet (labels show up hours after printing); the invalid ones mean the
// number itself is wrong.
var (
	notFoundCodes = map[string]bool{
		"TRACKING.TRACKINGNUMBER.NOTFOUND":  true,
		"TRACKING.REFERENCENUMBER.NOTFOUND": true,
		"TRACKING.TCN.NOTFOUND":             true,
		"TRACKING.DATA.NOTFOUND":            true,
		"NOTIFICATION.TRACKINGNBR.NOTFOUND": true,
	}
	invalidCodes = map[string]bool{
		"TRACKING.TRACKINGNUMBER.INVALID": true,
		"TRACKING.TRACKINGNUMBER.EMPTY":   true,
		"TRACKING.REFERENCEVALUE.INVALID": true,
		"TRACKING.REFRENCEVALUE.INVALID":  true, // sic, as FedEx documents it
		"TRACKING.REFERENCEVALUE.EMPTY":   true,
		"TRACKING.TCNVALUE.EMPTY":         true,
	}
)

// Normalize implements normalizers.Normalizer. A payload whose first byte
// contradicts the configured format is read as what it is, so that a topic
// fed by pollers of both FedEx APIs (or bound to the wrong one) still
// normalizes.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	switch normalizers.DetectFormat(in.Payload, in.Format) {
	case normalizers.XML:
		return normalizeXML(in, b)
	case normalizers.JSON, "":
		return n.normalizeJSON(in, b)
	}
	return normalizers.Errorf(normalizers.KindUnsupportedCarrier, carrier,
		"format %q is not supported for fedex (supported: json, xml)", in.Format)
}

// normalizeJSON reads a Track API v1 answer.
func (n *Normalizer) normalizeJSON(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := p.ParseBytes(in.Payload)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed JSON: %v", err)
	}
	if root.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "not a FedEx Track API response: top level is %s, not an object", root.Type())
	}
	errs := root.GetArray("errors")
	results := root.Get("output", "completeTrackResults")
	if results == nil || results.Type() == fastjson.TypeNull {
		if len(errs) > 0 {
			return errorBody(errs[0], in, b)
		}
		return normalizers.Errorf(normalizers.KindDecode, carrier, "not a FedEx Track API response: no output.completeTrackResults or errors")
	}
	complete, err := results.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "output.completeTrackResults is not an array")
	}
	if len(complete) == 0 && len(errs) > 0 {
		return errorBody(errs[0], in, b)
	}
	// A result-level error does not spoil the payload's other results: it is
	// recorded as a rejection of that result alone. A result that carries
	// scans is read even when it also has an error object (FedEx's own
	// examples attach both).
	for _, c := range complete {
		queried := c.GetStringBytes("trackingNumber")
		for _, r := range c.GetArray("trackResults") {
			var err error
			if e := r.Get("error"); len(e.GetStringBytes("code")) > 0 && len(r.GetArray("scanEvents")) == 0 {
				err = resultError(e, queried, r, in, b)
			} else {
				err = result(r, queried, in, b)
			}
			var ne *normalizers.Error
			if errors.As(err, &ne) && ne.Kind != normalizers.KindNotFound {
				b.Reject(ne.Kind, ne.Tracking, ne.Msg)
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// errorBody handles a top-level error answer, which names no tracking number.
func errorBody(e *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	code, msg := string(e.GetStringBytes("code")), string(e.GetStringBytes("message"))
	if notFoundCodes[code] {
		if in.TrackingHint == "" {
			return normalizers.Errorf(normalizers.KindNotFound, carrier,
				"FedEx has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
		}
		b.Pending(in.TrackingHint, code, msg)
		return nil
	}
	kind := normalizers.KindCarrierError
	if invalidCodes[code] {
		kind = normalizers.KindInvalidTracking
	}
	return normalizers.Errorf(kind, carrier, "FedEx error %s: %s", code, msg)
}

// resultError handles the error of one trackResult. A "not found" becomes a
// pending event; anything else is returned for the caller to record as the
// rejection of this result.
func resultError(e *fastjson.Value, queried []byte, r *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	code, msg := string(e.GetStringBytes("code")), string(e.GetStringBytes("message"))
	tracking := b.Upper(queried)
	if tracking == "" {
		tracking = b.Upper(r.GetStringBytes("trackingNumberInfo", "trackingNumber"))
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if notFoundCodes[code] {
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, carrier,
				"FedEx has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
		}
		b.Pending(tracking, code, msg)
		return nil
	}
	kind := normalizers.KindCarrierError
	if invalidCodes[code] {
		kind = normalizers.KindInvalidTracking
	}
	return &normalizers.Error{Kind: kind, Carrier: carrier, Tracking: tracking, Msg: "FedEx error " + code + ": " + msg}
}

// result adds the scans of one trackResult.
func result(r *fastjson.Value, queried []byte, in *normalizers.Input, b *normalizers.Batch) error {
	tracking := b.Upper(r.GetStringBytes("trackingNumberInfo", "trackingNumber"))
	if tracking == "" {
		tracking = b.Upper(queried)
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, carrier, "trackResult without a tracking number")
	}
	service := r.GetStringBytes("serviceDetail", "type")
	if len(service) == 0 {
		service = r.GetStringBytes("serviceDetail", "description")
	}
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(service, carrier),
		EstimatedDelivery: estimatedDelivery(r, b),
	}
	// The shipper's own address first: originLocation is the FedEx station.
	address(r.Get("shipperInformation", "address"), &s.Origin, b)
	if s.Origin.IsZero() {
		address(r.Get("originLocation", "locationContactAndAddress", "address"), &s.Origin, b)
	}
	// The last updated address first: it follows a redirect.
	address(r.Get("lastUpdatedDestinationAddress"), &s.Destination, b)
	if s.Destination.IsZero() {
		address(r.Get("recipientInformation", "address"), &s.Destination, b)
	}
	if s.Destination.IsZero() {
		address(r.Get("destinationLocation", "locationContactAndAddress", "address"), &s.Destination, b)
	}

	scans := r.GetArray("scanEvents")
	if len(scans) == 0 {
		latestStatus(r, &s, b)
		return nil
	}
	for _, ev := range scans {
		scan(ev, &s, b)
	}
	return nil
}

func scan(ev *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	code := b.Upper(ev.GetStringBytes("eventType"))
	sub := b.Upper(ev.GetStringBytes("exceptionCode"))
	desc := describe(b, ev.GetStringBytes("eventDescription"), ev.GetStringBytes("exceptionDescription"))
	classify(s, code, sub, desc, func() []byte { return ev.GetStringBytes("derivedStatusCode") }, b)
	s.Raw = event.Raw{Code: code, Type: sub, Description: desc}

	s.Location = event.Location{}
	address(ev.Get("scanLocation"), &s.Location, b)
	s.Location.Facility = b.Str(ev.GetStringBytes("locationId"))

	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(ev.GetStringBytes("date")); ok {
		s.Time = t
	}
	b.Add(s)
}

// classify sets the scan's type: eventType decides; FedEx's own coarser
// derivedStatusCode stands in for an eventType the table does not know;
// derived looks it up only then, as most scans need no look-up.
func classify(s *normalizers.Scan, code, sub, desc string, derived func() []byte, b *normalizers.Batch) {
	m, known := lookupCode(code, sub, desc)
	if !known {
		if d := derived(); len(d) > 0 && string(d) != code {
			m, known = lookupCode(b.Upper(d), sub, desc)
		}
	}
	if !known {
		m = Table.Lookup("*", sub, desc)
	}
	s.Type, s.Reason = nil, ""
	if m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
}

// latestStatus stands in for the scan history when the answer has none
// (a request without includeDetailedScans, or a label FedEx has not
// scanned): a delivery or pickup becomes one scan at the time dateAndTimes
// gives; a label with no scan is pending, as FedEx has no scan yet.
func latestStatus(r *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	st := r.Get("latestStatusDetail")
	if st == nil {
		return
	}
	code := st.GetStringBytes("code")
	var when string
	switch string(code) {
	case "DL":
		when = "ACTUAL_DELIVERY"
	case "PU":
		when = "ACTUAL_PICKUP"
	case "OC":
		b.Pending(s.TrackingNumber, b.Upper(code), b.Str(st.GetStringBytes("description")))
		return
	default:
		return
	}
	var at []byte
	for _, d := range r.GetArray("dateAndTimes") {
		if string(d.GetStringBytes("type")) == when {
			at = d.GetStringBytes("dateTime")
			break
		}
	}
	t, ok := normalizers.ParseISO(at)
	if !ok {
		return
	}
	var sub, reason []byte
	if ad := st.GetArray("ancillaryDetails"); len(ad) > 0 {
		sub, reason = ad[0].GetStringBytes("reason"), ad[0].GetStringBytes("reasonDescription")
	}
	c, sc := b.Upper(code), b.Upper(sub)
	desc := describe(b, st.GetStringBytes("description"), reason)
	classify(s, c, sc, desc, func() []byte { return st.GetStringBytes("derivedCode") }, b)
	s.Raw = event.Raw{Code: c, Type: sc, Description: desc}
	s.Location = event.Location{}
	address(st.Get("scanLocation"), &s.Location, b)
	s.Time = t
	b.Add(s)
}

// describe joins the event and exception descriptions, which FedEx shows
// one under the other ("Delivery exception" / "Customer not available or
// business closed"); the table matches the joined text. A name in it is
// withheld (see redactor).
func describe(b *normalizers.Batch, what, why []byte) string {
	what, why = bytes.TrimSpace(what), bytes.TrimSpace(why)
	switch {
	case len(why) == 0 || bytes.EqualFold(what, why):
		return redactor.Text(b, b.Str(what))
	case len(what) == 0:
		return redactor.Text(b, b.Str(why))
	}
	var buf [256]byte
	joined := append(append(append(buf[:0], what...), ": "...), why...)
	return redactor.Text(b, b.Str(joined))
}

func address(v *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if v == nil {
		return
	}
	l.City = b.Str(v.GetStringBytes("city"))
	l.Region = b.Upper(v.GetStringBytes("stateOrProvinceCode"))
	l.PostalCode = b.Str(v.GetStringBytes("postalCode"))
	l.Country = b.Upper(v.GetStringBytes("countryCode"))
}

// estimatedDelivery is the local date (YYYY-MM-DD) of FedEx's current
// estimate, else of the standard transit time.
func estimatedDelivery(r *fastjson.Value, b *normalizers.Batch) string {
	if d := isoDate(r.GetStringBytes("estimatedDeliveryTimeWindow", "window", "ends")); d != nil {
		return b.Str(d)
	}
	if d := isoDate(r.GetStringBytes("estimatedDeliveryTimeWindow", "window", "begins")); d != nil {
		return b.Str(d)
	}
	for _, dt := range r.GetArray("dateAndTimes") {
		if string(dt.GetStringBytes("type")) == "ESTIMATED_DELIVERY" {
			if d := isoDate(dt.GetStringBytes("dateTime")); d != nil {
				return b.Str(d)
			}
		}
	}
	if d := isoDate(r.GetStringBytes("standardTransitTimeWindow", "window", "ends")); d != nil {
		return b.Str(d)
	}
	return ""
}

// isoDate returns the "YYYY-MM-DD" that starts v, or nil.
func isoDate(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) < 10 || v[4] != '-' || v[7] != '-' || (len(v) > 10 && v[10] != 'T' && v[10] != ' ') {
		return nil
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if v[i] < '0' || v[i] > '9' {
			return nil
		}
	}
	month := int(v[5]-'0')*10 + int(v[6]-'0')
	day := int(v[8]-'0')*10 + int(v[9]-'0')
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return nil
	}
	return v[:10]
}
