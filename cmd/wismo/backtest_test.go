package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/testbound"
	"github.com/wismo/wismo/taxonomy"
)

// runBacktest runs `wismo backtest` on stdin, failing the test instead of
// hanging when the command does not return.
func runBacktest(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := backtestCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	testbound.Within(t, 60*time.Second, func() { err = cmd.Execute() })
	return out.String(), errb.String(), err
}

func eventLine(carrier string, typ string, at time.Time, dest event.Location) string {
	e := &event.Event{
		Carrier: carrier, TrackingNumber: "BT1", Type: taxonomy.MustLookup(typ), OccurredAt: at,
		Location: event.Location{City: "Miami", Region: "FL", Country: "US"},
		Origin:   event.Location{City: "Miami", Region: "FL", Country: "US"}, Destination: dest,
	}
	e.ID[0], e.ID[15] = byte(at.Unix()), byte(len(carrier))
	return string(event.AppendJSON(nil, e)) + "\n"
}

// A UPS, FedEx or USPS shipment to Cuba picked up on the Friday before
// Cuba's clocks skip midnight hung `wismo backtest` for good.
func TestBacktestCubaFridayPickupFinishes(t *testing.T) {
	var in strings.Builder
	for _, c := range []string{"ups", "fedex", "usps"} {
		in.WriteString(eventLine(c, "in_transit.picked_up", time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC), event.Location{City: "La Habana", Country: "CU"}))
	}
	out, errs, err := runBacktest(t, in.String(), "--until", "2026-03-20T00:00:00Z")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	if n := strings.Count(out, `"trigger":"stalled"`); n != 6 {
		t.Errorf("%d stalled commands, want 2 per shipment:\n%s", n, out)
	}
	if n := strings.Count(out, `"decided_at":"2026-03-12T19:00:00Z"`); n != 3 {
		t.Errorf("%d stalls decided on Thursday 2026-03-12 15:00 in Havana, want 3:\n%s", n, out)
	}
}

// Events of year 9999 hung `wismo backtest` (the detector's 32-bit times
// wrapped); events of 1900 were taken. Each is now reported with its line
// number and skipped, the other lines are run, and the exit status says
// something was rejected.
func TestBacktestRefusesDatesOutsideTheSupportedRange(t *testing.T) {
	us := event.Location{City: "Chicago", Region: "IL", Country: "US"}
	in := eventLine("dhl", "in_transit.picked_up", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), us) +
		eventLine("ups", "in_transit.picked_up", time.Date(9999, 3, 1, 0, 0, 0, 0, time.UTC), us) +
		eventLine("fedex", "in_transit.picked_up", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), us) +
		eventLine("usps", "in_transit.picked_up", time.Date(2026, 11, 16, 21, 0, 0, 0, time.UTC), us)
	out, errs, err := runBacktest(t, in)
	if !errors.Is(err, errRejected) {
		t.Errorf("err = %v, want errRejected", err)
	}
	for _, want := range []string{"stdin:1: ", "stdin:2: ", "stdin:3: "} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := strings.Count(errs, "outside the supported range 2000-01-01 .. 2099-12-31"); n != 3 {
		t.Errorf("%d lines name the supported range, want 3:\n%s", n, errs)
	}
	if strings.Contains(errs, "stdin:4:") || !strings.Contains(out, `"trigger":"shipped"`) {
		t.Errorf("the good line was not run:\nstdout %s\nstderr %s", out, errs)
	}
	_, _, err = runBacktest(t, in, "--until", "9999-01-01T00:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "--until: 9999-01-01T00:00:00Z is outside the supported range") {
		t.Errorf("--until 9999: %v", err)
	}
}
