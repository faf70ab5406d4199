// Package ship24 normalizes Ship24 tracking JSON: the webhook
// ({"trackings": [{metadata, tracker, shipment, events}]}), the API's
// results ({"data": {"trackings": [...]}}) and one tracking by itself
// ({tracker, shipment, events}). The decoder tells the shapes apart by their
// fields.
//
// Ship24 is a feed, not a carrier: the tracker's courierCode, or else the
// courierCode of the newest event, names the parcel's carrier ("us-post"),
// which feeds.Carrier maps to wismo's id; the events' feed is "ship24". A
// webhook holds only the events new since the last one. Events carry
// Ship24's statusMilestone and statusCode (codes.tsv decides). An event's
// time is its datetime, a UTC instant, when given; else occurrenceDatetime,
// the carrier's local time, with utcOffset when known (the zone of its
// place otherwise).
package ship24

import (
	"bytes"
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
	"github.com/wismo/wismo/tz"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is Ship24's milestone and status code table.
var Table = normalizers.MustLoadTable("ship24/codes.tsv", codesTSV)

// wording remembers the text rows event statuses match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about the Ship24 feed; its samples are in
// testdata/carriers/ship24.
var Spec = normalizers.Spec{ID: "ship24", Name: "Ship24", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads Ship24 payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a Ship24 normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// Feed implements normalizers.Feeder: an aggregator feed, whose events
// name the carriers of the parcels.
func (*Normalizer) Feed() string { return Spec.ID }

// MapCode maps a Ship24 status that arrives in another container: code is
// a statusMilestone, subcode a statusCode.
func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	return classify(code, subcode, desc)
}

// classify is the row of an event: its status code's, else its milestone's
// refined by the wording.
func classify(milestone, code, text string) *normalizers.Mapping {
	if code != "" {
		if m := Table.LookupCode(milestone, code, ""); m != nil && m.Subcode != "*" {
			return m
		}
	}
	return wording.Refine(Table, milestone, "*", text)
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a Ship24 webhook or tracking result")
	if err != nil {
		return err
	}
	if errs := root.GetArray("errors"); len(errs) > 0 {
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Ship24 error %s: %s", errs[0].GetStringBytes("code"), errs[0].GetStringBytes("message"))
	}
	var list []*fastjson.Value
	switch {
	case root.Get("trackings") != nil:
		list, err = trackings(root.Get("trackings"))
	case root.Get("data", "trackings") != nil:
		list, err = trackings(root.Get("data", "trackings"))
	case root.Get("data", "tracker") != nil:
		list = []*fastjson.Value{root.Get("data")}
	case root.Get("tracker") != nil:
		list = []*fastjson.Value{root}
	default:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a Ship24 answer: no trackings, no tracker")
	}
	if err != nil {
		return err
	}
	return feeds.Each(Spec.ID, "the trackings list is empty", list, in, b, tracking)
}

func trackings(v *fastjson.Value) ([]*fastjson.Value, error) {
	a, err := v.Array()
	if err != nil {
		return nil, normalizers.Errorf(normalizers.KindDecode, Spec.ID, "trackings is a JSON %s, not an array", v.Type())
	}
	return a, nil
}

func tracking(t *fastjson.Value, _ *normalizers.Input, b *normalizers.Batch) error {
	if t.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a tracking is a JSON %s, not an object", t.Type())
	}
	number := b.Upper(t.GetStringBytes("tracker", "trackingNumber"))
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a tracking without tracker.trackingNumber (a string)")
	}
	events := t.GetArray("events")
	courier := t.GetStringBytes("tracker", "courierCode", "0")
	if len(courier) == 0 {
		courier = t.GetStringBytes("tracker", "courierCode") // a single code, not a list
	}
	if len(courier) == 0 {
		courier = newestCourier(events)
	}
	carrier := feeds.CarrierBytes(Spec.ID, courier)
	if carrier == "" {
		if len(events) == 0 {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "Ship24 has no events and no courier yet for %s", number)
		}
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "tracking %s names no courierCode", number)
	}
	sh := t.Get("shipment")
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Service:     b.Str(sh.GetStringBytes("delivery", "service")),
		Origin:      event.Location{Country: feeds.Country(sh.GetStringBytes("originCountryCode"))},
		Destination: event.Location{Country: feeds.Country(sh.GetStringBytes("destinationCountryCode"))},
	}
	if len(events) == 0 {
		b.PendingFor(carrier, number, b.Str(feeds.PendingCode(sh, "pending", []string{"statusMilestone"})), "")
		return nil
	}
	for _, ev := range events {
		if ev.Type() != fastjson.TypeObject {
			b.Reject(normalizers.KindDecode, number, "an event is a JSON "+ev.Type().String()+", not an object")
			continue
		}
		scan(&s, ev, b)
	}
	return nil
}

// newestCourier is the courierCode of the event of the highest order, the
// carrier that has the parcel last (the delivering one).
func newestCourier(events []*fastjson.Value) []byte {
	var c []byte
	best := -1
	for _, ev := range events {
		if o := ev.GetInt("order"); o > best || len(c) == 0 {
			if cc := ev.GetStringBytes("courierCode"); len(cc) > 0 {
				c, best = cc, o
			}
		}
	}
	return c
}

// scan adds one event. Its fields are read in one pass (Object.Visit, a
// switch on the key): events carry datetime or occurrenceDatetime, seldom
// both, and utcOffset only at times, and a Get that misses scans the keys
// twice.
func scan(s *normalizers.Scan, ev *fastjson.Value, b *normalizers.Batch) {
	var f eventFields
	o, _ := ev.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch string(k) {
		case "statusMilestone":
			f.milestone = feeds.First(f.milestone, x)
		case "statusCode":
			f.code = feeds.First(f.code, x)
		case "status":
			f.status = feeds.First(f.status, x)
		case "location":
			f.location = feeds.First(f.location, x)
		case "datetime":
			f.datetime = feeds.First(f.datetime, x)
		case "occurrenceDatetime":
			f.occurrence = feeds.First(f.occurrence, x)
		case "utcOffset":
			f.offset = feeds.First(f.offset, x)
		}
	})
	milestone := b.Str(f.milestone.GetStringBytes())
	code := b.Str(f.code.GetStringBytes())
	raw := code
	if raw == "" {
		raw = milestone
	}
	s.Raw = event.Raw{Code: raw, Type: milestone, Description: redactor.Text(b, b.Str(f.status.GetStringBytes()))}
	s.Type, s.Reason = nil, ""
	if m := classify(milestone, code, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(f.location.GetStringBytes(), s, b)
	s.Time = when(&f)
	b.Add(s)
}

// eventFields are the fields of an event scan reads.
type eventFields struct {
	milestone, code, status, location, datetime, occurrence, offset *fastjson.Value
}

// when is an event's time: datetime, the UTC instant, when given; else
// occurrenceDatetime with its offset or utcOffset, else as a wall clock.
func when(f *eventFields) normalizers.Time {
	if u, ok := normalizers.ParseISO(f.datetime.GetStringBytes()); ok && !u.UTC.IsZero() {
		return u
	}
	t, ok := normalizers.ParseISO(f.occurrence.GetStringBytes())
	if !ok {
		return normalizers.Time{}
	}
	if !t.HasOffset && !t.Wall.IsZero() {
		if off, ok := normalizers.ParseOffset(f.offset.GetStringBytes()); ok {
			t.Offset, t.HasOffset = off, true
		}
	}
	return t
}

// place reads Ship24's location text, the carrier's own: "SAN RAFAEL, CA
// 94901" is a city, then a region and a postcode; anything else is a city,
// or a facility's name ("Beijing airport", "LOS ANGELES CA INTERNATIONAL
// DISTRIBUTION CENTER"), in which a region may stand too. A region that
// tells the zone of the destination's or the origin's country (one of
// several zones, as the US's) gives the place that country.
func place(loc []byte, s *normalizers.Scan, b *normalizers.Batch) event.Location {
	var l event.Location
	city, rest, comma := bytes.Cut(loc, []byte{','})
	l.City = b.Str(city)
	if !comma {
		rest = city
	}
	if !ascii(rest) {
		for f := range bytes.FieldsSeq(rest) {
			field(f, comma, &l, s, b)
		}
		return l
	}
	// The same fields, split at ASCII white space without an iterator.
	for i := 0; i < len(rest); {
		if space(rest[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(rest) && !space(rest[j]) {
			j++
		}
		field(rest[i:j], comma, &l, s, b)
		i = j
	}
	return l
}

// field reads one word f of a location text into l: a region, or after a
// comma a postcode.
func field(f []byte, comma bool, l *event.Location, s *normalizers.Scan, b *normalizers.Batch) {
	switch {
	case len(f) == 2 && f[0] >= 'A' && f[0] <= 'Z' && f[1] >= 'A' && f[1] <= 'Z' && l.Region == "":
		if c := countryOf(f, s); c != "" || comma {
			l.Region, l.Country = b.Str(f), c
		}
	case comma && f[0] >= '0' && f[0] <= '9' && l.PostalCode == "":
		l.PostalCode = b.Str(f)
	}
}

// ascii reports whether t is all ASCII, whose white space space tells.
func ascii(t []byte) bool {
	for _, c := range t {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// space is ASCII white space, as unicode.IsSpace has it.
func space(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// countryOf is the destination's or the origin's country when region
// tells its zone apart from its others.
func countryOf(region []byte, s *normalizers.Scan) string {
	for _, c := range [...]string{s.Destination.Country, s.Origin.Country} {
		if c != "" && tz.ForLocation(c, "") == nil && tz.ForLocation(c, string(region)) != nil {
			return c
		}
	}
	return ""
}
