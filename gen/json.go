package gen

import (
	"strconv"
	"time"

	"github.com/wismo/wismo/event"
)

// JSON writing for the payload encoders. Payloads are appended to one
// buffer per record without reflection: the generator writes millions of
// them.

// appendStr appends s as a JSON string, escaped as the canonical event's
// JSON is.
func appendStr(dst []byte, s string) []byte { return event.AppendString(dst, s) }

// appendKey appends "key": (after a comma unless first).
func appendKey(dst []byte, first bool, key string) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// field appends "key":"value".
func field(dst []byte, first bool, key, value string) []byte {
	return appendStr(appendKey(dst, first, key), value)
}

// fieldOrNull appends "key":"value", or "key":null for an empty value.
func fieldOrNull(dst []byte, first bool, key, value string) []byte {
	dst = appendKey(dst, first, key)
	if value == "" {
		return append(dst, "null"...)
	}
	return appendStr(dst, value)
}

// appendOffset appends a UTC offset in seconds as "+HH:MM".
func appendOffset(dst []byte, off int) []byte {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off%3600/60
	return append(dst, sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// local returns t in z and its offset in seconds.
func local(t int64, z *time.Location) (time.Time, int) {
	lt := time.Unix(t, 0).In(z)
	_, off := lt.Zone()
	return lt, off
}

// appendISO appends "2006-01-02T15:04:05" of a local time.
func appendISO(dst []byte, t time.Time) []byte { return t.AppendFormat(dst, "2006-01-02T15:04:05") }

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
