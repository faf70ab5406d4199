package calendar

import (
	"archive/zip"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func timeOffset(u int64, z *time.Location) int64 {
	_, off := time.Unix(u, 0).In(z).Zone()
	return int64(off)
}

// oddZones have half-hour DST, 45-minute offsets, a skipped day, year-end
// periods past the zone data, or no changes at all.
func oddZones(t testing.TB) []*time.Location {
	t.Helper()
	zs := []*time.Location{time.UTC, time.Local, time.FixedZone("odd", 5*3600+45*60+7), time.FixedZone("west", -12*3600)}
	for _, n := range []string{"Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "Pacific/Apia",
		"Australia/Melbourne", "America/New_York", "Europe/London", "America/Havana", "America/Santiago",
		"Africa/Casablanca", "Pacific/Kiritimati", "Antarctica/Troll", "Europe/Dublin"} {
		z, err := time.LoadLocation(n)
		if err != nil {
			t.Fatalf("zone %s: %v", n, err)
		}
		zs = append(zs, z)
	}
	return append(zs, slimZones(t)...)
}

// slimZones are zones read from Go's own zoneinfo.zip, whose "slim" data
// ends with an explicit change after the first rule change of that year:
// there ZoneBounds reports a period from before the explicit change, which
// time does not keep to (2022-11-06 to 2023 in America/Ciudad_Juarez,
// whose last change is on 2022-11-30).
func slimZones(t testing.TB) []*time.Location {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatalf("Go's zone data: %v", err)
	}
	defer zr.Close()
	var zs []*time.Location
	for _, f := range zr.File {
		switch f.Name {
		case "America/Ciudad_Juarez", "America/Indiana/Winamac", "America/Metlakatla", "Australia/Lord_Howe":
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			z, err := time.LoadLocationFromTZData(f.Name, b)
			if err != nil {
				t.Fatalf("zone %s: %v", f.Name, err)
			}
			zs = append(zs, z)
		}
	}
	if len(zs) != 4 {
		t.Fatalf("Go's zone data has %d of the 4 slim zones", len(zs))
	}
	return zs
}

var farInstants = []int64{-1 << 63, -1<<63 + 1, 1<<63 - 1, 1<<63 - 2, -1e15, 1e15, year1 - 1, year1, year1 + 1, -1, 0, 1}

// Every change of offset (found by walking time's zone bounds from 1800 to
// 2300), approached from below and from above, in every zone above: the
// remembered periods give time's offset at the instant before the change,
// at it and after it, and at instants far outside the zone data.
func TestOffsetAtMatchesTimeAtEveryChange(t *testing.T) {
	from, to := time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	check := func(z *time.Location, u int64) {
		if got, want := offsetAt(u, z), timeOffset(u, z); got != want {
			t.Fatalf("%s at %d (%s): offset %d, time says %d", z, u, time.Unix(u, 0).UTC(), got, want)
		}
	}
	changes := 0
	for _, z := range oddZones(t) {
		var at []int64
		for u, n := from, 0; u < to && n < 10_000; n++ {
			_, e := time.Unix(u, 0).In(z).ZoneBounds()
			if e.IsZero() {
				break
			}
			if e.Unix() <= u { // 31 December of a leap year past the zone data
				u += day
				continue
			}
			u = e.Unix()
			if timeOffset(u-1, z) != timeOffset(u, z) {
				at = append(at, u)
			}
		}
		changes += len(at)
		for _, c := range at { // upwards
			for _, d := range []int64{-day, -3601, -1, 0, 1, 3600, day} {
				check(z, c+d)
			}
		}
		for i := len(at) - 1; i >= 0; i-- { // downwards
			for _, d := range []int64{day, 1, 0, -1, -day} {
				check(z, at[i]+d)
			}
		}
		for _, u := range farInstants {
			check(z, u)
			check(z, u) // once remembered, if it was
		}
	}
	if changes < 2000 {
		t.Errorf("only %d offset changes found: the walk is broken", changes)
	}
	if got := Wall(1_700_000_000, nil); got != 1_700_000_000 {
		t.Errorf("Wall with no zone: %d", got)
	}
}

// A zone's 31 December of a leap year past its zone data, and the year of
// its last explicit change: ZoneBounds reports periods there that time
// does not keep to, which must not be remembered.
func TestOffsetAtWhereZoneBoundsMisleads(t *testing.T) {
	for _, z := range oddZones(t) {
		for y := 2020; y <= 2100; y++ {
			for _, u := range []int64{time.Date(y, 12, 30, 23, 0, 0, 0, time.UTC).Unix(), time.Date(y, 12, 31, 12, 0, 0, 0, time.UTC).Unix(),
				time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 1} {
				for _, v := range []int64{u, u + 3600, u - 3600, u + 1} {
					if got, want := offsetAt(v, z), timeOffset(v, z); got != want {
						t.Fatalf("%s at %s: offset %d, time says %d", z, time.Unix(v, 0).UTC(), got, want)
					}
				}
			}
		}
	}
}

// Engines on several goroutines share the table (run with -race).
func TestOffsetAtConcurrent(t *testing.T) {
	zs := oddZones(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20_000 {
				z := zs[(i+g)%len(zs)]
				u := base + int64(i*g)*4271
				if got, want := offsetAt(u, z), timeOffset(u, z); got != want {
					t.Errorf("%s at %d: offset %d, time says %d", z, u, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Any two instants in turn, any of the zones: time's offsets.
func FuzzOffsetAt(f *testing.F) {
	zs := oddZones(f)
	f.Add(int64(1_300_000_000), int64(1_325_000_000), uint8(7)) // Apia's skipped day
	f.Add(int64(-1<<63), int64(1<<63-1), uint8(4))
	f.Add(time.Date(2092, 12, 31, 12, 0, 0, 0, time.UTC).Unix(), time.Date(2092, 12, 30, 12, 0, 0, 0, time.UTC).Unix(), uint8(8))
	f.Fuzz(func(t *testing.T, u, v int64, zi uint8) {
		z := zs[int(zi)%len(zs)]
		for _, x := range []int64{u, v, u, v + 1, v - 1} {
			if got, want := offsetAt(x, z), timeOffset(x, z); got != want {
				t.Fatalf("%s at %d: offset %d, time says %d", z, x, got, want)
			}
		}
	})
}

func BenchmarkOffsetAt(b *testing.B) {
	z, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	u := time.Date(2031, 7, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := 0; b.Loop(); i++ {
		offsetAt(u+int64(i%1000)*60, z)
	}
}
