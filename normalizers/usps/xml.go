package usps

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// Web Tools TrackV2 (Revision=1) response. Element names as USPS sends them.
type xmlResponse struct {
	XMLName   xml.Name
	TrackInfo []xmlTrackInfo `xml:"TrackInfo"`
	Error     *xmlError      `xml:"Error"`
	// A bare <Error> root carries these directly.
	Number      string `xml:"Number"`
	Description string `xml:"Description"`
}

type xmlError struct {
	Number      string `xml:"Number"`
	Description string `xml:"Description"`
}

type xmlTrackInfo struct {
	ID                     string     `xml:"ID,attr"`
	Class                  string     `xml:"Class"`
	DestinationCity        string     `xml:"DestinationCity"`
	DestinationState       string     `xml:"DestinationState"`
	DestinationZip         string     `xml:"DestinationZip"`
	DestinationCountryCode string     `xml:"DestinationCountryCode"`
	OriginCity             string     `xml:"OriginCity"`
	OriginState            string     `xml:"OriginState"`
	OriginZip              string     `xml:"OriginZip"`
	OriginCountryCode      string     `xml:"OriginCountryCode"`
	ExpectedDeliveryDate   string     `xml:"ExpectedDeliveryDate"`
	PredictedDeliveryDate  string     `xml:"PredictedDeliveryDate"`
	GuaranteedDeliveryDate string     `xml:"GuaranteedDeliveryDate"`
	Status                 string     `xml:"Status"`
	StatusSummary          string     `xml:"StatusSummary"`
	TrackSummary           []xmlEvent `xml:"TrackSummary"`
	TrackDetail            []xmlEvent `xml:"TrackDetail"`
	Error                  *xmlError  `xml:"Error"`
}

type xmlEvent struct {
	Text                  string `xml:",chardata"`
	EventTime             string `xml:"EventTime"`
	EventDate             string `xml:"EventDate"`
	Event                 string `xml:"Event"`
	EventCity             string `xml:"EventCity"`
	EventState            string `xml:"EventState"`
	EventZIPCode          string `xml:"EventZIPCode"`
	EventCountry          string `xml:"EventCountry"`
	EventCode             string `xml:"EventCode"`
	DeliveryAttributeCode string `xml:"DeliveryAttributeCode"`
	GMTOffset             string `xml:"GMTOffset"`
}

func normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	var r xmlResponse
	d := xml.NewDecoder(bytes.NewReader(in.Payload))
	d.CharsetReader = normalizers.XMLCharsetReader
	if err := d.Decode(&r); err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
	}
	switch r.XMLName.Local {
	case "Error":
		return answer{code: strings.TrimSpace(r.Number), msg: r.Description}.resolve("", in, b)
	case "TrackResponse":
	default:
		return normalizers.Errorf(normalizers.KindDecode, carrier,
			"not a USPS Web Tools TrackResponse: the root element is <%s>", r.XMLName.Local)
	}
	if r.Error != nil && len(r.TrackInfo) == 0 {
		return answer{code: strings.TrimSpace(r.Error.Number), msg: r.Error.Description}.resolve("", in, b)
	}
	for i := range r.TrackInfo {
		if err := xmlTrackInfoScans(&r.TrackInfo[i], in, b); err != nil {
			return err
		}
	}
	return nil
}

func xmlTrackInfoScans(ti *xmlTrackInfo, in *normalizers.Input, b *normalizers.Batch) error {
	tracking := b.Upper([]byte(ti.ID))
	if ti.Error != nil {
		return answer{code: strings.TrimSpace(ti.Error.Number), msg: ti.Error.Description}.resolve(tracking, in, b)
	}
	if tracking == "" {
		tracking = b.Upper([]byte(in.TrackingHint))
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, carrier, "TrackInfo without ID")
	}
	s := normalizers.Scan{
		TrackingNumber: tracking,
		Service:        b.ServiceKey([]byte(ti.Class), carrier),
	}
	for _, d := range []string{ti.ExpectedDeliveryDate, ti.PredictedDeliveryDate, ti.GuaranteedDeliveryDate} {
		if t, ok := parseDate(d); ok {
			s.EstimatedDelivery = b.Str([]byte(t.Format("2006-01-02")))
			break
		}
	}
	setLocation(&s.Origin, []byte(ti.OriginCity), []byte(ti.OriginState), []byte(ti.OriginZip),
		[]byte(ti.OriginCountryCode), b)
	setLocation(&s.Destination, []byte(ti.DestinationCity), []byte(ti.DestinationState),
		[]byte(ti.DestinationZip), []byte(ti.DestinationCountryCode), b)
	// TrackSummary is the newest scan, not a copy of a TrackDetail.
	events := append(ti.TrackSummary[:len(ti.TrackSummary):len(ti.TrackSummary)], ti.TrackDetail...)
	scans := 0
	for i := range events {
		e := &events[i]
		if e.Event == "" && e.EventDate == "" && e.EventCode == "" {
			if strings.TrimSpace(e.Text) != "" {
				return normalizers.Errorf(normalizers.KindValidate, carrier,
					"TrackV2 text-only response (no event fields); request it with Revision=1")
			}
			continue
		}
		xmlEventScan(e, &s, b)
		scans++
	}
	if scans == 0 {
		// No scans: the status may still be USPS's "not yet available".
		a := answer{msg: ti.StatusSummary}
		if a.msg == "" {
			a.msg = ti.Status
		}
		if a.msg != "" && a.kind() == normalizers.KindNotFound {
			b.Pending(tracking, "", cleanMessage(a.msg))
		}
	}
	return nil
}

func xmlEventScan(e *xmlEvent, s *normalizers.Scan, b *normalizers.Batch) {
	s.Raw = event.Raw{
		Code:        b.Upper([]byte(e.EventCode)),
		Type:        b.Upper([]byte(e.DeliveryAttributeCode)),
		Description: b.Str([]byte(e.Event)),
	}
	setLocation(&s.Location, []byte(e.EventCity), []byte(e.EventState), []byte(e.EventZIPCode),
		[]byte(e.EventCountry), b)
	s.Time = normalizers.Time{}
	if day, ok := parseDate(e.EventDate); ok {
		// A scan with a date and no time (USPS leaves EventTime empty on
		// some scans, mostly pre-shipment ones) is kept at local midnight:
		// dropping it would lose the event, and its day is right.
		if clock, ok := parseClock(e.EventTime); ok {
			s.Time.Wall = day.Add(clock)
			if off, ok := parseOffset([]byte(e.GMTOffset)); ok {
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

// parseDate reads "February 6, 2014" (as Web Tools writes dates), and also
// "2014-02-06" and "02/06/2014".
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	var y, m, d int
	switch {
	case s[0] >= '0' && s[0] <= '9':
		if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
			if _, err := fmt.Sscanf(s[:10], "%4d-%2d-%2d", &y, &m, &d); err != nil {
				return time.Time{}, false
			}
		} else if _, err := fmt.Sscanf(s, "%d/%d/%d", &m, &d, &y); err != nil {
			return time.Time{}, false
		}
	default:
		f := strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(s))
		if len(f) < 3 {
			return time.Time{}, false
		}
		mo, ok := months[strings.ToLower(f[0])]
		if !ok {
			return time.Time{}, false
		}
		m = int(mo)
		if _, err := fmt.Sscanf(f[1]+" "+f[2], "%d %d", &d, &y); err != nil {
			return time.Time{}, false
		}
	}
	if y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// parseClock reads "2:03 pm", "12:24 am", "14:03" or "2:03:15 PM"; an empty
// time is midnight.
func parseClock(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	ampm := ""
	switch {
	case strings.HasSuffix(s, "am"), strings.HasSuffix(s, "a.m."):
		ampm = "am"
	case strings.HasSuffix(s, "pm"), strings.HasSuffix(s, "p.m."):
		ampm = "pm"
	}
	s = strings.TrimSpace(strings.TrimRight(s, "apm. "))
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var v [3]int
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return 0, false
		}
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	h, m, sec := v[0], v[1], v[2]
	switch ampm {
	case "am", "pm":
		if h < 1 || h > 12 {
			return 0, false
		}
		h %= 12
		if ampm == "pm" {
			h += 12
		}
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, true
}
