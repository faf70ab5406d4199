// Package laposte normalizes La Poste's Suivi v2 JSON (GET
// /suivi/v2/idships/{ids}), which tracks Colissimo parcels, Chronopost
// shipments and tracked letters: an object per number ({"returnCode",
// "shipment": {"idShip", "product", "event": [...]}}), or an array of
// them when several numbers were asked for (HTTP 207), each with its own
// returnCode.
//
// Events carry a code ("DI1"), a label in the language asked for (lang=
// fr_FR by default) and a time with its UTC offset; they name no place.
// The shipment names the countries of origin and arrival.
package laposte

import (
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the La Poste code table.
var Table = normalizers.MustLoadTable("laposte/codes.tsv", codesTSV)

// wording remembers the text rows La Poste's labels match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about La Poste; its samples are in
// testdata/carriers/laposte.
var Spec = normalizers.Spec{ID: "laposte", Name: "La Poste", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads La Poste Suivi v2 payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a La Poste normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a La Poste scan that arrives in another container.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping {
	return classify(code, desc)
}

// classify is the code's first row whose wording matches the label (rows
// with text * match any), refined by a wording row (code *) that stays in
// its milestone: a DI1 worded "livré chez le gardien" is a delivery to an
// agent. A code the table lacks is placed by its label alone.
func classify(code, label string) *normalizers.Mapping { return wording.Refine(Table, code, "", label) }

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := p.ParseBytes(in.Payload)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "malformed JSON: %v", err)
	}
	switch root.Type() {
	case fastjson.TypeObject:
		return answer(root, in, b)
	case fastjson.TypeArray:
		answers, _ := root.Array()
		var firstErr error
		for _, a := range answers {
			if err := answer(a, in, b); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		if len(b.Events) > 0 || len(answers) == 0 {
			return nil // one unknown number among several does not reject the others
		}
		return firstErr
	}
	return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a La Poste Suivi answer: the payload is a JSON %s, not an object or array", root.Type())
}

// answer reads one number's answer. returnCode 200 carries the shipment;
// 404 is a number La Poste does not know (yet); 400 a malformed one.
func answer(a *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if a.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "an answer is a JSON %s, not an object", a.Type())
	}
	sh := a.Get("shipment")
	code := a.GetInt("returnCode")
	if sh == nil || code != 0 && code != 200 {
		tracking := b.Upper(a.GetStringBytes("idShip"))
		if tracking == "" {
			tracking = in.TrackingHint
		}
		msg := a.GetStringBytes("returnMessage")
		switch {
		case code == 404 && tracking != "":
			b.Pending(tracking, "404", b.Str(msg))
			return nil
		case code == 404:
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "La Poste has no data yet (404 %s) and the record does not name the number", msg)
		case code == 400:
			return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "La Poste error 400: %s", msg)
		case code == 0 && len(a.GetStringBytes("code")) > 0:
			// The API gateway's own refusal: {"code": "UNAUTHORIZED", "message": ...}
			return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "La Poste API error %s: %s", a.GetStringBytes("code"), a.GetStringBytes("message"))
		case code == 0:
			return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a La Poste Suivi answer: no returnCode and no shipment")
		}
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "La Poste error %d: %s", code, msg)
	}
	tracking := b.Upper(sh.GetStringBytes("idShip"))
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "shipment without idShip, and the record names no number")
	}
	events := sh.GetArray("event")
	if len(events) == 0 {
		b.Pending(tracking, "no-events", "La Poste knows the number but has no events for it yet")
		return nil
	}
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(sh.GetStringBytes("product"), ""),
		EstimatedDelivery: b.Date(sh.GetStringBytes("estimDate")),
	}
	s.Origin.Country = b.Upper(sh.GetStringBytes("contextData", "originCountry"))
	s.Destination.Country = b.Upper(sh.GetStringBytes("contextData", "arrivalCountry"))
	for _, ev := range events {
		s.Raw = event.Raw{Code: b.Upper(ev.GetStringBytes("code")), Description: redactor.Text(b, b.Str(ev.GetStringBytes("label")))}
		s.Type, s.Reason = nil, ""
		if m := classify(s.Raw.Code, s.Raw.Description); m != nil {
			s.Type, s.Reason = m.Type, m.Reason
		}
		s.Time = normalizers.Time{}
		if t, ok := normalizers.ParseISO(ev.GetStringBytes("date")); ok {
			s.Time = t
		}
		b.Add(&s)
	}
	return nil
}
