package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

// laneLine is a DHL scan on the Chicago to Dallas lane.
func laneLine(tn, typ string, at time.Time) string {
	e := &event.Event{Carrier: "dhl", TrackingNumber: tn, Service: "parcel", Type: taxonomy.MustLookup(typ), OccurredAt: at,
		Location:    event.Location{City: "Chicago", Region: "IL", Country: "US"},
		Origin:      event.Location{Region: "IL", PostalCode: "60601", Country: "US"},
		Destination: event.Location{Region: "TX", PostalCode: "75201", Country: "US"}}
	e.ID = event.ID(xxh3.Hash128([]byte(tn + typ + at.String())).Bytes())
	return string(event.AppendJSON(nil, e)) + "\n"
}

// The held-out shape of issue 15: the histories of one lane (scans every
// 3 hours), then a parcel silent 20 hours there (far beyond the lane's
// gaps, under the flat 48 h) and one whose gaps are the lane's own. Backtest
// runs the lane model by default: the first stalls, the second does not;
// with --model flat neither does.
func TestBacktestLearnsTheLanesStallThreshold(t *testing.T) {
	var in strings.Builder
	start := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	for i := 0; i < 80; i++ {
		tn := fmt.Sprintf("H%03d", i)
		at := start.Add(time.Duration(i) * 2 * time.Hour)
		in.WriteString(laneLine(tn, "in_transit.picked_up", at))
		for j := 1; j <= 5; j++ {
			d := time.Duration(150+j*15) * time.Minute // 2.75 to 3.75 hours
			at = at.Add(d)
			in.WriteString(laneLine(tn, "in_transit.departed_facility", at))
		}
		in.WriteString(laneLine(tn, "out_for_delivery.out_for_delivery", at.Add(3*time.Hour)))
		in.WriteString(laneLine(tn, "delivered.delivered", at.Add(6*time.Hour)))
	}
	t0 := start.Add(8 * 24 * time.Hour)
	in.WriteString(laneLine("SILENT", "in_transit.picked_up", t0))
	in.WriteString(laneLine("NORMAL", "in_transit.picked_up", t0))
	for j := 1; j <= 6; j++ {
		in.WriteString(laneLine("NORMAL", "in_transit.departed_facility", t0.Add(time.Duration(j)*3*time.Hour+30*time.Minute)))
	}
	in.WriteString(laneLine("SILENT", "in_transit.departed_facility", t0.Add(20*time.Hour)))
	until := []string{"--until", t0.Add(22 * time.Hour).Format(time.RFC3339)}

	out, errs, err := runBacktest(t, in.String(), until...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	stalled := func(out, tn string) bool {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, `"shipment_id":"dhl:`+tn+`"`) && strings.Contains(line, `"trigger":"stalled"`) {
				return true
			}
		}
		return false
	}
	if !stalled(out, "SILENT") {
		t.Error("lane model: a parcel silent 20 h on a 3-hour lane was not stalled")
	}
	if stalled(out, "NORMAL") {
		t.Error("lane model: a parcel moving at the lane's own pace was stalled")
	}
	if !strings.Contains(out, `"predicted_delivery":{"earliest":`) {
		t.Error("no command carries a predicted delivery")
	}
	flat, errs, err := runBacktest(t, in.String(), append(until, "--model", "flat")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	if stalled(flat, "SILENT") || stalled(flat, "NORMAL") {
		t.Error("flat rules stalled a parcel silent under 48 h")
	}
	if strings.Contains(flat, `"predicted_delivery":{`) {
		t.Error("flat rules predicted a delivery date")
	}
}

func TestBacktestModelFlag(t *testing.T) {
	_, _, err := runBacktest(t, "", "--model", "learned")
	if err == nil || !strings.Contains(err.Error(), `--model "learned"`) {
		t.Errorf("--model learned: %v", err)
	}
}
