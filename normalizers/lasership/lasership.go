// Package lasership normalizes LaserShip tracking JSON (LaserShip is part
// of OnTrac since 2021; the LaserShip numbers and this answer stayed): one
// order ({"OrderNumber", "Origin", "Destination", "Pieces": [...],
// "Events": [...]}) per answer.
//
// An event carries its local wall clock (DateTime) and the same instant in
// UTC (UTCDateTime), so the offset is the carrier's own; its place is a US
// city, state, postcode and country.
package lasership

import (
	_ "embed"
	"time"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the LaserShip code table.
var Table = normalizers.MustLoadTable("lasership/codes.tsv", codesTSV)

// wording remembers the text rows LaserShip's event texts match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about LaserShip; its samples are in
// testdata/carriers/lasership.
var Spec = normalizers.Spec{ID: "lasership", Name: "LaserShip", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads LaserShip tracking payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a LaserShip normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a LaserShip scan that arrives in another container: code is
// its EventType.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping {
	return classify(code, desc, "")
}

// classify is the EventType's row, refined by the wording of the event's
// texts (the first that matches a text row of the same milestone wins); an
// EventType the table lacks is placed by its wording alone.
func classify(code string, texts ...string) *normalizers.Mapping {
	m := Table.LookupCode(code, "", "")
	for _, t := range texts {
		if t == "" {
			continue
		}
		if w := wording.Fallback(Table, "", t); w != nil && (m == nil || w.Type.Milestone == m.Type.Milestone) {
			return w
		}
	}
	return m
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a LaserShip tracking answer")
	if err != nil {
		return err
	}
	ev := root.Get("Events")
	if ev == nil {
		return apiError(root, in, b)
	}
	events, err := ev.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "Events is a JSON %s, not an array", ev.Type())
	}
	tracking := trackingOf(root, in, b)
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "answer without Pieces[].TrackingNumber, and the record names no number")
	}
	if len(events) == 0 {
		b.Pending(tracking, "no-events", "LaserShip knows the order but has no events for it yet")
		return nil
	}
	s := normalizers.Scan{TrackingNumber: tracking, EstimatedDelivery: b.Date(root.GetStringBytes("EstimatedDeliveryDate"))}
	place(&s.Origin, root.Get("Origin"), b)
	place(&s.Destination, root.Get("Destination"), b)
	for _, e := range events {
		scan(&s, e, b)
	}
	return nil
}

// trackingOf is the number the answer is about: the record's own when it
// is one of the order's pieces (an order of several pieces answers for
// each of them), else the first piece's.
func trackingOf(root *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) string {
	pieces := root.GetArray("Pieces")
	for _, pc := range pieces {
		if in.TrackingHint != "" && string(pc.GetStringBytes("TrackingNumber")) == in.TrackingHint {
			return in.TrackingHint
		}
	}
	for _, pc := range pieces {
		if t := b.Upper(pc.GetStringBytes("TrackingNumber")); t != "" {
			return t
		}
	}
	return in.TrackingHint
}

// apiError reads an answer without Events: LaserShip's error body
// ({"Error": true, "ErrorMessage": "..."}), or not an answer at all.
func apiError(root *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	msg := root.GetStringBytes("ErrorMessage")
	if len(msg) == 0 {
		msg = root.GetStringBytes("Message")
	}
	if len(msg) == 0 && root.Get("Error") == nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a LaserShip tracking answer: no Events and no Error")
	}
	if notFound(msg) {
		if in.TrackingHint == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "LaserShip has no data yet (%s) and the record does not name the number", msg)
		}
		b.Pending(in.TrackingHint, "not-found", b.Str(msg))
		return nil
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "LaserShip error: %s", msg)
}

// notFound reports whether an error message is LaserShip not knowing the
// number (yet).
func notFound(msg []byte) bool {
	m := Table.Fallback("error", string(msg))
	return m != nil && m.Type.Milestone == "pending"
}

func place(l *event.Location, v *fastjson.Value, b *normalizers.Batch) {
	*l = event.Location{
		City:       b.Str(v.GetStringBytes("City")),
		Region:     b.Upper(v.GetStringBytes("State")),
		PostalCode: b.Str(v.GetStringBytes("PostalCode")),
		Country:    b.Upper(v.GetStringBytes("Country")),
	}
}

// fields are the parts of an event the decoder reads, taken in one pass
// over its keys (an event has a dozen; a look-up each would scan them a
// dozen times). Signature and Signature2 are not among them.
type fields struct {
	typ, short, label, long, reason, where []byte
	city, state, zip, country, local, utc  []byte
}

func readFields(e *fastjson.Value) (f fields) {
	o, err := e.Object()
	if err != nil {
		return f
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		s, err := v.StringBytes()
		if err != nil {
			return
		}
		switch string(k) {
		case "EventType":
			f.typ = s
		case "EventShortText":
			f.short = s
		case "EventLabel":
			f.label = s
		case "EventLongText":
			f.long = s
		case "Reason":
			f.reason = s
		case "Location":
			f.where = s
		case "City":
			f.city = s
		case "State":
			f.state = s
		case "PostalCode":
			f.zip = s
		case "Country":
			f.country = s
		case "DateTime":
			f.local = s
		case "UTCDateTime":
			f.utc = s
		}
	})
	return f
}

func scan(s *normalizers.Scan, e *fastjson.Value, b *normalizers.Batch) {
	f := readFields(e)
	short := f.short
	if len(short) == 0 {
		short = f.label
	}
	s.Raw = event.Raw{Code: b.Str(f.typ), Description: redactor.Text(b, b.Str(short))}
	long := redactor.Text(b, b.Str(f.long))
	// Location says where a delivered parcel was left ("FrontDoor"), Reason
	// why an attempt failed: both more precise than the texts.
	s.Type, s.Reason = nil, ""
	if m := classify(s.Raw.Code, b.Str(f.reason), b.Str(f.where), s.Raw.Description, long); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	if s.Raw.Description == "" {
		s.Raw.Description = long
	}
	s.Location = event.Location{City: b.Str(f.city), Region: b.Upper(f.state), PostalCode: b.Str(f.zip), Country: b.Upper(f.country)}
	s.Time = eventTime(f.local, f.utc)
	b.Add(s)
}

// eventTime is the local wall clock with the offset that the UTC stamp
// implies. A stamp that is there but is no real time (February 30th) makes
// the scan's time unusable, so the scan is rejected; with one stamp, or two
// that imply no real offset, the local one takes the zone of the scan's
// place and the UTC one stands alone.
func eventTime(local, utc []byte) normalizers.Time {
	lt, lok := normalizers.ParseISO(local)
	ut, uok := normalizers.ParseISO(utc)
	if !lok && len(local) > 0 || !uok && len(utc) > 0 {
		return normalizers.Time{}
	}
	if lok && (lt.HasOffset || !lt.UTC.IsZero()) {
		return lt
	}
	instant := ut.UTC
	switch {
	case !uok:
	case ut.HasOffset:
		instant = ut.Wall.Add(-time.Duration(ut.Offset) * time.Second)
	case instant.IsZero():
		instant = ut.Wall // UTCDateTime has no "Z": it is UTC by its name
	}
	switch {
	case lok && uok:
		if off, ok := normalizers.OffsetBetween(lt.Wall, instant); ok {
			return normalizers.Time{Wall: lt.Wall, Offset: off, HasOffset: true}
		}
		return normalizers.Time{Wall: lt.Wall}
	case uok:
		return normalizers.Time{UTC: instant}
	}
	return lt
}
