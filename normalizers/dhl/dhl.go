// Package dhl normalizes DHL's tracking APIs under the one carrier id dhl,
// so that a parcel tracked through two of them is one shipment: Shipment
// Tracking - Unified API JSON (shipments[].events[]), the one API that
// tracks every DHL division (express, parcel-de, ecommerce, freight and
// the others); MyDHL API JSON (mydhl.go); DHL Express XML-PI and DHL
// Parcel DE's piece-detail XML (xml.go). JSON or XML is the payload's
// first byte, and which API within each its content.
//
// DHL's statusCode is coarse (pre-transit, transit, delivered, failure,
// unknown) and its texts are free prose in the language asked for, German for
// parcel-de by default. Events are classified by DHL's codes where it sends
// them (statusDetailed "ICE_RIC_STD" for parcel-de), else by the wording of
// the text, else by the statusCode alone; see codes.tsv for the order.
//
// Timestamps usually have no offset and are the local time of the event's
// place, so the place decides the zone. Many parcel-de events name no place
// at all, or only "Deutschland"; a domestic shipment's own country stands in
// for those.
package dhl

import (
	"bytes"
	_ "embed"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/taxonomy"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the DHL code table.
var Table = normalizers.MustLoadTable("dhl/codes.tsv", codesTSV)

var returnedToSender = taxonomy.MustLookup("returned.returned_to_sender")

// Spec is everything wismo knows about DHL; its samples are in
// testdata/carriers/dhl. The benchmark measures the Unified API captures,
// as it always has, so its figures compare across commits.
var Spec = normalizers.Spec{ID: "dhl", Name: "DHL", Reads: []normalizers.Format{normalizers.JSON, normalizers.XML}, Table: Table,
	Bench: []string{"unified-parcel-de-*.json", "unified-express-*.json", "xmlpi-*.xml", "piece-detail-*.xml"}}

// Normalizer reads DHL's APIs: the Unified API and MyDHL API (JSON), DHL
// Express XML-PI and DHL Parcel DE's tracking XML (xml.go).
type Normalizer struct {
	normalizers.Spec
	parsers  fastjson.ParserPool
	scanners normalizers.XMLScanners
}

// New returns a DHL normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a DHL scan that arrives in another container. code may be a
// statusCode (then subcode may hold statusDetailed), a statusDetailed
// "ICE_RIC_STD" (then subcode may hold the statusCode), or a short code such
// as an express checkpoint.
func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	k := keys{statusCode: "unknown", desc: desc}
	switch {
	case isStatusCode(code):
		k.statusCode = code
		if isDetailedCode(subcode) {
			k.detailed = subcode
		}
	case isDetailedCode(code):
		k.detailed = code
		if isStatusCode(subcode) {
			k.statusCode = subcode
		}
	case len(code) == 5 && isShortCode(code):
		k.detailed = code // an ICE or RIC code on its own
		if isStatusCode(subcode) {
			k.statusCode = subcode
		}
	case isShortCode(code):
		k.short, k.service = code, subcode
		if k.service == "" {
			k.service = "express"
		}
	}
	return classify(&k)
}

// keys is what classify looks at for one event.
type keys struct {
	statusCode string // pre-transit, transit, delivered, failure, or unknown
	detailed   string // statusDetailed, when it is a code
	short      string // status, when it is a code (PO, DF, OK ...)
	service    string // service key: express, parcel_de ...
	desc       string // description
	title      string // status, when it is prose
	detail     string // statusDetailed, when it is prose
}

// classify finds the table row for an event; nil means unmapped.
func classify(k *keys) *normalizers.Mapping {
	if k.detailed != "" {
		ice, ric := splitDetailed(k.detailed)
		if m := Table.Lookup(ice, ric, ""); m != nil && m.Subcode == ric && k.fits(m) {
			return m
		}
		if m := Table.Lookup(ice, "\x00", ""); m != nil && k.fits(m) {
			return m
		}
		if ric != "" {
			if m := Table.Lookup(ric, k.statusCode, ""); m != nil && k.fits(m) {
				return m
			}
		}
	}
	for i, text := range [...]string{k.desc, k.title, k.detail} {
		if text == "" || i == 1 && text == k.desc {
			continue
		}
		if m := textRows.lookup(text, k.statusCode); m != nil {
			if k.fits(m) {
				return m
			}
			break // the text is understood; only DHL's codes can say more
		}
	}
	if k.short != "" {
		if m := Table.Lookup(k.short, k.service, ""); m != nil && m.Subcode != "*" && k.fits(m) {
			return m
		}
	}
	if k.statusCode != "unknown" {
		if m := Table.Lookup(k.statusCode, "", ""); m != nil && m.Code == k.statusCode {
			return m
		}
	}
	return nil
}

// fits refuses a delivered type unless DHL's own statusCode agrees: DHL
// words forecasts and locker deposits with "zugestellt" and "delivered", a
// false delivery is the worst mistake a tracking page can make, and a
// delivered milestone cannot be taken back. DHL's own example payload even
// pairs statusCode pre-transit with status "DELIVERED".
func (k *keys) fits(m *normalizers.Mapping) bool {
	if m.Type.Milestone != "delivered" {
		return true
	}
	return k.statusCode == "delivered" || k.statusCode == "unknown"
}

// splitDetailed splits "DLVRD_NGHBR_ZU" into its event and reason codes.
func splitDetailed(s string) (ice, ric string) {
	ice = s
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			ice, s = s[:i], s[i+1:]
			ric = s
			for j := 0; j < len(s); j++ {
				if s[j] == '_' {
					ric = s[:j]
					break
				}
			}
			break
		}
	}
	return ice, ric
}

func isStatusCode(s string) bool {
	switch s {
	case "pre-transit", "transit", "delivered", "failure", "unknown":
		return true
	}
	return false
}

// statusCodeKey returns the table's spelling of a statusCode, "unknown" for
// an absent or unexpected one. It does not allocate.
func statusCodeKey(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 16 {
		return "unknown"
	}
	var buf [16]byte
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == '_' || c == ' ' {
			c = '-'
		}
		buf[i] = c
	}
	switch string(buf[:len(b)]) {
	case "pre-transit":
		return "pre-transit"
	case "transit":
		return "transit"
	case "delivered":
		return "delivered"
	case "failure":
		return "failure"
	}
	return "unknown"
}

// isDetailedCode accepts parcel-de's "ICE_RIC_STD": upper-case letters and
// digits in two or three parts joined by underscores.
func isDetailedCode(s string) bool {
	parts, n := 1, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			if n == 0 {
				return false
			}
			parts, n = parts+1, 0
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			n++
		default:
			return false
		}
	}
	return n > 0 && parts >= 2 && parts <= 4 && len(s) <= 24
}

// isShortCode accepts a checkpoint or standard event code: two to five
// capitals or digits, as opposed to a status title like "DELIVERED".
func isShortCode(s string) bool {
	if len(s) < 2 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Normalize implements normalizers.Normalizer. The payload's first byte
// says JSON or XML, whatever the topic is bound to; within each, the
// content says which of DHL's APIs sent it.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	if normalizers.DetectFormat(in.Payload, in.Format) == normalizers.XML {
		return n.normalizeXML(in, b)
	}
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a DHL Unified API response")
	if err != nil {
		return err
	}
	sv := root.Get("shipments")
	if sv == nil {
		if isProblem(root) {
			return problem(root, in, b)
		}
		if root.Get("id") != nil && root.Get("events") != nil {
			// One shipment on its own, as a push or a stored copy may carry it.
			return n.shipment(root, in, b)
		}
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a DHL Unified API response: no shipments and no error")
	}
	shipments, err := sv.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "shipments is not an array")
	}
	if len(shipments) == 0 {
		return pending("", "DHL returned no shipment for this tracking number", "", in, b)
	}
	for _, sh := range shipments {
		if err := n.shipment(sh, in, b); err != nil {
			return err
		}
	}
	return nil
}

// isProblem recognizes DHL's error body, application/problem+json:
// {"title": ..., "status": 404, "detail": ...}, and the API gateway's fault.
func isProblem(root *fastjson.Value) bool {
	return root.Get("status") != nil && (root.Get("title") != nil || root.Get("detail") != nil) ||
		root.Get("fault") != nil
}

func problem(root *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	status := 0
	switch st := root.Get("status"); {
	case st == nil:
	case st.Type() == fastjson.TypeNumber:
		status = st.GetInt()
	default:
		status, _ = strconv.Atoi(string(bytes.TrimSpace(st.GetStringBytes())))
	}
	title := string(root.GetStringBytes("title"))
	msg := string(root.GetStringBytes("detail"))
	if f := root.Get("fault"); f != nil {
		msg = string(f.GetStringBytes("faultstring"))
		if code := f.GetStringBytes("detail", "errorcode"); len(code) > 0 {
			title = string(code)
		}
	}
	if msg == "" {
		msg = title
	}
	code := strconv.Itoa(status)
	switch {
	case status == 404:
		return pending(code, msg, trackingFromInstance(root.GetStringBytes("instance")), in, b)
	case status == 400 && invalidTracking(title+" "+msg):
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "DHL error %d: %s", status, msg)
	case status == 0:
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "DHL error %s: %s", title, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "DHL error %d: %s", status, msg)
}

// invalidTracking tells "the number is malformed" from other bad requests
// (unknown service, bad language, missing parameter).
func invalidTracking(s string) bool {
	t := []byte(s)
	if !containsFold(t, "tracking number") && !containsFold(t, "trackingnumber") && !containsFold(t, "tracking-number") {
		return false
	}
	return containsFold(t, "invalid") || containsFold(t, "not valid") || containsFold(t, "wrong") ||
		containsFold(t, "format") || containsFold(t, "malformed")
}

func containsFold(s []byte, lower string) bool {
	return bytes.Contains(bytes.ToLower(s), []byte(lower))
}

// trackingFromInstance reads the number a problem body's instance names:
// "/track/shipments?trackingNumber=00340434...", or "/shipment/8264715546".
func trackingFromInstance(inst []byte) string {
	if i := bytes.Index(inst, []byte("trackingNumber=")); i >= 0 {
		v := inst[i+len("trackingNumber="):]
		if j := bytes.IndexAny(v, "&?#"); j >= 0 {
			v = v[:j]
		}
		return trackingToken(v)
	}
	for _, prefix := range [...]string{"/shipments/", "/shipment/"} {
		if i := bytes.LastIndex(inst, []byte(prefix)); i >= 0 {
			return trackingToken(inst[i+len(prefix):])
		}
	}
	return ""
}

// trackingToken returns v when it looks like a tracking number: letters and
// digits only, 6 to 40 of them.
func trackingToken(v []byte) string {
	if len(v) < 6 || len(v) > 40 {
		return ""
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return ""
		}
	}
	return string(bytes.ToUpper(v))
}

func pending(code, msg, tracking string, in *normalizers.Input, b *normalizers.Batch) error {
	if in.TrackingHint != "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
			"DHL has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
	}
	b.Pending(tracking, code, msg)
	return nil
}

// shipment holds what every event of one shipment shares.
type shipment struct {
	scan normalizers.Scan
	// country stands in for the place of events that name none: the
	// shipment's country when it never leaves it.
	country    string
	returnFlag bool
}

func (n *Normalizer) shipment(sh *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if sh.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a shipment is a JSON %s, not an object", sh.Type())
	}
	if isMyDHL(sh) {
		return n.mydhl(sh, in, b)
	}
	tracking := trackingID(sh.Get("id"), b)
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "shipment without id")
	}
	svc := sh.GetStringBytes("service")
	s := shipment{scan: normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(svc, Spec.ID),
		EstimatedDelivery: estimatedDelivery(sh, b),
	}}
	address(sh.Get("origin", "address"), &s.scan.Origin, b)
	address(sh.Get("destination", "address"), &s.scan.Destination, b)
	switch o, d := s.scan.Origin.Country, s.scan.Destination.Country; {
	case o != "" && o == d:
		s.country = o
	case o == "" && d == "" && (string(svc) == "parcel-de" || string(svc) == "post-de"):
		s.country = "DE" // DHL's German network
	}
	s.returnFlag = sh.GetBool("returnFlag")

	events := sh.GetArray("events")
	if len(events) == 0 {
		// No history: the status is the only scan there is.
		if st := sh.Get("status"); st != nil && st.Type() == fastjson.TypeObject && st.Get("timestamp") != nil {
			n.event(st, &s, b)
			return nil
		}
		b.Pending(tracking, "no-events", "DHL knows the shipment but has no events for it yet")
		return nil
	}
	for _, ev := range events {
		n.event(ev, &s, b)
	}
	return nil
}

// placeFromShipment gives an event that names no country the country it
// must have happened in: its city's, when that is the shipment's origin or
// destination city (DHL Express names the delivery place by its city alone);
// the destination's, for a delivery; the shipment's own, when it never
// leaves one country.
func placeFromShipment(l *event.Location, s *normalizers.Scan, sh *shipment) {
	var from *event.Location
	switch {
	case l.City != "" && strings.EqualFold(l.City, s.Destination.City):
		from = &s.Destination
	case l.City != "" && strings.EqualFold(l.City, s.Origin.City):
		from = &s.Origin
	case s.Type != nil && s.Type.Milestone == "delivered":
		from = &s.Destination
	}
	if from != nil && from.Country != "" {
		l.Country = from.Country
		if l.Region == "" {
			l.Region = from.Region
		}
		return
	}
	l.Country = sh.country
}

// trackingID reads shipments[].id, a string or (in DHL's own example) a
// number.
func trackingID(v *fastjson.Value, b *normalizers.Batch) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return b.Upper(v.GetStringBytes())
	case fastjson.TypeNumber:
		var buf [32]byte
		raw := v.MarshalTo(buf[:0])
		if bytes.ContainsAny(raw, ".eE-") {
			return "" // not an integer: not a tracking number
		}
		return b.Str(raw)
	}
	return ""
}

// estimatedDelivery is the estimated delivery date, YYYY-MM-DD, in the
// carrier's own local date: estimatedTimeOfDelivery, else the end of
// estimatedDeliveryTimeFrame (the date the customer is promised), else its
// start.
func estimatedDelivery(sh *fastjson.Value, b *normalizers.Batch) string {
	for _, v := range [...][]byte{
		sh.GetStringBytes("estimatedTimeOfDelivery"),
		sh.GetStringBytes("estimatedDeliveryTimeFrame", "estimatedThrough"),
		sh.GetStringBytes("estimatedDeliveryTimeFrame", "estimatedFrom"),
	} {
		v = bytes.TrimSpace(v)
		if len(v) < 10 {
			continue
		}
		if _, ok := normalizers.ParseISO(v); ok || (len(v) == 10 && validDate(v)) {
			return b.Str(v[:10])
		}
	}
	return ""
}

func validDate(v []byte) bool {
	var buf [19]byte
	copy(buf[:], v[:10])
	copy(buf[10:], "T00:00:00")
	_, ok := normalizers.ParseISO(buf[:])
	return ok
}

func (n *Normalizer) event(ev *fastjson.Value, sh *shipment, b *normalizers.Batch) {
	s := &sh.scan
	statusCodeRaw := bytes.TrimSpace(ev.GetStringBytes("statusCode"))
	status := bytes.TrimSpace(ev.GetStringBytes("status"))
	detailed := bytes.TrimSpace(ev.GetStringBytes("statusDetailed"))
	desc := bytes.TrimSpace(ev.GetStringBytes("description"))

	k := keys{statusCode: statusCodeKey(statusCodeRaw), service: s.Service}
	k.desc = redactor.Text(b, b.Str(desc))
	switch {
	case len(status) == 0:
	case bytes.Equal(status, desc):
		k.title = k.desc
	default:
		st := redactor.Text(b, b.Str(status))
		if isShortCode(st) {
			k.short = st
		} else {
			k.title = st
		}
	}
	if signatory(&k, status) {
		k.desc = normalizers.Redacted
	}
	if len(detailed) > 0 {
		d := b.Str(detailed)
		if isDetailedCode(d) {
			k.detailed = d
		} else {
			k.detail = d
		}
	}

	s.Type, s.Reason = nil, ""
	if m := classify(&k); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	if sh.returnFlag && s.Type != nil && s.Type.Milestone == "delivered" {
		// A return shipment is delivered to the one who sent the original.
		s.Type, s.Reason = returnedToSender, ""
	}

	s.Raw = event.Raw{Description: k.desc}
	if s.Raw.Description == "" {
		s.Raw.Description = k.title
	}
	statusCode := k.statusCode
	if string(statusCodeRaw) != statusCode {
		statusCode = b.Str(statusCodeRaw)
	}
	switch {
	case k.detailed != "":
		s.Raw.Code, s.Raw.Type = k.detailed, statusCode
	case k.short != "":
		s.Raw.Code, s.Raw.Type = k.short, statusCode
	default:
		s.Raw.Code = statusCode
	}
	// DHL's codes are too coarse to tell two scans of one minute and place
	// apart, so the wording joins the event id; a statusDetailed code is
	// precise enough on its own and survives a change of language.
	s.IDExtra = ""
	if k.detailed == "" {
		s.IDExtra = s.Raw.Description
	}

	s.Location = event.Location{}
	location(ev.Get("location"), &s.Location, b)
	if s.Location.Country == "" {
		placeFromShipment(&s.Location, s, sh)
	}

	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(ev.GetStringBytes("timestamp")); ok {
		s.Time = t
	}
	b.Add(s)
}
