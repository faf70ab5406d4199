// Package calendar does local-date arithmetic in a time zone: the start of
// the next local day, a time of day on a date, time counted on weekdays
// only. Every function moves strictly forward and every loop is bounded.
//
// time.Date cannot serve for this. Where a daylight-saving or offset change
// skips local midnight (America/Havana on the second Sunday of March,
// America/Asuncion and America/Santiago in spring, Africa/Cairo in April,
// ...), time.Date resolves the missing 00:00 to a time of the day before or
// after, so "midnight of the next day" can lie before the time it was
// computed from, and a loop stepping from midnight to midnight never ends.
// Where a change sets clocks back across midnight (America/Santiago in
// April), the same local date occurs twice.
//
// Here a local wall-clock time is a count of seconds as if the clock were
// UTC ("wall seconds"); the wall clock of an instant u is u plus the zone's
// offset at u, which rises with u inside each of the zone's periods and
// jumps at a change. The functions look for the first instant, at or after
// some point, whose wall clock reaches a wanted time, walking the zone's
// periods forward.
//
// Times are Unix seconds; a nil zone is UTC.
package calendar

import "time"

const day = 24 * 60 * 60

// maxOffset bounds any zone's distance from UTC (the extremes in use are
// -12 h and +14 h), so that no instant earlier than a wall time minus this
// shows that wall time or a later one.
const maxOffset = 15 * 60 * 60

// maxPeriods bounds the offset changes one search steps over. A search
// spans about a day, and no zone changes its offset more than twice in a
// day; the bound is a guard.
const maxPeriods = 16

// MaxDays bounds the local days that AddWeekdays walks: more than 27 years
// of weekdays, far above any rule's threshold.
const MaxDays = 10_000

func zoneOr(z *time.Location) *time.Location {
	if z == nil {
		return time.UTC
	}
	return z
}

// Wall is the local wall clock of u in z, in wall seconds.
func Wall(u int64, z *time.Location) int64 { return u + offsetAt(u, zoneOr(z)) }

// Day numbers the local date of u in z: days since 1970-01-01.
func Day(u int64, z *time.Location) int64 { return floorDiv(Wall(u, z), day) }

// Weekday is the day of the week of a Day number.
func Weekday(d int64) time.Weekday { return time.Weekday((d%7 + 7 + 4) % 7) } // 1970-01-01 was a Thursday

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// First returns the first instant at or after from whose wall clock in z
// reads wall or later. It is wall minus the offset when that wall time
// exists; the instant of the change when a change skips it; the earlier of
// the two instants when a change repeats it. ok is false only when the
// search gives up (a guard: more offset changes within a day than any zone
// has); the result is then from itself.
func First(from, wall int64, z *time.Location) (u int64, ok bool) {
	z = zoneOr(z)
	if lo := wall - maxOffset; from < lo {
		from = lo // nothing earlier can show wall or later
	}
	lo := from
	for range maxPeriods {
		off := offsetAt(lo, z)
		if lo+off >= wall {
			return lo, true // the wall clock is already there (lo starts a period past wall)
		}
		u := wall - off // where the wall clock reads wall, if the offset holds until then
		if offsetAt(u, z) == off {
			return u, true
		}
		// The offset changes between lo and u: find the change, and go on
		// from there. (time.Time.ZoneBounds would say where, but it is
		// wrong at some year ends past the zone data's last explicit
		// change, where Go applies the zone's rule: 2092-12-31 in
		// Australia/Melbourne.)
		lo = change(lo, u, off, z)
	}
	return from, false
}

// change returns the first instant after lo, at or before hi, whose offset
// in z is not off; offsetAt(lo) is off and offsetAt(hi) is not.
func change(lo, hi, off int64, z *time.Location) int64 {
	for hi-lo > 1 { // about 17 halvings over the day or so between them
		mid := lo + (hi-lo)/2
		if offsetAt(mid, z) == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// offsetAt is z's offset from UTC at u, in seconds, as time reports it.
// It answers from the zone period remembered for z (periods.go) when u
// falls inside it.
func offsetAt(u int64, z *time.Location) int64 {
	if off, ok := cached(u, z); ok {
		return off
	}
	return remember(u, z)
}

// NextDay returns the start of the local day after u's: the first instant
// after u whose local date is later than u's. It is always after u.
func NextDay(u int64, z *time.Location) int64 {
	next, ok := First(u+1, (Day(u, z)+1)*day, z)
	if !ok || next <= u {
		// Never seen with Go's zone data; a day after u keeps callers
		// moving forward.
		return u + day
	}
	return next
}

// At returns the first instant whose local wall clock reads sec seconds
// past midnight (or later, when a change skips that time) on the local
// date days after u's. When a change repeats that time, it is the first of
// the two.
func At(u int64, z *time.Location, days int, sec int64) int64 {
	wall := (Day(u, z)+int64(days))*day + sec
	r, ok := First(wall-maxOffset, wall, z)
	if !ok {
		return wall // unreachable with Go's zone data: the wall time taken as UTC
	}
	return r
}

// Next returns the first instant at or after u whose wall clock in z reads
// sec seconds past midnight (or later, when a change skips that time):
// today's when u's wall clock is before it, else tomorrow's.
func Next(u int64, z *time.Location, sec int64) int64 {
	w := Wall(u, z)
	wall := floorDiv(w, day)*day + sec
	if w >= wall {
		wall += day
	}
	r, ok := First(u, wall, z)
	if !ok {
		return u
	}
	return r
}

// AddWeekdays returns the instant at which d seconds have passed since from
// counting only the time on local Mondays to Fridays in z. It reports false
// when that instant lies more than MaxDays local days away; it then returns
// from+d (every day counted), which is earlier than the answer, never later.
func AddWeekdays(from, d int64, z *time.Location) (int64, bool) {
	z = zoneOr(z)
	t, left := from, d
	off := offsetAt(t, z)
	for range MaxDays {
		if left <= 0 {
			return t, true
		}
		today := floorDiv(t+off, day)
		// The next midnight, when the offset is the same there (one lookup
		// a day, on the hot path of the detector); else the careful way.
		next := (today+1)*day - off
		noff := offsetAt(next, z)
		if noff != off || next <= t {
			next = NextDay(t, z)
			noff = offsetAt(next, z)
		}
		if wd := Weekday(today); wd == time.Saturday || wd == time.Sunday {
			t, off = next, noff
			continue
		}
		if step := next - t; step < left {
			left -= step
			t, off = next, noff
			continue
		}
		return t + left, true
	}
	if left <= 0 {
		return t, true
	}
	return from + d, false
}

// DaysIn is the number of days in a month (1 to 12) of the proleptic
// Gregorian calendar.
func DaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// DaysFromCivil is the number of days from 1970-01-01 to a valid date of
// the proleptic Gregorian calendar. Decoders build instants with it instead
// of time.Date, which normalizes fields and looks its zone up: on the hot
// path that was a fifth of a USPS payload's time parsing. It counts in
// 400-year eras whose years start in March, so that the leap day ends a
// year (H. Hinnant's days_from_civil).
func DaysFromCivil(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 {
		era = (year - 399) / 400 // round down: year 0's January is in the era before
	}
	yoe := year - era*400 // [0, 399]
	mp := month - 3       // March is 0
	if month <= 2 {
		mp = month + 9
	}
	doy := (153*mp+2)/5 + day - 1          // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

// WeekdaySeconds is the time from from to to that falls on local Mondays to
// Fridays in z: the inverse of AddWeekdays, so that a gap measured with it
// and added back with AddWeekdays ends where it ended. It walks at most
// MaxDays local days; past them the rest counts whole.
func WeekdaySeconds(from, to int64, z *time.Location) int64 {
	z = zoneOr(z)
	// Most gaps are a few weekdays with no clock change: all of it counts.
	if off := offsetAt(from, z); to > from && to-from < 5*day && offsetAt(to, z) == off {
		weekdays := true
		for d := floorDiv(from+off, day); d <= floorDiv(to+off, day); d++ {
			if wd := Weekday(d); wd == time.Saturday || wd == time.Sunday {
				weekdays = false
				break
			}
		}
		if weekdays {
			return to - from
		}
	}
	var n int64
	t := from
	for range MaxDays {
		if t >= to {
			return n
		}
		next := min(NextDay(t, z), to)
		if next <= t {
			break
		}
		if wd := Weekday(Day(t, z)); wd != time.Saturday && wd != time.Sunday {
			n += next - t
		}
		t = next
	}
	if t < to {
		n += to - t
	}
	return n
}

// Weekdays is the number of Mondays to Fridays after day from up to and
// including day to (Day numbers), or to-from when every day counts; 0 when
// to is not after from.
func Weekdays(from, to int64, business bool) int64 {
	if to <= from {
		return 0
	}
	if !business {
		return to - from
	}
	weeks := (to - from) / 7
	n := weeks * 5
	for d := from + weeks*7 + 1; d <= to; d++ {
		if wd := Weekday(d); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

// AddDays is the Day number n days after day from, counting only Mondays to
// Fridays when business is set (a weekend start moves to the next Monday's
// count): Weekdays(from, AddDays(from, n, true), true) == n.
func AddDays(from, n int64, business bool) int64 {
	if !business || n <= 0 {
		return from + max(n, 0)
	}
	d := from + (n/5)*7
	left := n % 5
	for left > 0 {
		d++
		if wd := Weekday(d); wd != time.Saturday && wd != time.Sunday {
			left--
		}
	}
	// Whole weeks from a weekend day land on a weekend: the earliest day
	// with that count is the Friday before.
	for n%5 == 0 && (Weekday(d) == time.Saturday || Weekday(d) == time.Sunday) {
		d--
	}
	return d
}

// AppendDate appends the date of a Day number as YYYY-MM-DD (years 0 to
// 9999), without the cost of time.Format on the detector's hot path.
func AppendDate(b []byte, d int64) []byte {
	// Civil date from days since 1970-01-01, in 400-year eras starting on
	// March 1 (the leap day last in each year).
	z := d + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	y = min(max(y, 0), 9999)
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}
