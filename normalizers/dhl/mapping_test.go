package dhl_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/dhl"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// ev is one event of a test payload; empty fields are left out.
type ev struct {
	Timestamp      string          `json:"timestamp,omitempty"`
	StatusCode     string          `json:"statusCode,omitempty"`
	Status         string          `json:"status,omitempty"`
	StatusDetailed string          `json:"statusDetailed,omitempty"`
	Description    string          `json:"description,omitempty"`
	Location       json.RawMessage `json:"location,omitempty"`
}

// payload wraps events in a one-shipment Unified API response.
func payload(t *testing.T, service string, extra map[string]any, events ...ev) []byte {
	t.Helper()
	sh := map[string]any{"id": "00340434161094015902", "service": service, "events": events}
	for k, v := range extra {
		sh[k] = v
	}
	data, err := json.Marshal(map[string]any{"shipments": []any{sh}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func run(t *testing.T, data []byte, hint string) (*normalizers.Batch, error) {
	t.Helper()
	return normalizertest.Normalize(n, normalizers.JSON, data, hint)
}

func one(t *testing.T, service string, e ev) *event.Event {
	t.Helper()
	if e.Timestamp == "" {
		e.Timestamp = "2026-03-13T09:50:00"
	}
	b, err := run(t, payload(t, service, nil, e), "")
	if err != nil {
		t.Fatalf("%+v: %v", e, err)
	}
	if len(b.Events) != 1 {
		t.Fatalf("%+v: %d events, %d rejected", e, len(b.Events), len(b.Rejected))
	}
	return &b.Events[0]
}

func TestMapping(t *testing.T) {
	cases := []struct {
		service string
		e       ev
		want    string
	}{
		// parcel-de, German, the real capture's wording.
		{"parcel-de", ev{StatusCode: "pre-transit", Description: "Die Sendung wurde elektronisch angekündigt. Sobald die Sendung von uns bearbeitet wurde, erhalten Sie weitere Informationen."}, "info_received.manifest_received"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde vom Absender in der Filiale eingeliefert."}, "in_transit.dropped_off"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde von DHL bearbeitet und wird für den Weitertransport in die Region des Empfängers vorbereitet."}, "in_transit.processing_at_facility"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung ist in der Region des Empfängers angekommen und wird im nächsten Schritt zur Zustellbasis transportiert."}, "in_transit.arrived_at_facility"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde zurückgestellt. Die Zustellung erfolgt vrs. am nächsten Werktag."}, "in_transit.delivery_rescheduled"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde in das Zustellfahrzeug geladen. Die Zustellung erfolgt voraussichtlich heute."}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde in das <b>Zustellfahrzeug</b> geladen."}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Sendung wurde zugestellt."}, "delivered.delivered"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Sendung wurde erfolgreich zugestellt."}, "delivered.delivered"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Sendung wurde an einen Nachbarn zugestellt."}, "delivered.to_neighbor"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Sendung wurde am gewünschten Ablageort zugestellt."}, "delivered.left_at_safe_place"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Sendung wurde in den Briefkasten zugestellt."}, "delivered.to_mailbox_or_locker"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Der Empfänger hat die Sendung aus der PACKSTATION abgeholt."}, "delivered.collected_by_recipient"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Der Empfänger hat die Sendung in der Filiale abgeholt."}, "delivered.collected_by_recipient"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung befindet sich auf dem Weg zur Packstation."}, "out_for_delivery.to_pickup_point"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung liegt in der Packstation 119, Wernerwerkstr. 2b, 93049 Regensburg zur Abholung bereit."}, "available_for_pickup.at_locker"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung liegt in der Filiale zur Abholung bereit."}, "available_for_pickup.at_pickup_point"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde abgeholt."}, "in_transit.picked_up"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde im Start-Paketzentrum bearbeitet."}, "in_transit.accepted_at_origin_facility"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde im Ziel-Paketzentrum bearbeitet."}, "in_transit.processing_at_facility"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Der Empfänger wurde nicht angetroffen. Die Sendung wird in eine Filiale gebracht."}, "attempt_failed.recipient_unavailable"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Die Sendung konnte nicht zugestellt werden und wird in eine PACKSTATION weitergeleitet. Der Empfänger wurde benachrichtigt."}, "attempt_failed.notice_left"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Aufgrund eines Adressfehlers konnte die Sendung nicht zugestellt werden."}, "attempt_failed.address_problem"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Aufgrund einer negativen Altersprüfung konnte die Sendung nicht zugestellt werden."}, "attempt_failed.id_or_signature_required"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Die Annahme der Sendung wurde verweigert."}, "exception.refused"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Die Sendung wurde nicht in der Filiale abgeholt und wird an den Absender zurückgesendet."}, "exception.unclaimed_pickup_expired"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Die Sendung konnte nicht zugestellt werden und wird an den Absender zurückgesendet."}, "returned.undeliverable_returning"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Die Rücksendung wurde dem Absender zugestellt."}, "returned.returned_to_sender"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Aus betrieblichen Gründen konnte die Sendung heute leider nicht zugestellt werden. Sie wird am nächstfolgenden Werktag ausgeliefert."}, "attempt_failed.carrier_out_of_time"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Es erfolgt ein 2. Zustellversuch."}, "in_transit.delivery_rescheduled"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Aufgrund eines Nachsendeauftrags des Empfängers wird die Sendung an eine neue Empfängeradresse gesandt."}, "in_transit.forwarded_to_new_address"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Für diese Sendung wurde ein Ablageort oder Nachbar als Empfangsoption vorgemerkt."}, "in_transit.redirected_by_recipient"},
		{"parcel-de", ev{StatusCode: "pre-transit", Description: "Die Sendung wurde storniert."}, "exception.shipment_cancelled"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wird ins Zielland transportiert und dort an die Zustellorganisation übergeben."}, "in_transit.departed_origin_country"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wird beim Zoll bearbeitet."}, "in_transit.customs_clearance_started"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wurde fehlgeleitet und konnte nicht zugestellt werden. Die Sendung wird umadressiert und an den Empfänger weitergeleitet."}, "in_transit.misrouted_corrected"},
		// parcel-de, English.
		{"parcel-de", ev{StatusCode: "pre-transit", Description: "The instruction data for this shipment have been provided by the sender to DHL electronically"}, "info_received.manifest_received"},
		{"parcel-de", ev{StatusCode: "transit", Description: "The shipment has been posted by the sender at the PACKSTATION"}, "in_transit.dropped_off"},
		{"parcel-de", ev{StatusCode: "transit", Description: "The shipment has been processed in the parcel center of origin"}, "in_transit.accepted_at_origin_facility"},
		{"parcel-de", ev{StatusCode: "transit", Description: "The shipment has been loaded onto the delivery vehicle"}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "transit", Description: "The shipment is ready for pick-up at the PACKSTATION."}, "available_for_pickup.at_locker"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "The shipment has been successfully delivered"}, "delivered.delivered"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "The recipient has picked up the shipment from the retail outlet"}, "delivered.collected_by_recipient"},
		{"parcel-de", ev{StatusCode: "failure", Description: "The shipment could not be delivered, and the recipient has been notified. A 2nd attempt at delivery is being made"}, "attempt_failed.notice_left"},
		{"parcel-de", ev{StatusCode: "transit", Description: "The shipment will be transported to the destination country and, from there, handed over to the delivery organization."}, "in_transit.departed_origin_country"},
		// parcel-de with DHL's codes: the code decides, whatever the language.
		{"parcel-de", ev{StatusCode: "delivered", Status: "ZU", StatusDetailed: "DLVRD_NGHBR_ZU", Description: "Die Sendung wurde zugestellt."}, "delivered.to_neighbor"},
		{"parcel-de", ev{StatusCode: "delivered", Status: "ZU", StatusDetailed: "DLVRD_SECPL_ZU", Description: "Die Sendung wurde zugestellt."}, "delivered.left_at_safe_place"},
		{"parcel-de", ev{StatusCode: "delivered", Status: "ZU", StatusDetailed: "DLVRD_OTHER_ZU", Description: "Delivered."}, "delivered.delivered"},
		{"parcel-de", ev{StatusCode: "delivered", StatusDetailed: "XXXXX_PKBOX_ZU"}, "delivered.to_mailbox_or_locker"},
		{"parcel-de", ev{StatusCode: "transit", Status: "PO", StatusDetailed: "SRTED_NRQRD_PO", Description: "Die Sendung wurde in das Zustellfahrzeug geladen."}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "transit", Status: "PO", StatusDetailed: "LDTMV_PCKST_PO", Description: "Die Sendung befindet sich auf dem Weg zur Packstation."}, "out_for_delivery.to_pickup_point"},
		{"parcel-de", ev{StatusCode: "transit", Status: "LA", StatusDetailed: "HLDCC_LDPCK_LA", Description: "Die Sendung liegt in der Packstation zur Abholung bereit."}, "available_for_pickup.at_locker"},
		{"parcel-de", ev{StatusCode: "transit", Status: "PO", StatusDetailed: "ADVIS_PFLOC_DD", Description: "Für diese Sendung wurde ein Ablageort vorgemerkt."}, "in_transit.redirected_by_recipient"},
		{"parcel-de", ev{StatusCode: "transit", Status: "ES", StatusDetailed: "SHRCU_PCKST_ES"}, "in_transit.dropped_off"},
		{"parcel-de", ev{StatusCode: "transit", Status: "AA", StatusDetailed: "LDTMV_MVMTV_AA"}, "in_transit.departed_facility"},
		{"parcel-de", ev{StatusCode: "transit", Status: "AE", StatusDetailed: "PCKDU_PUBCR_AE"}, "in_transit.picked_up"},
		{"parcel-de", ev{StatusCode: "transit", Status: "EE", StatusDetailed: "ULFMV_UNLDD_EE"}, "in_transit.arrived_at_facility"},
		{"parcel-de", ev{StatusCode: "failure", StatusDetailed: "NTDEL_BDADD_ZU"}, "attempt_failed.address_problem"},
		{"parcel-de", ev{StatusCode: "failure", StatusDetailed: "NTDEL_AGNEG_ZU"}, "attempt_failed.id_or_signature_required"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "NTDEL_CRROT_PO"}, "attempt_failed.carrier_out_of_time"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "MSRTD_OTHER_AA"}, "in_transit.misrouted_corrected"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "HLDCU_OTHER_ZO"}, "exception.customs_hold"},
		{"parcel-de", ev{StatusCode: "failure", StatusDetailed: "RETRN_OTHER_RS"}, "returned.undeliverable_returning"},
		{"parcel-de", ev{StatusCode: "pre-transit", StatusDetailed: "CANCL_OTHER_VA"}, "exception.shipment_cancelled"},
		{"parcel-de", ev{StatusCode: "failure", StatusDetailed: "DSPSD_OTHER_XX"}, "exception.disposed"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "XXXXX_ROUCR_XX"}, "in_transit.redirected_by_recipient"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "XXXXX_CNRFC_XX"}, "available_for_pickup.at_locker"},
		{"parcel-de", ev{StatusCode: "delivered", StatusDetailed: "DLVRD_ACCDM_ZU"}, "delivered.damaged"},
		{"parcel-de", ev{StatusCode: "delivered", StatusDetailed: "DLVRD_ACCSI_ZU"}, "delivered.incomplete"},
		{"parcel-de", ev{StatusCode: "delivered", StatusDetailed: "DLVRD_ACCPK_ZU"}, "delivered.collected_by_recipient"},
		{"parcel-de", ev{StatusCode: "delivered", StatusDetailed: "DLVRD_AGENT_ZU"}, "delivered.to_agent"},
		// An unknown code falls back to the text, then to the statusCode.
		{"parcel-de", ev{StatusCode: "transit", Status: "QQ", StatusDetailed: "QQQQQ_QQQQQ_QQ", Description: "Die Sendung wurde in das Zustellfahrzeug geladen."}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "transit", Status: "PO"}, "out_for_delivery.out_for_delivery"},
		{"parcel-de", ev{StatusCode: "transit", Description: "Etwas ganz Neues."}, "in_transit.in_transit"},
		{"parcel-de", ev{StatusCode: "pre-transit", Description: "Something new"}, "info_received.label_created"},
		{"parcel-de", ev{StatusCode: "failure", Description: "Something new"}, "exception.generic"},
		{"parcel-de", ev{StatusCode: "delivered", Description: "Something new"}, "delivered.delivered"},
		{"parcel-de", ev{StatusCode: "unknown", Description: "Something new"}, "unknown.unmapped"},
		// A delivered claim needs DHL's statusCode to agree.
		{"parcel-de", ev{StatusCode: "transit", Description: "Die Sendung wird heute zugestellt."}, "in_transit.in_transit"},
		{"express", ev{StatusCode: "pre-transit", Status: "DELIVERED", Description: "JESSICA"}, "info_received.label_created"},
		{"parcel-de", ev{StatusCode: "transit", StatusDetailed: "DLVRD_NGHBR_ZU"}, "in_transit.in_transit"},
		// express, old style: description only, no statusCode.
		{"express", ev{Description: "Shipment picked up"}, "in_transit.picked_up"},
		{"express", ev{Description: "Shipment Accepted"}, "in_transit.accepted_at_origin_facility"},
		{"express", ev{Description: "Processed at KARACHI - PAKISTAN"}, "in_transit.processing_at_facility"},
		{"express", ev{Description: "Departed Facility in KARACHI - PAKISTAN"}, "in_transit.departed_facility"},
		{"express", ev{Description: "Arrived at Sort Facility BRUSSELS - BELGIUM"}, "in_transit.arrived_at_facility"},
		{"express", ev{Description: "Transferred through LEIPZIG - GERMANY"}, "in_transit.in_transit"},
		{"express", ev{Description: "Customs status updated"}, "in_transit.customs_clearance_started"},
		{"express", ev{Description: "Clearance event"}, "in_transit.customs_clearance_started"},
		{"express", ev{Description: "Processed for clearance at AUCKLAND - NEW ZEALAND"}, "in_transit.customs_clearance_started"},
		{"express", ev{Description: "Clearance processing complete at SOUTHERN ALBERTA - CANADA"}, "in_transit.customs_cleared"},
		{"express", ev{Description: "Shipment on hold"}, "exception.generic"},
		{"express", ev{Description: "Arrived at Delivery Facility in SHARJAH - UNITED ARAB EMIRATES"}, "in_transit.arrived_at_delivery_facility"},
		{"express", ev{Description: "With delivery courier"}, "out_for_delivery.out_for_delivery"},
		{"express", ev{Description: "Delivery attempted; recipient not home"}, "attempt_failed.recipient_unavailable"},
		{"express", ev{Description: "Delivered - Signed for by: J. DOE"}, "delivered.signed"},
		{"express", ev{Description: "Delivered"}, "delivered.delivered"},
		{"express", ev{Description: "Payment is received and recorded for shipment related fees"}, "in_transit.customs_clearance_started"},
		{"express", ev{StatusCode: "transit", Description: "Shipment is out with courier for delivery"}, "out_for_delivery.out_for_delivery"},
		{"express", ev{StatusCode: "delivered", Description: "Delivered - Signed for by ANNE"}, "delivered.signed"},
		// express checkpoint codes, should an event carry one.
		{"express", ev{StatusCode: "transit", Status: "DF"}, "in_transit.departed_facility"},
		{"express", ev{StatusCode: "transit", Status: "AF"}, "in_transit.arrived_at_facility"},
		{"express", ev{StatusCode: "transit", Status: "PL"}, "in_transit.processing_at_facility"},
		{"express", ev{StatusCode: "transit", Status: "PU"}, "in_transit.picked_up"},
		{"express", ev{StatusCode: "transit", Status: "AR"}, "in_transit.arrived_at_delivery_facility"},
		{"express", ev{StatusCode: "transit", Status: "WC"}, "out_for_delivery.out_for_delivery"},
		{"express", ev{StatusCode: "delivered", Status: "OK"}, "delivered.delivered"},
		{"express", ev{Status: "NH"}, "attempt_failed.recipient_unavailable"},
		// eCommerce and the others.
		{"ecommerce", ev{StatusCode: "pre-transit", Description: "ELECTRONIC NOTIFICATION RECEIVED: YOUR ORDER HAS BEEN PROCESSED AND TRACKING WILL BE UPDATED SOON"}, "info_received.manifest_received"},
		{"ecommerce", ev{StatusCode: "transit", Description: "PACKAGE RECEIVED AT DHL ECOMMERCE DISTRIBUTION CENTER"}, "in_transit.accepted_at_origin_facility"},
		{"ecommerce", ev{StatusCode: "transit", Description: "TENDERED TO DELIVERY SERVICE PROVIDER"}, "in_transit.handed_to_partner_carrier"},
		{"ecommerce", ev{StatusCode: "transit", Description: "ARRIVAL AT POST OFFICE"}, "in_transit.arrived_at_delivery_facility"},
		{"ecommerce", ev{StatusCode: "transit", Description: "OUT FOR DELIVERY"}, "out_for_delivery.out_for_delivery"},
		{"ecommerce", ev{StatusCode: "delivered", Description: "DELIVERED"}, "delivered.delivered"},
		{"parcel-pl", ev{StatusCode: "transit", Description: "przesyłka przyjęta w terminalu nadawczym DHL"}, "in_transit.accepted_at_origin_facility"},
		{"parcel-pl", ev{StatusCode: "transit", Description: "przesyłka przekazana kurierowi do doręczenia"}, "out_for_delivery.out_for_delivery"},
		{"parcel-pl", ev{StatusCode: "delivered", Description: "przesyłka doręczona do odbiorcy"}, "delivered.delivered"},
		{"parcel-nl", ev{StatusCode: "transit", Description: "The parcel has been sorted"}, "in_transit.processing_at_facility"},
		{"parcel-nl", ev{StatusCode: "delivered", Description: "The parcel has been delivered to the neighbours"}, "delivered.to_neighbor"},
		{"parcel-nl", ev{StatusCode: "transit", Description: "The parcel is at the DHL ServicePoint and can be collected"}, "available_for_pickup.at_pickup_point"},
	}
	for _, c := range cases {
		got := one(t, c.service, c.e)
		if got.Type.Name != c.want {
			t.Errorf("%s %+v:\n got  %s\n want %s", c.service, c.e, got.Type.Name, c.want)
		}
	}
}

// The taxonomy's DHL example codes must map as it says, by code alone.
func TestTaxonomyCodes(t *testing.T) {
	want := map[string]string{
		"MSRTD": "in_transit.misrouted_corrected", "ROUCR": "in_transit.redirected_by_recipient",
		"CNRFC": "available_for_pickup.at_locker", "PCKST": "available_for_pickup.at_locker",
		"SECPL": "delivered.left_at_safe_place", "NGHBR": "delivered.to_neighbor",
		"PKBOX": "delivered.to_mailbox_or_locker", "AGENT": "delivered.to_agent",
		"ACCPK": "delivered.collected_by_recipient", "ACCDM": "delivered.damaged",
		"ACCSI": "delivered.incomplete", "AGNEG": "attempt_failed.id_or_signature_required",
		"BDADD": "attempt_failed.address_problem", "CRROT": "attempt_failed.carrier_out_of_time",
		"HLDCU": "exception.customs_hold", "CANCL": "exception.shipment_cancelled",
		"DSPSD": "exception.disposed", "RETRN": "returned.undeliverable_returning",
		// DHL Express checkpoint codes of the legacy XML-PI format.
		"PU": "in_transit.picked_up", "AF": "in_transit.arrived_at_facility", "DF": "in_transit.departed_facility",
		"PL": "in_transit.processing_at_facility", "AR": "in_transit.arrived_at_delivery_facility",
		"WC": "out_for_delivery.out_for_delivery", "OK": "delivered.delivered",
	}
	for code, typ := range want {
		m := n.MapCode(code, "", "")
		if m == nil {
			t.Errorf("MapCode(%s) = nil, want %s", code, typ)
			continue
		}
		if m.Type.Name != typ {
			t.Errorf("MapCode(%s) = %s, want %s", code, m.Type.Name, typ)
		}
	}
	for _, c := range []struct{ code, sub, desc, want string }{
		{"transit", "", "Die Sendung wurde in das Zustellfahrzeug geladen.", "out_for_delivery.out_for_delivery"},
		{"delivered", "DLVRD_NGHBR_ZU", "", "delivered.to_neighbor"},
		{"DLVRD_SECPL_ZU", "delivered", "", "delivered.left_at_safe_place"},
		{"failure", "", "", "exception.generic"},
	} {
		if m := n.MapCode(c.code, c.sub, c.desc); m == nil || m.Type.Name != c.want {
			t.Errorf("MapCode(%q, %q, %q) = %v, want %s", c.code, c.sub, c.desc, m, c.want)
		}
	}
	if m := n.MapCode("unknown", "", "no idea"); m != nil {
		t.Errorf("MapCode(unknown) = %s, want nil", m.Type.Name)
	}
}

// Code rows are looked up with an empty text, so they must not need one; a
// text row with text "*" would answer every code lookup; and every row must
// name a known type (MustLoadTable checks that when the package loads).
func TestTableShape(t *testing.T) {
	data, err := os.ReadFile("codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		code, sub, text := cols[0], cols[1], cols[2]
		if code != "*" && text != "*" {
			t.Errorf("codes.tsv:%d: code row %q needs text *", i+1, code)
		}
		if code == "*" && text == "*" {
			t.Errorf("codes.tsv:%d: text row without text", i+1)
		}
		key := code + "\t" + sub + "\t" + text
		if prev, dup := seen[key]; dup {
			t.Errorf("codes.tsv:%d: same row as line %d", i+1, prev)
		}
		seen[key] = i + 1
	}
	if dhl.Table.Len() != len(seen) {
		t.Errorf("table has %d rows, file %d", dhl.Table.Len(), len(seen))
	}
}

// A text row below another whose text it contains (for the same or any
// statusCode) can never match: a sign the order is wrong.
func TestNoShadowedTextRows(t *testing.T) {
	data, err := os.ReadFile("codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		line           int
		sub, text, typ string
	}
	var rows []row
	for i, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 4 || cols[0] != "*" {
			continue
		}
		r := row{i + 1, cols[1], strings.ToLower(cols[2]), cols[3]}
		for _, p := range rows {
			if strings.Contains(r.text, p.text) && (p.sub == "*" || p.sub == r.sub) {
				t.Errorf("codes.tsv:%d %q (%s) is shadowed by line %d %q (%s)", r.line, r.text, r.typ, p.line, p.text, p.typ)
				break
			}
		}
		rows = append(rows, r)
	}
}

func TestLocation(t *testing.T) {
	cases := []struct {
		loc  string
		want event.Location
		tz   event.TZSource
	}{
		{`{"address":{"addressLocality":"Deutschland"}}`, event.Location{Country: "DE"}, event.TZLocation},
		{`{"address":{"addressLocality":"Bonn, Germany"}}`, event.Location{City: "Bonn", Country: "DE"}, event.TZLocation},
		{`{"address":{"addressLocality":"BONN - GERMANY"}}`, event.Location{City: "BONN", Country: "DE"}, event.TZLocation},
		{`{"address":{"addressLocality":"LONDON-HEATHROW - UNITED KINGDOM"}}`, event.Location{City: "LONDON-HEATHROW", Country: "GB"}, event.TZLocation},
		{`{"address":{"addressLocality":"EAST MIDLANDS - UK"}}`, event.Location{City: "EAST MIDLANDS", Country: "GB"}, event.TZLocation},
		{`{"address":{"addressLocality":"CINCINNATI HUB, OH - USA"}}`, event.Location{City: "CINCINNATI HUB", Region: "OH", Country: "US"}, event.TZLocation},
		{`{"address":{"addressLocality":"NEW YORK CITY GATEWAY,NY-USA"}}`, event.Location{City: "NEW YORK CITY GATEWAY", Region: "NY", Country: "US"}, event.TZLocation},
		{`{"address":{"addressLocality":"SOUTHERN ALBERTA, AB - CALGARY - CANADA"}}`, event.Location{City: "CALGARY", Region: "AB", Country: "CA"}, event.TZLocation},
		{`{"address":{"addressLocality":"KARACHI - KARACHI - PAKISTAN"}}`, event.Location{City: "KARACHI", Country: "PK"}, event.TZLocation},
		{`{"address":{"addressLocality":"SHARJAH - UNITED ARAB EMIRATES"}}`, event.Location{City: "SHARJAH", Country: "AE"}, event.TZLocation},
		{`{"address":{"addressLocality":"HONG KONG - HONG KONG SAR, CHINA"}}`, event.Location{City: "HONG KONG", Country: "HK"}, event.TZLocation},
		{`{"address":{"addressLocality":"FRANKFURT - DE","countryCode":"DE"}}`, event.Location{City: "FRANKFURT", Country: "DE"}, event.TZLocation},
		{`{"address":{"addressLocality":"Oderweg 2, AMSTERDAM","countryCode":"NL","postalCode":"1043 AG"}}`, event.Location{City: "AMSTERDAM", PostalCode: "1043 AG", Country: "NL"}, event.TZLocation},
		{`{"address":{"addressLocality":"Castrop-Rauxel","countryCode":"de","postalCode":"44575"}}`, event.Location{City: "Castrop-Rauxel", PostalCode: "44575", Country: "DE"}, event.TZLocation},
		{`{"address":{"addressLocality":"Bremen GVZ","countryCode":"DE"},"servicePoint":{"label":"Packstation 205"}}`, event.Location{City: "Bremen GVZ", Country: "DE", Facility: "Packstation 205"}, event.TZLocation},
		{`"Stockholm"`, event.Location{City: "Stockholm"}, event.TZAssumedUTC},
		{`{"address":{"addressLocality":"CALGARY"}}`, event.Location{City: "CALGARY"}, event.TZAssumedUTC},
	}
	for _, c := range cases {
		e := one(t, "express", ev{StatusCode: "transit", Description: "Processed", Location: json.RawMessage(c.loc)})
		if e.Location != c.want || e.TZSource != c.tz {
			t.Errorf("%s:\n got  %+v %v\n want %+v %v", c.loc, e.Location, e.TZSource, c.want, c.tz)
		}
	}
}

func TestTimes(t *testing.T) {
	loc := json.RawMessage(`{"address":{"addressLocality":"NEW YORK, NY - USA"}}`)
	cases := []struct{ ts, utc, local string }{
		// No offset: the place's zone on that date (EDT in May).
		{"2021-05-04T23:13:00", "2021-05-05T03:13:00Z", "-04:00"},
		// An offset is the carrier's own.
		{"2023-05-15T14:45:00.000+02:00", "2023-05-15T12:45:00Z", "+02:00"},
		// Z is an instant; the place gives the local offset.
		{"2021-05-04T23:13:00Z", "2021-05-04T23:13:00Z", "-04:00"},
	}
	for _, c := range cases {
		e := one(t, "express", ev{Timestamp: c.ts, Description: "Processed", Location: loc})
		if got := e.OccurredAt.Format(time.RFC3339); got != c.utc {
			t.Errorf("%s: occurred_at %s, want %s", c.ts, got, c.utc)
		}
		if got := e.Local().Format("-07:00"); got != c.local {
			t.Errorf("%s: local offset %s, want %s", c.ts, got, c.local)
		}
	}
	// A domestic shipment's events without a place take its country.
	e := one(t, "express", ev{Timestamp: "2024-01-10T10:00:00", StatusCode: "transit", Description: "Processed"})
	if e.TZSource != event.TZAssumedUTC {
		t.Errorf("no place, no domestic country: tz %v", e.TZSource)
	}
	b, err := run(t, payload(t, "freight", map[string]any{
		"origin":      map[string]any{"address": map[string]any{"countryCode": "SE"}},
		"destination": map[string]any{"address": map[string]any{"countryCode": "SE", "addressLocality": "GOTHENBURG"}},
	}, ev{Timestamp: "2024-01-10T10:00:00", StatusCode: "transit", Description: "Processed"}), "")
	if err != nil || len(b.Events) != 1 {
		t.Fatalf("%v %d", err, len(b.Events))
	}
	if e := b.Events[0]; e.Location.Country != "SE" || e.OccurredAt.Format(time.RFC3339) != "2024-01-10T09:00:00Z" {
		t.Errorf("domestic fallback: %+v %s", e.Location, e.OccurredAt)
	}
}

func TestShipmentFields(t *testing.T) {
	b, err := run(t, payload(t, "parcel-de", map[string]any{
		"estimatedDeliveryTimeFrame": map[string]any{"estimatedFrom": "2026-09-23T13:20:00+02:00", "estimatedThrough": "2026-09-23T14:50:00+02:00"},
	}, ev{Timestamp: "2026-09-23T08:24:00", StatusCode: "transit", Description: "Die Sendung wurde in das Zustellfahrzeug geladen."}), "")
	if err != nil {
		t.Fatal(err)
	}
	e := b.Events[0]
	if e.Service != "parcel_de" || e.EstimatedDelivery != "2026-09-23" || e.TrackingNumber != "00340434161094015902" {
		t.Errorf("got service %q eta %q tracking %q", e.Service, e.EstimatedDelivery, e.TrackingNumber)
	}
	if e.Location.Country != "DE" || e.TZSource != event.TZLocation {
		t.Errorf("parcel-de without a place: %+v %v", e.Location, e.TZSource)
	}

	// A return shipment is delivered to its sender.
	b, err = run(t, payload(t, "parcel-de", map[string]any{"returnFlag": true},
		ev{Timestamp: "2026-09-23T11:05:00", StatusCode: "delivered", Description: "Die Sendung wurde zugestellt."}), "")
	if err != nil || b.Events[0].Type.Name != "returned.returned_to_sender" {
		t.Errorf("returnFlag: %v %v", err, b.Events)
	}

	// No events: the status is the scan.
	data := []byte(`{"shipments":[{"id":"1234567890","service":"express","status":{"timestamp":"2026-10-02T09:00:00+02:00","statusCode":"transit","status":"transit","description":"With delivery courier"}}]}`)
	b, err = run(t, data, "")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "out_for_delivery.out_for_delivery" {
		t.Errorf("status only: %v %v", err, b.Events)
	}

	// Neither events nor status: known, but nothing to say yet.
	b, err = run(t, []byte(`{"shipments":[{"id":"1234567890","service":"express"}]}`), "")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" {
		t.Errorf("empty shipment: %v %v", err, b.Events)
	}
}

func TestDedup(t *testing.T) {
	a := ev{Timestamp: "2023-03-08T14:43:00", StatusCode: "transit", Description: "Die Sendung wurde für den Weitertransport vorbereitet.",
		Location: json.RawMessage(`{"address":{"addressLocality":"Deutschland"}}`)}
	other := a
	other.Description = "Die Sendung wurde im Paketzentrum bearbeitet."

	// The same scan twice in one payload: one event.
	b, err := run(t, payload(t, "parcel-de", nil, a, a), "")
	if err != nil || len(b.Events) != 1 {
		t.Fatalf("repeated scan: %v, %d events", err, len(b.Events))
	}
	first := b.Events[0].ID

	// Two different scans in the same minute and place: two events.
	b, err = run(t, payload(t, "parcel-de", nil, a, other), "")
	if err != nil || len(b.Events) != 2 || b.Events[0].ID == b.Events[1].ID {
		t.Fatalf("distinct scans: %v %v", err, b.Events)
	}

	// The same scan in another payload, among others: the same id.
	b, err = run(t, payload(t, "parcel-de", nil, other, a), "")
	if err != nil || len(b.Events) != 2 || b.Events[1].ID != first {
		t.Fatalf("resent scan: %v %v, want id %s", err, b.Events, first)
	}

	// With a statusDetailed code the wording does not matter (a change of
	// language keeps the id).
	de := ev{Timestamp: "2026-09-23T08:24:00", StatusCode: "transit", Status: "PO", StatusDetailed: "SRTED_NRQRD_PO", Description: "Die Sendung wurde in das Zustellfahrzeug geladen."}
	en := de
	en.Description = "The shipment has been loaded onto the delivery vehicle"
	b1, _ := run(t, payload(t, "parcel-de", nil, de), "")
	b2, _ := run(t, payload(t, "parcel-de", nil, en), "")
	if b1.Events[0].ID != b2.Events[0].ID {
		t.Errorf("language changed the id of a coded scan")
	}
}

func TestAbsurdTime(t *testing.T) {
	good := ev{Timestamp: "2026-03-01T16:14:00", StatusCode: "transit", Description: "Die Sendung wurde abgeholt."}
	b, err := run(t, payload(t, "parcel-de", nil,
		good,
		ev{Timestamp: "1970-01-01T00:00:00", StatusCode: "transit", Description: "Die Sendung wurde bearbeitet."},
		ev{Timestamp: "2031-01-01T00:00:00", StatusCode: "transit", Description: "Die Sendung wurde bearbeitet."},
		ev{Timestamp: "not a time", StatusCode: "transit", Description: "Die Sendung wurde bearbeitet."},
	), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || len(b.Rejected) != 3 {
		t.Fatalf("want 1 event and 3 rejections, got %d and %v", len(b.Events), b.Rejected)
	}
	for _, r := range b.Rejected {
		if r.Kind != normalizers.KindTimestamp {
			t.Errorf("rejection kind %s", r.Kind)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		body, hint string
		kind       normalizers.Kind // "" means a pending event
		msg        string
	}{
		{`{"title":"No result found","status":404,"detail":"No shipment with given tracking number found."}`, "00340434161094015902", "", ""},
		{`{"title":"No result found","status":404,"detail":"No shipment with given tracking number found."}`, "", normalizers.KindNotFound, "No shipment with given tracking number found."},
		{`{"title":"No result found","status":404,"instance":"/track/shipments?trackingNumber=00340434161094015902&service=parcel-de","detail":"No shipment with given tracking number found."}`, "", "", ""},
		{`{"title":"Bad request","status":400,"detail":"Invalid tracking number format."}`, "", normalizers.KindInvalidTracking, "DHL error 400: Invalid tracking number format."},
		{`{"title":"Bad request","status":400,"detail":"Unknown service 'foo'."}`, "", normalizers.KindCarrierError, "DHL error 400: Unknown service 'foo'."},
		{`{"title":"Unauthorized","status":401,"detail":"Unauthorized for given resource."}`, "", normalizers.KindCarrierError, "DHL error 401"},
		{`{"title":"Too many requests","status":"429","detail":"Too many requests within defined time period."}`, "", normalizers.KindCarrierError, "DHL error 429"},
		{`{"title":"Internal Server Error","status":500}`, "", normalizers.KindCarrierError, "DHL error 500: Internal Server Error"},
		{`{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}`, "", normalizers.KindCarrierError, "Invalid ApiKey"},
		{`{"shipments":[]}`, "", normalizers.KindNotFound, "no shipment"},
		{`{"shipments":[]}`, "1234567890", "", ""},
		{`{"shipments":`, "", normalizers.KindDecode, "malformed JSON"},
		{`[1,2,3]`, "", normalizers.KindDecode, "not an object"},
		{`{"foo":"bar"}`, "", normalizers.KindDecode, "no shipments"},
		{`{"shipments":{"id":"1"}}`, "", normalizers.KindDecode, "not an array"},
		{`{"shipments":["x"]}`, "", normalizers.KindDecode, "not an object"},
		{`{"shipments":[{"service":"express","events":[]}]}`, "", normalizers.KindValidate, "without id"},
		{``, "", normalizers.KindDecode, "malformed JSON"},
	}
	for _, c := range cases {
		b, err := run(t, []byte(c.body), c.hint)
		if c.kind == "" {
			if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" {
				t.Errorf("%s: want a pending event, got %v %v", c.body, err, b.Events)
			} else if b.Events[0].TrackingNumber != "00340434161094015902" && b.Events[0].TrackingNumber != "1234567890" {
				t.Errorf("%s: pending for %q", c.body, b.Events[0].TrackingNumber)
			}
			continue
		}
		if normalizers.KindOf(err) != c.kind || err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v (%s), want %s containing %q", c.body, err, normalizers.KindOf(err), c.kind, c.msg)
		}
	}
}

func TestNumericID(t *testing.T) {
	b, err := run(t, []byte(`{"shipments":[{"id":7777777770,"service":"express","events":[{"timestamp":"2018-03-02T07:53:47","statusCode":"transit","description":"Processed"}]}]}`), "")
	if err != nil || b.Events[0].TrackingNumber != "7777777770" {
		t.Fatalf("%v %v", err, b.Events)
	}
}
