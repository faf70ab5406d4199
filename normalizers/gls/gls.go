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
	"sync"

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
	scratch sync.Pool // of *state
}

// state is one payload's scanner and the events of the parcel being read:
// code, eventDateTime, description, city, postalCode, country.
type state struct {
	sc     normalizers.JSONScanner
	events [][6][]byte
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

// Normalize implements normalizers.Normalizer. It reads the payload in one
// pass (normalizers.JSONScanner); what it finds wrong counts only once the
// payload proved well-formed.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[state](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.sc
	if err := normalizers.ScanObject(sc, in.Payload, Spec.ID, "a GLS Track & Trace answer"); err != nil {
		return err
	}
	var firstErr error
	parcels, isArray := 0, false
	has := sc.Members(func(int) {
		if isArray = sc.Array(); !isArray {
			sc.Skip()
			return
		}
		for sc.Elem() {
			parcels++
			if err := parcel(st, sc, in, b); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}, "parcels")
	if err := sc.Finish(Spec.ID); err != nil {
		return err
	}
	if has == 0 {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a GLS Track & Trace answer: no parcels")
	}
	if !isArray {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "parcels is not an array")
	}
	if len(b.Events) > 0 {
		return nil // the others' answers stand; one unknown number among them does not reject them
	}
	if firstErr == nil && parcels == 0 && in.TrackingHint != "" {
		b.Pending(in.TrackingHint, "no-parcels", "GLS returned no parcel for this number")
		return nil
	}
	return firstErr
}

// parcel reads one parcel whole and adds its scans.
func parcel(st *state, sc *normalizers.JSONScanner, in *normalizers.Input, b *normalizers.Batch) error {
	if k := sc.Kind(); k != normalizers.JSONObject {
		sc.Skip()
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a parcel is a JSON %s, not an object", k)
	}
	st.events = st.events[:0]
	var f [7][]byte // unitno, requested, errorCode, errorMessage, status, -, statusDateTime
	present := sc.Members(func(i int) {
		if i != 5 {
			f[i] = sc.Str()
			return
		}
		if !sc.Array() {
			sc.Skip()
			return
		}
		for sc.Elem() {
			var e [6][]byte
			sc.Fields(e[:], "code", "eventDateTime", "description", "city", "postalCode", "country")
			st.events = append(st.events, e)
		}
	}, "unitno", "requested", "errorCode", "errorMessage", "status", "events", "statusDateTime")
	tracking := b.Upper(f[0])
	if tracking == "" {
		tracking = b.Upper(f[1])
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if code := f[2]; len(code) > 0 {
		msg := string(f[3])
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
	if len(st.events) == 0 {
		if st := f[4]; len(st) > 0 && present&(1<<6) != 0 {
			scan(&s, &[6][]byte{0: st, 1: f[6]}, b)
			return nil
		}
		b.Pending(tracking, "no-events", "GLS knows the parcel but has no events for it yet")
		return nil
	}
	for i := range st.events {
		scan(&s, &st.events[i], b)
	}
	return nil
}

// scan adds one event: its code, eventDateTime, description, city,
// postalCode and country (a parcel's status has the first two).
func scan(s *normalizers.Scan, e *[6][]byte, b *normalizers.Batch) {
	s.Raw = event.Raw{Code: b.Upper(e[0]), Description: redactor.Text(b, b.Str(e[2]))}
	status, detail := splitCode(s.Raw.Code)
	s.Type, s.Reason = nil, ""
	if m := classify(status, detail, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{City: b.Str(e[3]), PostalCode: b.Str(e[4]), Country: b.Upper(e[5])}
	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(e[1]); ok {
		s.Time = t
	}
	b.Add(s)
}
