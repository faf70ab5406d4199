package dhl_test

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

func xmlpiEvent(date, clock, code, desc, area string) string {
	return `<ShipmentEvent><Date>` + date + `</Date><Time>` + clock + `</Time><ServiceEvent><EventCode>` + code + `</EventCode><Description>` + desc +
		`</Description></ServiceEvent><Signatory>H SMITH</Signatory><ServiceArea><ServiceAreaCode>X</ServiceAreaCode><Description>` + area + `</Description></ServiceArea></ShipmentEvent>`
}

// XML-PI: an event on a date that does not exist is rejected on its own;
// an unknown checkpoint with unknown wording is unmapped with its code
// kept; the signatory is never read; and the payload's first byte picks
// the XML decoder even on a topic bound to JSON.
func TestXMLPI(t *testing.T) {
	doc := `<req:TrackingResponse xmlns:req="http://www.dhl.com"><AWBInfo><AWBNumber>2083757763</AWBNumber><Status><ActionStatus>success</ActionStatus></Status><ShipmentInfo>` +
		xmlpiEvent("2015-02-29", "10:00:00", "PU", "Shipment picked up", "LEIPZIG - GERMANY") +
		xmlpiEvent("2015-03-01", "10:00:00", "ZZ", "Something new", "LEIPZIG - GERMANY") +
		xmlpiEvent("2015-03-02", "10:00:00", "OK", "Delivered", "WOODSIDE,NY-USA") +
		`</ShipmentInfo></AWBInfo></req:TrackingResponse>`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rejected) != 1 || normalizers.KindOf(b.Rejected[0]) != normalizers.KindTimestamp {
		t.Errorf("rejected %v, want the February 29th event", b.Rejected)
	}
	if len(b.Events) != 2 {
		t.Fatalf("%d events", len(b.Events))
	}
	u, d := b.Events[0], b.Events[1]
	if u.Type.Name != "unknown.unmapped" || u.Raw.Code != "ZZ" || u.Location.Country != "DE" {
		t.Errorf("unknown checkpoint: %s %q %s", u.Type.Name, u.Raw.Code, u.Location.Country)
	}
	if d.Type.Name != "delivered.delivered" || d.Location.Region != "NY" || d.TZSource != event.TZLocation || d.OccurredAt.Hour() != 15 {
		t.Errorf("delivery: %s %s %v %v", d.Type.Name, d.Location.Region, d.TZSource, d.OccurredAt)
	}
	for i := range b.Events {
		if line := string(event.AppendJSON(nil, &b.Events[i])); strings.Contains(strings.ToLower(line), "smith") {
			t.Errorf("the signatory is in an event: %s", line)
		}
	}
}

// Parcel DE piece-detail: an event with no ICE code is classified by its
// German text alone, and its German country name gives the zone.
func TestPieceDetailGermanText(t *testing.T) {
	doc := `<data name="piece-shipment-list" code="0"><data name="piece-shipment" piece-code="00340434161094015902" dest-country="DE" origin-country="DE" recipient-name="Helen Smith">` +
		`<data name="piece-event-list"><data name="piece-event" event-timestamp="18.03.2016 10:02" event-text="Die Sendung wurde erfolgreich zugestellt." event-location="Bonn" event-country="Deutschland" ice="" ric="" standard-event-code=""/>` +
		`</data></data></data>`
	b, err := normalizertest.Normalize(n, normalizers.XML, []byte(doc), "")
	if err != nil || len(b.Events) != 1 {
		t.Fatalf("%v %+v", err, b.Rejected)
	}
	e := b.Events[0]
	if e.Type.Milestone != "delivered" || e.Location.Country != "DE" || e.OccurredAt.Hour() != 9 || e.TrackingNumber != "00340434161094015902" {
		t.Errorf("got %s %s %v %s", e.Type.Name, e.Location.Country, e.OccurredAt, e.TrackingNumber)
	}
	if strings.Contains(strings.ToLower(string(event.AppendJSON(nil, &e))), "smith") {
		t.Error("the recipient's name is in the event")
	}
}
