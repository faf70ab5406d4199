package canadapost

import (
	"testing"
	"time"

	"github.com/wismo/wismo/normalizers"
)

func run(t *testing.T, payload, hint string) (*normalizers.Batch, error) {
	t.Helper()
	b := normalizers.NewBatch()
	err := normalizers.Normalize(New(), &normalizers.Input{Payload: []byte(payload), Format: normalizers.XML, TrackingHint: hint,
		Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, b, 1<<20)
	return b, err
}

// Canada Post's messages body: "No Pin History" is a pending shipment,
// anything else a carrier error.
func TestMessages(t *testing.T) {
	const noHistory = `<?xml version="1.0" encoding="UTF-8"?><messages xmlns="http://www.canadapost.ca/ws/messages"><message><code>004</code><description>No Pin History</description></message></messages>`
	b, err := run(t, noHistory, "1234567890123456")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" {
		t.Fatalf("no pin history: %v, %+v", err, b.Events)
	}
	if _, err := run(t, noHistory, ""); normalizers.KindOf(err) != normalizers.KindNotFound {
		t.Errorf("no pin history without a hint: %v, want not_found", err)
	}
	_, err = run(t, `<messages><message><code>E002</code><description>AA004: You cannot mix the test and production environments</description></message></messages>`, "")
	if normalizers.KindOf(err) != normalizers.KindCarrierError {
		t.Errorf("other message: %v, want carrier_error", err)
	}
}

// event-time-zone names a zone, not an offset: Canada Post writes "MST" in
// September, when Calgary keeps daylight time (UTC-6).
func TestZoneNamesAZone(t *testing.T) {
	b, err := run(t, `<tracking-detail><pin>123</pin><significant-events><occurrence><event-identifier>1496</event-identifier><event-date>2015-09-23</event-date><event-time>11:59:59</event-time><event-time-zone>MST</event-time-zone><event-description>Item successfully delivered</event-description><signatory-name>J DOE</signatory-name><event-site>CALGARY</event-site><event-province>AB</event-province></occurrence></significant-events></tracking-detail>`, "")
	if err != nil || len(b.Events) != 1 {
		t.Fatalf("%v %+v", err, b.Rejected)
	}
	e := b.Events[0]
	if want := time.Date(2015, 9, 23, 17, 59, 59, 0, time.UTC); !e.OccurredAt.Equal(want) || e.Type.Name != "delivered.delivered" {
		t.Errorf("got %v %s, want %v delivered", e.OccurredAt, e.Type.Name, want)
	}
}

// An unknown identifier is classified by its text, English or French, and
// an unknown text is unknown.unmapped with its code kept.
func TestUnknownCodes(t *testing.T) {
	for desc, want := range map[string]string{
		"Item out for delivery": "out_for_delivery.out_for_delivery", "Article livré": "delivered.delivered",
		"Something new": "unknown.unmapped",
	} {
		m := Table.Lookup("9999", "", desc)
		got := "unknown.unmapped"
		if m != nil {
			got = m.Type.Name
		}
		if got != want {
			t.Errorf("%q: %s, want %s", desc, got, want)
		}
	}
}
