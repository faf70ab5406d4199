// Package royalmail normalizes Royal Mail Tracking API v2 JSON (mailpieces
// v2): the events answer ({"mailPieces": {...}}), the summary answer
// ({"mailPieces": [...]}, one latest event per item) and the error body
// ({"httpCode": ..., "errors": [...]}).
//
// Events carry a code (EVKSP), an English name and a time with its UTC
// offset; the place is a Royal Mail office by name ("Stafford DO"). Countries
// are ISO 3166 alpha-3 ("GBR").
package royalmail

import (
	"bytes"
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"golang.org/x/text/language"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Royal Mail code table.
var Table = normalizers.MustLoadTable("royalmail/codes.tsv", codesTSV)

// wording remembers the text rows Royal Mail's event names match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about Royal Mail; its samples are in
// testdata/carriers/royalmail.
var Spec = normalizers.Spec{ID: "royalmail", Name: "Royal Mail", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads Royal Mail mailpieces v2 payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a Royal Mail normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a Royal Mail scan that arrives in another container.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping {
	return Table.Lookup(code, "", desc)
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a Royal Mail mailpieces answer")
	if err != nil {
		return err
	}
	mp := root.Get("mailPieces")
	switch {
	case mp == nil && root.Get("errors") != nil:
		return apiError(root, root.GetArray("errors"), in, b)
	case mp == nil:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a Royal Mail mailpieces answer: no mailPieces and no errors")
	case mp.Type() == fastjson.TypeObject:
		return mailPiece(mp, in, b)
	case mp.Type() == fastjson.TypeArray:
		pieces, _ := mp.Array()
		for _, p := range pieces {
			if err := mailPiece(p, in, b); err != nil && len(pieces) == 1 {
				return err
			}
		}
		return nil
	}
	return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "mailPieces is a JSON %s, not an object or array", mp.Type())
}

// apiError reads Royal Mail's error body. E1142 ("barcode reference ... is
// not recognised") and E1144 (not yet tracked) are Royal Mail having no data
// for the number yet; E1141 and E1143 a malformed number.
func apiError(v *fastjson.Value, errs []*fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	code, desc := "", string(v.GetStringBytes("httpMessage"))
	if len(errs) > 0 {
		code = string(errs[0].GetStringBytes("errorCode"))
		desc = string(errs[0].GetStringBytes("errorDescription"))
	}
	switch code {
	case "E1142", "E1144", "E1145":
		tracking := in.TrackingHint
		if tracking == "" {
			tracking = trackingOf(v, b)
		}
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
				"Royal Mail has no data yet (%s %s) and the payload does not name the tracking number", code, desc)
		}
		b.Pending(tracking, code, desc)
		return nil
	case "E1141", "E1143":
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "Royal Mail error %s: %s", code, desc)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Royal Mail error %s %s: %s",
		v.GetStringBytes("httpCode"), code, desc)
}

// trackingOf is the number Royal Mail tracks an item by: the 1D barcode
// printed on the label, else its mail piece id.
func trackingOf(mp *fastjson.Value, b *normalizers.Batch) string {
	if t := bytes.TrimSpace(mp.GetStringBytes("summary", "oneDBarcode")); len(t) > 0 {
		return b.Upper(t)
	}
	return b.Upper(mp.GetStringBytes("mailPieceId"))
}

func mailPiece(mp *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if mp.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a mail piece is a JSON %s, not an object", mp.Type())
	}
	tracking := trackingOf(mp, b)
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if e := mp.Get("error"); e != nil {
		// The summary answer's error for one number among several.
		return apiError(mp, []*fastjson.Value{e}, &normalizers.Input{TrackingHint: tracking}, b)
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "mail piece without oneDBarcode or mailPieceId")
	}
	sum := mp.Get("summary")
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(sum.GetStringBytes("productName"), "royal_mail"),
		EstimatedDelivery: estimatedDelivery(mp, b),
	}
	s.Origin.Country = country(sum.GetStringBytes("originCountryCode"))
	s.Destination.Country = country(sum.GetStringBytes("destinationCountryCode"))
	// A domestic item's offices are in its country; an international one's
	// office names do not say which side they are on.
	here := ""
	if s.Origin.Country == s.Destination.Country {
		here = s.Origin.Country
	}
	events := mp.GetArray("events")
	if len(events) == 0 && sum != nil && sum.Get("lastEventCode") != nil {
		// The summary answer: its last event is the scan there is.
		scan(&s, sum.GetStringBytes("lastEventCode"), sum.GetStringBytes("lastEventName"),
			sum.GetStringBytes("lastEventDateTime"), sum.GetStringBytes("lastEventLocationName"), here, b)
		return nil
	}
	if len(events) == 0 {
		b.Pending(tracking, "no-events", "Royal Mail knows the item but has no events for it yet")
		return nil
	}
	for _, ev := range events {
		scan(&s, ev.GetStringBytes("eventCode"), ev.GetStringBytes("eventName"),
			ev.GetStringBytes("eventDateTime"), ev.GetStringBytes("locationName"), here, b)
	}
	return nil
}

func scan(s *normalizers.Scan, code, name, at, place []byte, country string, b *normalizers.Batch) {
	s.Raw = event.Raw{Code: b.Upper(code), Description: redactor.Text(b, b.Str(name))}
	s.Type, s.Reason = nil, ""
	m := Table.LookupCode(s.Raw.Code, "", "")
	if m == nil {
		m = wording.Fallback(Table, "", s.Raw.Description)
	}
	if m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{Facility: b.Str(place), Country: country}
	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(at); ok {
		s.Time = t
	}
	b.Add(s)
}

// estimatedDelivery is estimatedDelivery.date, YYYY-MM-DD (Royal Mail
// writes it bare or as a midnight timestamp).
func estimatedDelivery(mp *fastjson.Value, b *normalizers.Batch) string {
	v := bytes.TrimSpace(mp.GetStringBytes("estimatedDelivery", "date"))
	if len(v) < 10 {
		return ""
	}
	var buf [19]byte
	copy(buf[:], v[:10])
	copy(buf[10:], "T00:00:00")
	if _, ok := normalizers.ParseISO(buf[:]); !ok {
		return ""
	}
	return b.Str(v[:10])
}

// country turns Royal Mail's ISO 3166 alpha-3 code ("GBR") into the alpha-2
// events carry; an alpha-2 code passes as it is.
func country(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) != 2 && len(v) != 3 {
		return ""
	}
	r, err := language.ParseRegion(string(v))
	if err != nil || !r.IsCountry() {
		return ""
	}
	return r.String()
}
