// Package ups normalizes UPS Track API v1 JSON
// (trackResponse.shipment[].package[].activity[]) and the legacy XML
// Tracking API (TrackResponse/Shipment/Package/Activity, see xml.go).
//
// UPS gives each JSON activity a local date and time plus the GMT offset in
// force there, so times are exact (tz_source carrier_offset). Activities are
// classified by status.code and status.type, refined by the description where
// UPS reuses a code; see codes.tsv. Both formats share the code table and
// the classification (classify), so a scan maps the same whichever API
// delivered it.
package ups

import (
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the UPS code table.
var Table = normalizers.MustLoadTable("ups/codes.tsv", codesTSV)

// Spec is everything wismo knows about UPS; its samples are in
// testdata/carriers/ups.
var Spec = normalizers.Spec{ID: "ups", Name: "UPS", Reads: []normalizers.Format{normalizers.JSON, normalizers.XML}, Table: Table}

// Normalizer reads UPS payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a UPS normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

func (*Normalizer) MapCode(code, typ, desc string) *normalizers.Mapping {
	return Table.Lookup(code, typ, desc)
}

// Error codes UPS uses for "no such shipment yet" (as opposed to an invalid
// number): the shipment is pending, not broken.
var notFoundCodes = map[string]bool{"TW0001": true, "TV1001": true, "TW0002": true}

// Normalize implements normalizers.Normalizer. It reads in.Format, but a
// payload whose first byte says otherwise ('<' for XML, '{' for JSON) is
// read as what it is, so a topic bound to the wrong format, or carrying both
// APIs while a shipper migrates, still normalizes.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	if normalizers.DetectFormat(in.Payload, in.Format) == normalizers.XML {
		return normalizeXML(in, b)
	}
	return n.normalizeJSON(in, b)
}

func (n *Normalizer) normalizeJSON(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := p.ParseBytes(in.Payload)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, "ups", "malformed JSON: %v", err)
	}
	if errs := root.GetArray("response", "errors"); len(errs) > 0 {
		return n.errorBody(errs, in, b)
	}
	tr := root.Get("trackResponse")
	if tr == nil {
		return normalizers.Errorf(normalizers.KindDecode, "ups", "not a UPS Track API response: no trackResponse or response.errors")
	}
	// Get returns nil for a missing key, and fastjson's Array panics on nil.
	sv := tr.Get("shipment")
	if sv == nil {
		return normalizers.Errorf(normalizers.KindDecode, "ups", "trackResponse has no shipment")
	}
	shipments, err := sv.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, "ups", "trackResponse.shipment is not an array")
	}
	for _, sh := range shipments {
		if err := n.shipment(sh, in, b); err != nil {
			return err
		}
	}
	return nil
}

func (n *Normalizer) errorBody(errs []*fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	e := errs[0]
	code, msg := string(e.GetStringBytes("code")), string(e.GetStringBytes("message"))
	if notFoundCodes[code] {
		return pending(code, msg, "", in, b)
	}
	kind := normalizers.KindCarrierError
	if code == "TV1002" || code == "TV1003" || code == "TV1004" {
		kind = normalizers.KindInvalidTracking
	}
	return normalizers.Errorf(kind, "ups", "UPS error %s: %s", code, msg)
}

func pending(code, msg, tracking string, in *normalizers.Input, b *normalizers.Batch) error {
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindNotFound, "ups",
			"UPS has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
	}
	b.Pending(tracking, code, msg)
	return nil
}

func (n *Normalizer) shipment(sh *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	packages := sh.GetArray("package")
	if len(packages) == 0 {
		// A shipment with warnings and no packages is UPS's "not found yet".
		if ws := sh.GetArray("warnings"); len(ws) > 0 {
			code, msg := string(ws[0].GetStringBytes("code")), string(ws[0].GetStringBytes("message"))
			if !notFoundCodes[code] && code != "" {
				return normalizers.Errorf(normalizers.KindCarrierError, "ups", "UPS warning %s: %s", code, msg)
			}
			return pending(code, msg, b.Upper(sh.GetStringBytes("inquiryNumber")), in, b)
		}
		return nil
	}
	for _, pkg := range packages {
		tracking := b.Upper(pkg.GetStringBytes("trackingNumber"))
		if tracking == "" {
			tracking = b.Upper(sh.GetStringBytes("inquiryNumber"))
		}
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindValidate, "ups", "package without trackingNumber")
		}
		s := normalizers.Scan{
			TrackingNumber:    tracking,
			Service:           b.ServiceKey(pkg.GetStringBytes("service", "description"), "ups"),
			EstimatedDelivery: estimatedDelivery(pkg, b),
		}
		for _, a := range pkg.GetArray("packageAddress") {
			switch string(a.GetStringBytes("type")) {
			case "ORIGIN":
				address(a.Get("address"), &s.Origin, b)
			case "DESTINATION":
				address(a.Get("address"), &s.Destination, b)
			}
		}
		for _, act := range pkg.GetArray("activity") {
			n.activity(act, &s, b)
		}
	}
	return nil
}

// estimatedDelivery is the scheduled (SDD) or rescheduled (RDD) date, as
// YYYY-MM-DD; the DEL entry is the actual delivery, not an estimate.
func estimatedDelivery(pkg *fastjson.Value, b *normalizers.Batch) string {
	var best []byte
	for _, d := range pkg.GetArray("deliveryDate") {
		switch string(d.GetStringBytes("type")) {
		case "RDD":
			best = d.GetStringBytes("date")
		case "SDD":
			if best == nil {
				best = d.GetStringBytes("date")
			}
		}
	}
	if len(best) != 8 {
		return ""
	}
	var buf [10]byte
	copy(buf[0:4], best[0:4])
	buf[4] = '-'
	copy(buf[5:7], best[4:6])
	buf[7] = '-'
	copy(buf[8:10], best[6:8])
	return b.Str(buf[:])
}

func address(v *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if v == nil {
		return
	}
	place(l, v.GetStringBytes("city"), v.GetStringBytes("stateProvince"), v.GetStringBytes("postalCode"),
		v.GetStringBytes("countryCode"), b)
	if l.Country == "" {
		l.Country = b.Upper(v.GetStringBytes("country"))
	}
}

// place fills a location the same way for both formats: the region and
// country in capitals, since the time zone lookup keys on ISO codes.
func place(l *event.Location, city, region, postal, country []byte, b *normalizers.Batch) {
	l.City = b.Str(city)
	l.Region = b.Upper(region)
	l.PostalCode = b.Str(postal)
	l.Country = b.Upper(country)
}

func (n *Normalizer) activity(act *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	st := act.Get("status")
	code := b.Upper(st.GetStringBytes("code"))
	typ := b.Upper(st.GetStringBytes("type"))
	desc := redactor.Text(b, b.Str(st.GetStringBytes("description")))
	statusCode := b.Str(st.GetStringBytes("statusCode"))
	key := code
	if key == "" {
		key = statusCode
	}
	classify(s, code, statusCode, typ, desc)
	s.Raw = event.Raw{Code: key, Type: typ, Description: desc}

	s.Location = event.Location{}
	loc := act.Get("location")
	address(loc.Get("address"), &s.Location, b)
	s.Location.Facility = b.Str(loc.GetStringBytes("slic"))

	s.Time = activityTime(act.GetStringBytes("date"), act.GetStringBytes("time"), act.GetStringBytes("gmtOffset"),
		func() ([]byte, []byte) { return act.GetStringBytes("gmtDate"), act.GetStringBytes("gmtTime") })
	b.Add(s)
}

// classify sets a scan's type and reason from the code table. Both formats
// call it, so a UPS scan maps the same whether it came as JSON or XML.
// code is the two-letter status code, statusCode the three-digit one (JSON
// only), typ the status type (M, P, I, O, X, D, U, RS).
func classify(s *normalizers.Scan, code, statusCode, typ, desc string) {
	s.Type, s.Reason = nil, ""
	// The two-letter code is the most specific; the three-digit status code
	// is coarser but better than the type alone.
	m := Table.LookupCode(code, typ, desc)
	if m == nil && statusCode != "" {
		m = Table.LookupCode(statusCode, typ, desc)
	}
	if m == nil {
		m = Table.Fallback(typ, desc)
	}
	if m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
}

// activityTime reads an activity's time as both formats give it: a local
// date (YYYYMMDD) and time (HHMMSS), with the GMT offset in force there when
// UPS sent it, else the GMT date and time when UPS sent those. With neither,
// the wall clock alone is left for the core to place in the scan's zone.
// gmt returns the GMT date and time; it is called only when needed, which
// saves two look-ups per JSON activity.
func activityTime(date, clock, gmtOffset []byte, gmt func() (date, clock []byte)) normalizers.Time {
	var t normalizers.Time
	if wall, ok := normalizers.ParseCompact(date, clock); ok {
		t.Wall = wall
		if off, ok := normalizers.ParseOffset(gmtOffset); ok {
			t.Offset, t.HasOffset = off, true
		}
	}
	if !t.HasOffset {
		// No offset: fall back to the GMT date and time when UPS gave them.
		if utc, ok := normalizers.ParseCompact(gmt()); ok {
			t.UTC = utc
		}
	}
	return t
}
