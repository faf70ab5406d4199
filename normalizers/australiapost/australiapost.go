// Package australiapost normalizes the track items answer of Australia
// Post's Shipping and Tracking API (GET /shipping/v1/track):
// {"tracking_results": [{"tracking_id", "errors", "trackable_items":
// [...]}]}, where a trackable item is an article ({"article_id",
// "product_type", "events"}) or a consignment of them ({"consignment_id",
// "items": [...]}).
//
// Events have no code: an English description, a place ("KEW VIC", "NZ",
// "CHICAGO (US)") and a time with its UTC offset. The description is what
// the table keys on.
package australiapost

import (
	"bytes"
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Australia Post wording table.
var Table = normalizers.MustLoadTable("australiapost/codes.tsv", codesTSV)

// wording remembers the text rows Australia Post's descriptions match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about Australia Post; its samples are in
// testdata/carriers/australiapost.
var Spec = normalizers.Spec{ID: "australiapost", Name: "Australia Post", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads Australia Post track items payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns an Australia Post normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps an Australia Post scan that arrives in another container:
// only its description says what happened.
func (*Normalizer) MapCode(_, _, desc string) *normalizers.Mapping {
	return wording.Fallback(Table, "", desc)
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "an Australia Post track items answer")
	if err != nil {
		return err
	}
	rv := root.Get("tracking_results")
	if rv == nil {
		if errs := root.GetArray("errors"); len(errs) > 0 {
			// The request as a whole refused (too many ids, credentials).
			return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Australia Post error %s (%s): %s",
				errCode(errs[0], b), errs[0].GetStringBytes("name"), errs[0].GetStringBytes("message"))
		}
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not an Australia Post track items answer: no tracking_results and no errors")
	}
	results, err := rv.Array()
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "tracking_results is a JSON %s, not an array", rv.Type())
	}
	var firstErr error
	for _, r := range results {
		if err := result(r, in, b); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(b.Events) > 0 {
		return nil // one unknown id among several does not reject the others
	}
	return firstErr
}

// errCode is an error's code, a string ("ESB-10001") or a number (51101).
func errCode(e *fastjson.Value, b *normalizers.Batch) string {
	c := e.Get("code")
	if c == nil {
		return ""
	}
	if c.Type() == fastjson.TypeString {
		return b.Str(c.GetStringBytes())
	}
	return c.String()
}

func result(r *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if r.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a tracking result is a JSON %s, not an object", r.Type())
	}
	id := b.Upper(r.GetStringBytes("tracking_id"))
	if id == "" {
		id = in.TrackingHint
	}
	if errs := r.GetArray("errors"); len(errs) > 0 {
		return resultError(errs[0], id, b)
	}
	items := r.GetArray("trackable_items")
	if len(items) == 0 {
		if id == "" {
			return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "tracking result without tracking_id or trackable_items")
		}
		b.Pending(id, "no-items", "Australia Post knows the id but has no items for it yet")
		return nil
	}
	for _, it := range items {
		if arts := it.GetArray("items"); len(arts) > 0 {
			for _, a := range arts { // a consignment: its articles
				article(a, id, b)
			}
			continue
		}
		article(it, id, b)
	}
	return nil
}

// resultError reads the error of one tracking id. ESB-10001 is a
// malformed id; ESB-10002 an id Australia Post does not know (yet).
func resultError(e *fastjson.Value, id string, b *normalizers.Batch) error {
	code, name := errCode(e, b), e.GetStringBytes("name")
	switch code {
	case "ESB-10002":
		if id == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "Australia Post has no data yet (%s %s) and the record does not name the id", code, name)
		}
		b.Pending(id, code, b.Str(name))
		return nil
	case "ESB-10001":
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "Australia Post error %s: %s", code, name)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Australia Post error %s: %s %s", code, name, e.GetStringBytes("message"))
}

func article(a *fastjson.Value, id string, b *normalizers.Batch) {
	tracking := b.Upper(a.GetStringBytes("article_id"))
	if tracking == "" {
		tracking = b.Upper(a.GetStringBytes("consignment_id"))
	}
	if tracking == "" {
		tracking = id
	}
	events := a.GetArray("events")
	if len(events) == 0 {
		b.Pending(tracking, "no-events", "Australia Post knows the item but has no events for it yet")
		return
	}
	s := normalizers.Scan{TrackingNumber: tracking, Service: b.ServiceKey(a.GetStringBytes("product_type"), "")}
	s.Origin.Country = s10Country(tracking)
	for _, ev := range events {
		desc := redactor.Text(b, b.Str(ev.GetStringBytes("description")))
		// The description is the only code there is: it tells apart two
		// scans of one instant and place.
		s.Raw = event.Raw{Description: desc}
		s.IDExtra = desc
		s.Type, s.Reason = nil, ""
		if m := wording.Fallback(Table, "", desc); m != nil {
			s.Type, s.Reason = m.Type, m.Reason
		}
		s.Location = place(ev.GetStringBytes("location"), b)
		s.Time = normalizers.Time{}
		if t, ok := normalizers.ParseISO(ev.GetStringBytes("date")); ok {
			s.Time = t
		}
		b.Add(&s)
	}
}

// s10Country is the country of the postal operator that issued a UPU S10
// number ("LX123456789US": the United States): where the item started.
func s10Country(id string) string {
	if len(id) != 13 || !letters(id[:2]) || !letters(id[11:]) {
		return ""
	}
	for i := 2; i < 11; i++ {
		if id[i] < '0' || id[i] > '9' {
			return ""
		}
	}
	return id[11:]
}

func letters[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// states are the Australian state and territory codes a place ends with.
var states = [...]string{"NSW", "VIC", "QLD", "SA", "WA", "TAS", "NT", "ACT"}

// place reads an event's location: "SUBURB STATE" in Australia (maybe with
// a postcode), "CITY (CC)", "CC" or "CC-POSTCODE, COUNTRY NAME" abroad.
// Anything else ("Transit Scan") is kept as the facility.
func place(v []byte, b *normalizers.Batch) event.Location {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return event.Location{}
	}
	if len(v) == 2 && letters(v) {
		return event.Location{Country: b.Str(v)}
	}
	if n := len(v); n > 5 && v[n-1] == ')' && v[n-4] == '(' && v[n-5] == ' ' && letters(v[n-3:n-1]) {
		return event.Location{City: b.Str(v[:n-5]), Country: b.Str(v[n-3 : n-1])}
	}
	if len(v) > 4 && v[2] == '-' && letters(v[:2]) {
		if i := bytes.IndexByte(v, ','); i > 3 {
			return event.Location{PostalCode: b.Str(v[3:i]), Country: b.Str(v[:2])}
		}
	}
	words := v
	var postcode []byte
	if i := bytes.LastIndexByte(words, ' '); i > 0 && isPostcode(words[i+1:]) {
		words, postcode = bytes.TrimSpace(words[:i]), words[i+1:]
	}
	if i := bytes.LastIndexByte(words, ' '); i > 0 {
		for _, st := range states {
			if string(words[i+1:]) == st {
				return event.Location{City: b.Str(words[:i]), Region: st, PostalCode: b.Str(postcode), Country: "AU"}
			}
		}
	}
	return event.Location{Facility: b.Str(v)}
}

func isPostcode(v []byte) bool {
	if len(v) != 4 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
