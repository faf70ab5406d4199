package avroscan

import (
	"strconv"
	"strings"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/taxonomy"
)

const (
	maxCarrierKey = event.MaxCarrierKeyLen
	maxTracking   = normalizers.MaxTrackingLen
	// maxOffsetMinutes is the widest UTC offset in use (UTC+14, Kiribati).
	maxOffsetMinutes = 14 * 60
)

// decoder is the state of one Normalize call; the Normalizer itself is
// shared between goroutines.
type decoder struct {
	n *Normalizer
	b *normalizers.Batch
	// The code table of the carrier of the previous record: a payload's
	// records are mostly of one carrier.
	lastCarrier string
	lastMapper  normalizers.CodeMapper
	// carrier and code of the record being read, for rejection messages.
	carrier, code string
}

// record turns one decoded record into a scan. idx is the record's number
// in a container (1-based), 0 for a single datum.
func (d *decoder) record(m map[string]any, idx int) {
	b := d.b
	d.carrier, d.code = "", ""
	tracking, ok := trackingNumber(b, text(m, "tracking_number"))
	if !ok {
		d.reject(normalizers.KindValidate, "", idx, "tracking_number "+normalizers.Quote(text(m, "tracking_number"))+" is missing or not a tracking number")
		return
	}
	carrier, ok := d.carrierKey(text(m, "carrier"))
	if !ok {
		if c := text(m, "carrier"); c != "" && c != normalizers.GenericCarrier {
			d.reject(normalizers.KindValidate, tracking, idx, "carrier "+normalizers.Quote(c)+" is not a carrier key (a-z, 0-9, _ or -, at most 32)")
		} else {
			d.reject(normalizers.KindValidate, tracking, idx, "no carrier, and the feed is not bound to one")
		}
		return
	}

	d.carrier = carrier
	s := normalizers.Scan{Carrier: carrier, TrackingNumber: tracking}
	code, sub, desc := text(m, "code"), text(m, "subcode"), redactor.Text(b, text(m, "description"))
	d.code = code
	s.Raw = event.Raw{Code: code, Type: sub, Description: desc}
	et := text(m, "event_type")
	if et != "" {
		s.Type = canonicalType(et)
	}
	if s.Type == nil && code != "" {
		if mp := d.mapCode(carrier, code, sub, desc); mp != nil {
			s.Type, s.Reason = mp.Type, mp.Reason
		}
	}
	if code == "" {
		if s.Type == nil {
			d.reject(normalizers.KindValidate, tracking, idx, "no code, and no canonical event_type (got "+normalizers.Quote(et)+")")
			return
		}
		// Without a code, the type is what tells this scan from another
		// one at the same time and place.
		s.IDExtra = s.Type.Name
	}

	if !d.scanTime(m, &s, idx) {
		return
	}
	s.Location = event.Location{
		City:       text(m, "city"),
		Region:     upper(b, text(m, "region")),
		PostalCode: text(m, "postal_code"),
		Country:    upper(b, text(m, "country")),
		Facility:   redactor.Text(b, text(m, "facility")),
	}
	if svc := text(m, "service"); svc != "" {
		s.Service = b.ServiceKey([]byte(svc), carrier)
	}
	s.EstimatedDelivery = dateOnly(text(m, "estimated_delivery"))
	b.Add(&s)
}

// scanTime fills s.Time from occurred_at_local and utc_offset_minutes. An
// offset in the string wins over utc_offset_minutes. A "Z" string is a UTC
// instant, and utc_offset_minutes then gives the local offset only.
func (d *decoder) scanTime(m map[string]any, s *normalizers.Scan, idx int) bool {
	at := text(m, "occurred_at_local")
	if at == "" {
		d.reject(normalizers.KindValidate, s.TrackingNumber, idx, "no occurred_at_local")
		return false
	}
	t, ok := normalizers.ParseISO([]byte(at))
	if !ok {
		d.reject(normalizers.KindTimestamp, s.TrackingNumber, idx, "occurred_at_local "+normalizers.Quote(at)+" is not YYYY-MM-DDTHH:MM:SS[±hh:mm]")
		return false
	}
	if off, ok := integer(m["utc_offset_minutes"]); ok {
		if off < -maxOffsetMinutes || off > maxOffsetMinutes {
			d.reject(normalizers.KindTimestamp, s.TrackingNumber, idx, "utc_offset_minutes "+strconv.FormatInt(off, 10)+" is out of range")
			return false
		}
		secs := int32(off * 60)
		switch {
		case !t.UTC.IsZero():
			t = normalizers.Time{Wall: t.UTC.Add(time.Duration(secs) * time.Second), Offset: secs, HasOffset: true}
		case !t.HasOffset:
			t.Offset, t.HasOffset = secs, true
		}
	}
	s.Time = t
	return true
}

func (d *decoder) reject(kind normalizers.Kind, tracking string, idx int, msg string) {
	switch {
	case d.carrier != "" && d.carrier != d.n.carrier && d.code != "":
		msg = d.carrier + " scan " + normalizers.Quote(d.code) + ": " + msg
	case d.code != "":
		msg = "scan " + normalizers.Quote(d.code) + ": " + msg
	}
	if idx > 0 {
		msg = "record " + strconv.Itoa(idx) + ": " + msg
	}
	d.b.Reject(kind, tracking, msg)
}

// carrierKey validates a record's carrier, falling back to the bound one.
func (d *decoder) carrierKey(c string) (string, bool) {
	if c == "" || c == normalizers.GenericCarrier {
		c = d.n.carrier
		return c, c != normalizers.GenericCarrier && c != ""
	}
	if len(c) > maxCarrierKey {
		return "", false
	}
	lower := true
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '_', ch == '-':
		case ch >= 'A' && ch <= 'Z':
			lower = false
		default:
			return "", false
		}
	}
	if !lower {
		// Senders write "UPS" as readily as "ups"; the key is the same.
		if c = strings.ToLower(c); c == normalizers.GenericCarrier {
			return d.carrierKey("")
		}
	}
	return c, true
}

func (d *decoder) mapCode(carrier, code, sub, desc string) *normalizers.Mapping {
	if carrier != d.lastCarrier {
		d.lastCarrier, d.lastMapper = carrier, nil
		if n, ok := normalizers.Registered(carrier); ok {
			d.lastMapper, _ = n.(normalizers.CodeMapper)
		}
	}
	if d.lastMapper == nil {
		return nil
	}
	if mp := d.lastMapper.MapCode(code, sub, desc); mp != nil {
		return mp
	}
	// Tables hold codes as the carriers' APIs spell them, mostly in
	// capitals; a feed may have lower-cased them.
	uc, us := upper(d.b, code), upper(d.b, sub)
	if uc != code || us != sub {
		return d.lastMapper.MapCode(uc, us, desc)
	}
	return nil
}

// canonicalType returns the taxonomy type a sender named, or nil. A sender
// may not set the pipeline's own types (its timers) nor unmapped, which says
// nothing; the record's code decides instead.
func canonicalType(name string) *taxonomy.Type {
	t, ok := taxonomy.Lookup(name)
	if !ok {
		t, ok = taxonomy.Lookup(strings.ToLower(name))
	}
	if !ok || t.Pipeline || t == taxonomy.Unmapped {
		return nil
	}
	return t
}

// trackingNumber upper-cases a tracking number and drops the spaces people
// type into it; anything but printable ASCII is refused.
func trackingNumber(b *normalizers.Batch, s string) (string, bool) {
	if s == "" || len(s) > 2*maxTracking {
		return "", false
	}
	var buf [maxTracking]byte
	out := buf[:0]
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			changed = true
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
			changed = true
		case c < 0x21 || c > 0x7e:
			return "", false
		}
		if len(out) == maxTracking {
			return "", false
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return "", false
	}
	if !changed {
		return s, true
	}
	return b.Str(out), true
}

// upper returns s in ASCII capitals, without copying when it already is.
func upper(b *normalizers.Batch, s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return b.Upper([]byte(s))
		}
	}
	return s
}

// dateOnly returns the YYYY-MM-DD of a date or date-time, or "" for
// anything else: a bad estimate is dropped, not the scan.
func dateOnly(s string) string {
	if len(s) < 10 || (len(s) > 10 && s[10] != 'T' && s[10] != ' ') {
		return ""
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return ""
	}
	return s[:10]
}

// text returns a string field, trimmed; "" when absent or null. A union
// decodes to a one-entry map keyed by the branch's type name.
func text(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case map[string]any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// integer returns an int or long field, possibly in a union.
func integer(v any) (int64, bool) {
	switch v := v.(type) {
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case map[string]any:
		for _, x := range v {
			return integer(x)
		}
	}
	return 0, false
}
