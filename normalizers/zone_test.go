package normalizers

import (
	"testing"
	"time"

	"github.com/wismo/wismo/event"
)

// TestZoneOffsetsAsTimeDate: the remembered zone offset gives what
// time.Date and Time.Zone give, scan after scan, across daylight-saving
// changes both ways (the skipped and the repeated hour), a half-hour rule
// (Lord Howe) and UTC instants as well as wall clocks.
func TestZoneOffsetsAsTimeDate(t *testing.T) {
	var c zoneOffsets // one for all, as a batch keeps it
	hits := 0
	for _, name := range []string{"Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		z, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range []time.Time{
			time.Date(2024, 3, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 25, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 4, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 4, 0, 0, 0, 0, time.UTC),
			time.Date(2037, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			for step := 0; step < 4*24*4; step++ {
				w := from.Add(time.Duration(step)*15*time.Minute + 7*time.Second)
				for _, tm := range []Time{{Wall: w}, {UTC: w}} {
					before := c
					utc, off, src, ok := c.resolve(&tm, z)
					if before.z == z && c == before {
						hits++
					}
					var want time.Time
					if !tm.UTC.IsZero() {
						want = tm.UTC
					} else {
						want = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), z).UTC()
					}
					_, wantOff := want.In(z).Zone()
					if !ok || src != event.TZLocation || !utc.Equal(want) || utc.Location() != time.UTC || off != int32(wantOff) {
						t.Fatalf("%s %+v: %v %d %v %v, want %v %d", name, tm, utc, off, src, ok, want, wantOff)
					}
				}
			}
		}
	}
	if hits == 0 {
		t.Error("the remembered offset never served")
	}
}
