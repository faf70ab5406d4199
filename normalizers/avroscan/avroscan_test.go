package avroscan_test

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/avroscan"
	"github.com/wismo/wismo/normalizers/normalizertest"
	_ "github.com/wismo/wismo/normalizers/ups" // the table the mapping tests use
	"github.com/wismo/wismo/schemas"
)

var generic = avroscan.New(normalizers.GenericCarrier)

// TestFixtures writes the feed's sample containers when they are missing;
// normalizers/all's TestCarrierConformance checks their goldens.
func TestFixtures(t *testing.T) { ensureFixtures(t) }

func FuzzAvroScan(f *testing.F) {
	ensureFixtures(f)
	normalizertest.Seeds(f, "avro/*.avro")
	f.Add(datum(f, upsDP()))
	f.Add(datum(f, scan{Carrier: "", Tracking: "1Z999AA10123456784", Code: "DP", At: "2026-11-19T04:50:00"}))
	f.Add(ocf(f, schemas.Scan, "snappy", upsDP().native(), upsDP().native()))
	f.Fuzz(func(t *testing.T, data []byte) {
		normalizertest.FuzzNormalizer(t, generic, normalizers.Avro, data)
		normalizertest.FuzzNormalizer(t, avroscan.New("ups"), normalizers.Avro, data)
	})
}

// scan is one record of the feed, as a test writes it.
type scan struct {
	Carrier, Tracking, Service, Code, Subcode, Desc, EventType, At string
	Offset                                                         *int32
	City, Region, Postal, Country, Facility, ETA                   string
}

func (s scan) native() map[string]any {
	opt := func(v string) any {
		if v == "" {
			return nil
		}
		return goavro.Union("string", v)
	}
	var off any
	if s.Offset != nil {
		off = goavro.Union("int", *s.Offset)
	}
	return map[string]any{
		"carrier": s.Carrier, "tracking_number": s.Tracking, "service": opt(s.Service),
		"code": s.Code, "subcode": opt(s.Subcode), "description": opt(s.Desc),
		"event_type": opt(s.EventType), "occurred_at_local": s.At, "utc_offset_minutes": off,
		"city": opt(s.City), "region": opt(s.Region), "postal_code": opt(s.Postal),
		"country": opt(s.Country), "facility": opt(s.Facility), "estimated_delivery": opt(s.ETA),
	}
}

func minutes(m int32) *int32 { return &m }

func upsDP() scan {
	return scan{Carrier: "ups", Tracking: "1Z999AA10123456784", Code: "DP", Subcode: "I", Desc: "Departed from Facility",
		At: "2026-11-19T04:50:00-05:00", City: "Louisville", Region: "KY", Postal: "40209", Country: "US", Facility: "KYLOU"}
}

var scanCodec = func() *goavro.Codec {
	c, err := goavro.NewCodec(schemas.Scan)
	if err != nil {
		panic(err)
	}
	return c
}()

// datum encodes one plain Avro binary datum of scan.avsc.
func datum(tb testing.TB, s scan) []byte {
	tb.Helper()
	b, err := scanCodec.BinaryFromNative(nil, s.native())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// confluent frames a datum in the Confluent wire format.
func confluent(tb testing.TB, id uint32, s scan) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0}, id), datum(tb, s)...)
}

// ocf writes records with goavro's own container writer.
func ocf(tb testing.TB, schema, compression string, records ...map[string]any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schema, CompressionName: compression})
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range records {
		if err := w.Append([]any{r}); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// normalize runs n the way the normalize stage does.
func normalize(n normalizers.Normalizer, payload []byte) (*normalizers.Batch, error) {
	return normalizertest.Normalize(n, normalizers.Avro, payload, "")
}

func one(t *testing.T, n normalizers.Normalizer, s scan) event.Event {
	t.Helper()
	b, err := normalize(n, datum(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || len(b.Rejected) != 0 {
		t.Fatalf("want 1 event, got %d events, rejected %v", len(b.Events), b.Rejected)
	}
	return b.Events[0]
}

func TestMapping(t *testing.T) {
	base := upsDP()
	with := func(f func(*scan)) scan { s := base; f(&s); return s }
	cases := []struct {
		name                 string
		in                   scan
		carrier, typ, reason string
		display, rawCode     string
	}{
		{"ups table", base, "ups", "in_transit.departed_facility", "", "UPS", "DP"},
		{"codes in lower case", with(func(s *scan) { s.Code, s.Subcode = "dp", "i" }), "ups", "in_transit.departed_facility", "", "UPS", "dp"},
		{"carrier in capitals", with(func(s *scan) { s.Carrier = "UPS" }), "ups", "in_transit.departed_facility", "", "UPS", "DP"},
		{"ups description row", with(func(s *scan) {
			s.Code, s.Subcode, s.Desc = "ZZ", "X", "Severe weather conditions have delayed delivery."
		}),
			"ups", "exception.delayed_weather", "weather_delay", "UPS", "ZZ"},
		{"unknown ups code", with(func(s *scan) { s.Code = "Q7" }), "ups", "unknown.unmapped", "", "UPS", "Q7"},
		{"event_type wins", with(func(s *scan) { s.EventType = "in_transit.arrived_at_facility" }), "ups", "in_transit.arrived_at_facility", "", "UPS", "DP"},
		{"event_type in capitals", with(func(s *scan) { s.EventType = "In_Transit.Arrived_At_Facility" }), "ups", "in_transit.arrived_at_facility", "", "UPS", "DP"},
		{"bad event_type falls back to code", with(func(s *scan) { s.EventType = "in_transit.teleported" }), "ups", "in_transit.departed_facility", "", "UPS", "DP"},
		{"synthetic event_type not believed", with(func(s *scan) { s.EventType = "exception.stalled_in_transit" }), "ups", "in_transit.departed_facility", "", "UPS", "DP"},
		{"unknown carrier", with(func(s *scan) { s.Carrier, s.Code, s.Subcode = "gls", "INDELIVERY", "" }), "gls", "unknown.unmapped", "", "GLS", "INDELIVERY"},
		{"unknown carrier with event_type", with(func(s *scan) {
			s.Carrier, s.Code, s.Subcode, s.EventType = "dpd", "Courier", "", "out_for_delivery.out_for_delivery"
		}), "dpd", "out_for_delivery.out_for_delivery", "", "DPD", "Courier"},
		{"no code, event_type only", with(func(s *scan) { s.Code, s.Subcode, s.EventType = "", "", "delivered.to_neighbor" }), "ups", "delivered.to_neighbor", "", "UPS", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := one(t, generic, c.in)
			if e.Carrier != c.carrier || e.Type.Name != c.typ || e.Reason != c.reason || e.CarrierName != c.display || e.Raw.Code != c.rawCode {
				t.Errorf("got carrier %s (%s) type %s reason %q raw %q; want %s (%s) %s %q %q",
					e.Carrier, e.CarrierName, e.Type.Name, e.Reason, e.Raw.Code, c.carrier, c.display, c.typ, c.reason, c.rawCode)
			}
			if e.Raw.Description != c.in.Desc || e.TrackingNumber != "1Z999AA10123456784" {
				t.Errorf("raw %+v tracking %s", e.Raw, e.TrackingNumber)
			}
		})
	}
}

func TestFields(t *testing.T) {
	s := upsDP()
	s.Tracking = " 1z999aa1 0123456784 "
	s.Service, s.ETA = "UPS Ground", "2026-11-20T23:59:00"
	s.Region, s.Country = "ky", "us"
	e := one(t, generic, s)
	want := event.Location{City: "Louisville", Region: "KY", PostalCode: "40209", Country: "US", Facility: "KYLOU"}
	if e.TrackingNumber != "1Z999AA10123456784" || e.Service != "ground" || e.EstimatedDelivery != "2026-11-20" || e.Location != want {
		t.Errorf("got tracking %q service %q eta %q location %+v", e.TrackingNumber, e.Service, e.EstimatedDelivery, e.Location)
	}
	s.ETA = "next week"
	if e := one(t, generic, s); e.EstimatedDelivery != "" {
		t.Errorf("bad estimate kept: %q", e.EstimatedDelivery)
	}
}

func TestBoundCarrier(t *testing.T) {
	bound := avroscan.New("ups")
	if bound.Carrier() != "ups" || bound.DisplayName() != "UPS" || generic.DisplayName() != "GENERIC" {
		t.Fatalf("names: %s %s %s", bound.Carrier(), bound.DisplayName(), generic.DisplayName())
	}
	noCarrier := upsDP()
	noCarrier.Carrier = ""
	if e := one(t, bound, noCarrier); e.Carrier != "ups" || e.Type.Name != "in_transit.departed_facility" {
		t.Errorf("bound ups, record without carrier: %s %s", e.Carrier, e.Type.Name)
	}
	// A record that names its carrier is believed, whatever the topic.
	gls := upsDP()
	gls.Carrier = "gls"
	if e := one(t, bound, gls); e.Carrier != "gls" || e.CarrierName != "GLS" || e.Type.Name != "unknown.unmapped" {
		t.Errorf("bound ups, record of gls: %s %s %s", e.Carrier, e.CarrierName, e.Type.Name)
	}
	for _, c := range []string{"", "generic", "ups!", "u ps", strings.Repeat("x", 33), "ÜPS"} {
		s := upsDP()
		s.Carrier = c
		b, err := normalize(generic, datum(t, s))
		if err != nil || len(b.Events) != 0 || len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindValidate ||
			b.Rejected[0].Tracking != "1Z999AA10123456784" {
			t.Errorf("carrier %q on the generic feed: err %v events %d rejected %v", c, err, len(b.Events), b.Rejected)
		}
	}

	// Lookup hands out this package for carriers without their own Avro
	// decoder, and for "generic".
	for _, c := range []string{"ups", "generic"} {
		n, err := normalizers.Lookup(c, normalizers.Avro)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := n.(*avroscan.Normalizer); !ok || n.Carrier() != c {
			t.Errorf("Lookup(%s, avro) = %T %s", c, n, n.Carrier())
		}
	}
}

func TestTimeZones(t *testing.T) {
	cases := []struct {
		name    string
		at      string
		offset  *int32
		country string
		region  string
		utc     string
		local   int32
		src     event.TZSource
	}{
		{"offset in the string", "2026-11-19T04:50:00-05:00", nil, "US", "KY", "2026-11-19T09:50:00Z", -5 * 3600, event.TZCarrierOffset},
		{"offset in the string wins", "2026-11-19T04:50:00+01:00", minutes(-300), "US", "KY", "2026-11-19T03:50:00Z", 3600, event.TZCarrierOffset},
		{"utc_offset_minutes", "2026-11-19T04:50:00", minutes(-300), "", "", "2026-11-19T09:50:00Z", -5 * 3600, event.TZCarrierOffset},
		{"half-hour offset", "2026-11-19T15:20:00", minutes(330), "", "", "2026-11-19T09:50:00Z", 19800, event.TZCarrierOffset},
		{"fractional seconds", "2026-11-19T04:50:00.250", minutes(-300), "", "", "2026-11-19T09:50:00Z", -5 * 3600, event.TZCarrierOffset},
		{"from the location", "2026-11-19T04:50:00", nil, "US", "KY", "2026-11-19T09:50:00Z", -5 * 3600, event.TZLocation},
		{"from the location, summer time", "2026-07-01T12:00:00", nil, "US", "CA", "2026-07-01T19:00:00Z", -7 * 3600, event.TZLocation},
		{"assumed UTC", "2026-11-19T04:50:00", nil, "", "", "2026-11-19T04:50:00Z", 0, event.TZAssumedUTC},
		{"UTC instant, location", "2026-11-19T09:50:00Z", nil, "US", "KY", "2026-11-19T09:50:00Z", -5 * 3600, event.TZLocation},
		{"UTC instant plus utc_offset_minutes", "2026-11-19T09:50:00Z", minutes(-360), "US", "KY", "2026-11-19T09:50:00Z", -6 * 3600, event.TZCarrierOffset},
		{"space separator", "2026-11-19 04:50:00", minutes(-300), "", "", "2026-11-19T09:50:00Z", -5 * 3600, event.TZCarrierOffset},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := upsDP()
			s.At, s.Offset, s.Country, s.Region = c.at, c.offset, c.country, c.region
			e := one(t, generic, s)
			if got := e.OccurredAt.Format(time.RFC3339); got != c.utc || e.LocalOffset != c.local || e.TZSource != c.src {
				t.Errorf("got %s offset %d %s; want %s %d %s", got, e.LocalOffset, e.TZSource, c.utc, c.local, c.src)
			}
		})
	}

	bad := []struct {
		at     string
		offset *int32
		kind   normalizers.Kind
	}{
		{"", nil, normalizers.KindValidate},
		{"2026-02-30T10:00:00", nil, normalizers.KindTimestamp},
		{"2026-11-19", nil, normalizers.KindTimestamp},
		{"19/11/2026 04:50", nil, normalizers.KindTimestamp},
		{"2026-11-19T04:50:00", minutes(900), normalizers.KindTimestamp},
		{"2027-03-01T00:00:00Z", nil, normalizers.KindTimestamp}, // the future
		{"1970-01-01T00:00:00Z", nil, normalizers.KindTimestamp},
	}
	for _, c := range bad {
		s := upsDP()
		s.At, s.Offset = c.at, c.offset
		b, err := normalize(generic, datum(t, s))
		if len(b.Rejected) != 1 || b.Rejected[0].Kind != c.kind || len(b.Events) != 0 || err != nil {
			t.Errorf("time %q: err %v, rejected %v", c.at, err, b.Rejected)
		}
	}
}

func TestFraming(t *testing.T) {
	want := one(t, generic, upsDP())
	for name, p := range map[string][]byte{
		"confluent":      confluent(t, 42, upsDP()),
		"ocf null":       ocf(t, schemas.Scan, "null", upsDP().native()),
		"ocf deflate":    ocf(t, schemas.Scan, "deflate", upsDP().native()),
		"ocf snappy":     ocf(t, schemas.Scan, "snappy", upsDP().native()),
		"ocf duplicated": ocf(t, schemas.Scan, "deflate", upsDP().native(), upsDP().native()),
	} {
		b, err := normalize(generic, p)
		if err != nil || len(b.Events) != 1 || b.Events[0] != want {
			t.Errorf("%s: err %v, events %+v", name, err, b.Events)
		}
	}
	// An empty carrier starts a plain datum with byte 0, like a Confluent
	// frame; the datum must still be read.
	s := upsDP()
	s.Carrier = ""
	p := datum(t, s)
	if p[0] != 0 {
		t.Fatal("test premise: datum should start with 0")
	}
	if e := one(t, avroscan.New("ups"), s); e.ID != want.ID {
		t.Errorf("plain datum starting with 0: id %v, want %v", e.ID, want.ID)
	}
}

func TestContainer(t *testing.T) {
	good := upsDP()
	later := upsDP()
	later.Code, later.Subcode, later.Desc, later.At = "OT", "I", "Out For Delivery Today", "2026-11-20T08:02:00-06:00"
	noTracking := upsDP()
	noTracking.Tracking = ""
	badTime := upsDP()
	badTime.At = "2026-11-31T10:00:00"
	p := ocf(t, schemas.Scan, "null", good.native(), noTracking.native(), badTime.native(), later.native())
	b, err := normalize(generic, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || b.Events[1].Type.Name != "out_for_delivery.out_for_delivery" {
		t.Errorf("events: %+v", b.Events)
	}
	if len(b.Rejected) != 2 || b.Rejected[0].Kind != normalizers.KindValidate || !strings.Contains(b.Rejected[0].Msg, "record 2") ||
		b.Rejected[1].Kind != normalizers.KindTimestamp || !strings.Contains(b.Rejected[1].Msg, "record 3") {
		t.Errorf("rejected: %v", b.Rejected)
	}

	// A container whose records are all refused is not an error: the
	// rejections account for it.
	b, err = normalize(generic, ocf(t, schemas.Scan, "null", noTracking.native()))
	if err != nil || len(b.Rejected) != 1 {
		t.Errorf("all refused: %v %v", err, b.Rejected)
	}
	// A container with no records at all is empty.
	if _, err := normalize(generic, ocf(t, schemas.Scan, "null")); normalizers.KindOf(err) != normalizers.KindEmpty {
		t.Errorf("no records: %v", err)
	}
}

// aggregatorSchema is another producer's idea of a scan: other names and
// order, an enum carrier, extra fields, and no service or facility.
const aggregatorSchema = `{"type": "record", "name": "Checkpoint", "namespace": "com.example.tracking", "fields": [
  {"name": "checkpoint_id", "type": "string"},
  {"name": "received_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "tracking_number", "type": "string"},
  {"name": "carrier", "type": {"type": "enum", "name": "Carrier", "symbols": ["ups", "fedex", "usps", "royalmail"]}},
  {"name": "code", "type": "string"},
  {"name": "subcode", "type": ["null", "string"], "default": null},
  {"name": "description", "type": ["null", "string"], "default": null},
  {"name": "event_type", "type": ["null", "string"], "default": null},
  {"name": "occurred_at_local", "type": "string"},
  {"name": "utc_offset_minutes", "type": ["null", "long"], "default": null},
  {"name": "city", "type": ["null", "string"], "default": null},
  {"name": "region", "type": ["null", "string"], "default": null},
  {"name": "postal_code", "type": ["null", "string"], "default": null},
  {"name": "country", "type": ["null", {"type": "enum", "name": "Country", "symbols": ["US", "GB", "DE"]}], "default": null},
  {"name": "raw_payload", "type": ["null", "bytes"], "default": null},
  {"name": "hub", "type": ["null", {"type": "record", "name": "Hub", "fields": [{"name": "id", "type": "string"}, {"name": "kind", "type": "Carrier"}]}], "default": null}
]}`

func aggregatorRecord(checkpoint, tracking, carrier, code, sub, desc, eventType, at string, offset *int64, city, region, postal, country string) map[string]any {
	opt := func(v string) any {
		if v == "" {
			return nil
		}
		return goavro.Union("string", v)
	}
	var off, cc any
	if offset != nil {
		off = goavro.Union("long", *offset)
	}
	if country != "" {
		cc = goavro.Union("com.example.tracking.Country", country)
	}
	return map[string]any{
		"checkpoint_id": checkpoint, "received_at": time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		"tracking_number": tracking, "carrier": carrier, "code": code, "subcode": opt(sub),
		"description": opt(desc), "event_type": opt(eventType), "occurred_at_local": at, "utc_offset_minutes": off,
		"city": opt(city), "region": opt(region), "postal_code": opt(postal), "country": cc,
		"raw_payload": goavro.Union("bytes", []byte(`{"status":"x"}`)),
		"hub":         goavro.Union("com.example.tracking.Hub", map[string]any{"id": "H1", "kind": "ups"}),
	}
}

func TestWriterSchema(t *testing.T) {
	off := int64(-300)
	rec := aggregatorRecord("c-1", "1Z999AA10123456784", "ups", "DP", "I", "DEPARTURE SCAN", "", "2026-11-19T04:50:00", &off, "Louisville", "KY", "40209", "US")
	b, err := normalize(generic, ocf(t, aggregatorSchema, "deflate", rec))
	if err != nil {
		t.Fatal(err)
	}
	want := one(t, generic, upsDP())
	if len(b.Events) != 1 || b.Events[0].ID != want.ID || b.Events[0].Type != want.Type || b.Events[0].OccurredAt != want.OccurredAt {
		t.Errorf("aggregator schema: %+v, want the same scan as %+v", b.Events, want)
	}

	incompatible := map[string]string{
		"code is an int":     strings.Replace(schemas.Scan, `{"name": "code", "type": "string"`, `{"name": "code", "type": "int"`, 1),
		"no tracking number": strings.Replace(schemas.Scan, `"name": "tracking_number"`, `"name": "tracking_no"`, 1),
		"offset is a string": strings.Replace(schemas.Scan, `"type": ["null", "int"]`, `"type": ["null", "string"]`, 1),
		"time is a timestamp": strings.Replace(schemas.Scan, `{"name": "occurred_at_local", "type": "string"`,
			`{"name": "occurred_at_local", "type": {"type": "long", "logicalType": "timestamp-millis"}`, 1),
		"not a record": `"string"`,
	}
	for name, schema := range incompatible {
		if schema == schemas.Scan {
			t.Fatalf("%s: replacement did not apply", name)
		}
		_, err := normalize(generic, rawOCF(schema, "null", nil))
		if normalizers.KindOf(err) != normalizers.KindDecode || !strings.Contains(err.Error(), "compatible") {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Shapes goavro cannot decode safely are refused before it sees data.
	hostile := map[string]string{
		"array":     `{"name": "tags", "type": {"type": "array", "items": "null"}}`,
		"map":       `{"name": "attrs", "type": {"type": "map", "values": "string"}}`,
		"recursive": `{"name": "next", "type": ["null", "CarrierScan"]}`,
		"recursive, nested": `{"name": "n", "type": {"type": "record", "name": "Node", "fields": [
			{"name": "next", "type": ["null", "io.wismo.feed.v1.Node"]}]}}`,
		"decimal": `{"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 100000000, "scale": 99999999}}`,
	}
	for name, field := range hostile {
		schema := strings.Replace(schemas.Scan, `"fields": [`, `"fields": [`+field+",", 1)
		if _, err := goavro.NewCodec(schema); err != nil {
			t.Fatalf("%s: test schema does not compile: %v", name, err)
		}
		_, err := normalize(generic, rawOCF(schema, "null", nil))
		if normalizers.KindOf(err) != normalizers.KindDecode {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDedup(t *testing.T) {
	s := upsDP()
	first := one(t, generic, s)

	// The same scan resent, reworded, in another framing or through a topic
	// bound to its carrier is the same event.
	reworded := s
	reworded.Desc = "DEPARTURE SCAN"
	noCarrier := s
	noCarrier.Carrier = ""
	for name, e := range map[string]event.Event{
		"reworded":  one(t, generic, reworded),
		"bound ups": one(t, avroscan.New("ups"), noCarrier),
	} {
		if e.ID != first.ID {
			t.Errorf("%s: id %v, want %v", name, e.ID, first.ID)
		}
	}
	b, err := normalize(generic, ocf(t, schemas.Scan, "null", s.native(), reworded.native(), noCarrier.native()))
	if err != nil || len(b.Events) != 1 || b.Events[0].ID != first.ID || len(b.Rejected) != 1 {
		t.Errorf("duplicates in one container: %v %+v %v", err, b.Events, b.Rejected)
	}

	// The carrier is part of the identity.
	other := s
	other.Carrier = "gls"
	if e := one(t, generic, other); e.ID == first.ID {
		t.Error("same id for two carriers")
	}
	// So is the type when there is no code.
	a, c := s, s
	a.Code, a.Subcode, a.EventType = "", "", "delivered.to_neighbor"
	c.Code, c.Subcode, c.EventType = "", "", "delivered.left_at_safe_place"
	b, err = normalize(generic, ocf(t, schemas.Scan, "null", a.native(), c.native()))
	if err != nil || len(b.Events) != 2 {
		t.Errorf("two code-less scans at one time and place: %v %d", err, len(b.Events))
	}
}

func TestMalformed(t *testing.T) {
	whole := datum(t, upsDP())
	frame := confluent(t, 7, upsDP())
	container := ocf(t, schemas.Scan, "deflate", upsDP().native())
	corruptSync := bytes.Clone(container)
	corruptSync[len(corruptSync)-1] ^= 0xff
	wrongMagic := bytes.Clone(frame)
	wrongMagic[0] = 1

	var bomb bytes.Buffer
	zw, _ := flate.NewWriter(&bomb, flate.BestCompression)
	zw.Write(make([]byte, 80<<20))
	zw.Close()

	cases := map[string][]byte{
		"empty":                 {},
		"garbage":               []byte("\xde\xad\xbe\xef garbage"),
		"json":                  []byte(`{"carrier":"ups"}`),
		"truncated datum":       whole[:len(whole)-3],
		"trailing bytes":        append(bytes.Clone(whole), 0, 0),
		"truncated frame":       frame[:len(frame)-1],
		"wrong magic":           wrongMagic,
		"frame with no datum":   frame[:5],
		"truncated container":   container[:len(container)-5],
		"container header only": container[:4],
		"corrupt sync marker":   corruptSync,
		"unsupported codec":     rawOCF(schemas.Scan, "zstandard", nil),
		"no schema":             append([]byte("Obj\x01\x00"), make([]byte, 16)...),
		"metadata count bomb":   append([]byte("Obj\x01"), 0xfe, 0xff, 0xff, 0xff, 0x0f),
		"block count bomb":      rawOCF(schemas.Scan, "null", [][]byte{whole}, 1<<40),
		"extra bytes in block":  rawOCF(schemas.Scan, "null", [][]byte{append(bytes.Clone(whole), 7)}),
		"deflate bomb":          rawOCF(schemas.Scan, "deflate", [][]byte{bomb.Bytes()}, 1),
		"schema not JSON":       rawOCF("{", "null", nil),
		"deep schema":           rawOCF(strings.Repeat("[", 20000), "null", nil),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := normalize(generic, p)
			if normalizers.KindOf(err) != normalizers.KindDecode || len(b.Events) != 0 {
				t.Errorf("got %v, %d events", err, len(b.Events))
			}
		})
	}
}

// rawOCF frames blocks as an object container by hand, for the inputs
// goavro's writer refuses to produce. A block's record count is given after
// the blocks, else 1.
func rawOCF(schema, codec string, blocks [][]byte, counts ...int64) []byte {
	long := func(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }
	str := func(b []byte, s string) []byte { return append(long(b, int64(len(s))), s...) }
	sync := []byte("0123456789abcdef")
	p := []byte("Obj\x01")
	p = long(p, 2)
	p = str(str(p, "avro.schema"), schema)
	p = str(str(p, "avro.codec"), codec)
	p = long(p, 0)
	p = append(p, sync...)
	for i, blk := range blocks {
		n := int64(1)
		if i < len(counts) {
			n = counts[i]
		}
		p = long(p, n)
		p = long(p, int64(len(blk)))
		p = append(p, blk...)
		p = append(p, sync...)
	}
	return p
}

// A 3PL may copy a carrier's "signed for by" line into description, or a
// person into facility: events withhold the name.
func TestNamesAreWithheld(t *testing.T) {
	s := upsDP()
	s.Code, s.Subcode, s.Desc, s.Facility = "KB", "D", "Delivered - signed for by: JANE ROE", "LEFT WITH: JOHN ROE"
	e := one(t, generic, s)
	if strings.Contains(e.Raw.Description, "ROE") || strings.Contains(e.Location.Facility, "ROE") ||
		e.Raw.Description != "Delivered - signed for by: "+normalizers.Redacted || e.Type.Milestone != "delivered" {
		t.Errorf("description %q, facility %q, type %s", e.Raw.Description, e.Location.Facility, e.Type.Name)
	}
}
