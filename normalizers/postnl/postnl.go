// Package postnl normalizes PostNL Shipping Status API v2 JSON: the
// CurrentStatus answer (a shipment's latest status) and the CompleteStatus
// answer (its events and old statuses), by barcode or reference, and the
// API's warnings and errors.
//
// Times are "dd-mm-yyyy hh:mm:ss" without an offset: the wall clock of the
// Netherlands for PostNL's own network, so the shipment's country decides
// the zone. Descriptions are Dutch unless another language was asked for.
package postnl

import (
	"bytes"
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the PostNL code table.
var Table = normalizers.MustLoadTable("postnl/codes.tsv", codesTSV)

// wording remembers the text rows PostNL's descriptions match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about PostNL; its samples are in
// testdata/carriers/postnl.
var Spec = normalizers.Spec{ID: "postnl", Name: "PostNL", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads PostNL shipping status payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a PostNL normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a PostNL scan that arrives in another container: code is an
// event code or a status code.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping { return classify(code, desc) }

// classify is the code's row refined by the wording (see
// normalizers.TextCache.Refine): status 11 is any delivery, and "Shipment
// delivered at neighbours" says which.
func classify(code, desc string) *normalizers.Mapping { return wording.Refine(Table, code, "", desc) }

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a PostNL shipping status answer")
	if err != nil {
		return err
	}
	st := root.Get("CompleteStatus")
	if st == nil {
		st = root.Get("CurrentStatus")
	}
	if st == nil {
		if errs := root.Get("Errors"); errs != nil {
			return apiError(errs)
		}
		if f := root.Get("fault"); f != nil {
			return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "PostNL error: %s", f.GetStringBytes("faultstring"))
		}
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a PostNL shipping status answer: no CompleteStatus, CurrentStatus or Errors")
	}
	sh := st.Get("Shipment")
	if sh == nil {
		// No shipment: PostNL answers with a warning ("No shipment found").
		code, msg := "no-shipment", "PostNL returned no shipment for this barcode"
		if w := first(st.Get("Warnings")); w != nil {
			code, msg = string(w.GetStringBytes("Code")), string(w.GetStringBytes("Description"))
		}
		if in.TrackingHint == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
				"PostNL has no data yet (%s %s) and the payload does not name the barcode", code, msg)
		}
		b.Pending(in.TrackingHint, code, msg)
		return nil
	}
	if sh.Type() == fastjson.TypeArray {
		shipments, _ := sh.Array()
		for _, s := range shipments {
			if err := shipment(s, in, b); err != nil {
				return err
			}
		}
		return nil
	}
	return shipment(sh, in, b)
}

// first is v itself, or its first element when it is an array (PostNL
// writes a list of one as either).
func first(v *fastjson.Value) *fastjson.Value {
	if v != nil && v.Type() == fastjson.TypeArray {
		a, _ := v.Array()
		if len(a) == 0 {
			return nil
		}
		return a[0]
	}
	return v
}

func apiError(errs *fastjson.Value) error {
	e := first(errs)
	code, msg := string(e.GetStringBytes("Code")), string(e.GetStringBytes("Description"))
	if msg == "" {
		msg = string(e.GetStringBytes("ErrorMsg"))
	}
	if bytes.Contains(bytes.ToLower([]byte(msg)), []byte("barcode")) {
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "PostNL error %s: %s", code, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "PostNL error %s: %s", code, msg)
}

func shipment(sh *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if sh.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a shipment is a JSON %s, not an object", sh.Type())
	}
	tracking := b.Upper(sh.GetStringBytes("Barcode"))
	if tracking == "" {
		tracking = b.Upper(sh.GetStringBytes("MainBarcode"))
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "shipment without Barcode or MainBarcode")
	}
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(sh.GetStringBytes("ProductDescription"), Spec.ID),
		EstimatedDelivery: estimatedDelivery(sh, b),
	}
	addresses(sh.Get("Address"), &s, b)
	here := ""
	if s.Origin.Country == s.Destination.Country {
		here = s.Origin.Country
	}
	if events := sh.Get("Event"); events != nil {
		list := []*fastjson.Value{events}
		if events.Type() == fastjson.TypeArray {
			list, _ = events.Array()
		}
		if len(list) > 0 {
			for _, ev := range list {
				scan(&s, ev.GetStringBytes("Code"), nil, ev.GetStringBytes("Description"),
					ev.GetStringBytes("TimeStamp"), ev.GetStringBytes("LocationCode"), here, b)
			}
			return nil
		}
	}
	// CurrentStatus, or a CompleteStatus without events: the status is the
	// scan there is.
	if st := first(sh.Get("Status")); st != nil && st.Get("TimeStamp") != nil {
		scan(&s, st.GetStringBytes("StatusCode"), st.GetStringBytes("PhaseCode"), st.GetStringBytes("StatusDescription"),
			st.GetStringBytes("TimeStamp"), nil, here, b)
		return nil
	}
	b.Pending(tracking, "no-events", "PostNL knows the shipment but has no events for it yet")
	return nil
}

// addresses reads the receiver (AddressType 01) as the destination and the
// sender (02) as the origin: city, postcode and country only.
func addresses(v *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	list := []*fastjson.Value{v}
	if v != nil && v.Type() == fastjson.TypeArray {
		list, _ = v.Array()
	}
	for _, a := range list {
		var l *event.Location
		switch string(a.GetStringBytes("AddressType")) {
		case "01":
			l = &s.Destination
		case "02":
			l = &s.Origin
		default:
			continue
		}
		l.City = b.Str(a.GetStringBytes("City"))
		l.PostalCode = b.Str(a.GetStringBytes("Zipcode"))
		l.Country = b.Upper(a.GetStringBytes("CountryCode"))
	}
}

func scan(s *normalizers.Scan, code, phase, desc, at, place []byte, country string, b *normalizers.Batch) {
	s.Raw = event.Raw{Code: b.Upper(code), Type: b.Str(phase), Description: redactor.Text(b, b.Str(desc))}
	s.Type, s.Reason = nil, ""
	if m := classify(s.Raw.Code, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{Facility: b.Str(place), Country: country}
	s.Time = normalizers.Time{}
	if t, ok := parseTime(at); ok {
		s.Time = t
	}
	b.Add(s)
}

// parseTime reads PostNL's "26-03-2021 15:06:53" (fractional seconds may
// follow), and the ISO form its Expectation uses.
func parseTime(v []byte) (normalizers.Time, bool) {
	v = bytes.TrimSpace(v)
	if len(v) >= 19 && len(v) <= 32 && v[2] == '-' && v[5] == '-' && v[10] == ' ' {
		var buf [40]byte
		iso := append(buf[:0], v[6:10]...)
		iso = append(iso, '-', v[3], v[4], '-', v[0], v[1], 'T')
		iso = append(iso, v[11:]...)
		return normalizers.ParseISO(iso)
	}
	return normalizers.ParseISO(v)
}

// estimatedDelivery is the date of Expectation.ETATo (the end of the
// window PostNL promises), else ETAFrom, else DeliveryDate.
func estimatedDelivery(sh *fastjson.Value, b *normalizers.Batch) string {
	for _, v := range [...][]byte{
		sh.GetStringBytes("Expectation", "ETATo"),
		sh.GetStringBytes("Expectation", "ETAFrom"),
		sh.GetStringBytes("DeliveryDate"),
	} {
		t, ok := parseTime(v)
		if !ok {
			continue
		}
		w := t.Wall
		if w.IsZero() {
			w = t.UTC
		}
		var buf [10]byte
		return b.Str(w.AppendFormat(buf[:0], "2006-01-02"))
	}
	return ""
}
