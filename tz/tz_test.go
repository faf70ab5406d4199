package tz

import (
	"testing"
	"time"
)

func TestForLocation(t *testing.T) {
	cases := []struct {
		country, region string
		at              time.Time
		wantOffsetHours float64
	}{
		{"US", "CA", time.Date(2024, 2, 2, 20, 0, 0, 0, time.UTC), -8},  // PST
		{"US", "CA", time.Date(2024, 7, 2, 20, 0, 0, 0, time.UTC), -7},  // PDT: the rule of the scan's date
		{"US", "AZ", time.Date(2024, 7, 2, 20, 0, 0, 0, time.UTC), -7},  // Arizona keeps standard time
		{"US", "NY", time.Date(2024, 11, 4, 12, 0, 0, 0, time.UTC), -5}, // the day after DST ended
		{"CA", "NL", time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC), -3.5},
		{"DE", "", time.Date(2023, 3, 8, 12, 0, 0, 0, time.UTC), 1},
		{"DE", "BY", time.Date(2023, 7, 8, 12, 0, 0, 0, time.UTC), 2}, // unknown region of a one-zone country
		{"IN", "", time.Date(2024, 7, 8, 12, 0, 0, 0, time.UTC), 5.5},
		{"AU", "WA", time.Date(2024, 7, 8, 12, 0, 0, 0, time.UTC), 8},
		{"AU", "SA", time.Date(2024, 1, 8, 12, 0, 0, 0, time.UTC), 10.5}, // Adelaide in summer
		{"AX", "", time.Date(2024, 7, 8, 12, 0, 0, 0, time.UTC), 3},      // Åland keeps Finland's time
		{"SJ", "", time.Date(2024, 1, 8, 12, 0, 0, 0, time.UTC), 1},
	}
	for _, c := range cases {
		loc := ForLocation(c.country, c.region)
		if loc == nil {
			t.Errorf("%s-%s: no zone", c.country, c.region)
			continue
		}
		_, off := c.at.In(loc).Zone()
		if got := float64(off) / 3600; got != c.wantOffsetHours {
			t.Errorf("%s-%s at %s: offset %v h, want %v", c.country, c.region, c.at, got, c.wantOffsetHours)
		}
	}
	for _, unknown := range [][2]string{{"", ""}, {"US", ""}, {"US", "XX"}, {"RU", ""}, {"ES", ""}, {"PT", ""}, {"AU", ""}, {"ZZ", ""}} {
		if loc := ForLocation(unknown[0], unknown[1]); loc != nil {
			t.Errorf("%v: got zone %s; a multi-zone or unknown place must not guess", unknown, loc)
		}
	}
}

func TestParseRejectsBadTables(t *testing.T) {
	for _, data := range []string{"US-CA", "US-CA\tNot/AZone", "DE\tEurope/Berlin\nDE\tEurope/Berlin"} {
		if _, _, err := parse([]byte(data)); err == nil {
			t.Errorf("parse(%q) accepted a bad table", data)
		}
	}
}

func BenchmarkForLocation(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ForLocation("US", "CA") == nil {
			b.Fatal("no zone")
		}
	}
}

func TestByName(t *testing.T) {
	ca := ForLocation("US", "CA")
	if ca == nil || ByName(ca.String()) != ca {
		t.Fatalf("ByName(%v) is not the zone ForLocation gives", ca)
	}
	if ByName("Nowhere/Atlantis") != nil {
		t.Error("unknown zone name found")
	}
}
