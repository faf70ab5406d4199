package event

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/taxonomy"
)

func sample() Event {
	return Event{
		ID:             ID{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		Carrier:        "ups",
		CarrierName:    "UPS",
		TrackingNumber: "1Z999AA10123456784",
		Service:        "ground",
		Type:           taxonomy.MustLookup("in_transit.departed_facility"),
		OccurredAt:     time.Date(2026, 11, 21, 15, 4, 5, 0, time.UTC),
		LocalOffset:    -5 * 3600,
		TZSource:       TZCarrierOffset,
		Location:       Location{City: "LOUISVILLE", Region: "KY", PostalCode: "40209", Country: "US"},
		Raw:            Raw{Code: "DP", Type: "I", Description: "Departed from Facility"},
		Lineage:        Lineage{Topic: "raw.ups", Partition: 3, Offset: 1812},
	}
}

// The JSON form must carry every field of the contract's example with the
// same names and the same derived values.
func TestJSONMatchesContract(t *testing.T) {
	e := sample()
	var got map[string]any
	if err := json.Unmarshal(AppendJSON(nil, &e), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schema_version": 1.0, "shipment_id": "ups:1Z999AA10123456784", "carrier": "ups",
		"tracking_number": "1Z999AA10123456784", "service": "ground", "milestone": "in_transit",
		"event_type": "in_transit.departed_facility", "class": "noise", "reason": "",
		"occurred_at": "2026-11-21T15:04:05Z", "occurred_at_local": "2026-11-21T10:04:05-05:00",
		"tz_source": "carrier_offset", "source": "carrier",
		"message":  "Your parcel left a UPS facility in Louisville, KY.",
		"event_id": "deadbeef0102030405060708090a0b0c",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	loc := got["location"].(map[string]any)
	if loc["city"] != "LOUISVILLE" || loc["region"] != "KY" || loc["postal_code"] != "40209" || loc["country"] != "US" {
		t.Errorf("location = %v", loc)
	}
	if _, ok := loc["facility"]; !ok {
		t.Error("location.facility missing")
	}
	raw := got["raw"].(map[string]any)
	if raw["code"] != "DP" || raw["type"] != "I" || raw["description"] != "Departed from Facility" {
		t.Errorf("raw = %v", raw)
	}
	lin := got["lineage"].(map[string]any)
	if lin["topic"] != "raw.ups" || lin["partition"] != 3.0 || lin["offset"] != 1812.0 {
		t.Errorf("lineage = %v", lin)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	e := sample()
	e.EstimatedDelivery = "2026-11-23"
	e.Destination = Location{City: "Fresno", Region: "CA", Country: "US"}
	e.Feed = "easypost"
	var back Event
	if err := UnmarshalJSON(AppendJSON(nil, &e), &back); err != nil {
		t.Fatal(err)
	}
	e.CarrierName = "" // display name is not on the wire
	if !reflect.DeepEqual(e, back) {
		t.Errorf("round trip changed the event:\n got %+v\nwant %+v", back, e)
	}
}

func TestAvroRoundTrip(t *testing.T) {
	c, err := NewAvroCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := sample()
	e.Reason = "carrier_sorting_error"
	e.Origin = Location{City: "Salem", Region: "OR", Country: "US"}
	bin, err := c.Append(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := c.Decode(bin, &back); err != nil {
		t.Fatal(err)
	}
	e.CarrierName = ""
	if !reflect.DeepEqual(e, back) {
		t.Errorf("Avro round trip changed the event:\n got %+v\nwant %+v", back, e)
	}
	if err := c.Decode(append(bin, 0), &back); err == nil {
		t.Error("trailing bytes accepted")
	}
	if err := c.Decode(bin[:len(bin)/2], &back); err == nil {
		t.Error("truncated datum accepted")
	}
}

// Whatever a carrier sends, the output must be valid JSON.
func TestJSONEscaping(t *testing.T) {
	e := sample()
	e.Raw.Description = "quote\" back\\slash\nnew\ttab \x01 bad\xff utf8 \u2028 ünïcödé"
	e.Location.City = "Zürich"
	out := AppendJSON(nil, &e)
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	var back Event
	if err := UnmarshalJSON(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Raw.Description != "quote\" back\\slash\nnew\ttab \x01 bad\ufffd utf8 \u2028 ünïcödé" {
		t.Errorf("description came back as %q", back.Raw.Description)
	}
	if !strings.Contains(string(out), `in Zürich, KY.`) {
		t.Errorf("message with a non-ASCII place: %s", out)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good := string(AppendJSON(nil, ptr(sample())))
	for name, in := range map[string]string{
		"not json":       "{",
		"wrong version":  strings.Replace(good, `"schema_version":1`, `"schema_version":2`, 1),
		"unknown type":   strings.Replace(good, "in_transit.departed_facility", "in_transit.teleported", 1),
		"bad id":         strings.Replace(good, "deadbeef", "zzzz", 1),
		"bad time":       strings.Replace(good, "2026-11-21T15:04:05Z", "yesterday", 1),
		"no tracking":    strings.Replace(good, `"tracking_number":"1Z999AA10123456784"`, `"tracking_number":""`, 1),
		"bad local time": strings.Replace(good, "2026-11-21T10:04:05-05:00", "10:04", 1),
	} {
		var e Event
		if err := UnmarshalJSON([]byte(in), &e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func ptr(e Event) *Event { return &e }

func TestAppendLocal(t *testing.T) {
	at := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	for off, want := range map[int32]string{
		0: "2024-01-10T12:00:00+00:00", -12600: "2024-01-10T08:30:00-03:30", 20700: "2024-01-10T17:45:00+05:45",
	} {
		if got := string(AppendLocal(nil, at, off)); got != want {
			t.Errorf("offset %d: %s, want %s", off, got, want)
		}
	}
}

func TestPlace(t *testing.T) {
	for _, c := range []struct {
		l    Location
		want string
	}{
		{Location{City: "NEW YORK", Region: "NY", Country: "US"}, "New York, NY"},
		{Location{City: "McAllen", Region: "TX", Country: "US"}, "McAllen, TX"},
		{Location{City: "Koeln", Country: "DE"}, "Koeln, DE"},
		{Location{City: "WINSTON-SALEM", Region: "NC", Country: "US"}, "Winston-Salem, NC"},
		{Location{Region: "NY", Country: "US"}, ""},
	} {
		e := Event{Location: c.l}
		v := e.Values()
		got := ""
		if v.City != "" {
			got = string(taxonomy.AppendTitleCase(nil, v.City))
			if v.Area != "" {
				got += ", " + v.Area
			}
		}
		if got != c.want {
			t.Errorf("%+v: %q, want %q", c.l, got, c.want)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := sample()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendJSON(buf[:0], &e)
	}
}

// The hand-written encoder must produce exactly what goavro produces from
// the schema, for every shape of event.
func TestAvroEncoderMatchesGoavro(t *testing.T) {
	c, err := NewAvroCodec()
	if err != nil {
		t.Fatal(err)
	}
	events := []Event{sample()}
	e := sample()
	e.LocalOffset = 19800
	e.Reason = "weather_delay"
	e.Raw.Description = "Zürich \u2028 \"quoted\" " + strings.Repeat("long ", 40)
	e.Location = Location{City: "ZÜRICH", Country: "CH", Facility: "ZRH1"}
	e.Lineage = Lineage{Topic: "raw.dhl", Partition: 11, Offset: 1 << 40}
	e.EstimatedDelivery = "2026-11-24"
	e.Feed = "aftership"
	e.Origin = Location{City: "Köln", Country: "DE", PostalCode: "51147"}
	e.Destination = Location{City: "Fresno", Region: "CA", Country: "US"}
	e.Source = FromPipeline
	e.Type = taxonomy.MustLookup("attempt_failed.business_closed")
	events = append(events, e)
	// The rendered fields (times, message, next step) are written after a
	// one-byte length that moves when it needs two or three bytes: cities
	// of every length around 64 and 8192 bytes cross those sizes.
	for _, n := range []int{0, 1, 20, 30, 8120, 8150} {
		for i := range 40 {
			e := sample()
			e.Type = taxonomy.MustLookup("attempt_failed.business_closed")
			e.Location.City = strings.Repeat("ö", (n+i)/2) + strings.Repeat("x", (n+i)%2)
			events = append(events, e)
		}
	}
	for i := range events {
		want, err := c.Append(nil, &events[i])
		if err != nil {
			t.Fatal(err)
		}
		got := AppendAvro([]byte("prefix"), &events[i])[len("prefix"):]
		if string(got) != string(want) {
			t.Errorf("event %d: hand-written Avro differs from goavro:\n got %x\nwant %x", i, got, want)
		}
	}
	// Invalid UTF-8 is replaced, and the result still decodes.
	bad := sample()
	bad.Raw.Description = "bad\xff"
	bad.Location.City = "Z\xffrich"
	var back Event
	if err := c.Decode(AppendAvro(nil, &bad), &back); err != nil || back.Raw.Description != "bad\ufffd" ||
		!strings.Contains(back.Message(), "Z\ufffdrich") {
		t.Errorf("invalid UTF-8: %v %q %q", err, back.Raw.Description, back.Message())
	}
}

func BenchmarkAvroEncoder(b *testing.B) {
	e := sample()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendAvro(buf[:0], &e)
	}
}

func BenchmarkAvroGoavro(b *testing.B) {
	e := sample()
	c, _ := NewAvroCodec()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.Append(nil, &e); err != nil {
			b.Fatal(err)
		}
	}
}

// A canonical event dated outside the supported range (year 9999 made the
// detector's 32-bit times wrap and backtest hang) is a decode error in every
// decoder, naming the range.
func TestDecodersRejectTimesOutsideRange(t *testing.T) {
	c, err := NewAvroCodec()
	if err != nil {
		t.Fatal(err)
	}
	var enc AvroEncoder
	for _, at := range []time.Time{
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1900, 6, 1, 0, 0, 0, 0, time.UTC),
		MaxTime, MinTime.Add(-time.Second),
	} {
		e := sample()
		e.OccurredAt = at
		var back Event
		check := func(decoder string, err error) {
			t.Helper()
			if err == nil || !strings.Contains(err.Error(), "outside the supported range 2000-01-01 .. 2099-12-31") {
				t.Errorf("%s, occurred_at %s: error %v, want the supported range", decoder, at, err)
			}
		}
		check("JSON", UnmarshalJSON(AppendJSON(nil, &e), &back))
		bin := enc.Append(nil, &e)
		var d AvroDecoder
		check("AvroDecoder", d.Decode(bin, &back))
		check("goavro", c.Decode(bin, &back))
	}
	for _, at := range []time.Time{MinTime, MaxTime.Add(-time.Second)} {
		e := sample()
		e.OccurredAt = at
		var back Event
		if err := UnmarshalJSON(AppendJSON(nil, &e), &back); err != nil {
			t.Errorf("%s, at the edge of the range: %v", at, err)
		}
	}
}

// An event whose tracking number or carrier is not one (300 KB, terminal
// escapes) is refused by every decoder, with a bounded message: the detect
// stage dead-letters it instead of keeping state and metric labels under it.
func TestDecodersRefuseBadTrackingNumbers(t *testing.T) {
	c := newCodec(t)
	var d AvroDecoder
	var enc AvroEncoder
	type field struct{ name, bad string }
	var cases []field
	for _, bad := range []string{strings.Repeat("1Z", 150_000), "1Z9\x1b[31m\a", "1Z 9", "1Zé"} {
		cases = append(cases, field{"tracking_number", bad})
	}
	for _, bad := range []string{strings.Repeat("ups", 100_000), "UPS", "up\x1bs", "ünï", "bad\xfe"} {
		cases = append(cases, field{"carrier", bad})
	}
	for _, f := range cases {
		bad := f.bad
		e := sample()
		if f.name == "carrier" {
			e.Carrier = bad
		} else {
			e.TrackingNumber = bad
		}
		var got Event
		errs := map[string]error{
			"json":        UnmarshalJSON(AppendJSON(nil, &e), &got),
			"AvroDecoder": d.Decode(enc.Append(nil, &e), &got),
			"goavro":      c.Decode(enc.Append(nil, &e), &got),
		}
		for name, err := range errs {
			if err == nil || !strings.Contains(err.Error(), f.name) || len(err.Error()) > 200 || strings.ContainsAny(err.Error(), "\x1b\a") {
				t.Errorf("%s, %.20q: %.300v", name, bad, err)
			}
		}
	}
}
