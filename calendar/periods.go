package calendar

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// Go's time.Location remembers only the zone period around the time it was
// loaded; any other instant costs a binary search of the zone's changes and
// building a time.Time (about 600 instructions, on the detector's hot path
// for quiet hours, local days and business days). So calendar remembers,
// per zone, the last two periods it met: where each starts and ends and
// its offset.
//
// A table of buckets keyed by the zone's address holds immutable entries
// published atomically: readers take no lock, and an entry read is always
// whole. A bucket shared by two zones, or a zone met in more than two
// periods in turn, only costs misses; the entry's zone and bounds are
// checked on every read, so no answer comes from another zone or period.

type period struct {
	z          *time.Location
	start, end int64 // [start, end): the offset is off throughout
	off        int64
}

const buckets = 256 // two entries each: 4 KiB of pointers

var periods [buckets][2]atomic.Pointer[period]

func bucket(z *time.Location) *[2]atomic.Pointer[period] {
	// Heap objects do not move, and a changed address would only miss.
	h := uint64(uintptr(unsafe.Pointer(z))) * 0x9e3779b97f4a7c15
	return &periods[h>>56]
}

// cached is z's offset at u when a remembered period of z holds u.
func cached(u int64, z *time.Location) (int64, bool) {
	b := bucket(z)
	for i := range b {
		if p := b[i].Load(); p != nil && p.z == z && p.start <= u && u < p.end {
			return p.off, true
		}
	}
	return 0, false
}

// remember looks u up in z and, when the period time reports holds up
// (below), remembers it in front of z's bucket.
func remember(u int64, z *time.Location) int64 {
	off, start, end := zoneAt(u, z)
	if start <= u && u < end && agrees(z, off, start, end) {
		b := bucket(z)
		b[1].Store(b[0].Load())
		b[0].Store(&period{z: z, start: start, end: end, off: off})
	}
	return off
}

// year1 is the instant time reports as a zero Time, which ZoneBounds also
// uses for "since the beginning" and "forever".
var year1 = time.Time{}.Unix()

// zoneAt is z's offset at u and the bounds of the period time says holds
// u. A zero bound is unbounded or year1 itself; it is taken as year1 when
// that is the nearer of the two to u (true either way).
func zoneAt(u int64, z *time.Location) (off, start, end int64) {
	t := time.Unix(u, 0).In(z)
	_, o := t.Zone()
	s, e := t.ZoneBounds()
	start, end = -1<<63, 1<<63-1
	if !s.IsZero() || u >= year1 {
		start = s.Unix()
	}
	if !e.IsZero() || u < year1 {
		end = e.Unix()
	}
	return int64(o), start, end
}

// agrees reports whether time gives the same period for its first and last
// instants. ZoneBounds is not always a period time keeps to: past a zone's
// last explicit change Go computes the year's periods from the zone's rule,
// and can report one that starts before that change (Go's own zone data,
// America/Ciudad_Juarez in November 2022). (On 31 December of a leap year
// there it reports a period that ends before the instant asked about;
// remember keeps only periods holding the instant.)
func agrees(z *time.Location, off, start, end int64) bool {
	for _, x := range [...]int64{start, end - 1} {
		if o, s, e := zoneAt(x, z); o != off || s != start || e != end {
			return false
		}
	}
	return true
}
