package dpd

import (
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

func statusInfo(code, desc, place, date, reached string) string {
	return `<statusInfo><status>` + code + `</status><label><content>L</content></label><description><content><content>` + desc +
		`</content></content></description><statusHasBeenReached>` + reached + `</statusHasBeenReached><location><content>` + place +
		`</content></location><date><content>` + date + `</content></date></statusInfo>`
}

func answer(infos ...string) []byte {
	return []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><getTrackingDataResponse><trackingresult>` +
		strings.Join(infos, "") + `</trackingresult></getTrackingDataResponse></soap:Body></soap:Envelope>`)
}

// A scan with a date that does not exist is rejected on its own; an
// unknown status with an unknown text is unmapped with its code kept; a
// German date is read day first; a status not reached yet is no scan.
func TestScans(t *testing.T) {
	b, err := normalizertest.Normalize(New(), normalizers.XML, answer(
		statusInfo("Courier", "x", "Mechelen (BE)", "2/30/2021 7:11:26 PM", "true"),
		statusInfo("Teleported", "Something new", "Köln (DE)", "17.08.2021 19:11:26", "true"),
		statusInfo("Delivered", "", "", "", "false"),
	), "05308801410058")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rejected) != 1 || normalizers.KindOf(b.Rejected[0]) != normalizers.KindTimestamp {
		t.Errorf("rejected %v, want the 2/30 scan", b.Rejected)
	}
	if len(b.Events) != 1 {
		t.Fatalf("%d events, want 1", len(b.Events))
	}
	e := b.Events[0]
	if e.Type.Name != "unknown.unmapped" || e.Raw.Code != "Teleported" || e.Location.Country != "DE" ||
		!e.OccurredAt.Equal(time.Date(2021, 8, 17, 17, 11, 26, 0, time.UTC)) {
		t.Errorf("got %s %q %s %v", e.Type.Name, e.Raw.Code, e.Location.Country, e.OccurredAt)
	}
}

// DPD's answer never names the parcel: without the record's key it is
// rejected, saying what to do.
func TestNoTrackingNumber(t *testing.T) {
	_, err := normalizertest.Normalize(New(), normalizers.XML, answer(statusInfo("Courier", "x", "Mechelen (BE)", "8/17/2021 7:11:26 PM", "true")), "")
	if normalizers.KindOf(err) != normalizers.KindValidate || !strings.Contains(err.Error(), "tracking number") {
		t.Errorf("got %v, want a validate error naming the tracking number", err)
	}
}
