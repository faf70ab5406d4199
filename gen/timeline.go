package gen

import (
	"time"

	"github.com/wismo/wismo/calendar"
)

// Time helpers for the story of a shipment. Times are Unix seconds.

const (
	minute = int64(60)
	hour   = int64(3600)
	day    = 24 * hour
)

// Safety margins that keep expectations unambiguous: the detection stage
// reads events with an event-time clock, so a scan counts only when a poll
// has brought it in, and the clock may run a little ahead of the record
// being read (a later payload of another shipment that arrived first).
const (
	pollMax   = 2 * hour // longest time between two polls of a live shipment
	overshoot = 3 * hour // how far the clock may run ahead of a record (swapped payloads)
	margin    = 2 * hour // distance kept from every deadline
	// safeAhead is how much earlier than a deadline a scan must happen for
	// it to be read before the deadline fires.
	safeAhead = pollMax + overshoot + margin
)

// addCounted returns the time at which d seconds of silence have counted
// since from toward a stall: all seconds, or, for carriers that do not scan
// on weekends, those from Monday to Friday in the zone z. It is the
// detector's own arithmetic (calendar.AddWeekdays): the rules bound d far
// inside its limit.
func addCounted(from, d int64, business bool, z *time.Location) int64 {
	if !business {
		return from + d
	}
	t, _ := calendar.AddWeekdays(from, d, z)
	return t
}

// offWeekend moves a time on a weekend to the same clock time on Monday.
func offWeekend(t int64, z *time.Location) int64 {
	lt := time.Unix(t, 0).In(z)
	switch lt.Weekday() {
	case time.Saturday:
		return lt.AddDate(0, 0, 2).Unix()
	case time.Sunday:
		return lt.AddDate(0, 0, 1).Unix()
	}
	return t
}

// atLocal returns the time of day h:m (minutes past midnight) on the local
// date of t in z, shifted by days; where a clock change skips that time, the
// instant of the change.
func atLocal(t int64, z *time.Location, days int, minutes int64) int64 {
	return calendar.At(t, z, days, minutes*minute)
}

// localMinutes is the local time of day of t in z, in minutes.
func localMinutes(t int64, z *time.Location) int64 {
	lt := time.Unix(t, 0).In(z)
	return int64(lt.Hour()*60 + lt.Minute())
}

// localDay numbers the local date of t in z (days since 1970 in that zone).
func localDay(t int64, z *time.Location) int64 { return calendar.Day(t, z) }

// ambiguous reports whether the wall clock of t in z names another instant
// too (the hour a fall-back repeats), so that a carrier giving local times
// without an offset cannot say which one it meant.
func ambiguous(t int64, z *time.Location) bool {
	lt := time.Unix(t, 0).In(z)
	return time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), 0, z).Unix() != t
}
