package normalizers

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

func TestParseISO(t *testing.T) {
	for _, c := range []struct {
		in        string
		ok        bool
		wall, utc string
		offset    int32
		hasOffset bool
	}{
		{in: "2024-04-26T07:50:00-07:00", ok: true, wall: "2024-04-26T07:50:00Z", offset: -25200, hasOffset: true},
		{in: "2024-08-15T00:00:00", ok: true, wall: "2024-08-15T00:00:00Z"},
		{in: "2024-11-18T10:43:00Z", ok: true, utc: "2024-11-18T10:43:00Z"},
		{in: "2024-11-18T10:43:00.123+0530", ok: true, wall: "2024-11-18T10:43:00Z", offset: 19800, hasOffset: true},
		{in: "2023-03-08 16:14:00", ok: true, wall: "2023-03-08T16:14:00Z"},
		{in: "2023-03-08T16:14", ok: true, wall: "2023-03-08T16:14:00Z"},
		{in: "2024-02-30T10:00:00", ok: false},
		{in: "2024-13-01T10:00:00", ok: false},
		{in: "2024-01-01T25:00:00", ok: false},
		{in: "2024-01-01T10:00:00+25:00", ok: false},
		{in: "2024-01-01T10:00:00 junk", ok: false},
		{in: "20240101", ok: false},
		{in: "", ok: false},
	} {
		got, ok := ParseISO([]byte(c.in))
		if ok != c.ok {
			t.Errorf("%q: ok=%v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if c.wall != "" && got.Wall.Format(time.RFC3339) != c.wall {
			t.Errorf("%q: wall %s, want %s", c.in, got.Wall.Format(time.RFC3339), c.wall)
		}
		if c.utc != "" && got.UTC.Format(time.RFC3339) != c.utc {
			t.Errorf("%q: utc %s, want %s", c.in, got.UTC.Format(time.RFC3339), c.utc)
		}
		if got.Offset != c.offset || got.HasOffset != c.hasOffset {
			t.Errorf("%q: offset %d/%v, want %d/%v", c.in, got.Offset, got.HasOffset, c.offset, c.hasOffset)
		}
	}
}

func TestParseCompactAndOffset(t *testing.T) {
	if w, ok := ParseCompact([]byte("20240202"), []byte("120435")); !ok || w != time.Date(2024, 2, 2, 12, 4, 35, 0, time.UTC) {
		t.Errorf("ParseCompact = %v %v", w, ok)
	}
	if w, ok := ParseCompact([]byte("20240202"), []byte("20:04:35")); !ok || w.Hour() != 20 {
		t.Errorf("ParseCompact with colons = %v %v", w, ok)
	}
	if _, ok := ParseCompact([]byte("2024020"), []byte("120435")); ok {
		t.Error("short date accepted")
	}
	if _, ok := ParseCompact([]byte("20240202"), []byte("1204x5")); ok {
		t.Error("bad time accepted")
	}
	for in, want := range map[string]int32{"-08:00": -28800, "+0530": 19800, "+05": 18000, "Z": 0} {
		if got, ok := ParseOffset([]byte(in)); !ok || got != want {
			t.Errorf("ParseOffset(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "08:00", "+8", "+08:0", "+99:00", "+08:60"} {
		if _, ok := ParseOffset([]byte(bad)); ok {
			t.Errorf("ParseOffset(%q) accepted", bad)
		}
	}
}

func TestTable(t *testing.T) {
	tab, err := LoadTable("test", []byte(strings.Join([]string{
		"# comment",
		"DE\t08\t*\tattempt_failed.recipient_unavailable",
		"DE\t*\tbusiness closed\tattempt_failed.business_closed\tconsignee_business_closed",
		"DE\t*\t*\texception.generic",
		"*\tX\t*\texception.generic",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	check := func(code, sub, text, want string) {
		t.Helper()
		m := tab.Lookup(code, sub, text)
		got := "<nil>"
		if m != nil {
			got = m.Type.Name
		}
		if got != want {
			t.Errorf("Lookup(%q,%q,%q) = %s, want %s", code, sub, text, got, want)
		}
	}
	check("DE", "08", "", "attempt_failed.recipient_unavailable")
	check("DE", "99", "The BUSINESS CLOSED early", "attempt_failed.business_closed")
	check("DE", "99", "other", "exception.generic")
	check("ZZ", "X", "", "exception.generic")
	check("ZZ", "I", "", "<nil>")
	if m := tab.Lookup("DE", "1", "business closed"); m.Reason != "consignee_business_closed" {
		t.Errorf("reason = %q", m.Reason)
	}
	for _, bad := range []string{"A\tB\tC", "A\t*\t*\tno.such_type", "A\t\t*\tunknown.unmapped", "A\t*\t*\tunknown.unmapped\tr\textra"} {
		if _, err := LoadTable("bad", []byte(bad)); err == nil {
			t.Errorf("LoadTable(%q) accepted a bad row", bad)
		}
	}
}

type fakeCarrier struct{ scans []Scan }

func (*fakeCarrier) Carrier() string     { return "fake" }
func (*fakeCarrier) DisplayName() string { return "Fake" }
func (*fakeCarrier) Formats() []Format   { return []Format{JSON} }
func (f *fakeCarrier) Normalize(in *Input, b *Batch) error {
	if string(in.Payload) == "panic" {
		var s []int
		_ = s[len(in.Payload)] // a decoder bug: index out of range
	}
	for i := range f.scans {
		b.Add(&f.scans[i])
	}
	return nil
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func scanAt(wall time.Time, offset int32, has bool) Scan {
	return Scan{TrackingNumber: "T1", Type: taxonomy.MustLookup("in_transit.departed_facility"),
		Time:     Time{Wall: wall, Offset: offset, HasOffset: has},
		Location: event.Location{City: "Fremont", Region: "CA", Country: "US"},
		Raw:      event.Raw{Code: "DP", Type: "I"}}
}

func TestBatchTimeZones(t *testing.T) {
	wall := time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC)
	carrierOffset := scanAt(wall, -7*3600, true)
	fromLocation := scanAt(wall, 0, false)
	fromLocation.Raw.Code = "AR" // distinct scans: the id ignores how the zone was found
	nowhere := scanAt(wall, 0, false)
	nowhere.Location = event.Location{City: "Atlantis"}
	utcOnly := scanAt(time.Time{}, 0, false)
	utcOnly.Time.UTC = wall
	f := &fakeCarrier{scans: []Scan{carrierOffset, fromLocation, nowhere, utcOnly}}
	b := NewBatch()
	if err := Normalize(f, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		utc    string
		offset int32
		src    event.TZSource
	}{
		// oldest first; scans of the same instant keep their order
		{"2024-07-02T08:00:00Z", 0, event.TZAssumedUTC},
		{"2024-07-02T08:00:00Z", -25200, event.TZLocation},
		{"2024-07-02T15:00:00Z", -25200, event.TZCarrierOffset},
		{"2024-07-02T15:00:00Z", -25200, event.TZLocation}, // PDT in July
	}
	if len(b.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(b.Events), len(want))
	}
	for i, w := range want {
		e := b.Events[i]
		if e.OccurredAt.Format(time.RFC3339) != w.utc || e.LocalOffset != w.offset || e.TZSource != w.src {
			t.Errorf("event %d: %s %d %s, want %s %d %s", i, e.OccurredAt.Format(time.RFC3339), e.LocalOffset, e.TZSource, w.utc, w.offset, w.src)
		}
	}
}

func TestBatchDedupAndDeterministicIDs(t *testing.T) {
	s := scanAt(time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC), -7*3600, true)
	other := s
	other.Raw.Code = "AR"
	f := &fakeCarrier{scans: []Scan{s, other, s}}
	b := NewBatch()
	if err := Normalize(f, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 {
		t.Fatalf("%d events, want 2: the repeated scan must be emitted once", len(b.Events))
	}
	first := b.Events[0].ID
	// The same scan in a later payload (a resent history) gets the same id,
	// even when the carrier rewords its description.
	s.Raw.Description = "reworded"
	f.scans = []Scan{s}
	if err := Normalize(f, &Input{Payload: []byte("{}"), Now: now.Add(time.Hour)}, b, 0); err != nil {
		t.Fatal(err)
	}
	if b.Events[0].ID != first {
		t.Error("a resent scan got a different event id")
	}
	if b.Events[0].ID == (event.ID{}) {
		t.Error("zero id")
	}
}

func TestBatchRejectsAbsurdTimes(t *testing.T) {
	good := scanAt(time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC), 0, true)
	old := scanAt(time.Date(1998, 8, 30, 10, 0, 0, 0, time.UTC), 0, true)
	future := scanAt(now.Add(49*time.Hour), 0, true)
	soon := scanAt(now.Add(47*time.Hour), 0, true)
	none := scanAt(time.Time{}, 0, false)
	f := &fakeCarrier{scans: []Scan{old, good, future, soon, none}}
	b := NewBatch()
	if err := Normalize(f, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || len(b.Rejected) != 3 {
		t.Fatalf("%d events and %d rejections, want 2 and 3", len(b.Events), len(b.Rejected))
	}
	for _, r := range b.Rejected {
		if r.Kind != KindTimestamp {
			t.Errorf("rejection kind %s", r.Kind)
		}
	}
	if !strings.Contains(b.Rejected[0].Error(), "1998-08-30") {
		t.Errorf("rejection does not say the time: %v", b.Rejected[0])
	}
}

func TestNormalizeGuards(t *testing.T) {
	f := &fakeCarrier{}
	b := NewBatch()
	if err := Normalize(f, &Input{Payload: make([]byte, 100)}, b, 10); KindOf(err) != KindTooLarge {
		t.Errorf("oversized payload: %v", err)
	}
	if err := Normalize(f, &Input{Payload: []byte("panic")}, b, 0); KindOf(err) != KindDecode || !strings.Contains(err.Error(), "decoder failed") {
		t.Errorf("decoder panic: %v", err)
	}
	if err := Normalize(f, &Input{Payload: []byte("{}")}, b, 0); KindOf(err) != KindEmpty {
		t.Errorf("empty payload: %v", err)
	}
	if KindOf(errors.New("x")) != KindDecode {
		t.Error("plain errors are decode errors")
	}
}

func TestPending(t *testing.T) {
	b := NewBatch()
	b.resetFor("fake", "Fake", "fake", &Input{Now: now})
	b.Pending("T1", "TW0001", "not found")
	b.Pending("T1", "TW0001", "not found")
	if len(b.Events) != 1 || b.Events[0].Type != taxonomy.Pending || b.Events[0].TrackingNumber != "T1" {
		t.Fatalf("events = %+v", b.Events)
	}
	id := b.Events[0].ID
	b.resetFor("fake", "Fake", "fake", &Input{Now: now.Add(time.Hour)})
	b.Pending("T1", "TW0001", "not found")
	if b.Events[0].ID != id {
		t.Error("the same not-found answer polled again must keep its id")
	}
}

// A feed's pending event and scans name the parcel's carrier, not the
// feed, with that carrier's display name, also when a reused batch's next
// payload names another carrier whose key lives in the rewound arena.
func TestScanCarrierOverridesTheFeed(t *testing.T) {
	b := NewBatch()
	b.ReuseStrings = true
	b.resetFor("feed", "Feed", "feed", &Input{Now: now})
	b.PendingFor("ups", "T1", "Pending", "")
	if e := b.Events[0]; e.Carrier != "ups" || e.CarrierName != event.DisplayName("ups") || e.Feed != "feed" {
		t.Fatalf("pending event %s %q feed %q", e.Carrier, e.CarrierName, e.Feed)
	}
	for _, key := range []string{"acmepost", "zetapost"} {
		b.resetFor("feed", "Feed", "feed", &Input{Now: now})
		s := scanAt(time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC), 0, true)
		s.Carrier = b.Str([]byte(key)) // in the arena, as a decoder's copy is
		b.Add(&s)
		if e := b.Events[0]; e.Carrier != key || e.CarrierName != strings.ToUpper(key) || e.Feed != "feed" {
			t.Errorf("scan of %s: carrier %s %q feed %q", key, e.Carrier, e.CarrierName, e.Feed)
		}
	}
}

func TestServiceKeyAndArena(t *testing.T) {
	b := NewBatch()
	for _, c := range []struct{ in, prefix, want string }{
		{"UPS Ground", "ups", "ground"},
		{"UPS Express®", "ups", "express"},
		{"PRIORITY_OVERNIGHT", "fedex", "priority_overnight"},
		{"FedEx Priority Overnight", "fedex", "priority_overnight"},
		{"USPS Ground Advantage<SUP>&#153;</SUP>", "usps", "ground_advantage"},
		{"Priority Mail 2-Day&lt;SUP&gt;&#153;&lt;", "usps", "priority_mail_2_day_sup"},
		{"USPS", "usps", "usps"},
		{"", "ups", ""},
	} {
		if got := b.ServiceKey([]byte(c.in), c.prefix); got != c.want {
			t.Errorf("ServiceKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	src := []byte(" 1z999aa1 ")
	s := b.Upper(src)
	src[1] = 'X'
	if s != "1Z999AA1" {
		t.Errorf("Upper = %q; arena strings must not alias the input", s)
	}
	big := strings.Repeat("a", arenaChunk)
	if got := b.Str([]byte(big)); got != big {
		t.Error("large value corrupted")
	}
}

func TestLookup(t *testing.T) {
	_, err := Lookup("nope", "")
	if KindOf(err) != KindUnsupportedCarrier || !strings.Contains(err.Error(), "known:") {
		t.Errorf("unknown carrier: %v", err)
	}
	if _, err := ParseFormat("csv"); err == nil {
		t.Error("csv accepted")
	}
}

func TestDetectFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"  <TrackResponse/>": XML, "\xef\xbb\xbf<x/>": XML, "\n{\"a\":1}": JSON, "[1]": JSON,
		"Obj\x01": Avro, "": Avro,
	} {
		if got := DetectFormat([]byte(in), Avro); got != want {
			t.Errorf("DetectFormat(%q) = %s, want %s", in, got, want)
		}
	}
	r, err := XMLCharsetReader("ISO-8859-1", strings.NewReader("K\xf6ln"))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if _, err := io.Copy(&sb, r); err != nil || sb.String() != "Köln" {
		t.Errorf("Latin-1: %q %v", sb.String(), err)
	}
	if _, err := XMLCharsetReader("shift_jis", strings.NewReader("")); err == nil {
		t.Error("an unknown charset was accepted")
	}
}

// A scan's place decides its zone; the shipment's ends stand in only for a
// scan in their country or in none named. A scan in Spain (several zones,
// no region given) on its way to Italy was put on Rome's clock; it is
// assumed UTC, and a scan with no country still takes its end's zone.
func TestBatchZoneOfOtherCountry(t *testing.T) {
	wall := time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC)
	inSpain := scanAt(wall, 0, false)
	inSpain.Location = event.Location{City: "Barcelona", Country: "ES"}
	inSpain.Origin = event.Location{Country: "ES"}
	inSpain.Destination = event.Location{Country: "IT"}
	noCountry := inSpain
	noCountry.Raw.Code = "X2"
	noCountry.Location = event.Location{City: "Milan"}
	f := &fakeCarrier{scans: []Scan{inSpain, noCountry}}
	b := NewBatch()
	if err := Normalize(f, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil {
		t.Fatal(err)
	}
	got := map[string]event.TZSource{}
	for _, e := range b.Events {
		got[e.Location.City] = e.TZSource
	}
	if got["Barcelona"] != event.TZAssumedUTC || got["Milan"] != event.TZLocation {
		t.Errorf("Barcelona %v (want assumed_utc), Milan %v (want location)", got["Barcelona"], got["Milan"])
	}
}
