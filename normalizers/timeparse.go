package normalizers

import (
	"time"

	"github.com/wismo/wismo/calendar"
)

// Time parsers for the shapes carriers use. They take bytes straight from
// the decoder and do not allocate; ok is false on anything malformed.

// ParseISO parses "2006-01-02T15:04:05" with optional fractional seconds and
// an optional "Z" or "±hh:mm" / "±hhmm" offset. A "Z" counts as a UTC
// instant, an offset as a wall clock with offset, and nothing as a bare wall
// clock.
func ParseISO(b []byte) (t Time, ok bool) {
	b = trimSpace(b)
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		if len(b) == 16 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == ' ') && b[13] == ':' {
			// "2006-01-02T15:04", seen in DHL and GLS feeds
			wall, ok := civil(b[0:4], b[5:7], b[8:10], b[11:13], b[14:16], nil)
			return Time{Wall: wall}, ok
		}
		return t, false
	}
	wall, ok := civil(b[0:4], b[5:7], b[8:10], b[11:13], b[14:16], b[17:19])
	if !ok {
		return t, false
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		nanos, scale := 0, 100000000
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			nanos += int(rest[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == 1 {
			return t, false
		}
		wall = wall.Add(time.Duration(nanos))
		rest = rest[i:]
	}
	switch {
	case len(rest) == 0:
		return Time{Wall: wall}, true
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		return Time{UTC: wall}, true
	}
	off, ok := ParseOffset(rest)
	if !ok {
		return t, false
	}
	return Time{Wall: wall, Offset: off, HasOffset: true}, true
}

// ParseOffset parses "+05:30", "-0800", "+05" or "Z" into seconds east.
func ParseOffset(b []byte) (int32, bool) {
	b = trimSpace(b)
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, true
	}
	if len(b) < 3 || (b[0] != '+' && b[0] != '-') {
		return 0, false
	}
	h, ok1 := digits(b[1:3])
	m, ok2 := 0, true
	switch len(b) {
	case 3:
	case 5:
		m, ok2 = digits(b[3:5])
	case 6:
		if b[3] != ':' {
			return 0, false
		}
		m, ok2 = digits(b[4:6])
	default:
		return 0, false
	}
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return 0, false
	}
	off := int32(h*3600 + m*60)
	if b[0] == '-' {
		off = -off
	}
	return off, true
}

// ParseCompact parses a date "20060102" and a time "150405" (or "1504", or
// "15:04:05"); an empty time means midnight.
func ParseCompact(date, clock []byte) (time.Time, bool) {
	date, clock = trimSpace(date), trimSpace(clock)
	if len(date) != 8 {
		return time.Time{}, false
	}
	var hh, mm, ss []byte
	switch len(clock) {
	case 0:
		hh, mm = []byte("00"), []byte("00")
	case 4:
		hh, mm = clock[0:2], clock[2:4]
	case 6:
		hh, mm, ss = clock[0:2], clock[2:4], clock[4:6]
	case 8:
		if clock[2] != ':' || clock[5] != ':' {
			return time.Time{}, false
		}
		hh, mm, ss = clock[0:2], clock[3:5], clock[6:8]
	default:
		return time.Time{}, false
	}
	return civil(date[0:4], date[4:6], date[6:8], hh, mm, ss)
}

// civil builds a wall-clock time (stored as UTC) from digit fields,
// rejecting out-of-range values instead of letting time.Date normalize them.
func civil(y, mo, d, h, mi, s []byte) (time.Time, bool) {
	year, ok1 := digits(y)
	month, ok2 := digits(mo)
	day, ok3 := digits(d)
	hour, ok4 := digits(h)
	min, ok5 := digits(mi)
	sec, ok6 := 0, true
	if s != nil {
		sec, ok6 = digits(s)
	}
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 { // a leap second: keep the scan, one second later is close enough
		sec = 59
	}
	if day > calendar.DaysIn(year, month) { // February 30th and the like
		return time.Time{}, false
	}
	// The same instant time.Date gives, without its normalizing and zone
	// look-up, and without the second calendar computation that checking
	// the day through t.Day() cost: a fifth of a USPS payload's decoding
	// went to these two.
	days := calendar.DaysFromCivil(year, month, day)
	return time.Unix(days*86400+int64(hour*3600+min*60+sec), 0).UTC(), true
}

func digits(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ParseNumeric reads a local date and time written with numbers the way
// carriers' languages write them: "8/17/2021 7:11:26 PM" (with a slash,
// month first, as in English; a 12-hour clock with AM or PM), "17.08.2021
// 19:11:26" or "17.08.2021, 19:11" (with dots, day first, as in German),
// and ISO 8601 without an offset. A date or time that does not exist
// (13/45/2021, 13:00 PM) is refused. It does not allocate.
func ParseNumeric(v []byte) (time.Time, bool) {
	v = trimSpace(v)
	if t, ok := ParseISO(v); ok && !t.Wall.IsZero() {
		return t.Wall, true
	}
	var f [6]int // the date's three numbers, then hour, minute, second
	n, digits, pm, am := 0, 0, false, false
	sep := byte(0)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			if n >= len(f) || digits >= 4 {
				return time.Time{}, false
			}
			f[n] = f[n]*10 + int(c-'0')
			digits++
		case c == '/' || c == '.' || c == ':' || c == ' ' || c == ',':
			if digits > 0 {
				n, digits = n+1, 0
			}
			if n == 1 && sep == 0 && (c == '/' || c == '.') {
				sep = c
			}
		case (c == 'A' || c == 'P' || c == 'a' || c == 'p') && i+1 < len(v) && (v[i+1] == 'M' || v[i+1] == 'm') && i+2 == len(v):
			pm, am = c == 'P' || c == 'p', c == 'A' || c == 'a'
			i++
		default:
			return time.Time{}, false
		}
	}
	if digits > 0 {
		n++
	}
	if n < 5 {
		return time.Time{}, false
	}
	day, month, year := f[0], f[1], f[2]
	if sep == '/' {
		month, day = f[0], f[1]
	}
	hour := f[3]
	if am || pm {
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, f[4], f[5], 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// Date returns the calendar date ("2006-01-02") of a carrier's date or
// timestamp ("2024-03-05", "2024-03-05T00:00:00+01:00"), as the carrier
// wrote it (its wall clock, not UTC), or "" when v is not a real date. For
// estimated delivery dates.
func (b *Batch) Date(v []byte) string {
	v = trimSpace(v)
	var buf [19]byte
	if len(v) == 10 {
		copy(buf[:], v)
		copy(buf[10:], "T00:00:00")
		v = buf[:]
	}
	t, ok := ParseISO(v)
	if !ok {
		return ""
	}
	w := t.Wall
	if w.IsZero() {
		w = t.UTC
	}
	return b.DateOf(w)
}

// DateOf is the calendar date of t ("2006-01-02") as an event keeps it:
// what t.Format("2006-01-02") gives for the years scans have (1000-9999),
// without reading the layout.
func (b *Batch) DateOf(t time.Time) string {
	y, m, d := t.Date()
	if y < 1000 || y > 9999 {
		var out [16]byte
		return b.arena.String(t.AppendFormat(out[:0], "2006-01-02"))
	}
	out := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
	return b.arena.String(out[:])
}

// OffsetBetween is the UTC offset that a carrier's local wall clock and its
// UTC instant of the same scan imply, when it is a real one: a whole
// quarter hour, give or take the two minutes by which the stamps may be
// truncated differently, within the range of the world's zones.
func OffsetBetween(wall, utc time.Time) (int32, bool) {
	d := wall.Sub(utc)
	if d <= -15*time.Hour || d >= 15*time.Hour {
		return 0, false
	}
	q := d.Round(15 * time.Minute)
	if r := d - q; r <= -2*time.Minute || r >= 2*time.Minute || q < -12*time.Hour || q > 14*time.Hour {
		return 0, false
	}
	return int32(q / time.Second), true
}
