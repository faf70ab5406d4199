// Package aftership normalizes AfterShip tracking JSON: the v4 (and v3)
// tracking object, as GET /trackings/:slug/:number answers it
// ({"meta", "data": {"tracking": {...}}}), the list GET /trackings answers
// ({"data": {"trackings": [...]}}), the last checkpoint
// ({"data": {"slug", "tracking_number", "checkpoint"}}), the webhook
// ({"event": "tracking_update", "msg": <tracking>}) and a bare tracking
// object. The decoder tells the shapes apart by their fields.
//
// AfterShip is a feed, not a carrier: each tracking names its carrier by a
// slug ("fedex", "postnl-3s"), which feeds.Carrier maps to wismo's id, so a
// FedEx parcel tracked through AfterShip is fedex:<number>, the same
// shipment as FedEx's own API gives; the events' feed is "aftership".
// Checkpoints carry AfterShip's tag and subtag (codes.tsv decides) and, in
// raw_tag, sometimes the carrier's own code, kept in raw.type. A checkpoint's
// time is the carrier's local time, with its UTC offset (v4) or without
// (v3: the zone of its place then).
package aftership

import (
	"bytes"
	_ "embed"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is AfterShip's tag and subtag table.
var Table = normalizers.MustLoadTable("aftership/codes.tsv", codesTSV)

// wording remembers the text rows checkpoint messages match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about the AfterShip feed; its samples are
// in testdata/carriers/aftership.
var Spec = normalizers.Spec{ID: "aftership", Name: "AfterShip", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads AfterShip payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns an AfterShip normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// Feed implements normalizers.Feeder: an aggregator feed, whose events
// name the carriers of the parcels.
func (*Normalizer) Feed() string { return Spec.ID }

// MapCode maps an AfterShip status that arrives in another container: code
// is a subtag ("InTransit_003") or a tag.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping {
	return classify(tagOf(code), code, desc)
}

// classify is the row of a checkpoint: its subtag's, else its tag's refined
// by the wording.
func classify(tag, subtag, msg string) *normalizers.Mapping {
	if subtag != "" {
		if m := Table.LookupCode(tag, subtag, ""); m != nil && m.Subcode != "*" {
			return m
		}
	}
	return wording.Refine(Table, tag, "*", msg)
}

// tagOf is the tag a subtag belongs to ("InTransit_003" -> "InTransit"); a
// tag is its own.
func tagOf(code string) string {
	tag, _, _ := strings.Cut(code, "_")
	return tag
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "an AfterShip tracking, trackings list or webhook")
	if err != nil {
		return err
	}
	if err := metaError(root); err != nil {
		return err
	}
	var list []*fastjson.Value
	switch {
	case root.Get("msg") != nil: // the webhook
		list, err = trackingsOf(root.Get("msg"), "msg")
	case root.Get("data") != nil:
		list, err = trackingsOf(root.Get("data"), "data")
	default:
		list, err = trackingsOf(root, "the payload")
	}
	if err != nil {
		return err
	}
	return feeds.Each(Spec.ID, "the trackings list is empty", list, in, b, tracking)
}

// metaError is the error AfterShip answered with in meta.code (200 and 201
// are success; a webhook has no meta).
func metaError(root *fastjson.Value) error {
	meta := root.Get("meta")
	if meta == nil || meta.Type() != fastjson.TypeObject {
		return nil
	}
	code := meta.GetInt("code")
	if code == 0 || code == 200 || code == 201 {
		return nil
	}
	msg := string(meta.GetStringBytes("message"))
	typ := string(meta.GetStringBytes("type"))
	switch code {
	case 4004: // "Tracking does not exist": not added to AfterShip; its carrier is unknown, so no pending event
		return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "AfterShip error %d %s: %s (add the tracking to AfterShip first)", code, typ, msg)
	case 4005, 4012: // the tracking number, or the number for the slug, is invalid
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "AfterShip error %d %s: %s", code, typ, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "AfterShip error %d %s: %s", code, typ, msg)
}

// trackingsOf finds the tracking objects in v: {"tracking": {...}},
// {"trackings": [...]}, or a tracking itself (one with a tracking_number).
func trackingsOf(v *fastjson.Value, where string) ([]*fastjson.Value, error) {
	if v.Type() != fastjson.TypeObject {
		return nil, normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not an AfterShip answer: %s is a JSON %s, not an object", where, v.Type())
	}
	if t := v.Get("tracking"); t != nil {
		if t.Type() != fastjson.TypeObject {
			return nil, normalizers.Errorf(normalizers.KindDecode, Spec.ID, "%s.tracking is a JSON %s, not an object", where, t.Type())
		}
		return []*fastjson.Value{t}, nil
	}
	if ts := v.Get("trackings"); ts != nil {
		a, err := ts.Array()
		if err != nil {
			return nil, normalizers.Errorf(normalizers.KindDecode, Spec.ID, "%s.trackings is a JSON %s, not an array", where, ts.Type())
		}
		return a, nil
	}
	if v.Get("tracking_number") != nil {
		return []*fastjson.Value{v}, nil
	}
	return nil, normalizers.Errorf(normalizers.KindDecode, Spec.ID,
		"not an AfterShip answer: %s has no tracking, trackings or tracking_number", where)
}

// tracking adds one tracking's checkpoints, or its pending event when it
// has none yet.
func tracking(t *fastjson.Value, _ *normalizers.Input, b *normalizers.Batch) error {
	if t.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a tracking is a JSON %s, not an object", t.Type())
	}
	number := b.Upper(t.GetStringBytes("tracking_number"))
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a tracking without tracking_number (a string)")
	}
	var checkpoints []*fastjson.Value
	if cs := t.Get("checkpoints"); cs != nil && cs.Type() == fastjson.TypeArray {
		checkpoints, _ = cs.Array()
	} else if c := t.Get("checkpoint"); c != nil && c.Type() == fastjson.TypeObject {
		checkpoints = []*fastjson.Value{c} // GET /last_checkpoint
	}
	slug := t.GetStringBytes("slug")
	for i := 0; len(slug) == 0 && i < len(checkpoints); i++ {
		slug = checkpoints[i].GetStringBytes("slug")
	}
	carrier := feeds.CarrierBytes(Spec.ID, slug)
	if carrier == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "tracking %s names no carrier slug (slug %s)", number, normalizers.Quote(string(slug)))
	}
	if len(checkpoints) == 0 {
		code := feeds.PendingCode(t, "Pending", []string{"subtag"}, []string{"tag"})
		b.PendingFor(carrier, number, b.Str(code), b.Str(t.GetStringBytes("subtag_message")))
		return nil
	}
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Service:     b.Str(t.GetStringBytes("shipment_type")),
		Origin:      event.Location{Country: countryOf(t, "origin_country_iso3", "origin_country_region")},
		Destination: event.Location{Country: countryOf(t, "destination_country_iso3", "destination_country_region")},
	}
	for _, c := range checkpoints {
		if c.Type() != fastjson.TypeObject {
			b.Reject(normalizers.KindDecode, number, "a checkpoint is a JSON "+c.Type().String()+", not an object")
			continue
		}
		checkpoint(&s, c, b)
	}
	return nil
}

// countryOf is the first of the named fields that holds an ISO country code.
func countryOf(v *fastjson.Value, keys ...string) string {
	for _, k := range keys {
		if c := feeds.Country(v.GetStringBytes(k)); c != "" {
			return c
		}
	}
	return ""
}

// checkpointFields are the fields of a checkpoint that checkpoint reads,
// in one pass (Object.Visit, a switch on the key): checkpoints leave out
// subtag (v3), country_iso3 or country_region, and a Get that misses scans
// the keys twice.
type checkpointFields struct {
	subtag, tag, rawTag, message, time, city, state, zip, location *fastjson.Value
	countries                                                      [3]*fastjson.Value // country_iso3, country_region, country_name
}

func (f *checkpointFields) read(c *fastjson.Value) {
	o, err := c.Object()
	if err != nil {
		return
	}
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch string(k) {
		case "subtag":
			f.subtag = feeds.First(f.subtag, x)
		case "tag":
			f.tag = feeds.First(f.tag, x)
		case "raw_tag":
			f.rawTag = feeds.First(f.rawTag, x)
		case "message":
			f.message = feeds.First(f.message, x)
		case "checkpoint_time":
			f.time = feeds.First(f.time, x)
		case "city":
			f.city = feeds.First(f.city, x)
		case "state":
			f.state = feeds.First(f.state, x)
		case "zip":
			f.zip = feeds.First(f.zip, x)
		case "location":
			f.location = feeds.First(f.location, x)
		case "country_iso3":
			f.countries[0] = feeds.First(f.countries[0], x)
		case "country_region":
			f.countries[1] = feeds.First(f.countries[1], x)
		case "country_name":
			f.countries[2] = feeds.First(f.countries[2], x)
		}
	})
}

func checkpoint(s *normalizers.Scan, c *fastjson.Value, b *normalizers.Batch) {
	var f checkpointFields
	f.read(c)
	subtag := b.Str(f.subtag.GetStringBytes())
	tag := b.Str(f.tag.GetStringBytes())
	if tag == "" {
		tag = tagOf(subtag)
	}
	code := subtag
	if code == "" {
		code = tag
	}
	s.Raw = event.Raw{Code: code, Type: b.Str(f.rawTag.GetStringBytes()), Description: redactor.Text(b, b.Str(f.message.GetStringBytes()))}
	s.Type, s.Reason = nil, ""
	if m := classify(tag, subtag, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(&f, b)
	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(f.time.GetStringBytes()); ok {
		s.Time = t
	}
	b.Add(s)
}

// place is a checkpoint's city, state, postcode and country. The country is
// country_iso3 (v4), country_region (later versions) or, in v3, a code in
// country_name; a checkpoint without a city gives its location, the
// carrier's "CITY, ST" or "CITY CC", without a trailing country code.
func place(f *checkpointFields, b *normalizers.Batch) event.Location {
	l := event.Location{
		City:       b.Str(f.city.GetStringBytes()),
		Region:     b.Upper(f.state.GetStringBytes()),
		PostalCode: b.Str(f.zip.GetStringBytes()),
	}
	for _, c := range f.countries {
		if l.Country = feeds.Country(c.GetStringBytes()); l.Country != "" {
			break
		}
	}
	if l.City != "" {
		return l
	}
	loc := bytes.TrimSpace(f.location.GetStringBytes())
	if i := bytes.IndexByte(loc, ','); i >= 0 {
		loc = bytes.TrimSpace(loc[:i])
	}
	if i := bytes.LastIndexByte(loc, ' '); i > 0 && l.Country != "" && string(loc[i+1:]) == l.Country {
		loc = bytes.TrimSpace(loc[:i])
	}
	if len(loc) == 2 && feeds.Country(loc) != "" {
		return l // "NL, Netherlands": a country, no city
	}
	l.City = b.Str(loc)
	return l
}
