package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// evaluate prints every figure for both sides, and on a generated month the
// lane model finds stalls sooner than the flat rules and tells delays
// before the carrier.
func TestEvaluate(t *testing.T) {
	cmd := evaluateCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--seed", "3", "--shipments", "4000", "--days", "10"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if len(line) > 53 {
			rows[strings.TrimSpace(line[:53])] = strings.Fields(line[53:])
		}
	}
	for _, name := range []string{"at pickup: delivered on or before the latest date", "true stalls found",
		"hours from stall start to stalled (median)", "stall alarms on parcels not stalled", "late parcels told before the carrier's delay scan"} {
		if len(rows[name]) < 2 {
			t.Fatalf("no row %q in\n%s", name, out.String())
		}
	}
	h := rows["hours from stall start to stalled (median)"]
	flat, _ := strconv.ParseFloat(h[0], 64)
	model, _ := strconv.ParseFloat(h[1], 64)
	if !(model > 0 && model < flat) {
		t.Errorf("median hours to a stall: flat %v, model %v\n%s", flat, model, out.String())
	}
	if ahead := rows["late parcels told before the carrier's delay scan"]; !strings.HasPrefix(ahead[0], "0.0%") || strings.HasPrefix(ahead[2], "0.0%") {
		t.Errorf("told before the carrier: %v\n%s", ahead, out.String())
	}
}
