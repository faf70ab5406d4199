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

	"sync"

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
	scratch sync.Pool // of *state
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

// Normalize implements normalizers.Normalizer. It reads the payload in one
// pass (normalizers.JSONScanner), collecting the trackings of every shape
// it might be, and reports the one shape the payload is, as before: a
// non-empty errors list, else trackings, data.trackings, data (with a
// tracker) or the payload itself (with a tracker); nothing counts until
// the payload proved well-formed.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[state](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.sc
	if err := normalizers.ScanObject(sc, in.Payload, Spec.ID, "a Ship24 webhook or tracking result"); err != nil {
		return err
	}
	var root object
	st.data = object{}
	st.read(&root, &st.one[1], 0)
	if err := sc.Finish(Spec.ID); err != nil {
		return err
	}
	if root.errors > 0 {
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Ship24 error %s: %s", root.errCode, root.errMsg)
	}
	d := &st.data
	var list []tracking
	switch {
	case root.has&hasTrackings != 0:
		if root.list != normalizers.JSONArray {
			return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "trackings is a JSON %s, not an array", root.list)
		}
		list = st.lists[0]
	case d.has&hasTrackings != 0:
		if d.list != normalizers.JSONArray {
			return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "trackings is a JSON %s, not an array", d.list)
		}
		list = st.lists[1]
	case d.has&hasTracker != 0:
		list = st.one[:1]
	case root.has&hasTracker != 0:
		list = st.one[1:]
	default:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a Ship24 answer: no trackings, no tracker")
	}
	return feeds.EachOf(Spec.ID, "the trackings list is empty", len(list), b, func(i int) error { return list[i].add(b) })
}

// state is one payload's scanner and what it collected: the trackings of
// the root's trackings and of data.trackings, data as a tracking and the
// root as one.
type state struct {
	sc    normalizers.JSONScanner
	lists [2][]tracking
	one   [2]tracking
	data  object
}

// object is what an object that may list trackings held: which of its
// keys (has), the kind of its trackings, and for the root its errors.
type object struct {
	has             uint32
	list            normalizers.JSONKind
	errors          int
	errCode, errMsg []byte
}

// The bits of object.has, as key numbers them.
const (
	hasTracker   = 1 << 0
	hasTrackings = 1 << 3
)

// key is the number of a member read of an object, -1 for others: a
// tracking's are the first three, data's four, the root's all six.
func key(k []byte) int {
	switch string(k) {
	case "tracker":
		return 0
	case "shipment":
		return 1
	case "events":
		return 2
	case "trackings":
		return 3
	case "data":
		return 4
	case "errors":
		return 5
	}
	return -1
}

// tracking is one tracking's fields: its kind (only an object is a
// tracking), tracker.trackingNumber, the courier code, the shipment's
// delivery.service, originCountryCode, destinationCountryCode and
// statusMilestone, and its events.
type tracking struct {
	kind            normalizers.JSONKind
	number, courier []byte
	ship            [4][]byte
	events          []eventFields
}

// eventFields are the string fields of an event scan reads (indexed by
// eventKey), and its order; kind is the event's (only an object is one).
type eventFields struct {
	kind  normalizers.JSONKind
	f     [8][]byte
	order int
}

const (
	fMilestone = iota
	fCode
	fStatus
	fLocation
	fDatetime
	fOccurrence
	fOffset
	fCourier
	fOrder
)

// read reads the object next in the scanner into o and t (its fields as a
// tracking); level 0 is the root, 1 data, 2 a tracking of a list.
func (st *state) read(o *object, t *tracking, level int) {
	sc := &st.sc
	t.reset(normalizers.JSONObject)
	hi := 6
	switch level {
	case 1:
		hi = 4
	case 2:
		hi = 3
	}
	o.has = feeds.Members(sc, key, 0, hi, func(i int) {
		switch i {
		case 0:
			sc.Members(func(i int) {
				if i == 0 {
					t.number = sc.Str()
					return
				}
				t.courier = courierCode(sc)
			}, "trackingNumber", "courierCode")
		case 1:
			sc.Members(func(i int) {
				if i == 0 {
					sc.Members(func(int) { t.ship[0] = sc.Str() }, "service")
					return
				}
				t.ship[i] = sc.Str()
			}, "delivery", "originCountryCode", "destinationCountryCode", "statusMilestone")
		case 2:
			st.readEvents(t)
		case 3:
			o.list = sc.Kind()
			l := &st.lists[level]
			*l = (*l)[:0]
			if !sc.Array() {
				sc.Skip()
				return
			}
			for sc.Elem() {
				t := feeds.Next(l)
				if k := sc.Kind(); k != normalizers.JSONObject {
					t.reset(k)
					sc.Skip()
					continue
				}
				var inner object
				st.read(&inner, t, 2)
			}
		case 4:
			st.read(&st.data, &st.one[0], 1)
		case 5:
			if !sc.Array() {
				sc.Skip()
				return
			}
			for sc.Elem() {
				if o.errors++; o.errors == 1 {
					var f [2][]byte
					sc.Fields(f[:], "code", "message")
					o.errCode, o.errMsg = f[0], f[1]
					continue
				}
				sc.Skip()
			}
		}
	})
}

// courierCode is the tracker's courierCode: the first of a list, or a
// single code (as the look-up of its element "0" found it before).
func courierCode(sc *normalizers.JSONScanner) []byte {
	var c []byte
	switch sc.Kind() {
	case normalizers.JSONString:
		return sc.Str()
	case normalizers.JSONArray:
		sc.Array()
		for i := 0; sc.Elem(); i++ {
			if i == 0 {
				c = sc.Str()
				continue
			}
			sc.Skip()
		}
	case normalizers.JSONObject:
		sc.Members(func(int) { c = sc.Str() }, "0")
	default:
		sc.Skip()
	}
	return c
}

// readEvents reads a tracking's events; anything but an array is none.
func (st *state) readEvents(t *tracking) {
	sc := &st.sc
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Elem() {
		e := feeds.Next(&t.events)
		*e = eventFields{kind: sc.Kind()}
		if e.kind != normalizers.JSONObject {
			sc.Skip()
			continue
		}
		e.read(sc)
	}
}

// read reads an event's fields, the first of each key, as Members would:
// a switch on the key costs less than Members' look-up in a list, and an
// event is most of a payload's keys.
func (e *eventFields) read(sc *normalizers.JSONScanner) {
	sc.Object()
	var seen uint32
	for k, ok := sc.Key(); ok; k, ok = sc.Key() {
		i := eventKey(k)
		if i < 0 || seen&(1<<i) != 0 {
			sc.Skip()
			continue
		}
		seen |= 1 << i
		if i < len(e.f) {
			e.f[i] = sc.Str()
			continue
		}
		e.order = int(feeds.Int(sc))
	}
}

// eventKey is the index of k in eventKeys, -1 if none.
func eventKey(k []byte) int {
	switch string(k) {
	case "statusMilestone":
		return fMilestone
	case "statusCode":
		return fCode
	case "status":
		return fStatus
	case "location":
		return fLocation
	case "datetime":
		return fDatetime
	case "occurrenceDatetime":
		return fOccurrence
	case "utcOffset":
		return fOffset
	case "courierCode":
		return fCourier
	case "order":
		return fOrder
	}
	return -1
}

func (t *tracking) reset(k normalizers.JSONKind) {
	*t = tracking{kind: k, events: t.events[:0]}
}

// add adds the tracking's events to b.
func (t *tracking) add(b *normalizers.Batch) error {
	if t.kind != normalizers.JSONObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a tracking is a JSON %s, not an object", t.kind)
	}
	number := b.Upper(t.number)
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a tracking without tracker.trackingNumber (a string)")
	}
	courier := t.courier
	if len(courier) == 0 {
		courier = newestCourier(t.events)
	}
	carrier := feeds.CarrierBytes(Spec.ID, courier)
	if carrier == "" {
		if len(t.events) == 0 {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "Ship24 has no events and no courier yet for %s", number)
		}
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "tracking %s names no courierCode", number)
	}
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Service:     b.Str(t.ship[0]),
		Origin:      event.Location{Country: feeds.Country(t.ship[1])},
		Destination: event.Location{Country: feeds.Country(t.ship[2])},
	}
	if len(t.events) == 0 {
		code := t.ship[3]
		if len(code) == 0 {
			code = []byte("pending")
		}
		b.PendingFor(carrier, number, b.Str(code), "")
		return nil
	}
	for i := range t.events {
		ev := &t.events[i]
		if ev.kind != normalizers.JSONObject {
			b.Reject(normalizers.KindDecode, number, "an event is a JSON "+ev.kind.String()+", not an object")
			continue
		}
		scan(&s, ev, b)
	}
	return nil
}

// newestCourier is the courierCode of the event of the highest order, the
// carrier that has the parcel last (the delivering one).
func newestCourier(events []eventFields) []byte {
	var c []byte
	best := -1
	for i := range events {
		if o := events[i].order; o > best || len(c) == 0 {
			if cc := events[i].f[fCourier]; len(cc) > 0 {
				c, best = cc, o
			}
		}
	}
	return c
}

// scan adds one event.
func scan(s *normalizers.Scan, ev *eventFields, b *normalizers.Batch) {
	milestone := b.Str(ev.f[fMilestone])
	code := b.Str(ev.f[fCode])
	raw := code
	if raw == "" {
		raw = milestone
	}
	s.Raw = event.Raw{Code: raw, Type: milestone, Description: redactor.Text(b, b.Str(ev.f[fStatus]))}
	s.Type, s.Reason = nil, ""
	if m := classify(milestone, code, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(ev.f[fLocation], s, b)
	s.Time = when(ev)
	b.Add(s)
}

// when is an event's time: datetime, the UTC instant, when given; else
// occurrenceDatetime with its offset or utcOffset, else as a wall clock.
func when(ev *eventFields) normalizers.Time {
	if u, ok := normalizers.ParseISO(ev.f[fDatetime]); ok && !u.UTC.IsZero() {
		return u
	}
	t, ok := normalizers.ParseISO(ev.f[fOccurrence])
	if !ok {
		return normalizers.Time{}
	}
	if !t.HasOffset && !t.Wall.IsZero() {
		if off, ok := normalizers.ParseOffset(ev.f[fOffset]); ok {
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
