// Package amazon normalizes Amazon Shipping API v2 getTracking JSON
// (trackingId, eventHistory, promisedDeliveryDate, summary), bare or in the
// Selling Partner API's {"payload": ...} envelope, and its error body
// ({"errors": [...]}).
//
// Event times are UTC instants ("2019-04-04T06:45:12Z"); the local offset
// comes from the event's place (country and state).
package amazon

import (
	_ "embed"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Amazon Shipping code table.
var Table = normalizers.MustLoadTable("amazon/codes.tsv", codesTSV)

// Spec is everything wismo knows about Amazon Shipping; its samples are in
// testdata/carriers/amazon.
var Spec = normalizers.Spec{ID: "amazon", Name: "Amazon Shipping", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads Amazon Shipping tracking payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns an Amazon Shipping normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps an Amazon Shipping scan that arrives in another container.
func (*Normalizer) MapCode(code, _, _ string) *normalizers.Mapping {
	return Table.LookupCode(code, "", "")
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := normalizers.ParseObject(p, in.Payload, Spec.ID, "an Amazon Shipping tracking answer")
	if err != nil {
		return err
	}
	if pl := root.Get("payload"); pl != nil && pl.Type() == fastjson.TypeObject {
		root = pl
	}
	if errs := root.GetArray("errors"); len(errs) > 0 && root.Get("trackingId") == nil {
		return apiError(errs[0], in, b)
	}
	tracking := b.Upper(root.GetStringBytes("trackingId"))
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not an Amazon Shipping tracking answer: no trackingId and no errors")
	}
	s := normalizers.Scan{TrackingNumber: tracking, EstimatedDelivery: b.Date(root.GetStringBytes("promisedDeliveryDate"))}
	events := root.GetArray("eventHistory")
	if len(events) == 0 {
		b.Pending(tracking, string(root.GetStringBytes("summary", "status")), "Amazon Shipping has no events for this shipment yet")
		return nil
	}
	for _, ev := range events {
		s.Raw = event.Raw{Code: b.Str(ev.GetStringBytes("eventCode"))}
		s.Type, s.Reason = nil, ""
		if m := Table.LookupCode(s.Raw.Code, "", ""); m != nil {
			s.Type, s.Reason = m.Type, m.Reason
		}
		l := ev.Get("location")
		s.Location = event.Location{
			City:       b.Str(l.GetStringBytes("city")),
			Region:     b.Upper(l.GetStringBytes("stateOrRegion")),
			PostalCode: b.Str(l.GetStringBytes("postalCode")),
			Country:    b.Upper(l.GetStringBytes("countryCode")),
		}
		s.Time = normalizers.Time{}
		if t, ok := normalizers.ParseISO(ev.GetStringBytes("eventTime")); ok {
			s.Time = t
		}
		b.Add(&s)
	}
	return nil
}

// apiError reads the Selling Partner API's error: NotFound is Amazon having
// no data for the number yet; InvalidInput a malformed request.
func apiError(e *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	code, msg := string(e.GetStringBytes("code")), string(e.GetStringBytes("message"))
	switch code {
	case "NotFound":
		if in.TrackingHint == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
				"Amazon Shipping has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
		}
		b.Pending(in.TrackingHint, code, msg)
		return nil
	case "InvalidInput":
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "Amazon Shipping error %s: %s", code, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Amazon Shipping error %s: %s", code, msg)
}
