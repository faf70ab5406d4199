package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/taxonomy"
)

func TestDefaults(t *testing.T) {
	r := Default()
	if got := r.StallsFor("dhl", "").InTransitDomestic; got != 48*time.Hour {
		t.Errorf("default domestic threshold %s", got)
	}
	if got := r.StallsFor("fedex", "priority_overnight").InTransitDomestic; got != 24*time.Hour {
		t.Errorf("carrier+service override: %s", got)
	}
	if n := r.NotifyFor(taxonomy.MustLookup("in_transit.departed_facility")); n != nil {
		t.Errorf("noise notifies: %+v", n)
	}
	if n := r.NotifyFor(taxonomy.MustLookup("attempt_failed.business_closed")); n == nil || n.Trigger != "attempt_failed" || n.Priority != "high" {
		t.Errorf("attempt_failed: %+v", n)
	}
	if n := r.NotifyFor(taxonomy.MustLookup("exception.address_incorrect")); n == nil || n.Trigger != "action_required" {
		t.Errorf("actionable exception: %+v", n)
	}
}

func TestUserOverridesAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "stalls: {in_transit_domestic: 36h}\nnotifications: {daily_cap: 2}\n")
	write("triggers.yaml", "- {match: in_transit.departed_facility, trigger: shipped, priority: low}\n- {match: in_transit.eta_updated, trigger: delayed, priority: normal}\n")
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stalls.InTransitDomestic != 36*time.Hour || r.DailyCap != 2 {
		t.Errorf("overrides not applied: %+v cap %d", r.Stalls, r.DailyCap)
	}
	if n := r.NotifyFor(taxonomy.MustLookup("in_transit.eta_updated")); n == nil || n.Trigger != "delayed" {
		t.Errorf("user trigger row: %+v", n)
	}
	if n := r.NotifyFor(taxonomy.MustLookup("in_transit.departed_facility")); n != nil {
		t.Error("a user row made noise notify")
	}
	for body, want := range map[string]string{
		"stalls: {in_transit_domestc: 36h}":                            "unknown threshold",
		"stalls: {expiry: -1h}":                                        "positive",
		"stalls: {expiry: 8785h}":                                      "longer than",
		"overrides: [{carrier: ups, escalate_after: 100000h}]":         "longer than",
		"notifications: {quiet_hours: {start: '25:00', end: '08:00'}}": "time of day",
		"overrides: [{service: ground, in_transit_domestic: 1h}]":      "needs its carrier",
		"nonsense: true":                                               "nonsense",
	} {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, "r.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to say %q", body, err, want)
		}
	}
	bad := t.TempDir()
	_ = os.WriteFile(filepath.Join(bad, "triggers.yaml"), []byte("- {match: in_transit.picked_up, trigger: teleported, priority: high}"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "unknown trigger") {
		t.Errorf("bad trigger: %v", err)
	}
}

// A misspelt key in a user's triggers.yaml is an error, as in the rule
// files (only_actionabel once passed, and the row notified on everything).
func TestTriggersUnknownKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "triggers.yaml"), []byte("- {match: in_transit.picked_up, trigger: shipped, priority: low, only_actionabel: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "only_actionabel") || !strings.Contains(err.Error(), "triggers.yaml") {
		t.Errorf("err = %v, want the unknown key and file named", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "triggers.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Errorf("an empty triggers.yaml: %v", err)
	}
}

func TestLanesBlock(t *testing.T) {
	r := Default()
	if !r.Lanes.Enabled || r.Lanes.StallFloor != 4*time.Hour || r.Lanes.Model.StallQuantile != 0.95 || r.Lanes.Model.StallFactor != 2 {
		t.Errorf("default lanes block: %+v", r.Lanes)
	}
	if r.Lanes.PredictedLateMessage == "" || r.Lanes.BackOnTrackMessage == "" {
		t.Error("the predicted_late and back_on_track messages are not in the defaults")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte("lanes: {enabled: false, stall_quantile: 0.9, stall_factor: 2, stall_floor: 2h, min_observations: 5}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lanes.Enabled || r.Lanes.StallFloor != 2*time.Hour || r.Lanes.Model.StallQuantile != 0.9 || r.Lanes.Model.MinObservations != 5 {
		t.Errorf("overridden lanes block: %+v", r.Lanes)
	}
	for _, bad := range []string{"lanes: {stall_quantile: 1.5}", "lanes: {stall_floor: soon}", "lanes: {stall_factor: 0.5}", "lanes: {stall_quantil: 0.9}"} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "x.yaml"), []byte(bad+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(d); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
