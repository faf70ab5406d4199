package usps

// The Web Tools TrackV2 (Revision=1) response, read with the streaming
// normalizers.XMLScanner: a TrackInfo's fields and scans are kept as slices
// of the payload until the TrackInfo ends, then turned into scans, so a
// payload costs no allocation (encoding/xml into structs cost about 160 per
// scan). Element names as USPS sends them:
//
//	TrackResponse/TrackInfo[@ID]/{Class, Origin*, Destination*, *DeliveryDate,
//	  Status, StatusSummary, Error/{Number, Description},
//	  TrackSummary|TrackDetail/{EventTime, EventDate, Event, EventCity, ...}}
//	TrackResponse/Error/{Number, Description}
//	Error/{Number, Description}
//
// A field sent twice keeps its last value, as encoding/xml did.

import (
	"bytes"
	"sync"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// xmlEvent is a TrackSummary or TrackDetail as read.
type xmlEvent struct {
	text                                                           bool // text of its own: a Revision 0 answer
	clock, date, event, city, state, zip, country, code, attr, gmt []byte
}

// xmlTrackInfo is a TrackInfo as read.
type xmlTrackInfo struct {
	id, class                                        []byte
	destCity, destState, destZip, destCountry        []byte
	origCity, origState, origZip, origCountry        []byte
	expected, predicted, guaranteed, status, summary []byte
	err                                              xmlError
	summaries, details                               []xmlEvent
}

// xmlError is an Error element as read; seen tells an empty one from none.
type xmlError struct {
	seen                bool
	number, description []byte
}

type xmlDecoder struct {
	sc       normalizers.XMLScanner
	in       *normalizers.Input
	b        *normalizers.Batch
	ti       xmlTrackInfo
	root     []byte
	rootErr  xmlError // a bare <Error> root, or TrackResponse/Error
	infos    int      // TrackInfo elements read
	firstErr error    // the first TrackInfo's error: later ones are not read
}

var xmlDecoders = sync.Pool{New: func() any { return new(xmlDecoder) }}

func normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	d := xmlDecoders.Get().(*xmlDecoder)
	defer xmlDecoders.Put(d)
	d.sc.Reset(in.Payload)
	d.in, d.b, d.root, d.rootErr, d.infos, d.firstErr = in, b, nil, xmlError{}, 0, nil
	err := d.run()
	d.in, d.b = nil, nil
	return err
}

// run reads the whole payload first, as encoding/xml did: broken XML is a
// decode error even after a TrackInfo that failed on its own.
func (d *xmlDecoder) run() error {
	if err := d.sc.Walk(d); err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
	}
	switch string(d.root) {
	case "Error":
		return answer{code: string(bytes.TrimSpace(d.rootErr.number)), msg: string(d.rootErr.description)}.resolve("", d.in, d.b)
	case "TrackResponse":
	default:
		return normalizers.Errorf(normalizers.KindDecode, carrier,
			"not a USPS Web Tools TrackResponse: the root element is <%s>", normalizers.Shown(string(d.root)))
	}
	if d.rootErr.seen && d.infos == 0 {
		return answer{code: string(bytes.TrimSpace(d.rootErr.number)), msg: string(d.rootErr.description)}.resolve("", d.in, d.b)
	}
	return d.firstErr
}

// End turns a TrackInfo into scans once it ends.
func (d *xmlDecoder) End(sc *normalizers.XMLScanner) {
	if sc.Depth() == 1 && string(sc.Name()) == "TrackInfo" && string(d.root) == "TrackResponse" {
		d.infos++
		if d.firstErr == nil {
			d.firstErr = d.trackInfo(&d.ti)
		}
	}
}

func (d *xmlDecoder) Start(sc *normalizers.XMLScanner) {
	name := sc.Name()
	switch sc.Depth() {
	case 1:
		d.root = name
	case 2:
		if string(d.root) != "TrackResponse" {
			return
		}
		switch string(name) {
		case "TrackInfo":
			ti := &d.ti
			*ti = xmlTrackInfo{summaries: ti.summaries[:0], details: ti.details[:0]}
			ti.id = sc.Attr("ID")
		case "Error":
			d.rootErr.seen = true
		}
	case 3:
		if string(sc.Parent(1)) != "TrackInfo" || string(d.root) != "TrackResponse" {
			return
		}
		ti := &d.ti
		switch string(name) {
		case "TrackSummary":
			ti.summaries = append(ti.summaries, xmlEvent{})
		case "TrackDetail":
			ti.details = append(ti.details, xmlEvent{})
		case "Error":
			ti.err.seen = true
		}
	}
}

// Text files a text by where it is: the element it is in (Parent(0)) and
// those above.
func (d *xmlDecoder) Text(sc *normalizers.XMLScanner, v []byte) {
	field, up := sc.Parent(0), sc.Parent(1)
	switch sc.Depth() {
	case 2:
		if string(d.root) == "Error" {
			setError(&d.rootErr, field, v)
		}
	case 3:
		if string(d.root) != "TrackResponse" {
			return
		}
		switch string(up) {
		case "Error":
			setError(&d.rootErr, field, v)
		case "TrackInfo":
			d.trackInfoField(field, v)
		}
	case 4:
		if string(sc.Parent(2)) != "TrackInfo" || string(d.root) != "TrackResponse" {
			return
		}
		ti := &d.ti
		switch string(up) {
		case "Error":
			setError(&ti.err, field, v)
		case "TrackSummary":
			eventField(&ti.summaries[len(ti.summaries)-1], field, v)
		case "TrackDetail":
			eventField(&ti.details[len(ti.details)-1], field, v)
		}
	}
}

func setError(e *xmlError, field, v []byte) {
	switch string(field) {
	case "Number":
		e.number = v
	case "Description":
		e.description = v
	}
}

func (d *xmlDecoder) trackInfoField(field, v []byte) {
	ti := &d.ti
	switch string(field) {
	case "Class":
		ti.class = v
	case "DestinationCity":
		ti.destCity = v
	case "DestinationState":
		ti.destState = v
	case "DestinationZip":
		ti.destZip = v
	case "DestinationCountryCode":
		ti.destCountry = v
	case "OriginCity":
		ti.origCity = v
	case "OriginState":
		ti.origState = v
	case "OriginZip":
		ti.origZip = v
	case "OriginCountryCode":
		ti.origCountry = v
	case "ExpectedDeliveryDate":
		ti.expected = v
	case "PredictedDeliveryDate":
		ti.predicted = v
	case "GuaranteedDeliveryDate":
		ti.guaranteed = v
	case "Status":
		ti.status = v
	case "StatusSummary":
		ti.summary = v
	case "TrackSummary":
		if len(bytes.TrimSpace(v)) > 0 {
			ti.summaries[len(ti.summaries)-1].text = true
		}
	case "TrackDetail":
		if len(bytes.TrimSpace(v)) > 0 {
			ti.details[len(ti.details)-1].text = true
		}
	}
}

func eventField(e *xmlEvent, field, v []byte) {
	switch string(field) {
	case "EventTime":
		e.clock = v
	case "EventDate":
		e.date = v
	case "Event":
		e.event = v
	case "EventCity":
		e.city = v
	case "EventState":
		e.state = v
	case "EventZIPCode":
		e.zip = v
	case "EventCountry":
		e.country = v
	case "EventCode":
		e.code = v
	case "DeliveryAttributeCode":
		e.attr = v
	case "GMTOffset":
		e.gmt = v
	}
}

func (d *xmlDecoder) trackInfo(ti *xmlTrackInfo) error {
	in, b := d.in, d.b
	tracking := b.Upper(ti.id)
	if ti.err.seen {
		return answer{code: string(bytes.TrimSpace(ti.err.number)), msg: string(ti.err.description)}.resolve(tracking, in, b)
	}
	if tracking == "" {
		tracking = b.Upper([]byte(in.TrackingHint))
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, carrier, "TrackInfo without ID")
	}
	s := normalizers.Scan{
		TrackingNumber: tracking,
		Service:        b.ServiceKey(ti.class, carrier),
	}
	for _, v := range [...][]byte{ti.expected, ti.predicted, ti.guaranteed} {
		if t, ok := parseDate(v); ok {
			s.EstimatedDelivery = b.DateOf(t)
			break
		}
	}
	setLocation(&s.Origin, ti.origCity, ti.origState, ti.origZip, ti.origCountry, b)
	setLocation(&s.Destination, ti.destCity, ti.destState, ti.destZip, ti.destCountry, b)
	// TrackSummary is the newest scan, not a copy of a TrackDetail.
	scans := 0
	for _, events := range [...][]xmlEvent{ti.summaries, ti.details} {
		for i := range events {
			e := &events[i]
			if len(e.event) == 0 && len(e.date) == 0 && len(e.code) == 0 {
				if e.text {
					return normalizers.Errorf(normalizers.KindValidate, carrier,
						"TrackV2 text-only response (no event fields); request it with Revision=1")
				}
				continue
			}
			xmlEventScan(e, &s, b)
			scans++
		}
	}
	if scans == 0 {
		// No scans: the status may still be USPS's "not yet available".
		a := answer{msg: string(ti.summary)}
		if a.msg == "" {
			a.msg = string(ti.status)
		}
		if a.msg != "" && a.kind() == normalizers.KindNotFound {
			b.Pending(tracking, "", cleanMessage(a.msg))
		}
	}
	return nil
}

func xmlEventScan(e *xmlEvent, s *normalizers.Scan, b *normalizers.Batch) {
	s.Raw = event.Raw{
		Code:        b.Upper(e.code),
		Type:        b.Upper(e.attr),
		Description: b.Str(e.event),
	}
	setLocation(&s.Location, e.city, e.state, e.zip, e.country, b)
	s.Time = normalizers.Time{}
	if day, ok := parseDate(e.date); ok {
		// A scan with a date and no time (USPS leaves EventTime empty on
		// some scans, mostly pre-shipment ones) is kept at local midnight:
		// dropping it would lose the event, and its day is right.
		if clock, ok := parseClock(e.clock); ok {
			s.Time.Wall = day.Add(clock)
			if off, ok := parseOffset(e.gmt); ok {
				s.Time.Offset, s.Time.HasOffset = off, true
			}
		}
	}
	add(s, b)
}

var months = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
}

// parseDate reads "February 6, 2014" (as Web Tools writes dates; also
// "Feb. 6 2014"), and also "2014-02-06" and "02/06/2014". Numbers are
// ASCII digits; anything may follow the year.
func parseDate(v []byte) (time.Time, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return time.Time{}, false
	}
	var y, m, d int
	ok := false
	switch {
	case v[0] >= '0' && v[0] <= '9':
		if len(v) >= 10 && v[4] == '-' && v[7] == '-' {
			var oy, om, od bool
			y, oy = whole(v[0:4])
			m, om = whole(v[5:7])
			d, od = whole(v[8:10])
			ok = oy && om && od
			break
		}
		rest := v
		if m, rest, ok = leading(rest); !ok || len(rest) == 0 || rest[0] != '/' {
			ok = false
			break
		}
		if d, rest, ok = leading(rest[1:]); !ok || len(rest) == 0 || rest[0] != '/' {
			ok = false
			break
		}
		y, _, ok = leading(rest[1:])
	default:
		name, rest := dateField(v)
		day, rest := dateField(rest)
		year, _ := dateField(rest)
		if len(name) > 9 {
			break
		}
		var buf [9]byte
		lower := buf[:len(name)]
		for i, c := range name {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		mo, known := months[string(lower)]
		if !known {
			break
		}
		var od bool
		m = int(mo)
		d, od = whole(day)
		y, _, ok = leading(year)
		ok = ok && od
	}
	if !ok || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// dateField splits off the first word of v, words being separated by white
// space, commas and full stops.
func dateField(v []byte) (field, rest []byte) {
	sep := func(c byte) bool { return c == ' ' || c == ',' || c == '.' || c == '\t' || c == '\n' || c == '\r' }
	for len(v) > 0 && sep(v[0]) {
		v = v[1:]
	}
	i := 0
	for i < len(v) && !sep(v[i]) {
		i++
	}
	return v[:i], v[i:]
}

// leading reads the decimal number v starts with; rest is what follows
// it. ok is false without a digit, or with more than 9.
func leading(v []byte) (n int, rest []byte, ok bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		n = n*10 + int(v[i]-'0')
		i++
	}
	return n, v[i:], i > 0 && i <= 9
}

// whole reads v as a decimal number of digits only.
func whole(v []byte) (int, bool) {
	n, rest, ok := leading(v)
	return n, ok && len(rest) == 0
}

// parseClock reads "2:03 pm", "12:24 am", "14:03" or "2:03:15 PM"; an empty
// time is midnight.
func parseClock(v []byte) (time.Duration, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0, true
	}
	ampm := byte(0)
	switch {
	case hasSuffixFold(v, "am"), hasSuffixFold(v, "a.m."):
		ampm = 'a'
	case hasSuffixFold(v, "pm"), hasSuffixFold(v, "p.m."):
		ampm = 'p'
	}
	v = bytes.TrimSpace(bytes.TrimRight(v, "apmAPM. "))
	var parts [3]int
	n := 0
	for {
		i := bytes.IndexByte(v, ':')
		part := v
		if i >= 0 {
			part = v[:i]
		}
		if n == len(parts) || len(part) == 0 || len(part) > 2 {
			return 0, false
		}
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, false
			}
			parts[n] = parts[n]*10 + int(c-'0')
		}
		n++
		if i < 0 {
			break
		}
		v = v[i+1:]
	}
	if n < 2 {
		return 0, false
	}
	h, m, sec := parts[0], parts[1], parts[2]
	if ampm != 0 {
		if h < 1 || h > 12 {
			return 0, false
		}
		h %= 12
		if ampm == 'p' {
			h += 12
		}
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, true
}

// hasSuffixFold reports whether v ends with the lower-case ASCII suffix,
// in either case.
func hasSuffixFold(v []byte, suffix string) bool {
	if len(v) < len(suffix) {
		return false
	}
	tail := v[len(v)-len(suffix):]
	for i := range len(suffix) {
		c := tail[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}
