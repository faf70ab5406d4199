// Package karrio normalizes the tracking feed of karrio, the open-source
// shipping API: the tracker object (POST/GET /v1/trackers; also a page
// {"results": [...]} or a JSON array of trackers), the proxy tracking
// response {"messages": [...], "tracking": <tracker>} (POST
// /v1/proxy/tracking), and the tracker_created / tracker_updated webhook
// {"type": ..., "data": <tracker>}. The shapes are told apart by content.
//
// A tracker is a parcel of another carrier: its events name that carrier
// (carrier_name, through feeds.Carrier) and its tracking number, and
// Event.Feed says karrio. karrio passes each carrier's own event code
// (events[].code): where wismo has that carrier's table, that table
// decides, refined by karrio's event status and reason where karrio gives
// them (codes.tsv, through feeds.Classify). The tracker's status never
// makes a scan; a tracker with no events yet gives one pending event.
//
// Times: an event's timestamp (ISO 8601, newer karrio) when it has one,
// else its date and time, the carrier's local wall clock, placed in the
// zone of the event's location (tz_source location).
package karrio

import (
	"bytes"
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table maps karrio's event status and reason to canonical types.
var Table = normalizers.MustLoadTable("karrio/codes.tsv", codesTSV)

const feed = "karrio"

// Spec is everything wismo knows about the karrio feed.
var Spec = normalizers.Spec{ID: feed, Name: "karrio", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// New returns the decoder.
func New() *feeds.Normalizer {
	return feeds.New(Spec, "a karrio tracker, tracking response or webhook", "results", item)
}

func init() { normalizers.Register(New()) }

// item reads one tracker, tracking response or webhook.
func item(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	switch {
	case isTracker(v):
		return tracker(v, in, b)
	case v.Exists("data"):
		if d := v.Get("data"); d.Type() == fastjson.TypeObject && isTracker(d) {
			return tracker(d, in, b)
		}
		return normalizers.Errorf(normalizers.KindEmpty, feed, "karrio webhook %s carries no tracker in data",
			normalizers.Quote(string(v.GetStringBytes("type"))))
	case v.Exists("tracking"):
		if t := v.Get("tracking"); t.Type() == fastjson.TypeObject && isTracker(t) {
			return tracker(t, in, b)
		}
		return messages(v)
	case v.Exists("messages") || v.Exists("errors"):
		return messages(v)
	}
	return normalizers.Errorf(normalizers.KindDecode, feed, "not a karrio tracker, tracking response or webhook: no tracking_number, events, tracking or data")
}

func isTracker(v *fastjson.Value) bool {
	return v.Exists("tracking_number") || v.Exists("events")
}

// messages is karrio's answer without a tracker: the carrier's or
// karrio's error messages ({"messages": [{"code", "message"}]}, or an API
// error {"errors": [...]}).
func messages(v *fastjson.Value) error {
	list := v.GetArray("messages")
	if len(list) == 0 {
		list = v.GetArray("errors")
	}
	if len(list) == 0 {
		return normalizers.Errorf(normalizers.KindEmpty, feed, "a karrio answer with no tracker and no message")
	}
	return feeds.Refusal(feed, "karrio", string(feeds.Text(list[0], "code")), string(list[0].GetStringBytes("message")))
}

// tracker adds the scans of one tracker.
func tracker(t *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	tracking, err := feeds.Tracking(b, in, feed, t, "tracking_number")
	if err != nil {
		return err
	}
	name := t.GetStringBytes("carrier_name")
	if len(name) == 0 {
		name = t.GetStringBytes("meta", "carrier")
	}
	carrier := feeds.CarrierBytes(feed, name)
	mapper := feeds.Mapper(carrier)
	s := normalizers.Scan{TrackingNumber: tracking, Carrier: carrier}
	info := t.Get("info")
	if info != nil && info.Type() == fastjson.TypeObject {
		s.Service = b.ServiceKey(info.GetStringBytes("shipment_service"), carrier)
		s.Origin.Country = feeds.Country(info.GetStringBytes("shipment_origin_country"))
		s.Origin.PostalCode = b.Str(feeds.Text(info, "shipment_origin_postal_code"))
		s.Destination.Country = feeds.Country(info.GetStringBytes("shipment_destination_country"))
		s.Destination.PostalCode = b.Str(feeds.Text(info, "shipment_destination_postal_code"))
	}
	s.EstimatedDelivery = feeds.Date(b, t.GetStringBytes("estimated_delivery"))
	events := t.GetArray("events")
	if s.Origin.Region == "" {
		// karrio's times are wall clocks; one whose place has no zone
		// ("CUSTOMER", the shipper's label) takes the origin's, and the
		// origin is where the history starts: its last place (karrio lists
		// newest first) that names a region.
		for i := len(events) - 1; i >= 0; i-- {
			var l event.Location
			place(events[i].GetStringBytes("location"), &l, b)
			if l.Region != "" && (s.Origin.Country == "" || s.Origin.Country == l.Country) {
				s.Origin.City, s.Origin.Region, s.Origin.Country = l.City, l.Region, l.Country
				break
			}
		}
	}
	var h feeds.History
	for _, ev := range events {
		if ev.Type() != fastjson.TypeObject {
			continue
		}
		// One pass over the event's fields: karrio leaves out most of
		// them (timestamp, status, reason), and a Get that misses scans
		// the keys twice.
		var ts, date, clock, loc, descr, code, status, reason *fastjson.Value
		o, _ := ev.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			switch string(k) {
			case "timestamp":
				ts = feeds.First(ts, x)
			case "date":
				date = feeds.First(date, x)
			case "time":
				clock = feeds.First(clock, x)
			case "location":
				loc = feeds.First(loc, x)
			case "description":
				descr = feeds.First(descr, x)
			case "code":
				code = feeds.First(code, x)
			case "status":
				status = feeds.First(status, x)
			case "reason":
				reason = feeds.First(reason, x)
			}
		})
		when, ok := eventTime(ts.GetStringBytes(), date.GetStringBytes(), clock.GetStringBytes())
		if !ok {
			if !feeds.Absent(ev, "date") || !feeds.Absent(ev, "timestamp") {
				h.Refuse(b, tracking, "event date "+feeds.Shown(ev, "date")+" and time "+feeds.Shown(ev, "time")+" are not a date and time")
			}
			continue
		}
		sc := s
		sc.Time = when
		place(loc.GetStringBytes(), &sc.Location, b)
		feeds.FillCountry(&sc.Location, carrier, &s.Destination, &s.Origin)
		desc := redactor.Text(b, b.Str(descr.GetStringBytes()))
		e := feeds.Event{
			Mapper: mapper,
			Code:   b.Str(feeds.Text(code)),
			Status: b.Str(status.GetStringBytes()),
			Sub:    b.Str(reason.GetStringBytes()),
			Text:   desc,
		}
		feeds.Add(b, Table, &sc, &e)
		h.Scans++
	}
	return h.Pending(b, feed, carrier, tracking, t, "", "status")
}

// eventTime is an event's timestamp, else its date ("2023-05-01") and
// time ("10:39", "10:39:05", "1039" or "10:39 AM") as a local wall clock.
func eventTime(timestamp, date, clock []byte) (normalizers.Time, bool) {
	if ts, ok := normalizers.ParseISO(timestamp); ok {
		return ts, true
	}
	date = bytes.TrimSpace(date)
	if t, ok := normalizers.ParseISO(date); ok {
		return t, true // a date that is a whole date-time
	}
	if len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return normalizers.Time{}, false
	}
	clock = bytes.TrimSpace(clock)
	var buf [19]byte
	iso := append(append(buf[:0], date...), 'T')
	pm, am := false, false
	if n := len(clock); n > 2 && (clock[n-1] == 'M' || clock[n-1] == 'm') {
		switch clock[n-2] {
		case 'P', 'p':
			pm = true
			clock = bytes.TrimSpace(clock[:n-2])
		case 'A', 'a':
			am = true
			clock = bytes.TrimSpace(clock[:n-2])
		}
	}
	switch {
	case len(clock) == 0:
		iso = append(iso, "00:00:00"...)
	case len(clock) == 4 && clock[1] == ':': // "9:05"
		iso = append(append(append(iso, '0'), clock...), ":00"...)
	case len(clock) == 5:
		iso = append(append(iso, clock...), ":00"...)
	case len(clock) == 4 && clock[1] != ':': // "1039"
		iso = append(append(append(append(iso, clock[:2]...), ':'), clock[2:]...), ":00"...)
	case len(clock) == 8:
		iso = append(iso, clock...)
	default:
		return normalizers.Time{}, false
	}
	t, ok := normalizers.ParseISO(iso)
	if !ok || t.Wall.IsZero() {
		return normalizers.Time{}, false
	}
	if h := t.Wall.Hour(); pm && h < 12 {
		t.Wall = t.Wall.Add(12 * 3600e9)
	} else if am && h == 12 {
		t.Wall = t.Wall.Add(-12 * 3600e9)
	}
	return t, true
}

// place reads karrio's one-string location, "Logansport, IN, 46947, US":
// the city first, then a region, a postal code (the part with a digit)
// and a country code (the last part, two letters), each where present.
// Anything else ("CUSTOMER") is the city.
func place(v []byte, l *event.Location, b *normalizers.Batch) {
	v = trim(v)
	if len(v) == 0 {
		return
	}
	var parts [6][]byte
	n := 0
	for len(v) > 0 && n < len(parts) {
		i := bytes.IndexByte(v, ',')
		if i < 0 || n == len(parts)-1 {
			i = len(v)
		}
		parts[n] = trim(v[:i])
		n++
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	l.City = b.Str(parts[0])
	rest := parts[1:n]
	if k := len(rest); k > 0 && isLetters(rest[k-1], 2) {
		l.Country = b.Upper(rest[k-1])
		rest = rest[:k-1]
	}
	for _, p := range rest {
		switch {
		case hasDigit(p):
			if l.PostalCode == "" {
				l.PostalCode = b.Str(p)
			}
		case l.Region == "" && (isLetters(p, 2) || isLetters(p, 3)):
			l.Region = b.Upper(p)
		}
	}
}

// trim is bytes.TrimSpace, with the common cases inline: blanks cut at
// either end, and a part that starts and ends with neither white space nor
// a byte of a multi-byte character (Unicode white space) is already
// trimmed.
func trim(v []byte) []byte {
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	if len(v) > 0 && (v[0] <= ' ' || v[0] >= 0x80 || v[len(v)-1] <= ' ' || v[len(v)-1] >= 0x80) {
		return bytes.TrimSpace(v)
	}
	return v
}

func isLetters(p []byte, n int) bool {
	if len(p) != n {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func hasDigit(p []byte) bool {
	for _, c := range p {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}
