package normalizers

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
)

// orderEvents makes events at the given minutes past a base time, each
// tagged with its position in Lineage.Offset.
func orderEvents(minutes []int) []event.Event {
	base := time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC)
	ev := make([]event.Event, len(minutes))
	for i, m := range minutes {
		ev[i].OccurredAt = base.Add(time.Duration(m) * time.Minute)
		ev[i].Lineage.Offset = int64(i)
	}
	return ev
}

// addInOrder hands b the events' times as scans, in the order given, as a
// decoder would: Add keeps the order flags that oldestFirst relies on. Each
// scan's code is its position, which comes back in Lineage.Offset.
func addInOrder(b *Batch, ev []event.Event) {
	b.resetFor("test", "Test", "", &Input{Now: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
	for i := range ev {
		b.Add(&Scan{TrackingNumber: "T1", Time: Time{UTC: ev[i].OccurredAt}, Raw: event.Raw{Code: positions[i]}})
	}
	for i := range b.Events {
		b.Events[i].Lineage.Offset = int64(slices.Index(positions, b.Events[i].Raw.Code))
	}
}

// positions names scan positions without allocating.
var positions = func() (p []string) {
	for i := 0; i < 200; i++ {
		p = append(p, strconv.Itoa(i))
	}
	return p
}()

// checkOldestFirst adds ev's scans, sorts them with oldestFirst and compares
// the result with the standard library's stable sort by time.
func checkOldestFirst(t *testing.T, name string, ev []event.Event) {
	t.Helper()
	want := slices.Clone(ev)
	slices.SortStableFunc(want, func(x, y event.Event) int { return x.OccurredAt.Compare(y.OccurredAt) })
	b := NewBatch()
	addInOrder(b, ev)
	b.oldestFirst()
	for i := range want {
		if b.Events[i].Lineage.Offset != want[i].Lineage.Offset || !b.Events[i].OccurredAt.Equal(want[i].OccurredAt) {
			var got, exp []int64
			for j := range want {
				got = append(got, b.Events[j].Lineage.Offset)
				exp = append(exp, want[j].Lineage.Offset)
			}
			t.Fatalf("%s: order %v, want %v (positions in the carrier's order)", name, got, exp)
		}
	}
}

// The payload's events come out oldest first, and scans of the same instant
// in the carrier's order, whatever order the carrier listed them in.
func TestOldestFirst(t *testing.T) {
	for _, c := range []struct {
		name    string
		minutes []int
	}{
		{"empty", nil},
		{"one", []int{5}},
		{"ascending", []int{1, 2, 3, 4}},
		{"ascending with ties", []int{1, 2, 2, 3}},
		{"descending", []int{9, 7, 5, 1}},
		{"newest first with ties", []int{9, 8, 8, 7, 6, 6, 6, 2, 1}},
		{"newest first, one out of place", []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 4}},
		{"newest first, one inversion in the middle", []int{9, 8, 7, 5, 6, 4, 3, 2, 1}},
		{"oldest first, one inversion", []int{1, 2, 4, 3, 5}},
		{"ties apart", []int{5, 3, 5, 1, 5}},
		{"all equal", []int{4, 4, 4, 4}},
		{"two", []int{2, 1}},
	} {
		checkOldestFirst(t, c.name, orderEvents(c.minutes))
	}
	// Random histories of every length up to well past the stack buffer,
	// with many ties and partly sorted runs.
	r := rand.New(rand.NewPCG(11, 7))
	for n := 0; n < 150; n++ {
		for round := 0; round < 8; round++ {
			minutes := make([]int, n)
			spread := 1 + r.IntN(2*n+1)
			for i := range minutes {
				minutes[i] = r.IntN(spread)
			}
			switch round % 4 {
			case 1:
				slices.Sort(minutes)
				slices.Reverse(minutes)
				if n > 1 {
					i, j := r.IntN(n), r.IntN(n)
					minutes[i], minutes[j] = minutes[j], minutes[i]
				}
			case 2:
				slices.Sort(minutes)
				if n > 1 {
					i := r.IntN(n - 1)
					minutes[i], minutes[i+1] = minutes[i+1], minutes[i]
				}
			}
			checkOldestFirst(t, "random", orderEvents(minutes))
		}
	}
}

// Times in other zones and with sub-second parts are compared as instants.
func TestOldestFirstInstants(t *testing.T) {
	chicago := time.FixedZone("CST", -6*3600)
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ev := make([]event.Event, 5)
	for i, at := range []time.Time{
		base.Add(2 * time.Nanosecond),
		base.In(chicago),
		base.Add(time.Nanosecond).In(chicago),
		base.Add(-time.Second),
		base.Add(time.Nanosecond),
	} {
		ev[i].OccurredAt = at
		ev[i].Lineage.Offset = int64(i)
	}
	checkOldestFirst(t, "instants", ev)
}

// Adding and sorting a history of normal length allocates nothing.
func TestOldestFirstAllocs(t *testing.T) {
	ev := orderEvents([]int{9, 8, 8, 7, 6, 6, 6, 2, 1, 3, 0, 0, 5, 4, 4, 2, 1})
	b := NewBatch()
	addInOrder(b, ev) // grows the batch's buffers once
	if n := testing.AllocsPerRun(100, func() {
		addInOrder(b, ev)
		b.oldestFirst()
	}); n != 0 {
		t.Errorf("oldestFirst allocates %.0f times per payload, want 0", n)
	}
}

// A scan repeated in a payload is one event, whether the payload's ids are
// few (looked through one by one) or many (past linearIDs, in a map), and
// the first of the repeats is kept.
func TestAddDropsRepeats(t *testing.T) {
	for _, n := range []int{1, linearIDs - 1, linearIDs, linearIDs + 1, 3 * linearIDs} {
		b := NewBatch()
		b.resetFor("test", "Test", "", &Input{Now: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
		at := time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC)
		for round := 0; round < 3; round++ {
			for i := 0; i < n; i++ {
				b.Add(&Scan{TrackingNumber: "T1", Time: Time{UTC: at.Add(time.Duration(i) * time.Minute)},
					Raw: event.Raw{Code: positions[i], Description: positions[round]}})
			}
		}
		if len(b.Events) != n {
			t.Fatalf("%d scans sent three times: %d events, want %d", n, len(b.Events), n)
		}
		for i := range b.Events {
			if b.Events[i].Raw.Description != "0" {
				t.Fatalf("%d scans: event %d is from round %s, want the first", n, i, b.Events[i].Raw.Description)
			}
		}
	}
}

// Times past what timeKey packs (a pending event at a --now centuries
// away) still sort, stably.
func TestSortByTimeFarTimes(t *testing.T) {
	at := []time.Time{
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 0, 0, 0, 5, time.UTC),
		time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 5, 1, 0, 0, 0, 4, time.UTC),
	}
	ev := make([]event.Event, len(at))
	for i := range ev {
		ev[i].OccurredAt, ev[i].Lineage.Offset = at[i], int64(i)
	}
	want := slices.Clone(ev)
	slices.SortStableFunc(want, func(x, y event.Event) int { return x.OccurredAt.Compare(y.OccurredAt) })
	sortByTime(ev)
	for i := range want {
		if ev[i].Lineage.Offset != want[i].Lineage.Offset {
			t.Fatalf("position %d: event %d, want %d", i, ev[i].Lineage.Offset, want[i].Lineage.Offset)
		}
	}
}
