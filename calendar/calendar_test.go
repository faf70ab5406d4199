package calendar

import (
	"archive/zip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/internal/testbound"
	"github.com/wismo/wismo/tz"
)

// midnightGaps are zones whose clocks skipped or repeated local midnight in
// recent years; they are tested even when Go's full zone list cannot be
// read.
var midnightGaps = []string{
	"America/Havana", "America/Asuncion", "America/Santiago", "America/Punta_Arenas", "Africa/Cairo",
	"Asia/Beirut", "Asia/Damascus", "Asia/Amman", "Asia/Gaza", "Asia/Hebron", "Asia/Tehran",
	"America/Sao_Paulo", "America/Campo_Grande", "America/Godthab", "America/Nuuk", "Atlantic/Azores",
	"America/Scoresbysund", "Pacific/Apia", "Pacific/Fiji", "Africa/Casablanca", "Asia/Dhaka",
	"America/Caracas", "Asia/Pyongyang", "Europe/Volgograd", "America/Mexico_City",
}

// allZones is every zone Go's tzdata knows (read from GOROOT's
// zoneinfo.zip), wismo's own and the midnight-gap zones above; wide marks
// the last two kinds, which are tested over the whole supported range.
func allZones(t testing.TB) (zones []*time.Location, wide map[*time.Location]bool) {
	t.Helper()
	names := map[string]bool{}
	for _, n := range midnightGaps {
		names[n] = true
	}
	for _, l := range tz.Zones() {
		names[l.String()] = true
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip")); err == nil {
			for _, f := range zr.File {
				if !names[f.Name] {
					names[f.Name] = false
				}
			}
			zr.Close()
		}
	}
	if len(names) < 300 {
		t.Logf("Go's zone list not found: testing %d zones", len(names))
	}
	wide = map[*time.Location]bool{}
	for n, w := range names {
		l, err := time.LoadLocation(n)
		if err != nil {
			t.Fatalf("zone %s: %v", n, err)
		}
		zones = append(zones, l)
		wide[l] = w
	}
	return zones, wide
}

func wallOf(y int, m time.Month, d, h, mi int) int64 {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC).Unix()
}

// Havana skips 00:00 on 2026-03-08 (the clocks go from 23:59:59 to 01:00):
// Saturday the 7th ends at 05:00 UTC, and time.Date's "midnight" lies an
// hour before that.
func TestHavanaMissingMidnight(t *testing.T) {
	z, _ := time.LoadLocation("America/Havana")
	sat := time.Date(2026, 3, 7, 12, 0, 0, 0, z).Unix()
	testbound.Within(t, 10*time.Second, func() {
		next := NextDay(sat, z)
		if got := time.Unix(next, 0).UTC().Format(time.RFC3339); got != "2026-03-08T05:00:00Z" {
			t.Errorf("next day starts at %s, want 2026-03-08T05:00:00Z", got)
		}
		if goDate := time.Date(2026, 3, 8, 0, 0, 0, 0, z).Unix(); goDate > sat+12*3600 {
			t.Log("time.Date resolves the missing midnight forward now; the test still checks First")
		}
		if got := At(sat, z, 1, 0); got != next {
			t.Errorf("At Sunday 00:00 = %d, want the change at %d", got, next)
		}
	})
}

// Santiago sets clocks back from Sunday 00:00 to Saturday 23:00 (first
// Sunday of April): that Saturday lasts 25 hours, and its second 23:00 hour
// still belongs to it.
func TestSantiagoRepeatedSaturdayHour(t *testing.T) {
	z, _ := time.LoadLocation("America/Santiago")
	sunday, _ := First(wallOf(2026, 4, 4, 12, 0)-maxOffset, wallOf(2026, 4, 5, 0, 0), z) // 04:00 UTC, 00:00 -04
	change, _ := time.Unix(sunday, 0).In(z).ZoneBounds()                                 // 03:00 UTC: 00:00 -03 becomes 23:00 -04
	if got := time.Unix(sunday, 0).UTC().Format(time.RFC3339); got != "2026-04-05T04:00:00Z" || change.Unix() != sunday-3600 {
		t.Fatalf("Sunday starts at %s, the change is at %s", got, change.UTC())
	}
	second := change.Unix() + 1800 // 23:30 -04, the second time
	if Day(second, z) != Day(change.Unix()-1, z) {
		t.Fatalf("23:30 -04 is on day %d, before it %d", Day(second, z), Day(change.Unix()-1, z))
	}
	if next := NextDay(second, z); next != sunday {
		t.Errorf("after %s the next day starts at %s", time.Unix(second, 0).In(z), time.Unix(next, 0).In(z))
	}
	start := At(second, z, 0, 0) // Saturday's start
	if d := NextDay(start, z) - start; d != 25*3600 {
		t.Errorf("Saturday 2026-04-04 in Santiago lasts %v, want 25h", time.Duration(d)*time.Second)
	}
}

// Every local day of 2019..2027 in every zone Go knows, and of the whole
// supported range of event times (2000..2099) in wismo's zones and those
// with midnight gaps: the next day starts strictly later, on the next local
// date (two on, when a date is skipped whole), 20 to 28 hours on; a time
// of day on that date is the first instant showing it (or the change that
// skips it), and where that time exists it is what time.Date says.
func TestEveryZoneEveryDay(t *testing.T) {
	zones, wide := allZones(t)
	narrowFrom, narrowTo := time.Date(2019, 1, 1, 12, 0, 0, 0, time.UTC).Unix(), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	testbound.Within(t, 3*time.Minute, func() {
		for _, z := range zones {
			from, to := narrowFrom, narrowTo
			if wide[z] {
				from, to = time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC).Unix(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			}
			u := At(from, z, 0, 0)
			for n := int64(0); u < to; n++ {
				if n > (to-from)/day+2 {
					t.Errorf("%s: more days than the calendar has", z)
					return
				}
				next := NextDay(u, z)
				d0, d1 := Day(u, z), Day(next, z)
				switch {
				case next <= u:
					t.Errorf("%s: day after %s starts at %s, not later", z, time.Unix(u, 0).In(z), time.Unix(next, 0).In(z))
					return
				case d1 != d0+1 && (d1 != d0+2 || Day(next-1, z) != d0):
					// A day may be skipped whole (Pacific/Apia, 2011-12-30):
					// the day after is then two dates on.
					t.Errorf("%s: day after %s starts on day %+d", z, time.Unix(u, 0).In(z), d1-d0)
				case next-u < 20*3600 || next-u > 28*3600:
					t.Errorf("%s: day %s lasts %v", z, time.Unix(u, 0).In(z), time.Duration(next-u)*time.Second)
				case Day(next-1, z) != d0:
					t.Errorf("%s: the second before %s is not on the day before", z, time.Unix(next, 0).In(z))
				}
				secs := []int64{0, 8 * 3600, 23*3600 + 30*60}
				if u < narrowFrom || u >= narrowTo {
					secs = secs[:1] // outside 2019..2027, midnight only: the test takes a third of the time
				}
				for _, sec := range secs {
					wall := d1*day + sec
					r := At(next, z, 0, sec)
					if Wall(r, z) < wall || Wall(r-1, z) >= wall && r-1 >= u {
						t.Errorf("%s: At(day %d, %ds) = %s, not the first instant showing it", z, d1, sec, time.Unix(r, 0).In(z))
					}
					y, m, dd := time.Unix(wall, 0).UTC().Date()
					g := time.Date(y, m, dd, int(sec/3600), int(sec%3600/60), 0, 0, z)
					if Wall(g.Unix(), z) == wall && g.Unix() != r {
						// The time exists; it may occur twice (a change
						// setting clocks back), and then At is the first.
						if other := r; Wall(other, z) != wall || other > g.Unix() {
							t.Errorf("%s: At %s = %s, time.Date says %s", z, time.Unix(wall, 0).UTC().Format("2006-01-02 15:04"),
								time.Unix(r, 0).In(z), g)
						}
					}
					at := u + 3600
					target := floorDiv(Wall(at, z), day)*day + sec
					if Wall(at, z) >= target {
						target += day
					}
					if nx := Next(at, z, sec); nx < at || nx-at > 28*3600 || Wall(nx, z) < target || nx > at && Wall(nx-1, z) >= target {
						t.Errorf("%s: Next(%s, %ds) = %s", z, time.Unix(at, 0).In(z), sec, time.Unix(nx, 0).In(z))
					}
				}
				u = next
			}
		}
	})
}

// AddWeekdays stops at its bound with the every-day answer instead of
// walking on.
func TestAddWeekdaysBound(t *testing.T) {
	z, _ := time.LoadLocation("America/Havana")
	from := time.Date(2026, 3, 6, 15, 0, 0, 0, z).Unix()
	testbound.Within(t, 10*time.Second, func() {
		if got, ok := AddWeekdays(from, 96*3600, z); !ok || time.Unix(got, 0).UTC().Format(time.RFC3339) != "2026-03-12T19:00:00Z" {
			t.Errorf("96h of weekdays from Friday 15:00 Havana: %s %v, want Thursday 2026-03-12T19:00:00Z", time.Unix(got, 0).UTC(), ok)
		}
		huge := int64(MaxDays) * day
		if got, ok := AddWeekdays(from, huge, z); ok || got != from+huge {
			t.Errorf("beyond the bound: %d %v, want %d false", got, ok, from+huge)
		}
	})
}

// Past the zone data's last explicit change Go applies the zone's rule, and
// time.Time.ZoneBounds then gives some leap years' last day a period that
// ends before it starts (Australia/Melbourne, 2092-12-31). The searches do
// not rely on it.
func TestYearEndPastTheZoneData(t *testing.T) {
	z, _ := time.LoadLocation("Australia/Melbourne")
	dec31 := time.Date(2092, 12, 31, 0, 0, 0, 0, z).Unix()
	if got := time.Unix(At(dec31, z, 1, 8*3600), 0).In(z).Format(time.RFC3339); got != "2093-01-01T08:00:00+11:00" {
		t.Errorf("08:00 on 2093-01-01 in Melbourne: %s", got)
	}
	if got := NextDay(dec31+3600, z); got != time.Date(2093, 1, 1, 0, 0, 0, 0, z).Unix() {
		t.Errorf("the day after 2092-12-31 starts at %s", time.Unix(got, 0).In(z))
	}
}

// Any start in the supported range, any duration up to the rules' bound,
// any of wismo's zones: the answers move forward and come back.
func FuzzCalendar(f *testing.F) {
	zones := append(tz.Zones(), time.UTC)
	f.Add(time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC).Unix(), int64(96*3600), uint16(0), int64(8*3600))
	f.Add(time.Date(2011, 12, 29, 12, 0, 0, 0, time.UTC).Unix(), int64(3600), uint16(7), int64(0))
	lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, from, d int64, zi uint16, sec int64) {
		z := zones[int(zi)%len(zones)]
		from = lo + (from%(hi-lo)+(hi-lo))%(hi-lo)
		d = (d%(367*day) + 367*day) % (367 * day)
		sec = (sec%day + day) % day
		if next := NextDay(from, z); next <= from || next-from > 49*3600 {
			t.Fatalf("%s: NextDay(%s) = %s", z, time.Unix(from, 0).In(z), time.Unix(next, 0).In(z))
		}
		if nx := Next(from, z, sec); nx < from || nx-from > 49*3600 {
			t.Fatalf("%s: Next(%s, %d) = %s", z, time.Unix(from, 0).In(z), sec, time.Unix(nx, 0).In(z))
		}
		got, ok := AddWeekdays(from, d, z)
		if !ok || got-from < d || got-from > d+(d/(5*day)+2)*2*day+2*day {
			t.Fatalf("%s: AddWeekdays(%s, %ds) = %s %v", z, time.Unix(from, 0).In(z), d, time.Unix(got, 0).In(z), ok)
		}
	})
}

// DaysFromCivil and DaysIn agree with time.Date on every day of years
// around each leap-year rule and at both ends of the four-digit range.
func TestDaysFromCivil(t *testing.T) {
	for _, y := range []int{0, 1, 4, 99, 100, 399, 400, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2100, 2400, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= 31; d++ {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
				if valid := want.Day() == d; valid != (d <= DaysIn(y, m)) {
					t.Fatalf("DaysIn(%d, %d) = %d, but day %d valid=%v", y, m, DaysIn(y, m), d, valid)
				}
				if d > DaysIn(y, m) {
					continue
				}
				if got := DaysFromCivil(y, m, d) * 86400; got != want.Unix() {
					t.Fatalf("%04d-%02d-%02d: %d days, want %d", y, m, d, got/86400, want.Unix()/86400)
				}
			}
		}
	}
}
