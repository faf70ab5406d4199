package taxonomy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The embedded taxonomy must list exactly the types of the shared contract,
// with the same class, so that a contract change cannot slip by unnoticed.
func TestMatchesContract(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "spec", "taxonomy.md")
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("contract not beside the repository: %v", err)
		}
		t.Fatalf("the contract must sit beside the repository in CI: %v", err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^\| ([a-z_]+\.[a-z_]+) \| ([AIN]) \|`)
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			want[m[1]] = m[2]
		}
	}
	if len(want) < 80 {
		t.Fatalf("parsed only %d types from %s; has its table format changed?", len(want), path)
	}
	letter := map[Class]string{Actionable: "A", Informational: "I", Noise: "N"}
	for name, class := range want {
		typ, ok := Lookup(name)
		if !ok {
			t.Errorf("contract type %s is missing from taxonomy.yaml", name)
			continue
		}
		if letter[typ.Class] != class {
			t.Errorf("%s: class %s, contract says %s", name, letter[typ.Class], class)
		}
	}
	for _, typ := range All() {
		if _, ok := want[typ.Name]; !ok {
			t.Errorf("taxonomy.yaml has %s, which the contract does not list", typ.Name)
		}
	}
}

func TestEveryActionableTypeHasANextStep(t *testing.T) {
	for _, typ := range All() {
		if typ.Class == Actionable && typ.NextStep.IsZero() {
			t.Errorf("%s is actionable but has no next step", typ.Name)
		}
	}
}

func TestTemplate(t *testing.T) {
	tmpl, err := ParseTemplate("Your parcel left a {carrier} facility{in_place}.")
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl.Render(&Values{Carrier: "UPS", City: "LOUISVILLE", Area: "KY"}); got != "Your parcel left a UPS facility in Louisville, KY." {
		t.Errorf("got %q", got)
	}
	if got := tmpl.Render(&Values{Carrier: "UPS"}); got != "Your parcel left a UPS facility." {
		t.Errorf("without a place: got %q", got)
	}
	// The article before the carrier follows its name's sound.
	for carrier, want := range map[string]string{"Amazon Shipping": "an Amazon Shipping", "Australia Post": "an Australia Post",
		"USPS": "a USPS", "LaserShip": "a LaserShip", "Evri": "an Evri"} {
		if got := tmpl.Render(&Values{Carrier: carrier}); got != "Your parcel left "+want+" facility." {
			t.Errorf("%s: got %q", carrier, got)
		}
	}
	data, err := ParseTemplate("Data {carrier} has.")
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Render(&Values{Carrier: "Amazon"}); got != "Data Amazon has." {
		t.Errorf("a word ending in a before the carrier: got %q", got)
	}
	for _, bad := range []string{"{nope}", "open {carrier", "{}"} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("ParseTemplate(%q) accepted a bad template", bad)
		}
	}
}

func TestParseRejectsBadFiles(t *testing.T) {
	for name, data := range map[string]string{
		"bad class":          "- {type: a.b, class: X, message: m}",
		"no milestone":       "- {type: ab, class: N, message: m}",
		"no next step":       "- {type: a.b, class: A, message: m}",
		"duplicate":          "- {type: a.b, class: N, message: m}\n- {type: a.b, class: N, message: m}",
		"no message":         "- {type: a.b, class: N}",
		"bad template":       "- {type: a.b, class: N, message: '{x}'}",
		"not yaml list":      "type: a.b",
		"unknown column":     "- {type: a.b, class: N, message: m, movment: true}",
		"stall not pipeline": "- {type: exception.b, class: N, message: m, stall: true}",
		"two ranks":          "- {type: a.b, class: N, message: m, rank: 1}\n- {type: a.c, class: N, message: m, rank: 2}",
		"exception moves":    "- {type: exception.b, class: N, message: m, movement: true}",
	} {
		if _, err := parse([]byte(data)); err == nil {
			t.Errorf("%s: parse accepted it", name)
		}
	}
}

// Movement is a fact of the taxonomy read by detect and gen alike; scans
// about plans say nothing about where the parcel is, so they must not clear
// a delay (contract rule 3) nor restart the silence clock.
func TestMovement(t *testing.T) {
	for name, want := range map[string]bool{
		"in_transit.departed_facility":           true,
		"out_for_delivery.out_for_delivery":      true,
		"delivered.delivered":                    true,
		"returned.return_initiated":              true,
		"info_received.label_created":            false,
		"exception.stalled_in_transit":           false,
		"in_transit.eta_updated":                 false,
		"in_transit.delivery_rescheduled":        false,
		"in_transit.redirected_by_recipient":     false,
		"out_for_delivery.recipient_contacted":   false,
		"out_for_delivery.appointment_scheduled": false,
	} {
		if got := MustLookup(name).Movement; got != want {
			t.Errorf("%s: movement %v, want %v", name, got, want)
		}
	}
}
