package normalizers

import (
	"fmt"
	"testing"
	"time"
)

// civil computes the instant itself instead of calling time.Date; it must
// agree with time.Date on every valid date, and refuse every invalid one,
// across leap-year rules (1900, 2000, 2100), the first years and the last.
func TestCivilMatchesTimeDate(t *testing.T) {
	field := func(n, width int) []byte { return fmt.Appendf(nil, "%0*d", width, n) }
	years := []int{0, 1, 3, 4, 99, 100, 399, 400, 1600, 1899, 1900, 1969, 1970, 1971, 1999, 2000, 2024, 2026, 2100, 2400, 9998, 9999}
	for _, y := range years {
		for mo := 1; mo <= 12; mo++ {
			for d := 1; d <= 32; d++ {
				for _, hms := range [][3]int{{0, 0, 0}, {23, 59, 59}, {12, 34, 56}} {
					got, ok := civil(field(y, 4), field(mo, 2), field(d, 2), field(hms[0], 2), field(hms[1], 2), field(hms[2], 2))
					want := time.Date(y, time.Month(mo), d, hms[0], hms[1], hms[2], 0, time.UTC)
					valid := want.Day() == d
					if ok != valid {
						t.Fatalf("%04d-%02d-%02d: ok=%v, want %v", y, mo, d, ok, valid)
					}
					if ok && (got != want) {
						t.Fatalf("%04d-%02d-%02d %v: %v, want %v", y, mo, d, hms, got, want)
					}
				}
			}
		}
	}
}

func TestParseNumeric(t *testing.T) {
	for in, want := range map[string]string{
		"8/17/2021 7:11:26 PM": "2021-08-17T19:11:26", "8/18/2021 12:09:55 AM": "2021-08-18T00:09:55",
		"17.08.2021 19:11:26": "2021-08-17T19:11:26", "17.08.2021, 19:11": "2021-08-17T19:11:00",
		"2021-08-17T19:11:26": "2021-08-17T19:11:26", "13/17/2021 7:11:26 PM": "", "8/17/2021 13:11:26 PM": "",
		"31.04.2021 10:00": "", "8/17/2021": "", "": "", "8/17/2021 7:11:26 PMX": "",
	} {
		got := ""
		if t, ok := ParseNumeric([]byte(in)); ok {
			got = t.Format("2006-01-02T15:04:05")
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestDateOf: DateOf writes what Format("2006-01-02") does.
func TestDateOf(t *testing.T) {
	b := NewBatch()
	for _, tm := range []time.Time{
		time.Date(2024, 3, 5, 23, 59, 59, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 1, 9, 0, 0, 0, 0, time.UTC), time.Date(999, 10, 10, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), {},
		time.Date(2024, 3, 5, 23, 0, 0, 0, time.FixedZone("", -8*3600)),
	} {
		if got, want := b.DateOf(tm), tm.Format("2006-01-02"); got != want {
			t.Errorf("DateOf(%v) = %q, want %q", tm, got, want)
		}
	}
}
