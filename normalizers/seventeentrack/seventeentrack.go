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
	"time"

	"github.com/valyala/fastjson"
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
	parsers fastjson.ParserPool
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

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a 17TRACK push or gettrackinfo answer")
	if err != nil {
		return err
	}
	data := root.Get("data")
	if c := root.GetInt("code"); c != 0 {
		// The whole request failed (an invalid key, a quota): code and
		// data.errors, or a message, say why.
		msg := root.GetStringBytes("data", "errors", "0", "message")
		if len(msg) == 0 {
			msg = root.GetStringBytes("message")
		}
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "17TRACK error %d: %s", c, msg)
	}
	switch {
	case root.Get("track_info") != nil:
		data = root // one accepted item by itself
	case data == nil:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a 17TRACK answer: no data, no track_info")
	case data.Type() != fastjson.TypeObject:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a 17TRACK answer: data is a JSON %s, not an object", data.Type())
	}
	if ev := root.GetStringBytes("event"); len(ev) > 0 && (data.Get("track_info") == nil || data.Get("track_info").Type() == fastjson.TypeNull) {
		// TRACKING_STOPPED (or an update without its tracking) carries no history.
		return normalizers.Errorf(normalizers.KindEmpty, Spec.ID, "17TRACK %s push for %s without track_info: no scans in it", ev, normalizers.Quote(string(data.GetStringBytes("number"))))
	}
	if data.Get("accepted") == nil && data.Get("rejected") == nil {
		return item(data, in, b)
	}
	err = feeds.Each(Spec.ID, "17TRACK answer with no accepted and no rejected numbers", data.GetArray("accepted"), in, b, item)
	if normalizers.KindOf(err) != normalizers.KindEmpty {
		return err
	}
	if rej := data.GetArray("rejected"); len(rej) > 0 {
		e := rej[0].Get("error")
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "17TRACK rejected %s: error %d %s",
			normalizers.Quote(string(rej[0].GetStringBytes("number"))), e.GetInt("code"), e.GetStringBytes("message"))
	}
	return err
}

// item adds one number's events, or its pending event when it has none.
func item(it *fastjson.Value, _ *normalizers.Input, b *normalizers.Batch) error {
	if it.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "an accepted item is a JSON %s, not an object", it.Type())
	}
	number := b.Upper(it.GetStringBytes("number"))
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "an item without number (a string)")
	}
	info := it.Get("track_info")
	if info == nil || info.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "item %s has no track_info object", number)
	}
	providers := info.GetArray("tracking", "providers")
	var buf [24]byte
	code := carrierCode(buf[:0], it.Get("carrier"))
	for i := 0; len(code) == 0 && i < len(providers); i++ {
		code = carrierCode(buf[:0], providers[i].Get("provider", "key"))
	}
	carrier := feeds.CarrierBytes(Spec.ID, code)
	if carrier == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "item %s names no carrier (carrier %s)", number, normalizers.Quote(string(code)))
	}
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Origin:      event.Location{Country: feeds.Country(info.GetStringBytes("shipping_info", "shipper_address", "country"))},
		Destination: event.Location{Country: feeds.Country(info.GetStringBytes("shipping_info", "recipient_address", "country"))},
	}
	events := 0
	for _, pv := range providers {
		for _, ev := range pv.GetArray("events") {
			events++
			if ev.Type() != fastjson.TypeObject {
				b.Reject(normalizers.KindDecode, number, "an event is a JSON "+ev.Type().String()+", not an object")
				continue
			}
			scan(&s, ev, b)
		}
	}
	if events == 0 {
		st := feeds.PendingCode(info, "NotFound", []string{"latest_status", "sub_status"}, []string{"latest_status", "status"})
		b.PendingFor(carrier, number, b.Str(st), "")
	}
	return nil
}

// carrierCode is 17TRACK's carrier code, given as a number or a string,
// appended to buf.
func carrierCode(buf []byte, v *fastjson.Value) []byte {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		if n := v.GetInt64(); n > 0 {
			return strconv.AppendInt(buf, n, 10)
		}
	case fastjson.TypeString:
		return v.GetStringBytes()
	}
	return nil
}

func scan(s *normalizers.Scan, ev *fastjson.Value, b *normalizers.Batch) {
	sub := b.Str(ev.GetStringBytes("sub_status"))
	stage := b.Str(ev.GetStringBytes("stage"))
	code := sub
	if code == "" {
		code = stage
	}
	s.Raw = event.Raw{Code: code, Type: stage, Description: redactor.Text(b, b.Str(ev.GetStringBytes("description")))}
	s.Type, s.Reason = nil, ""
	if m := classify(sub, stage); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(ev, b)
	s.Time = when(ev.GetStringBytes("time_utc"), ev.GetStringBytes("time_iso"))
	if s.Time == (normalizers.Time{}) {
		s.Time = rawTime(ev.Get("time_raw"))
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
func rawTime(v *fastjson.Value) normalizers.Time {
	var buf [40]byte
	d, tm := v.GetStringBytes("date"), v.GetStringBytes("time")
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
	if z := v.GetStringBytes("timezone"); len(z) <= 6 {
		b = append(b, z...)
	}
	t, _ := normalizers.ParseISO(b)
	return t
}

func offset(t normalizers.Time) time.Duration { return time.Duration(t.Offset) * time.Second }

// place is an event's city, state, postcode and country from its address
// (never its street); an event without one gives its location text, up to
// the first comma, as the city.
func place(ev *fastjson.Value, b *normalizers.Batch) event.Location {
	a := ev.Get("address")
	l := event.Location{
		City:       b.Str(a.GetStringBytes("city")),
		Region:     b.Upper(a.GetStringBytes("state")),
		PostalCode: b.Str(a.GetStringBytes("postal_code")),
		Country:    feeds.Country(a.GetStringBytes("country")),
	}
	if l.City == "" {
		loc := ev.GetStringBytes("location")
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
