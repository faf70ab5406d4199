// Package gls normalizes GLS Track & Trace API JSON
// ({"parcels": [{"unitno", "status", "events": [...]}]}), with the answer
// for a number GLS does not know (a parcel's errorCode).
//
// Event times carry their UTC offset ("2024-10-07T10:46:14+0200"); places
// are a city, postcode and country.
package gls

import (
	"bytes"
	_ "embed"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the GLS code table.
var Table = normalizers.MustLoadTable("gls/codes.tsv", codesTSV)

// wording remembers the text rows GLS's descriptions match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about GLS; its samples are in
// testdata/carriers/gls.
var Spec = normalizers.Spec{ID: "gls", Name: "GLS", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads GLS Track & Trace payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a GLS normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a GLS scan that arrives in another container: code is
// "STATUS.DETAIL" or a parcel status.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping {
	status, detail := splitCode(code)
	return classify(status, detail, desc)
}

// classify tries the code with its detail, then with any detail, each
// refined by the wording.
func classify(status, detail, desc string) *normalizers.Mapping {
	if Table.LookupCode(status, detail, "") == nil {
		detail = "*"
	}
	return wording.Refine(Table, status, detail, desc)
}

func splitCode(code string) (status, detail string) {
	if i := strings.IndexByte(code, '.'); i >= 0 {
		return code[:i], code[i+1:]
	}
	return code, ""
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a GLS Track & Trace answer")
	if err != nil {
		return err
	}
	pv := root.Get("parcels")
	if pv == nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a GLS Track & Trace answer: no parcels")
	}
	parcels, err := pv.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "parcels is not an array")
	}
	var firstErr error
	for _, pc := range parcels {
		if err := parcel(pc, in, b); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(b.Events) > 0 {
		return nil // the others' answers stand; one unknown number among them does not reject them
	}
	if firstErr == nil && len(parcels) == 0 && in.TrackingHint != "" {
		b.Pending(in.TrackingHint, "no-parcels", "GLS returned no parcel for this number")
		return nil
	}
	return firstErr
}

func parcel(pc *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if pc.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a parcel is a JSON %s, not an object", pc.Type())
	}
	tracking := b.Upper(pc.GetStringBytes("unitno"))
	if tracking == "" {
		tracking = b.Upper(pc.GetStringBytes("requested"))
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if code := pc.GetStringBytes("errorCode"); len(code) > 0 {
		msg := string(pc.GetStringBytes("errorMessage"))
		switch {
		case bytes.HasPrefix(code, []byte("E_404")) && tracking != "":
			b.Pending(tracking, string(code), msg)
			return nil
		case bytes.HasPrefix(code, []byte("E_404")):
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "GLS has no data yet (%s %s) and the payload does not name the number", code, msg)
		case bytes.HasPrefix(code, []byte("E_400")):
			return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "GLS error %s: %s", code, msg)
		}
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "GLS error %s: %s", code, msg)
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "parcel without unitno or requested number")
	}
	s := normalizers.Scan{TrackingNumber: tracking}
	events := pc.GetArray("events")
	if len(events) == 0 {
		if st := pc.GetStringBytes("status"); len(st) > 0 && pc.Get("statusDateTime") != nil {
			scan(&s, st, nil, pc.GetStringBytes("statusDateTime"), b)
			return nil
		}
		b.Pending(tracking, "no-events", "GLS knows the parcel but has no events for it yet")
		return nil
	}
	for _, ev := range events {
		scan(&s, ev.GetStringBytes("code"), ev, ev.GetStringBytes("eventDateTime"), b)
	}
	return nil
}

func scan(s *normalizers.Scan, code []byte, ev *fastjson.Value, at []byte, b *normalizers.Batch) {
	s.Raw = event.Raw{Code: b.Upper(code), Description: redactor.Text(b, b.Str(ev.GetStringBytes("description")))}
	status, detail := splitCode(s.Raw.Code)
	s.Type, s.Reason = nil, ""
	if m := classify(status, detail, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{
		City:       b.Str(ev.GetStringBytes("city")),
		PostalCode: b.Str(ev.GetStringBytes("postalCode")),
		Country:    b.Upper(ev.GetStringBytes("country")),
	}
	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(at); ok {
		s.Time = t
	}
	b.Add(s)
}
