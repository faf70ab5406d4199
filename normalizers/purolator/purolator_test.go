package purolator

import (
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

func answer(scans string) []byte {
	return []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><TrackPackagesByPinResponse xmlns="http://purolator.com/pws/datatypes/v1">` +
		`<ResponseInformation><Errors/></ResponseInformation><TrackingInformationList><TrackingInformation><PIN><Value>329014521622</Value></PIN><Scans>` +
		scans + `</Scans></TrackingInformation></TrackingInformationList></TrackPackagesByPinResponse></s:Body></s:Envelope>`)
}

func scanXML(kind, depot, date, clock, desc string) string {
	return `<Scan><ScanType>` + kind + `</ScanType><Depot><Name>` + depot + `</Name></Depot><ScanDate>` + date + `</ScanDate><ScanTime>` + clock +
		`</ScanTime><Description>` + desc + `</Description><Comment>LEFT WITH J DOE</Comment></Scan>`
}

// A scan dated February 30th is rejected on its own; an unknown wording
// of ScanType Other is unmapped with both kept; a depot without a province
// is in a country of six zones, so its time is assumed UTC; the
// description decides before the scan type, in French too.
func TestScans(t *testing.T) {
	b, err := normalizertest.Normalize(New(), normalizers.XML, answer(
		scanXML("Other", "TORONTO, ON", "2026-02-30", "101500", "Picked up by Purolator at TORONTO")+
			scanXML("Other", "SOMEWHERE", "2026-03-02", "101500", "Something new")+
			scanXML("Delivery", "LAVAL, QC", "2026-03-03", "091000", "Envoi livré à LAVAL")), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rejected) != 1 || normalizers.KindOf(b.Rejected[0]) != normalizers.KindTimestamp {
		t.Errorf("rejected %v, want the February 30th scan", b.Rejected)
	}
	if len(b.Events) != 2 {
		t.Fatalf("%d events", len(b.Events))
	}
	u, d := b.Events[0], b.Events[1]
	if u.Type.Name != "unknown.unmapped" || u.Raw.Code != "Other" || u.Raw.Description != "Something new" || u.TZSource != event.TZAssumedUTC {
		t.Errorf("unknown scan: %s %q %q %v", u.Type.Name, u.Raw.Code, u.Raw.Description, u.TZSource)
	}
	if d.Type.Name != "delivered.delivered" || d.Location.Region != "QC" || d.TZSource != event.TZLocation {
		t.Errorf("French delivery: %s %s %v", d.Type.Name, d.Location.Region, d.TZSource)
	}
}

// Purolator's errors: a PIN it does not know is pending with the record's
// key and a notice without; anything else is the carrier's error.
func TestErrors(t *testing.T) {
	body := func(code, desc string) []byte {
		return []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><TrackPackagesByPinResponse><ResponseInformation><Errors><Error><Code>` +
			code + `</Code><Description>` + desc + `</Description></Error></Errors></ResponseInformation></TrackPackagesByPinResponse></s:Body></s:Envelope>`)
	}
	b, err := normalizertest.Normalize(New(), normalizers.XML, body("3001", "PIN not found"), "329014521622")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" {
		t.Errorf("not found with a key: %v %+v", err, b.Events)
	}
	if _, err := normalizertest.Normalize(New(), normalizers.XML, body("3001", "PIN not found"), ""); normalizers.KindOf(err) != normalizers.KindNotFound {
		t.Errorf("not found without a key: %v", err)
	}
	if _, err := normalizertest.Normalize(New(), normalizers.XML, body("1100", "Invalid PIN format"), ""); normalizers.KindOf(err) != normalizers.KindInvalidTracking {
		t.Errorf("invalid PIN: %v", err)
	}
	if _, err := normalizertest.Normalize(New(), normalizers.XML, body("9999", "Access denied"), ""); normalizers.KindOf(err) != normalizers.KindCarrierError {
		t.Errorf("other error: %v", err)
	}
}
