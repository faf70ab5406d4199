// Package seventeentrack normalizes 17TRACK API v2 / v2.2 JSON (feed id
// "17track"; a Go package name cannot start with a digit): the push
// webhook ({"event": "TRACKING_UPDATED", "data": {number, carrier,
// track_info}}), the gettrackinfo answer ({"code", "data": {"accepted":
// [...], "rejected": [...]}}), and one accepted item by itself. The decoder
// tells the shapes apart by their fields.
//
// 17TRACK is a feed, not a carrier: each item names its carrier by
// 17TRACK's numeric carrier code (100002 is UPS), which feeds.Carrier maps
// to wismo's id, so a UPS parcel tracked through 17TRACK is ups:<number>,
// the same shipment as UPS's own API gives; the events' feed is "17track".
// Events carry 17TRACK's sub_status and stage (codes.tsv decides), no
// carrier code. An event's time is given twice: time_utc, the instant,
// which the decoder uses, and time_iso, the carrier's local time with its
// offset, which gives the local offset when the two agree.
package seventeentrack

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is 17TRACK's sub_status and stage table.
var Table = normalizers.MustLoadTable("seventeentrack/codes.tsv", codesTSV)

// Spec is everything wismo knows about the 17TRACK feed; its samples are in
// testdata/carriers/17track.
var Spec = normalizers.Spec{ID: "17track", Name: "17TRACK", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads 17TRACK payloads.
type Normalizer struct {
	normalizers.Spec
	scratch sync.Pool // of *state
}

// New returns a 17TRACK normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// Feed implements normalizers.Feeder: an aggregator feed, whose events
// name the carriers of the parcels.
func (*Normalizer) Feed() string { return Spec.ID }

// MapCode maps a 17TRACK status that arrives in another container: code is
// a sub_status or main status, subcode a stage.
func (*Normalizer) MapCode(code, subcode, _ string) *normalizers.Mapping {
	return classify(code, subcode)
}

// classify is the row of an event: its sub_status with its stage, else its
// main status with its stage, else its stage alone.
func classify(sub, stage string) *normalizers.Mapping {
	if m := Table.LookupCode(sub, stage, ""); m != nil {
		return m
	}
	if main, _, found := strings.Cut(sub, "_"); found { // the main status of "InTransit_PickedUp"
		if m := Table.LookupCode(main, stage, ""); m != nil {
			return m
		}
	}
	return Table.LookupCode(stage, "*", "")
}

// Normalize implements normalizers.Normalizer. It reads the payload in one
// pass (normalizers.JSONScanner), collecting what the root and its data say
// and their items, and tells the shapes apart as before once the payload
// proved well-formed.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[state](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.sc
	if err := normalizers.ScanObject(sc, in.Payload, Spec.ID, "a 17TRACK push or gettrackinfo answer"); err != nil {
		return err
	}
	root := &st.root
	root.reset()
	st.data.reset()
	st.read(root, 0)
	if err := sc.Finish(Spec.ID); err != nil {
		return err
	}
	data := &st.data
	if root.code != 0 {
		// The whole request failed (an invalid key, a quota): code and
		// data.errors, or a message, say why.
		msg := data.errMsg
		if len(msg) == 0 {
			msg = root.message
		}
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "17TRACK error %d: %s", root.code, msg)
	}
	switch {
	case root.has&hasInfo != 0:
		data = root // one accepted item by itself
	case root.has&hasData == 0:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a 17TRACK answer: no data, no track_info")
	case data.it.kind != normalizers.JSONObject:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a 17TRACK answer: data is a JSON %s, not an object", data.it.kind)
	}
	if len(root.event) > 0 && (data.has&hasInfo == 0 || data.it.infoKind == normalizers.JSONNull) {
		// TRACKING_STOPPED (or an update without its tracking) carries no history.
		return normalizers.Errorf(normalizers.KindEmpty, Spec.ID, "17TRACK %s push for %s without track_info: no scans in it", root.event, normalizers.Quote(string(data.it.number)))
	}
	if data.has&(hasAccepted|hasRejected) == 0 {
		return data.it.add(b)
	}
	accepted := data.accepted
	if data.accKind != normalizers.JSONArray {
		accepted = nil
	}
	err := feeds.EachOf(Spec.ID, "17TRACK answer with no accepted and no rejected numbers", len(accepted), b, func(i int) error { return accepted[i].add(b) })
	if normalizers.KindOf(err) != normalizers.KindEmpty {
		return err
	}
	if data.rejected > 0 {
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "17TRACK rejected %s: error %d %s",
			normalizers.Quote(string(data.rejNumber)), data.rejCode, data.rejMsg)
	}
	return err
}

// state is one payload's scanner, its root and its data.
type state struct {
	sc         normalizers.JSONScanner
	root, data container
}

// container is what the root or its data held: which keys (has), the
// request's code, message and event, data.errors[0].message, the accepted
// items, the first rejected number's number and error, and the object
// itself as an item.
type container struct {
	has                    uint32
	code                   int64
	message, event, errMsg []byte
	accKind                normalizers.JSONKind
	accepted               []item
	rejected               int
	rejNumber, rejMsg      []byte
	rejCode                int64
	it                     item
}

func (c *container) reset() {
	*c = container{accepted: c.accepted[:0], it: item{events: c.it.events[:0]}}
}

// containerKeys are the keys read of the root (all) and of data (from 3 on:
// an item's, then a list's).
var containerKeys = [...]string{"code", "data", "message", "event", "errors", "number", "carrier", "track_info", "accepted", "rejected"}

// The bits of container.has, as keys' indexes in containerKeys.
const (
	hasData     = 1 << 1
	hasInfo     = 1 << 7
	hasAccepted = 1 << 8
	hasRejected = 1 << 9
)

// item is one number's fields: its kind (only an object is an item), its
// number, its carrier code, the kind of its track_info, the origin's and
// destination's countries, latest_status.sub_status and .status, and the
// events of all its providers.
type item struct {
	kind, infoKind normalizers.JSONKind
	number         []byte
	carrier        code
	provider       code // the first provider's that gives one
	origin, dest   []byte
	latest         [2][]byte
	events         []eventFields
}

// code is a carrier code as given: a number or a string.
type code struct {
	num int64
	str []byte
}

// appendTo is the code, as carrierCode made it, appended to buf.
func (c code) appendTo(buf []byte) []byte {
	if c.num > 0 {
		return strconv.AppendInt(buf, c.num, 10)
	}
	return c.str
}

func (c code) empty() bool { return c.num <= 0 && len(c.str) == 0 }

// readCode reads a carrier code, given as a number or a string.
func readCode(sc *normalizers.JSONScanner) code {
	switch sc.Kind() {
	case normalizers.JSONNumber:
		return code{num: feeds.Int(sc)}
	case normalizers.JSONString:
		return code{str: sc.Str()}
	}
	sc.Skip()
	return code{}
}

// eventFields are an event's sub_status, stage, description, time_utc,
// time_iso and location; its address's city, state, postal_code and
// country; its time_raw's date, time and timezone; and its kind (only an
// object is an event).
type eventFields struct {
	kind    normalizers.JSONKind
	f       [6][]byte
	address [4][]byte
	raw     [3][]byte
}

// read reads the root (level 0) or data (level 1) into c.
func (st *state) read(c *container, level int) {
	sc := &st.sc
	c.it.kind = sc.Kind()
	names := containerKeys[:]
	if level == 1 {
		names = containerKeys[3:]
	}
	c.has = sc.Members(func(i int) {
		if level == 1 {
			i += 3
		}
		switch i {
		case 0:
			c.code = feeds.Int(sc)
		case 1:
			st.read(&st.data, 1)
		case 2:
			c.message = sc.Str()
		case 3:
			c.event = sc.Str()
		case 4:
			c.errMsg = errorsMessage(sc)
		case 5, 6, 7:
			st.itemField(&c.it, i-5)
		case 8:
			c.accKind = sc.Kind()
			if !sc.Array() {
				sc.Skip()
				return
			}
			for sc.Elem() {
				it := feeds.Next(&c.accepted)
				*it = item{events: it.events[:0]}
				if it.kind = sc.Kind(); it.kind != normalizers.JSONObject {
					sc.Skip()
					continue
				}
				sc.Members(func(i int) { st.itemField(it, i) }, "number", "carrier", "track_info")
			}
		case 9:
			if !sc.Array() {
				sc.Skip()
				return
			}
			for sc.Elem() {
				if c.rejected++; c.rejected > 1 {
					sc.Skip()
					continue
				}
				sc.Members(func(i int) {
					if i == 0 {
						c.rejNumber = sc.Str()
						return
					}
					sc.Members(func(i int) {
						if i == 0 {
							c.rejCode = feeds.Int(sc)
							return
						}
						c.rejMsg = sc.Str()
					}, "code", "message")
				}, "number", "error")
			}
		}
	}, names...)
	if level == 1 {
		c.has <<= 3 // the bits of names[3:]
	}
}

// errorsMessage is data.errors' element "0" (of a list, or a key of an
// object, as fastjson's look-up found it), its message.
func errorsMessage(sc *normalizers.JSONScanner) []byte {
	var msg []byte
	message := func(int) { msg = sc.Str() }
	switch sc.Kind() {
	case normalizers.JSONArray:
		sc.Array()
		for i := 0; sc.Elem(); i++ {
			if i == 0 {
				sc.Members(message, "message")
				continue
			}
			sc.Skip()
		}
	case normalizers.JSONObject:
		sc.Members(func(int) { sc.Members(message, "message") }, "0")
	default:
		sc.Skip()
	}
	return msg
}

// itemField reads an item's number (0), carrier (1) or track_info (2).
func (st *state) itemField(it *item, i int) {
	sc := &st.sc
	switch i {
	case 0:
		it.number = sc.Str()
	case 1:
		it.carrier = readCode(sc)
	case 2:
		it.infoKind = sc.Kind()
		sc.Members(func(i int) {
			switch i {
			case 0:
				sc.Members(func(int) { st.providers(it) }, "providers")
			case 1:
				sc.Members(func(i int) {
					sc.Members(func(int) {
						if i == 0 {
							it.origin = sc.Str()
						} else {
							it.dest = sc.Str()
						}
					}, "country")
				}, "shipper_address", "recipient_address")
			case 2:
				sc.Fields(it.latest[:], "sub_status", "status")
			}
		}, "tracking", "shipping_info", "latest_status")
	}
}

// providers reads tracking.providers: the first provider's code that is
// one, and the events of all.
func (st *state) providers(it *item) {
	sc := &st.sc
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Elem() {
		sc.Members(func(i int) {
			if i == 0 {
				sc.Members(func(int) {
					if c := readCode(sc); it.provider.empty() {
						it.provider = c
					}
				}, "key")
				return
			}
			st.events(it)
		}, "provider", "events")
	}
}

// events reads a provider's events.
func (st *state) events(it *item) {
	sc := &st.sc
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Elem() {
		e := feeds.Next(&it.events)
		*e = eventFields{kind: sc.Kind()}
		if e.kind != normalizers.JSONObject {
			sc.Skip()
			continue
		}
		feeds.Members(sc, eventKey, 0, 8, func(i int) {
			switch {
			case i < 6:
				e.f[i] = sc.Str()
			case i == 6:
				sc.Fields(e.address[:], "city", "state", "postal_code", "country")
			default:
				sc.Fields(e.raw[:], "date", "time", "timezone")
			}
		})
	}
}

// eventKey is the index of an event's key among those events reads:
// sub_status, stage, description, time_utc, time_iso, location, address,
// time_raw; -1 for others.
func eventKey(k []byte) int {
	switch string(k) {
	case "sub_status":
		return 0
	case "stage":
		return 1
	case "description":
		return 2
	case "time_utc":
		return 3
	case "time_iso":
		return 4
	case "location":
		return 5
	case "address":
		return 6
	case "time_raw":
		return 7
	}
	return -1
}

// add adds one number's events, or its pending event when it has none.
func (it *item) add(b *normalizers.Batch) error {
	if it.kind != normalizers.JSONObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "an accepted item is a JSON %s, not an object", it.kind)
	}
	number := b.Upper(it.number)
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "an item without number (a string)")
	}
	if it.infoKind != normalizers.JSONObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "item %s has no track_info object", number)
	}
	var buf [24]byte
	code := it.carrier.appendTo(buf[:0])
	if len(code) == 0 {
		code = it.provider.appendTo(buf[:0])
	}
	carrier := feeds.CarrierBytes(Spec.ID, code)
	if carrier == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "item %s names no carrier (carrier %s)", number, normalizers.Quote(string(code)))
	}
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Origin:      event.Location{Country: feeds.Country(it.origin)},
		Destination: event.Location{Country: feeds.Country(it.dest)},
	}
	for i := range it.events {
		ev := &it.events[i]
		if ev.kind != normalizers.JSONObject {
			b.Reject(normalizers.KindDecode, number, "an event is a JSON "+ev.kind.String()+", not an object")
			continue
		}
		scan(&s, ev, b)
	}
	if len(it.events) == 0 {
		st := it.latest[0]
		if len(st) == 0 {
			st = it.latest[1]
		}
		if len(st) == 0 {
			st = []byte("NotFound")
		}
		b.PendingFor(carrier, number, b.Str(st), "")
	}
	return nil
}

func scan(s *normalizers.Scan, ev *eventFields, b *normalizers.Batch) {
	sub := b.Str(ev.f[0])
	stage := b.Str(ev.f[1])
	code := sub
	if code == "" {
		code = stage
	}
	s.Raw = event.Raw{Code: code, Type: stage, Description: redactor.Text(b, b.Str(ev.f[2]))}
	s.Type, s.Reason = nil, ""
	if m := classify(sub, stage); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(ev, b)
	s.Time = when(ev.f[3], ev.f[4])
	if s.Time == (normalizers.Time{}) {
		s.Time = rawTime(&ev.raw)
	}
	b.Add(s)
}

// when is an event's time: the instant of time_utc, with time_iso's wall
// clock and offset when they name the same instant (the local offset the
// carrier gave), else the instant alone (the place's zone then gives the
// local time); time_iso alone when there is no time_utc.
func when(utc, iso []byte) normalizers.Time {
	u, okU := normalizers.ParseISO(utc)
	l, okL := normalizers.ParseISO(iso)
	if okU && u.UTC.IsZero() && u.HasOffset { // an instant written with an offset
		u = normalizers.Time{UTC: u.Wall.Add(-offset(u))}
	}
	switch {
	case okU && !u.UTC.IsZero():
		if okL && l.HasOffset && l.Wall.Add(-offset(l)).Equal(u.UTC) {
			return l
		}
		return normalizers.Time{UTC: u.UTC}
	case okL:
		return l
	}
	return normalizers.Time{}
}

// rawTime is the carrier's own time as 17TRACK passes it, for an event
// without time_iso and time_utc: time_raw {date, time, timezone}
// ("2022-05-02", "14:34:00" or "14:34", "-04:00" or null).
func rawTime(v *[3][]byte) normalizers.Time {
	var buf [40]byte
	d, tm := v[0], v[1]
	if len(d) != 10 || len(tm) > 8 {
		return normalizers.Time{}
	}
	b := append(buf[:0], d...)
	switch len(tm) {
	case 0:
		b = append(b, "T00:00:00"...)
	case 5:
		b = append(append(append(b, 'T'), tm...), ":00"...)
	default:
		b = append(append(b, 'T'), tm...)
	}
	if z := v[2]; len(z) <= 6 {
		b = append(b, z...)
	}
	t, _ := normalizers.ParseISO(b)
	return t
}

func offset(t normalizers.Time) time.Duration { return time.Duration(t.Offset) * time.Second }

// place is an event's city, state, postcode and country from its address
// (never its street); an event without one gives its location text, up to
// the first comma, as the city.
func place(ev *eventFields, b *normalizers.Batch) event.Location {
	a := &ev.address
	l := event.Location{
		City:       b.Str(a[0]),
		Region:     b.Upper(a[1]),
		PostalCode: b.Str(a[2]),
		Country:    feeds.Country(a[3]),
	}
	if l.City == "" {
		loc := ev.f[5]
		for i, c := range loc {
			if c == ',' {
				loc = loc[:i]
				break
			}
		}
		l.City = b.Str(loc)
	}
	return l
}
