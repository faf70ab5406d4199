package ups_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/wismo/wismo/event"
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/ups"
)

var n = &ups.Normalizer{}

func TestGolden(t *testing.T) { normalizertest.Golden(t, n, normalizers.JSON, "ups/*.json") }

func FuzzUPS(f *testing.F) {
	normalizertest.Seeds(f, "ups/*.json")
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// payload builds a one-package UPS response from activities given as
// (type, code, statusCode, description, date, time, gmtOffset, state).
func payload(acts ...[8]string) []byte {
	var sb strings.Builder
	sb.WriteString(`{"trackResponse":{"shipment":[{"inquiryNumber":"1Z999AA10123456784","package":[{"trackingNumber":"1Z999AA10123456784","service":{"description":"UPS Ground"},"activity":[`)
	for i, a := range acts {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"location":{"address":{"city":"LOUISVILLE","stateProvince":%q,"countryCode":"US"}},"status":{"type":%q,"code":%q,"statusCode":%q,"description":%q},"date":%q,"time":%q,"gmtOffset":%q}`,
			a[7], a[0], a[1], a[2], a[3], a[4], a[5], a[6])
	}
	sb.WriteString(`]}]}]}}`)
	return []byte(sb.String())
}

func act(typ, code, statusCode, desc string) [8]string {
	return [8]string{typ, code, statusCode, desc, "20261120", "100405", "-05:00", "KY"}
}

func normalize(t *testing.T, data []byte) *normalizers.Batch {
	t.Helper()
	b, err := normalizertest.Normalize(n, normalizers.JSON, data, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCodeTable(t *testing.T) {
	for _, c := range []struct {
		act  [8]string
		want string
	}{
		{act("M", "MP", "003", "Shipper created a label"), "info_received.label_created"},
		{act("M", "MV", "007", "Shipment information voided"), "info_received.label_voided"},
		{act("P", "PU", "038", "Pickup Scan"), "in_transit.picked_up"},
		{act("I", "OR", "005", "Origin Scan"), "in_transit.accepted_at_origin_facility"},
		{act("I", "DP", "005", "Departed from Facility"), "in_transit.departed_facility"},
		{act("I", "AR", "005", "Arrived at Facility"), "in_transit.arrived_at_facility"},
		{act("I", "OF", "072", "Loaded on Delivery Vehicle"), "out_for_delivery.loaded_on_vehicle"},
		{act("I", "OT", "021", "Out For Delivery Today"), "out_for_delivery.out_for_delivery"},
		{act("D", "FS", "011", "DELIVERED"), "delivered.delivered"},
		{act("D", "KM", "011", "DELIVERED"), "delivered.signed"},
		{act("X", "DJ", "032", "ADVERSE WEATHER CONDITIONS CAUSED THIS DELAY"), "exception.delayed_weather"},
		{act("X", "L1", "022", "THE RECEIVER'S LOCATION WAS CLOSED ON THE 2ND DELIVERY ATTEMPT"), "attempt_failed.business_closed"},
		{act("X", "Q9", "013", "The address is incorrect. We're attempting to update it."), "exception.address_incorrect"},
		{act("X", "ZZ", "013", "The receiver was not available for delivery."), "attempt_failed.recipient_unavailable"},
		{act("X", "ZZ", "013", "Something new happened"), "exception.generic"},
		{act("X", "", "092", "The package is at the clearing agency awaiting final release."), "in_transit.customs_clearance_started"},
		{act("I", "Q7", "046", "Delivered to UPS Access Point"), "available_for_pickup.at_pickup_point"},
		{act("I", "Q7", "005", "Some new in-transit scan"), "unknown.unmapped"},
	} {
		b := normalize(t, payload(c.act))
		if len(b.Events) != 1 {
			t.Fatalf("%v: %d events", c.act, len(b.Events))
		}
		e := b.Events[0]
		if e.Type.Name != c.want {
			t.Errorf("%s/%s/%s %q: %s, want %s", c.act[0], c.act[1], c.act[2], c.act[3], e.Type.Name, c.want)
		}
		if e.Type.Name == "unknown.unmapped" && (e.Raw.Code != "Q7" || e.Raw.Description == "") {
			t.Errorf("unmapped scan lost its raw code: %+v", e.Raw)
		}
	}
}

func TestTimesAndDedup(t *testing.T) {
	dp := act("I", "DP", "005", "Departed from Facility")
	noOffset := act("I", "AR", "005", "Arrived at Facility")
	noOffset[6] = "" // no gmtOffset: the zone comes from the state
	future := act("I", "AR", "005", "Arrived at Facility")
	future[4] = "20271120"
	b := normalize(t, payload(dp, noOffset, dp, future))
	if len(b.Events) != 2 {
		t.Fatalf("%d events, want 2 (the repeated scan once, the future one rejected)", len(b.Events))
	}
	if len(b.Rejected) != 1 || b.Rejected[0].Kind != normalizers.KindTimestamp {
		t.Fatalf("rejections %v", b.Rejected)
	}
	e := b.Events[0]
	if got := e.OccurredAt.Format(time.RFC3339); got != "2026-11-20T15:04:05Z" || e.TZSource != event.TZCarrierOffset {
		t.Errorf("carrier offset: %s %s", got, e.TZSource)
	}
	e = b.Events[1]
	if got := e.OccurredAt.Format(time.RFC3339); got != "2026-11-20T15:04:05Z" || e.TZSource != event.TZLocation || e.LocalOffset != -5*3600 {
		t.Errorf("from location (Kentucky, EST): %s %s %d", got, e.TZSource, e.LocalOffset)
	}
	first := b.Events[0].ID
	// The same history polled again: same ids.
	b = normalize(t, payload(act("I", "OT", "021", "Out For Delivery Today"), dp))
	if b.Events[1].ID != first {
		t.Error("a resent scan got a new event id")
	}
}

func TestRejectsBrokenInput(t *testing.T) {
	for name, data := range map[string]string{
		"truncated":     `{"trackResponse":{"shipment":[`,
		"not ups":       `{"hello":"world"}`,
		"wrong type":    `{"trackResponse":{"shipment":"nope"}}`,
		"no tracking":   `{"trackResponse":{"shipment":[{"package":[{"activity":[]}]}]}}`,
		"invalid utf-8": "{\"trackResponse\":{\"shipment\":[{\"inquiryNumber\":\"\xff\"}]}}",
	} {
		b := normalizers.NewBatch()
		err := normalizers.Normalize(n, &normalizers.Input{Payload: []byte(data), Now: normalizertest.Now}, b, 0)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
