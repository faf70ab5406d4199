package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAccommodationTable(t *testing.T) {
	r := Default()
	for _, c := range []struct {
		trigger, segment string
		want             Accommodation
	}{
		{"stalled", "vip", Accommodation{"expedite_replacement", "high"}},
		{"delayed", "first_order", Accommodation{"reassure", ""}},
		{"delayed", "vip", Accommodation{"proactive_credit", "high"}},
		{"shipped", "vip", Accommodation{"", "high"}}, // the segment's "*" row
		{"shipped", "first_order", Accommodation{}},   // no row
		{"stalled", "repeat", Accommodation{"apology", ""}},
		{"stalled", "", Accommodation{}}, // no order context
		{"delivered", "at_risk", Accommodation{}},
	} {
		if got := r.AccommodationFor(c.trigger, c.segment); got != c.want {
			t.Errorf("%s x %s = %+v, want %+v", c.trigger, c.segment, got, c.want)
		}
	}
}

func TestAccommodationUserRowsFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accommodations.yaml"),
		[]byte(`- {trigger: stalled, segment: vip, accommodation: apology}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AccommodationFor("stalled", "vip"); got != (Accommodation{"apology", ""}) {
		t.Errorf("user row did not win: %+v", got)
	}
	if got := r.AccommodationFor("delayed", "vip"); got.Accommodation != "proactive_credit" {
		t.Errorf("defaults lost under a user file: %+v", got)
	}
}

func TestAccommodationErrors(t *testing.T) {
	for _, c := range []struct{ row, want string }{
		{`- {trigger: stalld, segment: vip}`, `unknown trigger "stalld"`},
		{`- {trigger: stalled, segment: gold}`, `segment "gold"`},
		{`- {trigger: stalled, segment: vip, accommodation: free_car}`, `unknown accommodation "free_car"`},
		{`- {trigger: stalled, segment: vip, priority: urgent}`, `priority "urgent"`},
		{`- {trigger: stalled, segment: vip, acommodation: apology}`, `acommodation`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "accommodations-x.yaml"), []byte(c.row+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "accommodations-x.yaml") {
			t.Errorf("%s: error %v, want one naming the file and %q", c.row, err, c.want)
		}
	}
}
