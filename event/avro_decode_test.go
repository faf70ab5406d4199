package event

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wismo/wismo/taxonomy"
)

func newCodec(tb testing.TB) *AvroCodec {
	tb.Helper()
	c, err := NewAvroCodec()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// goldenEvents reads the canonical events of the carrier goldens (NDJSON;
// lines starting with # are notes about rejected payloads).
func goldenEvents(tb testing.TB) []Event {
	tb.Helper()
	files, err := filepath.Glob("../testdata/carriers/*/*.golden")
	if err != nil {
		tb.Fatal(err)
	}
	var out []Event
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			var e Event
			if err := UnmarshalJSON(line, &e); err != nil {
				tb.Errorf("%s:%d: %v", name, n, err)
				continue
			}
			out = append(out, e)
		}
	}
	return out
}

// variedEvents makes events of every shape: every taxonomy type, every tz
// source, both sources, empty and long and non-ASCII strings, extreme
// lineage numbers and offsets, with and without origin, destination and
// estimated delivery, and synthetic pipeline events as detect makes them.
func variedEvents() []Event {
	rng := rand.New(rand.NewPCG(7, 11))
	texts := []string{
		"", "a", "LOUISVILLE", "Zürich", "東京都", "São Paulo", "Straße 1 📦", "quote\" back\\slash\nnl\ttab",
		"\u2028\u2029", "\x00nul", strings.Repeat("x", 63), strings.Repeat("y", 64), strings.Repeat("z", 127),
		strings.Repeat("é", 100), strings.Repeat("long ", 1700), "bad\xffutf8", "\xc3",
	}
	pick := func() string { return texts[rng.IntN(len(texts))] }
	carriers := []string{"ups", "fedex", "usps", "dhl", "canada_post", "x", "royal-mail", "c0"} // carrier keys; decoders refuse others
	offsets := []int32{0, -5 * 3600, 5*3600 + 1800, 5*3600 + 2700, -(3*3600 + 1800), 14 * 3600, -12 * 3600, 23*3600 + 59*60, -(23*3600 + 59*60), 3600}
	partitions := []int32{0, 1, 63, 64, -1, -65, math.MaxInt32, math.MinInt32}
	lineOffsets := []int64{0, 1, 1812, 1 << 40, -1, math.MaxInt64, math.MinInt64}
	types := taxonomy.All()
	location := func() Location {
		if rng.IntN(3) == 0 {
			return Location{}
		}
		return Location{City: pick(), Region: pick(), PostalCode: pick(), Country: pick(), Facility: pick()}
	}
	var out []Event
	for i := 0; i < 3*len(types)+50; i++ {
		var e Event
		for j := range e.ID {
			e.ID[j] = byte(rng.Uint32())
		}
		e.Carrier = carriers[rng.IntN(len(carriers))]
		if rng.IntN(4) == 0 {
			e.CarrierName = "Display " + e.Carrier
		}
		e.TrackingNumber = fmt.Sprintf("1Z%016X", rng.Uint64())
		if i%17 == 0 { // any printable ASCII; other bytes are refused
			e.TrackingNumber = fmt.Sprintf(`1Z-%d/"\~!`, i)
		}
		e.Service = pick()
		e.Type = types[i%len(types)]
		e.Reason = pick()
		// Whole seconds in the supported range: what decoders accept.
		e.OccurredAt = time.Unix(MinTime.Unix()+rng.Int64N(MaxTime.Unix()-MinTime.Unix()), 0).UTC()
		e.LocalOffset = offsets[rng.IntN(len(offsets))]
		e.TZSource = TZSource(i % 3)
		e.Location = location()
		e.Raw = Raw{Code: pick(), Type: pick(), Description: pick()}
		e.Source = Source(i / 3 % 2)
		e.Lineage = Lineage{Topic: pick(), Partition: partitions[rng.IntN(len(partitions))], Offset: lineOffsets[rng.IntN(len(lineOffsets))]}
		if rng.IntN(2) == 0 {
			e.EstimatedDelivery = "2026-11-23"
		}
		e.Origin = location()
		e.Destination = location()
		e.Feed = pick()
		out = append(out, e)
	}
	// Synthetic stall events, as detect makes them.
	for _, name := range []string{"exception.stalled_pre_transit", "exception.stalled_in_transit", "exception.stalled_out_for_delivery"} {
		t := taxonomy.MustLookup(name)
		out = append(out, Event{
			ID: ID{1, 2, 3}, Carrier: "ups", TrackingNumber: "1Z999AA10123456784", Service: "ground",
			Type: t, Reason: t.Reason, OccurredAt: time.Unix(1800000000, 0).UTC(),
			TZSource: TZAssumedUTC, Source: FromPipeline,
		}, Event{
			ID: ID{4, 5, 6}, Carrier: "fedex", TrackingNumber: "771234567890",
			Type: t, Reason: t.Reason, OccurredAt: time.Unix(1800000000, 0).UTC(), LocalOffset: -4 * 3600,
			TZSource: TZLocation, Source: FromPipeline,
		})
	}
	return append(out, sample())
}

// wireForm is what an event becomes on the wire: the display name is not
// sent, and AvroEncoder turns invalid UTF-8 into U+FFFD.
func wireForm(e Event, validUTF8 bool) Event {
	e.CarrierName = ""
	if !validUTF8 {
		return e
	}
	for _, s := range eventStrings(&e) {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
	}
	return e
}

func eventStrings(e *Event) []*string {
	out := []*string{&e.Carrier, &e.TrackingNumber, &e.Service, &e.Reason,
		&e.Raw.Code, &e.Raw.Type, &e.Raw.Description, &e.Lineage.Topic, &e.EstimatedDelivery, &e.Feed}
	for _, l := range []*Location{&e.Location, &e.Origin, &e.Destination} {
		out = append(out, &l.City, &l.Region, &l.PostalCode, &l.Country, &l.Facility)
	}
	return out
}

// checkBoth decodes bin with AvroDecoder and with goavro and requires the
// same Event, equal to want.
func checkBoth(t *testing.T, what string, d *AvroDecoder, c *AvroCodec, bin []byte, want Event) {
	t.Helper()
	// Decode into dirty events: both must overwrite every field.
	got, ref := sample(), sample()
	if err := d.Decode(bin, &got); err != nil {
		t.Errorf("%s: AvroDecoder: %v", what, err)
		return
	}
	if err := c.Decode(bin, &ref); err != nil {
		t.Errorf("%s: goavro: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("%s: decoders differ:\n    AvroDecoder %+v\n         goavro %+v", what, got, ref)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: decoded event differs from the encoded one:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestAvroDecoderRoundTrip(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	var enc AvroEncoder
	for i, e := range variedEvents() {
		checkBoth(t, fmt.Sprintf("event %d, AvroEncoder", i), &d, c, enc.Append(nil, &e), wireForm(e, true))
		bin, err := c.Append(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		// goavro writes strings as they are, invalid UTF-8 included, and
		// both decoders give them back as they are.
		checkBoth(t, fmt.Sprintf("event %d, goavro", i), &d, c, bin, wireForm(e, false))
	}
}

// Every canonical event in the carrier goldens: JSON to Event, Event to
// Avro, and back with both decoders.
func TestAvroDecoderGoldens(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	var enc AvroEncoder
	events := goldenEvents(t)
	if len(events) < 50 {
		t.Fatalf("only %d golden events", len(events))
	}
	for i, e := range events {
		checkBoth(t, fmt.Sprintf("golden %d (%s)", i, e.ID), &d, c, enc.Append(nil, &e), e)
	}
}

// A record written before the feed field existed (the same datum without
// its last field) still decodes, with feed "", so events on the topics
// during an upgrade are not rejected.
func TestAvroDecoderPreFeedRecord(t *testing.T) {
	var d AvroDecoder
	var enc AvroEncoder
	for i, e := range variedEvents()[:40] {
		e.Feed = ""
		bin := enc.Append(nil, &e)
		if bin[len(bin)-1] != 0 {
			t.Fatalf("event %d: an empty feed should encode as one zero byte", i)
		}
		var got, want Event
		if err := d.Decode(bin, &want); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if err := d.Decode(bin[:len(bin)-1], &got); err != nil {
			t.Fatalf("event %d: pre-feed record rejected: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d: pre-feed record decoded differently from the same record with an empty feed", i)
		}
	}
}

// Every strict prefix of a valid datum is an error for both decoders, and
// leaves the event alone.
func TestAvroDecoderTruncated(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	var enc AvroEncoder
	events := append(variedEvents()[:40], goldenEvents(t)[:10]...)
	for i, e := range events {
		bin := enc.Append(nil, &e)
		noFeed := e
		noFeed.Feed = ""
		preFeed := enc.Append(nil, &noFeed)
		preFeed = preFeed[:len(preFeed)-1] // the datum of the schema before feed
		for n := 0; n < len(bin); n++ {
			// Long strings: every cut near the ends, a sample in the middle.
			if n > 300 && n < len(bin)-300 && n%61 != 0 {
				continue
			}
			if bytes.Equal(bin[:n], preFeed) {
				continue // a valid record of the previous schema: TestAvroDecoderPreFeedRecord
			}
			got := sample()
			err := d.Decode(bin[:n], &got)
			if err == nil {
				t.Fatalf("event %d: AvroDecoder accepted %d of %d bytes", i, n, len(bin))
			}
			if !reflect.DeepEqual(got, sample()) {
				t.Fatalf("event %d: failed decode of %d bytes changed the event", i, n)
			}
			if c.Decode(bin[:n], &got) == nil {
				t.Fatalf("event %d: goavro accepted %d of %d bytes", i, n, len(bin))
			}
		}
		if err := d.Decode(append(bin, 0), new(Event)); err == nil || err.Error() != "event: avro: 1 trailing bytes" {
			t.Errorf("event %d: trailing byte: %v", i, err)
		}
	}
}

// wireDatum encodes the native map of e with changes, through goavro: a way
// to put any value in any field.
func wireDatum(t *testing.T, c *AvroCodec, change map[string]any) []byte {
	t.Helper()
	e := sample()
	m := native(&e)
	for k, v := range change {
		if sub, field, ok := strings.Cut(k, "."); ok {
			m[sub].(map[string]any)[field] = v
		} else {
			m[k] = v
		}
	}
	bin, err := c.codec.BinaryFromNative(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// The checks after the Avro layer are those of UnmarshalJSON, in the same
// order and with the same messages.
func TestAvroDecoderChecksLikeGoavro(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	times := []string{
		"", "yesterday", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2024-04-31T12:00:00Z", "2000-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "2024-01-01T23:60:00Z",
		"2024-01-01T12:00:00.123Z", "2024-01-01T12:00:00.123456789+05:30", "2024-01-01T12:00:00.Z",
		"2024-01-01T12:00:00,5Z", "2024-01-01t12:00:00z", "2024-01-01T12:00:00z", "2024-01-01 12:00:00Z",
		"2024-01-01T12:00:00+24:00", "2024-01-01T12:00:00+23:59", "2024-01-01T12:00:00-23:59",
		"2024-01-01T12:00:00+23:60", "2024-01-01T12:00:00-24:60", "2024-01-01T12:00:00+05:5",
		"2024-01-01T12:00:00-00:00", "2024-01-01T12:00:00+00:00", "2024-01-01T12:00:00+0530",
		"2024-01-01T12:00:00+05:30x", "2024-01-01T1:00:00Z", "2024-1-01T12:00:00Z", "2024-01-01T12:00Z",
		"0000-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00",
		"+2024-01-01T12:00:00Z", "2024-00-01T12:00:00Z", "2024-13-01T12:00:00Z", "2024-01-00T12:00:00Z",
		"2024-01-0aT12:00:00Z", "2024-01-01T12:00:00+0a:00", "2024-01-01T12:00:00Z ", "٢٠٢٤-01-01T12:00:00Z",
	}
	changes := []map[string]any{
		{},
		{"schema_version": int32(2)}, {"schema_version": int32(0)}, {"schema_version": int32(-1)},
		{"event_id": ""}, {"event_id": "deadbeef"}, {"event_id": strings.Repeat("z", 32)},
		{"event_id": "DEADBEEF0102030405060708090A0B0C"}, {"event_id": "deadbeef0102030405060708090a0b0c0"},
		{"event_type": "in_transit.teleported"}, {"event_type": ""}, {"event_type": "delivered.signed"},
		{"event_type": "in_transit.accepted_at_origin_facility"},
		{"carrier": ""}, {"tracking_number": ""}, {"carrier": "", "event_type": "x"},
		{"tz_source": "location"}, {"tz_source": "carrier_offset"}, {"tz_source": "assumed_utc"}, {"tz_source": "LOCATION"}, {"tz_source": ""},
		{"source": "pipeline"}, {"source": "carrier"}, {"source": "Pipeline"}, {"source": ""},
		// Derived fields are not checked against the type, by either decoder.
		{"milestone": "nonsense", "class": "", "message": "x", "next_step": "y", "shipment_id": ""},
		{"lineage.partition": int32(math.MinInt32), "lineage.offset": int64(math.MinInt64)},
		{"location.city": "bad\xff", "raw.description": "\xc0\x80", "origin.facility": "ZRH1"},
	}
	for _, s := range times {
		changes = append(changes, map[string]any{"occurred_at": s}, map[string]any{"occurred_at_local": s})
	}
	for _, change := range changes {
		bin := wireDatum(t, c, change)
		got, ref := sample(), sample()
		err := d.Decode(bin, &got)
		rerr := c.Decode(bin, &ref)
		switch {
		case (err == nil) != (rerr == nil):
			t.Errorf("%v: AvroDecoder: %v; goavro: %v", change, err, rerr)
		case err != nil && err.Error() != rerr.Error():
			t.Errorf("%v: messages differ:\n    AvroDecoder %v\n         goavro %v", change, err, rerr)
		case !reflect.DeepEqual(got, ref):
			t.Errorf("%v: decoders differ:\n    AvroDecoder %+v\n         goavro %+v", change, got, ref)
		}
	}
}

// overlongVarint is an Avro int or long written with n bytes where fewer would
// do.
func overlongVarint(v int64, n int) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	var out []byte
	for i := 0; i < n-1; i++ {
		out = append(out, byte(u&0x7f)|0x80)
		u >>= 7
	}
	return append(out, byte(u&0x7f))
}

// Damage to the Avro layer itself.
func TestAvroDecoderRejectsBadAvro(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	var enc AvroEncoder
	s := sample()
	good := enc.Append(nil, &s)
	// good[0] is the schema version, good[1] the length of the event id.
	afterVersion := good[1:]
	cases := map[string][]byte{
		"empty":                   {},
		"truncated varint":        {0x02, 0x80},
		"negative length":         append([]byte{0x02, 0x01}, good[2:]...),
		"length past the end":     append([]byte{0x02, 0x80, 0x80, 0x80, 0x04}, good[2:]...),
		"huge length":             append(append([]byte{0x02}, binary.AppendVarint(nil, math.MaxInt64)...), good[2:]...),
		"huge negative length":    append(append([]byte{0x02}, binary.AppendVarint(nil, math.MinInt64)...), good[2:]...),
		"length one past the end": append(bytes.Clone(good[:len(good)-1]), 0x02),
		"trailing byte":           append(bytes.Clone(good), 0),
		"two datums":              append(bytes.Clone(good), good...),
		"all continuation":        bytes.Repeat([]byte{0xff}, 64),
	}
	for name, bin := range cases {
		if err := d.Decode(bin, new(Event)); err == nil || !strings.HasPrefix(err.Error(), "event: avro: ") {
			t.Errorf("%s: AvroDecoder: %v", name, err)
		}
		if err := c.Decode(bin, new(Event)); err == nil {
			t.Errorf("%s: goavro accepted it", name)
		}
	}
	// Longer than needed but within 10 bytes and the type's range: valid
	// Avro, accepted by both.
	for _, n := range []int{2, 5} {
		bin := append(overlongVarint(SchemaVersion, n), afterVersion...)
		checkBoth(t, fmt.Sprintf("schema_version in %d bytes", n), &d, c, bin, wireForm(s, true))
	}
	bin := append(overlongVarint(SchemaVersion, 10), afterVersion...)
	checkBoth(t, "schema_version in 10 bytes", &d, c, bin, wireForm(s, true))

	// goavro reads varints of any length and drops the high bits: an int
	// of 11 bytes, an int beyond 32 bits (schema_version 1+2^32 reads as 1)
	// or a long beyond 64 bits decodes as if it were fine. That is
	// corrupt data read as a valid event; AvroDecoder rejects it, like
	// encoding/binary.Varint. (The fuzz target allows exactly this
	// difference, checking that it comes with errAvroVarint.)
	stricter := map[string][]byte{
		"int in 11 bytes":            append(overlongVarint(SchemaVersion, 11), afterVersion...),
		"int beyond 32 bits":         append(binary.AppendVarint(nil, 1+1<<32), afterVersion...),
		"10th byte beyond 64 bits":   append(append(append([]byte{0x82}, bytes.Repeat([]byte{0x80}, 8)...), 0x7e), afterVersion...),
		"string length in 11 bytes":  append(append([]byte{0x02}, overlongVarint(32, 11)...), good[2:]...),
		"partition beyond 32 bits":   lineageWith(good, binary.AppendVarint(nil, 1<<40), []byte{0}),
		"offset in 12 bytes":         lineageWith(good, []byte{0}, overlongVarint(5, 12)),
		"offset 10th byte too large": lineageWith(good, []byte{0}, append(bytes.Repeat([]byte{0x80}, 9), 0x02)),
	}
	for name, bin := range stricter {
		err := d.Decode(bin, new(Event))
		if !errors.Is(err, errAvroVarint) {
			t.Errorf("%s: AvroDecoder: %v, want errAvroVarint", name, err)
		}
		if err := c.Decode(bin, new(Event)); err == nil {
			t.Logf("%s: goavro accepts it", name)
		}
	}
}

// lineageWith replaces the lineage's partition and offset in the encoding of
// sample() (partition 3, offset 1812, then an empty estimated_delivery,
// two empty locations and an empty feed).
func lineageWith(good, partition, offset []byte) []byte {
	tail := []byte{0x06, 0xa8, 0x1c} // 3, 1812
	tail = append(tail, make([]byte, 12)...)
	if !bytes.HasSuffix(good, tail) {
		panic("sample's encoding changed")
	}
	out := bytes.Clone(good[:len(good)-len(tail)])
	out = append(out, partition...)
	out = append(out, offset...)
	return append(out, make([]byte, 11)...)
}

func TestScanRFC3339(t *testing.T) {
	for _, s := range []string{
		"2026-11-21T15:04:05Z", "2026-11-21T10:04:05-05:00", "2024-02-29T23:59:59+14:00", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z", "2024-01-10T08:30:00-03:30", "1970-01-01T00:00:00+23:59", "1969-12-31T23:59:59-23:59",
		"2024-01-01T12:00:00-00:00", "2100-02-28T00:00:00Z",
	} {
		unix, off, ok := scanRFC3339([]byte(s))
		at := time.Unix(unix, 0).UTC()
		want, err := time.Parse(time.RFC3339, s)
		if !ok || err != nil {
			t.Errorf("%s: fast path %v, time.Parse %v", s, ok, err)
			continue
		}
		if _, wantOff := want.Zone(); !reflect.DeepEqual(at, want.UTC()) || off != wantOff {
			t.Errorf("%s: %v %d, want %v %d", s, at, off, want.UTC(), wantOff)
		}
	}
	// Days all through years 0 to 9999 (every one of the first and last
	// years, then one in about 15) in both shapes, at random times and
	// offsets.
	rng := rand.New(rand.NewPCG(3, 5))
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for day := int64(0); day < 10000*366; day++ {
		if day > 2*366 && day < 9998*365 {
			day += rng.Int64N(30)
		}
		u := first + day*86400 + rng.Int64N(86400)
		if time.Unix(u, 0).UTC().Year() > 9999 {
			break
		}
		off := int32(rng.IntN(48*60-1)-(24*60-1)) * 60 // -23:59 to +23:59
		for _, b := range [][]byte{AppendUTC(nil, time.Unix(u, 0)), AppendLocal(nil, time.Unix(u, 0), off)} {
			unix, gotOff, ok := scanRFC3339(b)
			want, err := time.Parse(time.RFC3339, string(b))
			if err != nil {
				continue // local years beyond 9999 or before 0
			}
			if _, wantOff := want.Zone(); !ok || unix != want.Unix() || gotOff != wantOff {
				t.Fatalf("%s: %v %d %d, want %d %d", b, ok, unix, gotOff, want.Unix(), wantOff)
			}
		}
	}
	for _, s := range []string{"2100-02-29T00:00:00Z", "2024-01-01T12:00:00.5Z", "2024-01-01T12:00:00+24:00", "2024-01-01T12:00:00z"} {
		if _, _, ok := scanRFC3339([]byte(s)); ok {
			t.Errorf("%s: fast path took it", s)
		}
	}
}

// The intern table stays bounded whatever the data, and values beyond it
// still decode.
func TestAvroDecoderInternBounded(t *testing.T) {
	var d AvroDecoder
	var enc AvroEncoder
	e := sample()
	e.Service = strings.Repeat("s", maxInternLen+1)
	for i := 0; i < maxInterned+100; i++ {
		e.Carrier = fmt.Sprintf("c%d", i)
		var back Event
		if err := d.Decode(enc.Append(nil, &e), &back); err != nil {
			t.Fatal(err)
		}
		if back.Carrier != e.Carrier || back.Service != e.Service {
			t.Fatalf("got %q %q", back.Carrier, back.Service)
		}
	}
	if len(d.intern) > maxInterned {
		t.Errorf("%d interned strings", len(d.intern))
	}
	if _, ok := d.intern[e.Service]; ok {
		t.Error("a long string was interned")
	}
}

// After the intern table has warmed up, an event costs one allocation: the
// block of its high-cardinality strings.
func TestAvroDecoderAllocs(t *testing.T) {
	var d AvroDecoder
	var enc AvroEncoder
	e := benchEvent(t)
	bin := enc.Append(nil, &e)
	var back Event
	if a := testing.AllocsPerRun(100, func() {
		if err := d.Decode(bin, &back); err != nil {
			t.Fatal(err)
		}
	}); a > 1 {
		t.Errorf("%v allocations per decode", a)
	}
}

func TestAvroTypesMatchTaxonomy(t *testing.T) {
	for _, typ := range taxonomy.All() {
		if got, _ := taxonomy.Lookup(typ.Name); avroTypes()[typ.Name] != got {
			t.Errorf("%s: different type", typ.Name)
		}
	}
	if len(avroTypes()) != len(taxonomy.All()) {
		t.Errorf("%d types, taxonomy has %d", len(avroTypes()), len(taxonomy.All()))
	}
}

// encodable says whether AvroEncoder's output for e decodes again: decoders
// refuse times outside the supported range, and the encoding cannot carry
// local years outside 0 to 9999, nor the offsets of 25 hours
// that time.Parse allows in occurred_at_local ("+24:60" is read as 25 hours;
// AppendLocal writes "+25:00", which time.Parse then rejects).
func encodable(e *Event) bool {
	local := e.OccurredAt.Add(time.Duration(e.LocalOffset) * time.Second)
	off := e.LocalOffset
	if off < 0 {
		off = -off
	}
	return CheckTime(e.OccurredAt) == nil &&
		local.Year() >= 0 && local.Year() <= 9999 && off < 25*3600
}

func FuzzAvroDecoder(f *testing.F) {
	c := newCodec(f)
	var enc AvroEncoder
	events := append(variedEvents()[:30], goldenEvents(f)[:20]...)
	for i, e := range events {
		bin := enc.Append(nil, &e)
		if len(bin) > 1024 {
			// Large seeds make the fuzzer spend its time minimizing.
			continue
		}
		f.Add(bin)
		f.Add(bin[:len(bin)/2])
		f.Add(bin[:len(bin)-1-i%7])
		if gb, err := c.Append(nil, &e); err == nil && !bytes.Equal(gb, bin) {
			f.Add(gb)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x02, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d AvroDecoder
		got, ref := sample(), sample()
		err := d.Decode(data, &got)
		rerr := c.Decode(data, &ref)
		if err != nil {
			if !reflect.DeepEqual(got, sample()) {
				t.Fatal("a failed decode changed the event")
			}
			switch {
			case rerr == nil || !strings.HasPrefix(rerr.Error(), "event: avro: "):
				// Only goavro's lenient varints (see
				// TestAvroDecoderRejectsBadAvro) may get past goavro's
				// Avro layer alone; then the checks after it apply.
				if !errors.Is(err, errAvroVarint) && (rerr == nil || err.Error() != rerr.Error()) {
					t.Fatalf("AvroDecoder: %v; goavro: %v", err, rerr)
				}
			case !strings.HasPrefix(err.Error(), "event: avro: ") && err.Error() != rerr.Error():
				t.Fatalf("messages differ:\n    AvroDecoder %v\n         goavro %v", err, rerr)
			}
			return
		}
		if rerr != nil {
			// A record of the schema before feed: goavro has no schema
			// resolution, but that datum plus an empty feed is the same
			// record in the current schema.
			ref = sample()
			if c.Decode(append(bytes.Clone(data), 0), &ref) != nil {
				t.Fatalf("AvroDecoder accepted what goavro rejects: %v", rerr)
			}
		}
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("decoders differ:\n    AvroDecoder %+v\n         goavro %+v", got, ref)
		}
		// Encode again and decode: the same event, less what the encoding
		// cannot carry (invalid UTF-8, fractions of a second).
		again := enc.Append(nil, &got)
		var back Event
		berr := d.Decode(again, &back)
		if !encodable(&got) {
			if berr == nil {
				t.Fatalf("%+v: re-encoded and decoded again although not encodable", got)
			}
			return
		}
		if berr != nil {
			t.Fatalf("re-encoded event does not decode: %v\n%+v", berr, got)
		}
		want := wireForm(got, true)
		want.OccurredAt = time.Unix(got.OccurredAt.Unix(), 0).UTC()
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("re-encoding changed the event:\n got %+v\nwant %+v", back, want)
		}
	})
}

// benchEvent is a realistic event: the first of a UPS golden, with lineage.
func benchEvent(tb testing.TB) Event {
	tb.Helper()
	data, err := os.ReadFile("../testdata/carriers/ups/track-v1-ground-delivered-photo.json.golden")
	if err != nil {
		tb.Fatal(err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	var e Event
	if err := UnmarshalJSON(line, &e); err != nil {
		tb.Fatal(err)
	}
	e.Lineage = Lineage{Topic: "raw.ups", Partition: 7, Offset: 123456789}
	return e
}

func BenchmarkAvroDecode(b *testing.B) {
	e := benchEvent(b)
	var enc AvroEncoder
	bin := enc.Append(nil, &e)
	b.Run("AvroDecoder", func(b *testing.B) {
		var d AvroDecoder
		var back Event
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		for b.Loop() {
			if err := d.Decode(bin, &back); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goavro", func(b *testing.B) {
		c := newCodec(b)
		var back Event
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Decode(bin, &back); err != nil {
				b.Fatal(err)
			}
		}
	})
}
