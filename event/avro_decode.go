package event

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/taxonomy"
)

// AvroDecoder reads events in the Avro binary encoding of
// schemas/canonical_event.avsc without going through goavro's generic maps:
// the counterpart of AvroEncoder. The result and the checks are those of
// AvroCodec.Decode (tests and a fuzz target compare the two), at a fraction of
// the cost: the datum is first split into its fields without allocating,
// then checked in the order UnmarshalJSON checks (with the same messages),
// and only then are the strings made, all of them in one allocation except
// the low-cardinality ones (carrier, service, reason, region, country, raw
// codes, topic), which come from a small bounded intern table. Time stamps in
// the shapes the encoders write are read without time.Parse. Once the intern
// table has warmed up, an event costs one allocation.
//
// It is stricter than goavro in one corner: an int or long whose varint is
// longer than 10 bytes or does not fit its type is an error, where goavro
// silently drops the high bits.
//
// The zero value is ready to use. An AvroDecoder is not safe for concurrent
// use.
type AvroDecoder struct {
	intern map[string]string
	// last holds each interned field's previous value: consecutive events
	// mostly repeat them, and comparing is cheaper than hashing.
	last [avroFieldCount]string
	buf  []byte
}

const (
	// maxInterned bounds the intern table; once full, new values are
	// allocated with the rest of the event's strings.
	maxInterned = 4096
	// maxInternLen keeps long values out of the intern table.
	maxInternLen = 48
	// maxKeptBuf is the largest scratch buffer kept between calls.
	maxKeptBuf = 64 << 10
)

// The fields of canonical_event.avsc in schema order, nested records
// flattened.
const (
	afSchemaVersion = iota
	afEventID
	afShipmentID
	afCarrier
	afTrackingNumber
	afService
	afMilestone
	afEventType
	afClass
	afReason
	afOccurredAt
	afOccurredAtLocal
	afTZSource
	afLocation // city, region, postal_code, country, facility
	_
	_
	_
	_
	afRawCode
	afRawType
	afRawDescription
	afMessage
	afNextStep
	afSource
	afLineageTopic
	afLineagePartition
	afLineageOffset
	afEstimatedDelivery
	afOrigin // 5 location fields
	_
	_
	_
	_
	afDestination // 5 location fields
	_
	_
	_
	_
	afFeed
	avroFieldCount
)

// Offsets of a location's fields from its first field.
const (
	locCity = iota
	locRegion
	locPostalCode
	locCountry
	locFacility
)

const (
	akString = iota
	akInt
	akLong
)

var avroFieldKinds = [avroFieldCount]uint8{
	afSchemaVersion:    akInt,
	afLineagePartition: akInt,
	afLineageOffset:    akLong,
}

var avroFieldNames = [avroFieldCount]string{
	"schema_version", "event_id", "shipment_id", "carrier", "tracking_number",
	"service", "milestone", "event_type", "class", "reason", "occurred_at",
	"occurred_at_local", "tz_source",
	"location.city", "location.region", "location.postal_code", "location.country", "location.facility",
	"raw.code", "raw.type", "raw.description", "message", "next_step", "source",
	"lineage.topic", "lineage.partition", "lineage.offset", "estimated_delivery",
	"origin.city", "origin.region", "origin.postal_code", "origin.country", "origin.facility",
	"destination.city", "destination.region", "destination.postal_code", "destination.country", "destination.facility",
	"feed",
}

// avroStored lists the string fields that end up in the Event, and whether
// they are interned.
var avroStored = [...]struct {
	field  uint8
	intern bool
}{
	{afCarrier, true}, {afTrackingNumber, false}, {afService, true}, {afReason, true},
	{afLocation + locCity, false}, {afLocation + locRegion, true}, {afLocation + locPostalCode, false},
	{afLocation + locCountry, true}, {afLocation + locFacility, false},
	{afRawCode, true}, {afRawType, true}, {afRawDescription, false},
	{afLineageTopic, true}, {afEstimatedDelivery, false},
	{afOrigin + locCity, false}, {afOrigin + locRegion, true}, {afOrigin + locPostalCode, false},
	{afOrigin + locCountry, true}, {afOrigin + locFacility, false},
	{afDestination + locCity, false}, {afDestination + locRegion, true}, {afDestination + locPostalCode, false},
	{afDestination + locCountry, true}, {afDestination + locFacility, false},
	{afFeed, true},
}

var (
	errAvroShort = errors.New("unexpected end of data")
	// errAvroVarint: an int or long longer than 10 bytes or out of its
	// type's range. goavro accepts these and drops the high bits.
	errAvroVarint = errors.New("varint overflows its type")
	errAvroLength = errors.New("negative length")
)

// avroDatum is one datum split into its fields: string field f is
// data[start[f]:end[f]]. Positions rather than slices, so that filling it
// needs no write barriers.
type avroDatum struct {
	data       []byte
	start, end [avroFieldCount]int
	version    int32
	partition  int32
	offset     int64
}

func (r *avroDatum) field(f int) []byte { return r.data[r.start[f]:r.end[f]:r.end[f]] }

// Decode decodes one Avro binary datum into e. On error e is left as it was.
func (d *AvroDecoder) Decode(data []byte, e *Event) error {
	var r avroDatum
	if err := r.read(data); err != nil {
		return err
	}
	return d.build(&r, e)
}

func (r *avroDatum) read(data []byte) error {
	r.data = data
	p := 0
	for f := 0; f < avroFieldCount; f++ {
		if f == afFeed && p == len(data) {
			// Written with the schema before feed was added (records
			// still on the topics during an upgrade): feed takes its
			// default, "".
			break
		}
		var err error
		switch avroFieldKinds[f] {
		case akString:
			var n uint64
			if p < len(data) && data[p] < 0x80 {
				n = uint64(data[p])
				p++
			} else {
				n, p, err = avroUvarint(data, p)
			}
			if err == nil {
				size := int64(n>>1) ^ -int64(n&1)
				switch {
				case size < 0:
					err = errAvroLength
				case size > int64(len(data)-p):
					err = errAvroShort
				default:
					r.start[f] = p
					p += int(size)
					r.end[f] = p
				}
			}
		case akInt:
			var v int64
			v, p, err = avroLong(data, p)
			if err == nil && v != int64(int32(v)) {
				err = errAvroVarint
			}
			if f == afSchemaVersion {
				r.version = int32(v)
			} else {
				r.partition = int32(v)
			}
		case akLong:
			r.offset, p, err = avroLong(data, p)
		}
		if err != nil {
			return fmt.Errorf("event: avro: %s: %w", avroFieldNames[f], err)
		}
	}
	if p != len(data) {
		return fmt.Errorf("event: avro: %d trailing bytes", len(data)-p)
	}
	return nil
}

// avroUvarint reads a base-128 varint at data[p:], returning the position
// after it.
func avroUvarint(data []byte, p int) (uint64, int, error) {
	if p < len(data) && data[p] < 0x80 {
		return uint64(data[p]), p + 1, nil
	}
	var x uint64
	var s uint
	for i := 0; i < 10; i++ {
		if p >= len(data) {
			return 0, p, errAvroShort
		}
		c := data[p]
		p++
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, p, errAvroVarint
			}
			return x | uint64(c)<<s, p, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, p, errAvroVarint
}

// avroLong reads a zig-zag varint: Avro's int and long.
func avroLong(data []byte, p int) (int64, int, error) {
	u, p, err := avroUvarint(data, p)
	return int64(u>>1) ^ -int64(u&1), p, err
}

// avroTypes maps event type names to types without allocating for the key,
// which taxonomy.Lookup(string(b)) may.
var avroTypes = sync.OnceValue(func() map[string]*taxonomy.Type {
	m := make(map[string]*taxonomy.Type, len(taxonomy.All()))
	for _, t := range taxonomy.All() {
		m[t.Name] = t
	}
	return m
})

// build checks r as fromWire checks a JSON event, with the same messages,
// and fills e.
func (d *AvroDecoder) build(r *avroDatum, e *Event) error {
	if r.version != SchemaVersion {
		return fmt.Errorf("event: schema_version %d, want %d", r.version, SchemaVersion)
	}
	rawID := r.field(afEventID)
	var id ID
	if len(rawID) != len(id)*2 {
		return fmt.Errorf("event: bad event_id %q", string(rawID))
	}
	if _, err := hex.Decode(id[:], rawID); err != nil {
		return fmt.Errorf("event: bad event_id %q", string(rawID))
	}
	t, ok := avroTypes()[string(r.field(afEventType))]
	if !ok {
		return fmt.Errorf("event: unknown event_type %q", string(r.field(afEventType)))
	}
	if len(r.field(afCarrier)) == 0 || len(r.field(afTrackingNumber)) == 0 {
		return fmt.Errorf("event %s: carrier and tracking_number are required", rawID)
	}
	if c := r.field(afCarrier); !ValidCarrierKey(c) {
		return badKey(rawID, "carrier", string(c))
	}
	if tn := r.field(afTrackingNumber); !ValidTrackingNumber(tn) {
		return badKey(rawID, "tracking_number", string(tn))
	}
	unix, _, ok := scanRFC3339(r.field(afOccurredAt))
	// time.Unix(...).UTC() is what time.Parse(...).UTC() gives, field for
	// field.
	at := time.Unix(unix, 0).UTC()
	if !ok {
		parsed, err := time.Parse(time.RFC3339, string(r.field(afOccurredAt)))
		if err != nil {
			return fmt.Errorf("event %s: occurred_at: %w", rawID, err)
		}
		at = parsed.UTC()
	}
	if err := CheckTime(at); err != nil {
		return fmt.Errorf("event %s: occurred_at: %w", rawID, err)
	}
	var offset int32
	if local := r.field(afOccurredAtLocal); len(local) != 0 {
		_, off, ok := scanRFC3339(local)
		if !ok {
			parsed, err := time.Parse(time.RFC3339, string(local))
			if err != nil {
				return fmt.Errorf("event %s: occurred_at_local: %w", rawID, err)
			}
			_, off = parsed.Zone()
		}
		offset = int32(off)
	}
	source := FromCarrier
	if string(r.field(afSource)) == "pipeline" {
		source = FromPipeline
	}
	tz := TZAssumedUTC
	switch tzs := r.field(afTZSource); {
	case string(tzs) == "carrier_offset":
		tz = TZCarrierOffset
	case string(tzs) == "location":
		tz = TZLocation
	}

	// The strings: interned ones from the table, the others copied into
	// one block and cut from one string.
	var str [avroFieldCount]string
	var start, end [avroFieldCount]int32
	var pending uint64
	buf := d.buf[:0]
	for _, sf := range avroStored {
		b := r.field(int(sf.field))
		if len(b) == 0 {
			continue
		}
		if sf.intern {
			if s, ok := d.interned(sf.field, b); ok {
				str[sf.field] = s
				continue
			}
		}
		start[sf.field] = int32(len(buf))
		buf = append(buf, b...)
		end[sf.field] = int32(len(buf))
		pending |= 1 << sf.field
	}
	if pending != 0 {
		block := string(buf)
		for _, sf := range avroStored {
			if pending&(1<<sf.field) != 0 {
				str[sf.field] = block[start[sf.field]:end[sf.field]]
			}
		}
	}
	if cap(buf) <= maxKeptBuf {
		d.buf = buf[:0]
	} else {
		d.buf = nil
	}

	*e = Event{
		ID: id, Carrier: str[afCarrier], TrackingNumber: str[afTrackingNumber], Service: str[afService],
		Type: t, Reason: str[afReason], OccurredAt: at, LocalOffset: offset,
		TZSource: tz,
		Location: avroLocation(&str, afLocation),
		Raw:      Raw{Code: str[afRawCode], Type: str[afRawType], Description: str[afRawDescription]},
		Source:   source,
		Lineage:  Lineage{Topic: str[afLineageTopic], Partition: r.partition, Offset: r.offset},

		EstimatedDelivery: str[afEstimatedDelivery],
		Origin:            avroLocation(&str, afOrigin),
		Destination:       avroLocation(&str, afDestination),
		Feed:              str[afFeed],
	}
	return nil
}

func avroLocation(str *[avroFieldCount]string, f int) Location {
	return Location{
		City: str[f+locCity], Region: str[f+locRegion], PostalCode: str[f+locPostalCode],
		Country: str[f+locCountry], Facility: str[f+locFacility],
	}
}

// interned returns b, the value of field f, as a string from the intern
// table, adding it when the table has room. ok is false when b is too long
// or the table is full.
func (d *AvroDecoder) interned(f uint8, b []byte) (s string, ok bool) {
	if s := d.last[f]; s == string(b) {
		return s, true
	}
	s, ok = d.intern[string(b)]
	if !ok {
		if len(b) > maxInternLen || len(d.intern) >= maxInterned {
			return "", false
		}
		if d.intern == nil {
			d.intern = make(map[string]string, 64)
		}
		s = string(b)
		d.intern[s] = s
	}
	d.last[f] = s
	return s, true
}

// scanRFC3339 reads the two shapes the encoders write,
// "2006-01-02T15:04:05Z" and "2006-01-02T15:04:05-07:00", without
// allocating: the instant in Unix seconds and the offset in seconds. It
// accepts only what time.Parse(time.RFC3339, ...) accepts, with the same
// result; ok is false for anything else (fractions of a second, fields out of
// range, other shapes), which the caller hands to time.Parse for the result
// or the error.
func scanRFC3339(b []byte) (unix int64, offset int, ok bool) {
	if len(b) != len("2006-01-02T15:04:05Z") && len(b) != len("2006-01-02T15:04:05-07:00") {
		return 0, 0, false
	}
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	hi, ok1 := digits2(b, 0)
	lo, ok2 := digits2(b, 2)
	month, ok3 := digits2(b, 5)
	day, ok4 := digits2(b, 8)
	hour, ok5 := digits2(b, 11)
	minute, ok6 := digits2(b, 14)
	sec, ok7 := digits2(b, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, 0, false
	}
	year := hi*100 + lo
	if month < 1 || month > 12 || day < 1 || day > calendar.DaysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, false
	}
	if len(b) == len("2006-01-02T15:04:05Z") {
		if b[19] != 'Z' {
			return 0, 0, false
		}
	} else {
		if (b[19] != '+' && b[19] != '-') || b[22] != ':' {
			return 0, 0, false
		}
		oh, ok1 := digits2(b, 20)
		om, ok2 := digits2(b, 23)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, 0, false
		}
		offset = (oh*60 + om) * 60
		if b[19] == '-' {
			offset = -offset
		}
	}
	unix = calendar.DaysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - int64(offset)
	return unix, offset, true
}

func digits2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}
