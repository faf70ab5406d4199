package event

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// AppendAvro appends e in the Avro binary encoding of
// schemas/canonical_event.avsc without going through goavro's generic maps:
// the schema is fixed, so the fields are written in schema order directly,
// several times faster and without allocating. Tests check it byte for byte
// against goavro. It keeps no state, so one encoder serves every stage.
func AppendAvro(dst []byte, e *Event) []byte {
	t := e.Type
	dst = appendVarint(dst, SchemaVersion)
	dst = appendVarint(dst, 32)
	dst = e.ID.AppendHex(dst)
	dst = appendVarint(dst, int64(len(e.Carrier)+1+len(e.TrackingNumber)))
	dst = append(dst, e.Carrier...)
	dst = append(dst, ':')
	dst = append(dst, e.TrackingNumber...)
	dst = appendAvroString(dst, e.Carrier)
	dst = appendAvroString(dst, e.TrackingNumber)
	dst = appendAvroString(dst, e.Service)
	dst = appendAvroString(dst, t.Milestone)
	dst = appendAvroString(dst, t.Name)
	dst = appendAvroString(dst, t.Class.String())
	dst = appendAvroString(dst, e.Reason)
	// The rendered fields are written in place after a one-byte length,
	// which is moved along in the rare case that the length needs more.
	at := len(dst)
	dst = AppendUTC(append(dst, 0), e.OccurredAt)
	dst = fixAvroLength(dst, at)
	at = len(dst)
	dst = AppendLocal(append(dst, 0), e.OccurredAt, e.LocalOffset)
	dst = fixAvroLength(dst, at)
	dst = appendAvroString(dst, e.TZSource.String())
	dst = appendAvroLocation(dst, &e.Location)
	dst = appendAvroString(dst, e.Raw.Code)
	dst = appendAvroString(dst, e.Raw.Type)
	dst = appendAvroString(dst, e.Raw.Description)
	at = len(dst)
	dst = e.AppendMessage(append(dst, 0))
	dst = fixAvroLength(dst, at)
	at = len(dst)
	dst = e.AppendNextStep(append(dst, 0))
	dst = fixAvroLength(dst, at)
	dst = appendAvroString(dst, e.Source.String())
	dst = appendAvroString(dst, e.Lineage.Topic)
	dst = appendVarint(dst, int64(e.Lineage.Partition))
	dst = appendVarint(dst, e.Lineage.Offset)
	dst = appendAvroString(dst, e.EstimatedDelivery)
	dst = appendAvroLocation(dst, &e.Origin)
	dst = appendAvroLocation(dst, &e.Destination)
	return appendAvroString(dst, e.Feed)
}

// AvroEncoder is AppendAvro as a method, for the tests that hold one.
type AvroEncoder struct{}

// Append is AppendAvro.
func (AvroEncoder) Append(dst []byte, e *Event) []byte { return AppendAvro(dst, e) }

// fixAvroLength turns dst[at:], a placeholder byte and the string after
// it, into an Avro string: the length written, in more bytes if it needs
// them, and invalid UTF-8 (from a carrier's place names) replaced.
func fixAvroLength(dst []byte, at int) []byte {
	s := dst[at+1:]
	if !utf8.Valid(s) {
		return appendAvroString(dst[:at], string(s))
	}
	var l [binary.MaxVarintLen64]byte
	n := binary.PutVarint(l[:], int64(len(s)))
	if n > 1 {
		dst = append(dst, l[1:n]...) // room for the longer length
		copy(dst[at+n:], dst[at+1:len(dst)-(n-1)])
	}
	copy(dst[at:], l[:n])
	return dst
}

func appendAvroLocation(dst []byte, l *Location) []byte {
	dst = appendAvroString(dst, l.City)
	dst = appendAvroString(dst, l.Region)
	dst = appendAvroString(dst, l.PostalCode)
	dst = appendAvroString(dst, l.Country)
	return appendAvroString(dst, l.Facility)
}

// appendVarint writes Avro's int and long: zig-zag, then base-128 varint.
func appendVarint(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// appendAvroString writes a length-prefixed string. Avro strings are UTF-8;
// invalid bytes from a carrier become U+FFFD, as in the JSON encoding.
func appendAvroString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	dst = appendVarint(dst, int64(len(s)))
	return append(dst, s...)
}
