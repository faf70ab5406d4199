package normalizers_test

import (
	"testing"
	"time"

	"github.com/wismo/wismo/normalizers"
)

// An estimated delivery date is the carrier's calendar date, from a bare
// date or a timestamp, and nothing for a date that does not exist.
func TestBatchDate(t *testing.T) {
	b := normalizers.NewBatch()
	for in, want := range map[string]string{
		"2024-03-05": "2024-03-05", " 2024-03-05 ": "2024-03-05", "2024-03-05T23:30:00-05:00": "2024-03-05",
		"2024-03-05T00:00:00Z": "2024-03-05", "2024-02-30": "", "2024-13-01T00:00:00": "", "05-03-2024": "", "": "",
	} {
		if got := b.Date([]byte(in)); got != want {
			t.Errorf("Date(%q) = %q, want %q", in, got, want)
		}
	}
}

// Two stamps of one scan imply its offset only when it is a real one.
func TestOffsetBetween(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2024, 7, 1, h, m, s, 0, time.UTC) }
	for _, c := range []struct {
		wall, utc time.Time
		want      int32
		ok        bool
	}{
		{at(10, 0, 0), at(15, 0, 0), -5 * 3600, true},
		{at(10, 0, 0), at(4, 31, 10), 5*3600 + 30*60, true}, // India, the local stamp without its seconds
		{at(10, 7, 0), at(10, 0, 0), 0, false},              // seven minutes: no zone is that
		{at(23, 0, 0), at(7, 0, 0), 0, false},               // +16h: beyond the world's zones
		{at(10, 0, 0), at(10, 0, 0), 0, true},
	} {
		got, ok := normalizers.OffsetBetween(c.wall, c.utc)
		if got != c.want || ok != c.ok {
			t.Errorf("OffsetBetween(%s, %s) = %d, %v; want %d, %v", c.wall, c.utc, got, ok, c.want, c.ok)
		}
	}
}
