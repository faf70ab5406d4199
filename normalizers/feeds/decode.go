package feeds

import (
	"bytes"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// Normalizer is a feed's decoder: its Spec, registered like a carrier's,
// and the function that reads one tracker (or a webhook or response
// wrapping one). Its Normalize parses the payload and finds the trackers
// in it (Decode).
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
	what    string
	list    string
	item    Item
	// entry is object, made once; empty is the error of an empty list.
	entry Item
	empty string
}

// Item reads one tracker, webhook or response of a feed into b. It tells
// the shapes apart by content.
type Item func(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error

// New returns the decoder of a feed: what names its payloads in errors
// ("an EasyPost tracker or event"), list is the key under which an object
// lists several ("trackers", "results").
func New(spec normalizers.Spec, what, list string, item Item) *Normalizer {
	n := &Normalizer{Spec: spec, what: what, list: list, item: item, empty: "an empty list: no " + what}
	n.entry = n.object
	return n
}

// Feed implements normalizers.Feeder: the events come through the feed, and
// name the carriers of its parcels.
func (n *Normalizer) Feed() string { return n.Spec.ID }

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	return n.Decode(p, in, b)
}

// Decode parses the payload with p and hands each tracker in it to the
// feed's Item: the payload may be one object (a tracker, or a webhook or
// response wrapping one), a JSON array of them, or an object listing them
// under the feed's list key. A list goes through Each, as the feeds with
// decoders of their own do: an item that is refused is rejected alone and
// the others still count.
func (n *Normalizer) Decode(p *fastjson.Parser, in *normalizers.Input, b *normalizers.Batch) error {
	root, err := p.ParseBytes(in.Payload)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, n.ID, "malformed JSON: %v", err)
	}
	switch root.Type() {
	case fastjson.TypeArray:
		items, _ := root.Array()
		return n.each(items, in, b)
	case fastjson.TypeObject:
	default:
		return normalizers.Errorf(normalizers.KindDecode, n.ID, "not %s: the payload is a JSON %s", n.what, root.Type())
	}
	if l := root.Get(n.list); l != nil && n.list != "" {
		items, err := l.Array()
		if err != nil {
			return normalizers.Errorf(normalizers.KindDecode, n.ID, "%s is a JSON %s, not an array", n.list, l.Type())
		}
		return n.each(items, in, b)
	}
	return n.item(root, in, b)
}

func (n *Normalizer) each(items []*fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	return Each(n.ID, n.empty, items, in, b, n.entry)
}

// object reads one entry of a list, which must be an object.
func (n *Normalizer) object(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if v.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, n.ID, "a list entry that is a JSON %s, not %s", v.Type(), n.what)
	}
	return n.item(v, in, b)
}

// Place reads a place object of the shape EasyPost and Shippo share,
// {city, state, zip, country}; a street, name or phone beside them is
// never read.
func Place(v *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return
	}
	PlaceText(&[4][]byte{v.GetStringBytes("city"), v.GetStringBytes("state"), Text(v, "zip"), v.GetStringBytes("country")}, l, b)
}

// PlaceText is Place for its fields' text: city, state, zip (as Text
// gives it) and country, as a decoder that reads with a JSONScanner has
// them.
func PlaceText(f *[4][]byte, l *event.Location, b *normalizers.Batch) {
	l.City = b.Str(f[0])
	l.Region = b.Upper(f[1])
	l.PostalCode = b.Str(f[2])
	l.Country = Country(f[3])
}

// Members is JSONScanner.Members for the keys key numbers lo to hi-1 (at
// most 32), -1 for others: key is a decoder's switch on the key, which
// costs less than Members' look-up in a list for the objects of many keys
// that are most of a feed's payloads.
func Members(sc *normalizers.JSONScanner, key func([]byte) int, lo, hi int, read func(i int)) (present uint32) {
	if !sc.Object() {
		sc.Skip()
		return 0
	}
	for k, ok := sc.Key(); ok; k, ok = sc.Key() {
		i := key(k)
		if i < lo || i >= hi || present&(1<<i) != 0 {
			sc.Skip()
			continue
		}
		present |= 1 << i
		read(i)
	}
	return present
}

// ScanText reads the next value of sc as Text reads a field: a string's
// contents, a number's digits, nil for anything else.
func ScanText(sc *normalizers.JSONScanner) []byte {
	switch sc.Kind() {
	case normalizers.JSONString:
		return sc.Str()
	case normalizers.JSONNumber:
		return sc.Raw()
	}
	sc.Skip()
	return nil
}

// Tracking returns a tracker's tracking number, the field at keys of v (a
// string or a number) in capitals without the spaces people type into it,
// else the transport's hint.
func Tracking(b *normalizers.Batch, in *normalizers.Input, feed string, v *fastjson.Value, keys ...string) (string, error) {
	return TrackingText(b, in, feed, Text(v, keys...), keys...)
}

// TrackingText is Tracking for the field's text (Text's) itself, as a
// decoder that reads with a JSONScanner has it.
func TrackingText(b *normalizers.Batch, in *normalizers.Input, feed string, raw []byte, keys ...string) (string, error) {
	if bytes.IndexByte(raw, ' ') >= 0 && len(raw) <= 128 {
		var buf [128]byte
		raw = append(buf[:0], raw...)
		raw = bytes.ReplaceAll(raw, []byte(" "), nil)
	}
	if tracking := b.Upper(raw); tracking != "" {
		return tracking, nil
	}
	if in.TrackingHint != "" {
		return in.TrackingHint, nil
	}
	return "", normalizers.Errorf(normalizers.KindValidate, feed, "a tracker without %s", strings.Join(keys, "."))
}

// Add classifies e (Classify through the feed's table t), keeps its codes
// and text in s.Raw, and adds s to b.
func Add(b *normalizers.Batch, t *normalizers.Table, s *normalizers.Scan, e *Event) {
	if m := Classify(t, e); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Raw = Raw(b, e)
	b.Add(s)
}

// History is what a tracker's history gave: events added, and events
// refused for a time that is not one.
type History struct{ Scans, Refused int }

// Pending gives a tracker whose history has nothing dated, and nothing
// refused, its one pending event, with the feed's status (at keys of v)
// and text as raw code and description; its id does not depend on the
// time, so the tracker sent again is the same event. A status that is not
// a string is no tracker the feed sent, and is refused.
func (h History) Pending(b *normalizers.Batch, feed, carrier, tracking string, v *fastjson.Value, text string, keys ...string) error {
	if h.Scans > 0 || h.Refused > 0 {
		return nil
	}
	return h.PendingText(b, feed, carrier, tracking, NotString(v, keys...), v.GetStringBytes(keys...), text, keys...)
}

// PendingText is Pending for the status as a decoder that reads with a
// JSONScanner has it: whether it is something other than a string or
// null, and its text.
func (h History) PendingText(b *normalizers.Batch, feed, carrier, tracking string, notString bool, status []byte, text string, keys ...string) error {
	if h.Scans > 0 || h.Refused > 0 {
		return nil
	}
	if notString {
		return &normalizers.Error{Kind: normalizers.KindValidate, Carrier: feed, Tracking: tracking,
			Msg: "the tracker's " + strings.Join(keys, ".") + " is not a string"}
	}
	b.PendingFor(carrier, tracking, b.Str(status), text)
	return nil
}

// Time parses the ISO 8601 time at key of an event v. An absent one (null,
// "") is no scan, and ok is false; one that is not a time rejects the scan
// and counts as refused.
func (h *History) Time(b *normalizers.Batch, tracking string, v *fastjson.Value, key string) (t normalizers.Time, ok bool) {
	return h.TimeOf(b, tracking, v.Get(key), key)
}

// TimeOf is Time for the field f itself (nil when absent), read as key.
func (h *History) TimeOf(b *normalizers.Batch, tracking string, f *fastjson.Value, key string) (t normalizers.Time, ok bool) {
	if t, ok = normalizers.ParseISO(f.GetStringBytes()); ok || absent(f) {
		return t, ok
	}
	h.Refuse(b, tracking, key+" "+shown(f)+" is not an ISO 8601 time")
	return t, false
}

// TimeRaw is TimeOf for a field given as its JSON text (a JSONScanner's
// Raw; nil when absent). A plain string is read in place; anything else
// (an escape, a number, an object) goes through fastjson, as TimeOf, so
// that its message is the same.
func (h *History) TimeRaw(b *normalizers.Batch, tracking string, raw []byte, key string) (t normalizers.Time, ok bool) {
	if raw == nil {
		return t, false
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		if t, ok = normalizers.ParseISO(raw[1 : len(raw)-1]); ok {
			return t, ok
		}
	}
	p := rawParsers.Get()
	defer rawParsers.Put(p)
	v, err := p.ParseBytes(raw)
	if err != nil {
		return t, false // cannot happen: the scanner read it
	}
	return h.TimeOf(b, tracking, v, key)
}

// rawParsers parse the fields TimeRaw cannot read in place.
var rawParsers fastjson.ParserPool

// Refuse rejects one scan of the tracker for its time.
func (h *History) Refuse(b *normalizers.Batch, tracking, msg string) {
	b.Reject(normalizers.KindTimestamp, tracking, msg)
	h.Refused++
}

// Refusal is a feed's error answer instead of a tracker: an invalid
// tracking number when its code or message says an invalid tracking code
// or number, else a carrier error. name is how the feed is known ("EasyPost").
func Refusal(feed, name, code, msg string) error {
	kind := normalizers.KindCarrierError
	if t := strings.ToLower(code + " " + msg); strings.Contains(t, "invalid") &&
		(strings.Contains(t, "tracking") || strings.Contains(t, "number")) {
		kind = normalizers.KindInvalidTracking
	}
	return normalizers.Errorf(kind, feed, "%s error %s: %s", name, normalizers.Quote(code), normalizers.Quote(msg))
}
