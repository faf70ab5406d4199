// Package ups normalizes UPS Track API v1 JSON
// (trackResponse.shipment[].package[].activity[]).
//
// UPS gives each activity a local date and time plus the GMT offset in force
// there, so times are exact (tz_source carrier_offset). Activities are
// classified by status.code and status.type, refined by the description where
// UPS reuses a code; see codes.tsv.
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

// Normalizer reads UPS payloads.
type Normalizer struct {
	parsers fastjson.ParserPool
}

func init() { normalizers.Register(&Normalizer{}) }

func (*Normalizer) Carrier() string               { return "ups" }
func (*Normalizer) DisplayName() string           { return "UPS" }
func (*Normalizer) Formats() []normalizers.Format { return []normalizers.Format{normalizers.JSON} }
func (*Normalizer) MapCode(code, typ, desc string) *normalizers.Mapping {
	return Table.Lookup(code, typ, desc)
}

// Error codes UPS uses for "no such shipment yet" (as opposed to an invalid
// number): the shipment is pending, not broken.
var notFoundCodes = map[string]bool{"TW0001": true, "TV1001": true, "TW0002": true}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
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
	shipments, err := tr.Get("shipment").Array()
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
	l.City = b.Str(v.GetStringBytes("city"))
	l.Region = b.Upper(v.GetStringBytes("stateProvince"))
	l.PostalCode = b.Str(v.GetStringBytes("postalCode"))
	l.Country = b.Upper(v.GetStringBytes("countryCode"))
	if l.Country == "" {
		l.Country = b.Upper(v.GetStringBytes("country"))
	}
}

func (n *Normalizer) activity(act *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	st := act.Get("status")
	code := b.Upper(st.GetStringBytes("code"))
	typ := b.Upper(st.GetStringBytes("type"))
	desc := b.Str(st.GetStringBytes("description"))
	statusCode := b.Str(st.GetStringBytes("statusCode"))
	key := code
	if key == "" {
		key = statusCode
	}
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
	s.Raw = event.Raw{Code: key, Type: typ, Description: desc}

	s.Location = event.Location{}
	loc := act.Get("location")
	address(loc.Get("address"), &s.Location, b)
	s.Location.Facility = b.Str(loc.GetStringBytes("slic"))

	s.Time = normalizers.Time{}
	if wall, ok := normalizers.ParseCompact(act.GetStringBytes("date"), act.GetStringBytes("time")); ok {
		s.Time.Wall = wall
		if off, ok := normalizers.ParseOffset(act.GetStringBytes("gmtOffset")); ok {
			s.Time.Offset, s.Time.HasOffset = off, true
		}
	}
	if !s.Time.HasOffset {
		// No offset: fall back to the GMT date and time when UPS gave them.
		if utc, ok := normalizers.ParseCompact(act.GetStringBytes("gmtDate"), act.GetStringBytes("gmtTime")); ok {
			s.Time.UTC = utc
		}
	}
	b.Add(s)
}
