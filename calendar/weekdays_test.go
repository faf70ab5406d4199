package calendar

import (
	"testing"
	"time"
)

func TestWeekdaysAddDaysInverse(t *testing.T) {
	for from := int64(20400); from < 20414; from++ { // two weeks of start days
		for n := int64(0); n < 40; n++ {
			d := AddDays(from, n, true)
			if got := Weekdays(from, d, true); got != n {
				t.Fatalf("from %d (%v) n %d: AddDays %d (%v), Weekdays back %d", from, Weekday(from), n, d, Weekday(d), got)
			}
			if n > 0 && Weekdays(from, d-1, true) == n {
				t.Fatalf("from %d n %d: AddDays %d is not the earliest such day", from, n, d)
			}
			if d := AddDays(from, n, false); d != from+n || Weekdays(from, d, false) != n {
				t.Fatalf("calendar days: from %d n %d gave %d", from, n, d)
			}
		}
	}
}

func TestWeekdaySecondsInverse(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 5, 9, 30, 0, 0, ny).Unix() // a Thursday
	for _, d := range []int64{3600, 20 * 3600, 36 * 3600, 60 * 3600, 200 * 3600} {
		end, ok := AddWeekdays(base, d, ny)
		if !ok {
			t.Fatal("AddWeekdays out of bounds")
		}
		if got := WeekdaySeconds(base, end, ny); got != d {
			t.Errorf("%ds of weekdays from Thursday end at %v; WeekdaySeconds back %d", d, time.Unix(end, 0).In(ny), got)
		}
	}
	sat := time.Date(2026, 11, 7, 10, 0, 0, 0, ny).Unix()
	if got := WeekdaySeconds(sat, sat+24*3600, ny); got != 0 {
		t.Errorf("Saturday to Sunday counted %ds of weekdays", got)
	}
}

func TestAppendDateMatchesTime(t *testing.T) {
	for d := int64(-800); d < 60000; d += 7 { // 1967 .. 2134, every weekday
		want := time.Unix(d*86400, 0).UTC().Format("2006-01-02")
		if got := string(AppendDate(nil, d)); got != want {
			t.Fatalf("day %d: %s, want %s", d, got, want)
		}
	}
	for d := int64(20453); d < 20820; d++ { // every day of 2026
		if got, want := string(AppendDate(nil, d)), time.Unix(d*86400, 0).UTC().Format("2006-01-02"); got != want {
			t.Fatalf("day %d: %s, want %s", d, got, want)
		}
	}
}
