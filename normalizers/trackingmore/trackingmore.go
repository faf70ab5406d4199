// Package trackingmore normalizes TrackingMore API v4 JSON: a tracking
// ({"meta", "data": {tracking_number, courier_code, origin_info,
// destination_info}}), a list of them ("data": [...]), the webhook (the
// same envelope) and a bare tracking object. The decoder tells the shapes
// apart by their fields.
//
// TrackingMore is a feed, not a carrier: each tracking names its carrier by
// a courier code ("usps", "royal-mail"), which feeds.Carrier maps to wismo's
// id; the events' feed is "trackingmore". Checkpoints carry TrackingMore's
// status and substatus (codes.tsv decides), and a local time, with an
// offset or without (the zone of its place then).
package trackingmore

import (
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is TrackingMore's status and substatus table.
var Table = normalizers.MustLoadTable("trackingmore/codes.tsv", codesTSV)

// Spec is everything wismo knows about the TrackingMore feed; its samples
// are in testdata/carriers/trackingmore.
var Spec = normalizers.Spec{ID: "trackingmore", Name: "TrackingMore", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads TrackingMore payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a TrackingMore normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// Feed implements normalizers.Feeder: an aggregator feed, whose events
// name the carriers of the parcels.
func (*Normalizer) Feed() string { return Spec.ID }

// MapCode maps a TrackingMore status that arrives in another container:
// code is a status, subcode a substatus.
func (*Normalizer) MapCode(code, subcode, _ string) *normalizers.Mapping {
	return Table.LookupCode(code, subcode, "")
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "a TrackingMore tracking or webhook")
	if err != nil {
		return err
	}
	if code := root.GetInt("meta", "code"); code != 0 && code != 200 {
		// TrackingMore's error codes were not captured (VOCAB.md): every one
		// is a carrier error, its message saying what.
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "TrackingMore error %d: %s", code, root.GetStringBytes("meta", "message"))
	}
	var list []*fastjson.Value
	switch d := root.Get("data"); {
	case d == nil && root.Get("tracking_number") != nil:
		list = []*fastjson.Value{root}
	case d == nil:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a TrackingMore answer: no data, no tracking_number")
	case d.Type() == fastjson.TypeArray:
		list, _ = d.Array()
	case d.Type() == fastjson.TypeObject:
		list = []*fastjson.Value{d}
	default:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a TrackingMore answer: data is a JSON %s", d.Type())
	}
	return feeds.Each(Spec.ID, "the trackings list is empty", list, in, b, tracking)
}

func tracking(t *fastjson.Value, _ *normalizers.Input, b *normalizers.Batch) error {
	if t.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a tracking is a JSON %s, not an object", t.Type())
	}
	number := b.Upper(t.GetStringBytes("tracking_number"))
	if number == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a tracking without tracking_number (a string)")
	}
	courier := t.GetStringBytes("courier_code")
	carrier := feeds.CarrierBytes(Spec.ID, courier)
	if carrier == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "tracking %s names no courier_code (%s)", number, normalizers.Quote(string(courier)))
	}
	s := normalizers.Scan{
		TrackingNumber: number, Carrier: carrier,
		Service:     b.Str(t.GetStringBytes("service_code")),
		Origin:      event.Location{Country: feeds.Country(t.GetStringBytes("origin_country"))},
		Destination: event.Location{Country: feeds.Country(t.GetStringBytes("destination_country"))},
	}
	checkpoints := 0
	for _, leg := range [...]string{"origin_info", "destination_info"} {
		for _, c := range t.GetArray(leg, "trackinfo") {
			checkpoints++
			if c.Type() != fastjson.TypeObject {
				b.Reject(normalizers.KindDecode, number, "a checkpoint is a JSON "+c.Type().String()+", not an object")
				continue
			}
			checkpoint(&s, c, b)
		}
	}
	if checkpoints == 0 {
		code := feeds.PendingCode(t, "pending", []string{"substatus"}, []string{"delivery_status"})
		b.PendingFor(carrier, number, b.Str(code), "")
	}
	return nil
}

// checkpoint adds one trackinfo entry. Its fields are read in one pass
// (Object.Visit, a switch on the key): entries leave out zip and often
// state, and a Get that misses scans the keys twice.
func checkpoint(s *normalizers.Scan, c *fastjson.Value, b *normalizers.Batch) {
	var st, sb, detail, city, state, zip, country, loc, date *fastjson.Value
	if o, err := c.Object(); err == nil {
		o.Visit(func(k []byte, x *fastjson.Value) {
			switch string(k) {
			case "checkpoint_delivery_status":
				st = feeds.First(st, x)
			case "checkpoint_delivery_substatus":
				sb = feeds.First(sb, x)
			case "tracking_detail":
				detail = feeds.First(detail, x)
			case "city":
				city = feeds.First(city, x)
			case "state":
				state = feeds.First(state, x)
			case "zip":
				zip = feeds.First(zip, x)
			case "country_iso2":
				country = feeds.First(country, x)
			case "location":
				loc = feeds.First(loc, x)
			case "checkpoint_date":
				date = feeds.First(date, x)
			}
		})
	}
	status := b.Str(st.GetStringBytes())
	sub := b.Str(sb.GetStringBytes())
	code := sub
	if code == "" {
		code = status
	}
	s.Raw = event.Raw{Code: code, Type: status, Description: redactor.Text(b, b.Str(detail.GetStringBytes()))}
	s.Type, s.Reason = nil, ""
	if m := Table.LookupCode(status, sub, ""); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{
		City:       b.Str(city.GetStringBytes()),
		Region:     b.Upper(state.GetStringBytes()),
		PostalCode: b.Str(zip.GetStringBytes()),
		Country:    feeds.Country(country.GetStringBytes()),
	}
	if s.Location.City == "" && s.Location.Country == "" {
		s.Location.City = b.Str(loc.GetStringBytes())
	}
	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO(date.GetStringBytes()); ok {
		s.Time = t
	}
	b.Add(s)
}
