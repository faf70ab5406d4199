package normalizers

import (
	"fmt"
	"github.com/wismo/wismo/event"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A tracking number becomes a shipment id, a Kafka key and a ClickHouse
// sort key: 300 KB of it, or terminal escapes in it, are refused scan by
// scan (kind validate), with a bounded, escaped message.
func TestBatchRefusesBadTrackingNumbers(t *testing.T) {
	wall := time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC)
	for _, bad := range []string{
		strings.Repeat("1Z", 150_000),
		"1Z999AA1\x1b[31m0123456784",
		"1Z999AA1\a0123456784",
		"1Z999 AA10123456784",
		"1Z999AA1012345678\u00e9",
		"1Z\xff",
		strings.Repeat("9", MaxTrackingLen+1),
		"",
	} {
		s := scanAt(wall, 0, true)
		s.TrackingNumber = bad
		b := NewBatch()
		err := Normalize(&fakeCarrier{scans: []Scan{s}}, &Input{Payload: []byte("{}"), Now: now}, b, 0)
		if err != nil || len(b.Events) != 0 || len(b.Rejected) != 1 {
			t.Errorf("%.20q: err %v, %d events, %d rejections; want the scan rejected", bad, err, len(b.Events), len(b.Rejected))
			continue
		}
		r := b.Rejected[0]
		msg := r.Error()
		if r.Kind != KindValidate || !strings.Contains(msg, "tracking number") || len(msg) > 200 ||
			strings.ContainsAny(msg, "\x1b\a") || !utf8.ValidString(msg) {
			t.Errorf("%.20q: rejection %s %.300q", bad, r.Kind, msg)
		}

		b.resetFor("fake", "Fake", "fake", &Input{Now: now})
		b.Pending(bad, "TW0001", "not found")
		if len(b.Events) != 0 || len(b.Rejected) != 1 || b.Rejected[0].Kind != KindValidate {
			t.Errorf("%.20q: a pending event was made for it", bad)
		}
	}
	// Real formats pass: UPS, FedEx (12, 15, 20, 34 digits), USPS (22,
	// and 34 with the ZIP+4 routing prefix), DHL Express and eCommerce,
	// an S10 number, a DPD number.
	for _, good := range []string{
		"1Z999AA10123456784", "776094337676", "123456789012345", "96119876543210987654",
		"9622001900005105596800123456789012", "9400110200828077631698",
		"4202940194001102008280776316981234", "7777777770", "JJD000390007881867436",
		"GM2951173225174494", "CX123456789DE", "01234567890123", "00340434292135100124",
	} {
		s := scanAt(wall, 0, true)
		s.TrackingNumber = good
		b := NewBatch()
		if err := Normalize(&fakeCarrier{scans: []Scan{s}}, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil || len(b.Events) != 1 {
			t.Errorf("%s: %v, %d events; a real tracking number was refused", good, err, len(b.Events))
		}
	}
}

// A decoder's own error naming a garbage tracking number prints it bounded
// and escaped.
func TestErrorQuotesBadTracking(t *testing.T) {
	e := &Error{Kind: KindCarrierError, Carrier: "fedex", Tracking: "\x1b]0;pwned\a" + strings.Repeat("X", 100_000), Msg: "boom"}
	if msg := e.Error(); len(msg) > 120 || strings.ContainsAny(msg, "\x1b\a") {
		t.Errorf("Error() = %.200q", msg)
	}
	if msg := (&Error{Kind: KindValidate, Carrier: "ups", Tracking: "1Z9", Msg: "m"}).Error(); msg != "ups 1Z9: validate: m" {
		t.Errorf("Error() = %q", msg)
	}
}

// An absurd code or description is kept bounded in the event; two scans
// that differ past the bound stay two events.
func TestBatchBoundsScanTexts(t *testing.T) {
	wall := time.Date(2024, 7, 2, 8, 0, 0, 0, time.UTC)
	long := strings.Repeat("Z", 200_000)
	a, c := scanAt(wall, 0, true), scanAt(wall, 0, true)
	a.Raw.Code, c.Raw.Code = long+"1", long+"2"
	a.Raw.Description = strings.Repeat("é", 100_000)
	a.Location.City = long
	a.Location.Facility = long
	c.Origin.PostalCode = long
	b := NewBatch()
	if err := Normalize(&fakeCarrier{scans: []Scan{a, c}}, &Input{Payload: []byte("{}"), Now: now}, b, 0); err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 {
		t.Fatalf("%d events, want 2", len(b.Events))
	}
	for _, e := range b.Events {
		for name, v := range map[string]string{"code": e.Raw.Code, "description": e.Raw.Description,
			"city": e.Location.City, "facility": e.Location.Facility, "origin postal code": e.Origin.PostalCode} {
			if len(v) > maxDescriptionLen || !utf8.ValidString(v) {
				t.Errorf("%s kept %d bytes (valid UTF-8: %v)", name, len(v), utf8.ValidString(v))
			}
		}
		if len(e.Raw.Code) != maxCodeLen {
			t.Errorf("code cut to %d bytes, want %d", len(e.Raw.Code), maxCodeLen)
		}
	}
	// A rejection repeats a bounded code.
	bad := scanAt(time.Time{}, 0, false)
	bad.Raw.Code = "\x1b[2J" + long
	b = NewBatch()
	_ = Normalize(&fakeCarrier{scans: []Scan{bad}}, &Input{Payload: []byte("{}"), Now: now}, b, 0)
	if len(b.Rejected) != 1 || len(b.Rejected[0].Error()) > 200 || strings.Contains(b.Rejected[0].Error(), "\x1b") {
		t.Errorf("%d rejections, first %.200q", len(b.Rejected), fmt.Sprint(b.Rejected))
	}
}

// BenchmarkScanBounds is what the tracking-number check and the text
// bounds add to every scan.
func BenchmarkScanBounds(bm *testing.B) {
	e := event.Event{TrackingNumber: "1Z81WV380316886897", Service: "ground", Raw: event.Raw{Code: "DP", Type: "I", Description: "Departed from Facility"},
		Location: event.Location{City: "Louisville", Region: "KY", PostalCode: "40209", Country: "US", Facility: "KYLOU"}}
	bm.ReportAllocs()
	for i := 0; i < bm.N; i++ {
		if !ValidTracking(e.TrackingNumber) {
			bm.Fatal("refused")
		}
		clipEvent(&e)
	}
}
