package dhl

import (
	"bytes"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// MyDHL API (DHL Express's REST API) tracking, GET /shipments/{n}/tracking:
// shipments[] like the Unified API's, told apart by shipmentTrackingNumber
// where the Unified API has id. Each event has a checkpoint typeCode (PU,
// PL, OK ...), a local date and time with its GMTOffset, and a serviceArea
// ("Brisbane-AU"). Events repeated under pieces[] are the same checkpoints
// per piece and are not read; signedBy names the signer and is never read
// (redact.go).
func isMyDHL(sh *fastjson.Value) bool {
	return sh.Get("shipmentTrackingNumber") != nil && sh.Get("id") == nil
}

func (n *Normalizer) mydhl(sh *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	tracking := trackingID(sh.Get("shipmentTrackingNumber"), b)
	if tracking == "" {
		tracking = b.Upper(bytes.TrimSpace([]byte(in.TrackingHint)))
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a MyDHL shipment without shipmentTrackingNumber")
	}
	s := shipment{scan: normalizers.Scan{TrackingNumber: tracking, Service: serviceExpress}}
	if v := bytes.TrimSpace(sh.GetStringBytes("estimatedDeliveryDate")); len(v) >= 10 && validDate(v[:10]) {
		s.scan.EstimatedDelivery = b.Str(v[:10])
	}
	postal(sh.Get("shipperDetails", "postalAddress"), &s.scan.Origin, b)
	postal(sh.Get("receiverDetails", "postalAddress"), &s.scan.Destination, b)
	if o, d := s.scan.Origin.Country, s.scan.Destination.Country; o != "" && o == d {
		s.country = o
	}
	events := sh.GetArray("events")
	if len(events) == 0 {
		b.Pending(tracking, "no-events", "DHL Express knows the shipment but has no checkpoint for it yet")
		return nil
	}
	for _, ev := range events {
		n.mydhlEvent(ev, &s, b)
	}
	return nil
}

// postal reads a MyDHL postalAddress; the name beside it is never read.
func postal(a *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if a == nil {
		return
	}
	l.City = b.Str(a.GetStringBytes("cityName"))
	l.PostalCode = b.Str(a.GetStringBytes("postalCode"))
	if r := bytes.TrimSpace(a.GetStringBytes("provinceCode")); isRegionCode(r) {
		l.Region = b.Str(r)
	}
	l.Country = countryOf(a.GetStringBytes("countryCode"), true)
}

func (n *Normalizer) mydhlEvent(ev *fastjson.Value, sh *shipment, b *normalizers.Batch) {
	s := &sh.scan
	code := b.Upper(bytes.TrimSpace(ev.GetStringBytes("typeCode")))
	desc := redactor.Text(b, b.Str(ev.GetStringBytes("description")))
	s.Raw = event.Raw{Code: code, Description: desc}
	s.Type, s.Reason = nil, ""
	k := keys{statusCode: "unknown", service: serviceExpress, desc: desc}
	if m := expressCode(code); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	} else if m := classify(&k); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.IDExtra = ""
	s.Location = event.Location{}
	if areas := ev.GetArray("serviceArea"); len(areas) > 0 {
		locality(areas[0].GetStringBytes("description"), &s.Location, b)
	}
	if s.Location.Country == "" {
		placeFromShipment(&s.Location, s, sh)
	}
	s.Time = normalizers.Time{}
	var buf [40]byte
	stamp := append(append(append(buf[:0], clip(bytes.TrimSpace(ev.GetStringBytes("date")), 10)...), 'T'),
		clip(bytes.TrimSpace(ev.GetStringBytes("time")), 8)...)
	stamp = append(stamp, clip(bytes.TrimSpace(ev.GetStringBytes("GMTOffset")), 6)...)
	if t, ok := normalizers.ParseISO(stamp); ok {
		s.Time = t
	}
	b.Add(s)
}
