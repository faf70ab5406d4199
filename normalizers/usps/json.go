package usps

import (
	"time"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/tz"
)

// normalizeJSON reads a Tracking API v3 response: one tracking object, an
// error body, or (from the multi-number endpoint) an array of either.
func (n *Normalizer) normalizeJSON(in *normalizers.Input, b *normalizers.Batch) error {
	p := n.parsers.Get()
	defer n.parsers.Put(p)
	root, err := p.ParseBytes(in.Payload)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed JSON: %v", err)
	}
	switch root.Type() {
	case fastjson.TypeObject:
		return jsonResult(root, in, b)
	case fastjson.TypeArray:
		for _, v := range root.GetArray() {
			if err := jsonResult(v, in, b); err != nil {
				return err
			}
		}
		return nil
	}
	return normalizers.Errorf(normalizers.KindDecode, carrier,
		"not a USPS Tracking API response: the top level is a JSON %s", root.Type())
}

func jsonResult(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if v.Type() != fastjson.TypeObject {
		return normalizers.Errorf(normalizers.KindDecode, carrier,
			"not a USPS Tracking API response: a result is a JSON %s, not an object", v.Type())
	}
	tracking := b.Upper(v.GetStringBytes("trackingNumber"))
	if e := v.Get("error"); e != nil {
		switch e.Type() {
		case fastjson.TypeObject:
			return jsonError(e, tracking, in, b)
		case fastjson.TypeString: // the OAuth gateway's {"error": "invalid_token", ...}
			return normalizers.Errorf(normalizers.KindCarrierError, carrier, "USPS error %s: %s",
				e.GetStringBytes(), v.GetStringBytes("error_description"))
		}
	}
	events := v.Get("trackingEvents")
	if events == nil {
		if v.Get("eventSummaries") != nil {
			return normalizers.Errorf(normalizers.KindValidate, carrier,
				"USPS summary response (eventSummaries) carries no scan fields; request expand=DETAIL")
		}
		return normalizers.Errorf(normalizers.KindDecode, carrier,
			"not a USPS Tracking API v3 response: no trackingEvents and no error")
	}
	if events.Type() != fastjson.TypeArray && events.Type() != fastjson.TypeNull {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "trackingEvents is a JSON %s, not an array", events.Type())
	}
	if tracking == "" {
		tracking = b.Upper([]byte(in.TrackingHint))
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, carrier, "tracking result without trackingNumber")
	}
	list := events.GetArray()
	if len(list) == 0 {
		// No scans: USPS puts its "not yet available" wording in the status.
		a := answer{code: string(v.GetStringBytes("statusCategory")), msg: string(v.GetStringBytes("statusSummary"))}
		if a.msg == "" {
			a.msg = string(v.GetStringBytes("status"))
		}
		if a.msg != "" && a.kind() == normalizers.KindNotFound {
			b.Pending(tracking, a.code, cleanMessage(a.msg))
		}
		return nil
	}
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey(v.GetStringBytes("mailClass"), carrier),
		EstimatedDelivery: jsonETA(v, b),
	}
	setLocation(&s.Origin, v.GetStringBytes("originCity"), v.GetStringBytes("originState"),
		v.GetStringBytes("originZIP"), v.GetStringBytes("originCountry"), b)
	country := v.GetStringBytes("destinationCountryCode")
	if country == nil {
		country = v.GetStringBytes("destinationCountry")
	}
	setLocation(&s.Destination, v.GetStringBytes("destinationCity"), v.GetStringBytes("destinationState"),
		v.GetStringBytes("destinationZIP"), country, b)
	for _, e := range list {
		jsonEvent(e, &s, b)
	}
	return nil
}

// jsonETA is the expected delivery date, or else the predicted or
// guaranteed one, as YYYY-MM-DD.
func jsonETA(v *fastjson.Value, b *normalizers.Batch) string {
	for _, k := range etaKeys {
		if d := isoDate(v.GetStringBytes(k), b); d != "" {
			return d
		}
	}
	return ""
}

var etaKeys = []string{
	"expectedDeliveryTimeStamp", "expectedDeliveryDate",
	"predictedDeliveryTimeStamp", "predictedDeliveryDate",
	"guaranteedDeliveryTimeStamp", "guaranteedDeliveryDate",
}

func jsonEvent(e *fastjson.Value, s *normalizers.Scan, b *normalizers.Batch) {
	// One pass over the event's fields: looking each one up by name would
	// scan the object once per field.
	var code, attr, desc, city, state, zip, country, local, gmt, offset []byte
	if o, err := e.Object(); err == nil {
		o.Visit(func(k []byte, v *fastjson.Value) {
			if v.Type() != fastjson.TypeString {
				return
			}
			sb, _ := v.StringBytes()
			switch string(k) {
			case "eventCode":
				code = sb
			case "deliveryAttributeCode":
				attr = sb
			case "eventType":
				desc = sb
			case "eventCity":
				city = sb
			case "eventState":
				state = sb
			case "eventZIP":
				zip = sb
			case "eventCountry":
				country = sb
			case "eventTimestamp":
				local = sb
			case "GMTTimestamp":
				gmt = sb
			case "GMTOffset":
				offset = sb
			}
		})
	}
	s.Raw = event.Raw{Code: b.Upper(code), Type: b.Upper(attr), Description: b.Str(desc)}
	setLocation(&s.Location, city, state, zip, country, b)
	s.Time = jsonTime(local, gmt, offset, &s.Location)
	add(s, b)
}

// jsonTime reads a v3 event's time. eventTimestamp is the local wall clock;
// GMTOffset is its offset; GMTTimestamp is the instant, but in real
// responses it is sometimes a day off its own local time, so it is used only
// when nothing better is known, and only when it agrees with the local time.
func jsonTime(local, gmt, offset []byte, loc *event.Location) normalizers.Time {
	lt, lok := normalizers.ParseISO(local)
	gt, gok := normalizers.ParseISO(gmt)
	var instant time.Time
	if gok {
		switch {
		case !gt.UTC.IsZero():
			instant = gt.UTC
		case gt.HasOffset:
			instant = gt.Wall.Add(-time.Duration(gt.Offset) * time.Second)
		}
	}
	off, ook := parseOffset(offset)

	var wall time.Time
	switch {
	case !lok:
	case lt.HasOffset:
		return lt
	case !lt.UTC.IsZero():
		// A "Z" on the local stamp: an instant only if the GMT stamp agrees;
		// USPS documents eventTimestamp as local time.
		if !instant.IsZero() && within(lt.UTC.Sub(instant), 2*time.Minute) {
			if ook {
				return normalizers.Time{Wall: instant.Add(time.Duration(off) * time.Second), Offset: off, HasOffset: true}
			}
			return normalizers.Time{UTC: instant}
		}
		wall = lt.UTC
	default:
		wall = lt.Wall
	}
	switch {
	case wall.IsZero():
		if !instant.IsZero() {
			return normalizers.Time{UTC: instant, Offset: off, HasOffset: ook}
		}
		return normalizers.Time{}
	case ook:
		return normalizers.Time{Wall: wall, Offset: off, HasOffset: true}
	case tz.ForLocation(loc.Country, loc.Region) != nil:
		return normalizers.Time{Wall: wall}
	case !instant.IsZero():
		// The offset the two stamps imply, if it is a real one (the local
		// stamp drops the seconds).
		if off, ok := normalizers.OffsetBetween(wall, instant); ok {
			return normalizers.Time{Wall: wall, Offset: off, HasOffset: true}
		}
	}
	return normalizers.Time{Wall: wall}
}

// within reports whether |d| < lim, without the overflow of negating the
// most negative duration (time.Sub saturates there).
func within(d, lim time.Duration) bool { return d > -lim && d < lim }

// parseOffset reads a GMT offset: "-05:00", "-0500", and also the "-7:00"
// and "-5" that the v3 documentation shows.
func parseOffset(v []byte) (int32, bool) {
	v = trim(v)
	if len(v) < 2 || (v[0] != '+' && v[0] != '-') {
		if off, ok := normalizers.ParseOffset(v); ok {
			return off, true
		}
		return 0, false
	}
	i := 1
	h := 0
	for i < len(v) && i <= 2 && v[i] >= '0' && v[i] <= '9' {
		h = h*10 + int(v[i]-'0')
		i++
	}
	if i == 1 {
		return 0, false
	}
	m := 0
	rest := v[i:]
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	switch len(rest) {
	case 0:
	case 2:
		if rest[0] < '0' || rest[0] > '5' || rest[1] < '0' || rest[1] > '9' {
			return 0, false
		}
		m = int(rest[0]-'0')*10 + int(rest[1]-'0')
	default:
		return 0, false
	}
	if h > 14 {
		return 0, false
	}
	off := int32(h*3600 + m*60)
	if v[0] == '-' {
		off = -off
	}
	return off, true
}

func jsonError(e *fastjson.Value, tracking string, in *normalizers.Input, b *normalizers.Batch) error {
	a := answer{status: string(e.GetStringBytes("code")), code: string(e.GetStringBytes("code")),
		msg: string(e.GetStringBytes("message"))}
	if errs := e.GetArray("errors"); len(errs) > 0 {
		first := errs[0]
		if c := first.GetStringBytes("code"); len(c) > 0 {
			a.code = string(c)
		}
		title, detail := string(first.GetStringBytes("title")), string(first.GetStringBytes("detail"))
		switch {
		case title != "" && detail != "" && title != detail:
			a.msg = title + " " + detail
		case title != "":
			a.msg = title
		case detail != "":
			a.msg = detail
		}
	}
	if a.msg == "" && a.code == "" {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "USPS error body without code or message")
	}
	return a.resolve(tracking, in, b)
}
