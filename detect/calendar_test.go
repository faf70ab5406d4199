package detect

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/testbound"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
	"github.com/zeebo/xxh3"
)

// cubaPickup is a parcel from Miami to Havana picked up on Friday
// 2026-03-06 at 15:00 local, two days before Cuba's clocks skip midnight.
func cubaPickup(carrier string) *event.Event {
	e := &event.Event{
		Carrier: carrier, TrackingNumber: "CU1", Type: taxonomy.MustLookup("in_transit.picked_up"),
		OccurredAt:  time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC),
		Location:    event.Location{City: "Miami", Region: "FL", Country: "US"},
		Origin:      event.Location{City: "Miami", Region: "FL", Country: "US"},
		Destination: event.Location{City: "La Habana", Country: "CU"},
	}
	e.ID = event.ID(xxh3.Hash128([]byte(carrier + "CU1")).Bytes())
	return e
}

// A shipment to Cuba picked up on the Friday before the spring change, from
// a carrier whose stall clock skips weekends, froze the engine: the
// weekend's "next midnight" resolved to 23:00 on Saturday, over and over.
// Its international stall (96 h of weekdays) falls on Thursday at 15:00
// Havana daylight time.
func TestCubaFridayPickupStallsOnThursday(t *testing.T) {
	for _, carrier := range []string{"ups", "fedex", "usps"} {
		t.Run(carrier, func(t *testing.T) {
			testbound.Within(t, 30*time.Second, func() {
				en := New(rules.Default())
				c := &collect{}
				en.Apply(cubaPickup(carrier), c)
				en.Advance(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), c)
				want(t, c, "shipped", "stalled", "stalled")
				var stall *event.Event
				for _, e := range c.events {
					if e.Type.Name == "exception.stalled_in_transit" {
						stall = e
					}
				}
				if stall == nil || !stall.OccurredAt.Equal(time.Date(2026, 3, 12, 19, 0, 0, 0, time.UTC)) {
					t.Errorf("stall %v, want at 2026-03-12T19:00:00Z", stall)
				}
			})
		})
	}
}

// detectZones are the zones a shipment's destination can have.
func detectZones() []*time.Location { return append(tz.Zones(), time.UTC) }

// Every zone wismo knows, every day of 2019..2027, three times a day:
// business-day deadlines move forward, count at least the threshold, land
// on a weekday (or at the very start of the day after one) and never move
// back when the start moves on; quiet hours end in the future, outside
// quiet hours; the out-for-delivery cutoff is on the scan's own local day.
func TestEveryZoneEveryDayDeadlines(t *testing.T) {
	r := rules.Default()
	en := New(r)
	from := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	to := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	thresholds := []time.Duration{r.Stalls.InTransitDomestic, r.Stalls.InTransitInternational, 24 * time.Hour}
	// Quiet hours as by default, and ending at midnight, which some zones
	// skip.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "quiet.yaml"), []byte("notifications: {quiet_hours: {start: '22:00', end: '00:00'}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	midnight, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := []struct {
		r  *rules.Rules
		en *Engine
	}{{r, en}, {midnight, New(midnight)}}
	testbound.Within(t, 3*time.Minute, func() {
		for _, z := range detectZones() {
			prev := make([]int64, len(thresholds))
			failures := 0
			fail := func(format string, args ...any) {
				t.Helper()
				if failures++; failures <= 5 {
					t.Errorf("%s: "+format, append([]any{z}, args...)...)
				}
			}
			for day := calendar.At(from, z, 0, 0); day < to; day = calendar.NextDay(day, z) {
				for _, at := range []int64{day + 1800, calendar.At(day, z, 0, 12*3600), calendar.At(day, z, 0, 23*3600+1800)} {
					for i, d := range thresholds {
						got := addTime(at, d, true, z)
						sec := int64(d / time.Second)
						weeks := sec/(5*86400) + 1
						switch {
						case got-at < sec:
							fail("%v of weekdays from %s end at %s, too early", d, time.Unix(at, 0).In(z), time.Unix(got, 0).In(z))
						case got-at > sec+weeks*2*86400+2*86400:
							fail("%v of weekdays from %s end at %s, too late", d, time.Unix(at, 0).In(z), time.Unix(got, 0).In(z))
						case got < prev[i]:
							fail("%v of weekdays from %s end at %s, before the answer for an earlier start", d, time.Unix(at, 0).In(z), time.Unix(got, 0).In(z))
						}
						if wd := calendar.Weekday(calendar.Day(got, z)); (wd == time.Saturday || wd == time.Sunday) && calendar.NextDay(got-1, z) != got {
							fail("%v of weekdays from %s end on a %s, %s", d, time.Unix(at, 0).In(z), wd, time.Unix(got, 0).In(z))
						}
						prev[i] = got
					}
					decided := time.Unix(at, 0)
					for _, q := range quiet {
						nb := q.en.notBefore(decided, z)
						local := nb.In(z)
						m := local.Hour()*60 + local.Minute()
						dm := decided.In(z).Hour()*60 + decided.In(z).Minute()
						start, end := int(q.r.QuietStart), int(q.r.QuietEnd)
						quietNow := dm >= start || dm < end
						switch {
						case nb.Before(decided):
							fail("not_before %s before decided %s", local, decided.In(z))
						case !quietNow && !nb.Equal(decided):
							fail("decided %s outside quiet hours, not_before %s", decided.In(z), local)
						case quietNow && (m < end || m >= start):
							fail("quiet %d-%d: decided %s, not_before %s is still in quiet hours", start, end, decided.In(z), local)
						case nb.Sub(decided) > 13*time.Hour:
							fail("decided %s, not_before %s: longer than quiet hours", decided.In(z), local)
						}
					}
					s := &State{Current: taxonomy.MustLookup("out_for_delivery.out_for_delivery"), CurrentAt: u32(at), Zone: z, LastMove: u32(at)}
					en.deadlines("dhl:X", s, func(k kind, due int64) {
						if k == kindOutForDelivery && calendar.Day(due, z) != calendar.Day(at, z) && due-at > 0 {
							fail("out-for-delivery at %s: cutoff %s is on another day", time.Unix(at, 0).In(z), time.Unix(due, 0).In(z))
						}
					})
				}
			}
		}
	})
}

// An event of year 9999 made the engine loop: its time clamped to the end
// of uint32, its deadlines too, and a deadline clamped to the time it fired
// at was due again at once. Events outside the supported range change
// nothing and are reported; the engine goes on with the others.
func TestEventsOutsideTheSupportedRange(t *testing.T) {
	testbound.Within(t, 30*time.Second, func() {
		en := New(rules.Default())
		c := &collect{}
		for _, at := range []string{"9999-01-01T00:00:00Z", "9999-06-01T00:00:00Z", "1900-01-01T00:00:00Z", "2100-01-01T00:00:00Z"} {
			e := scan("in_transit.picked_up", at, "PU")
			if err := en.Apply(e, c); err == nil || !strings.Contains(err.Error(), "outside the supported range") {
				t.Errorf("%s: Apply error %v, want the supported range", at, err)
			}
		}
		if en.Len() != 0 || len(c.cmds) != 0 || !en.Now().Equal(time.Unix(0, 0).UTC()) {
			t.Errorf("refused events changed the engine: %d shipments, %d commands, clock %s", en.Len(), len(c.cmds), en.Now())
		}
		if err := en.Apply(scan("in_transit.picked_up", "2026-11-16T21:00:00Z", "PU"), c); err != nil {
			t.Fatal(err)
		}
		en.Advance(time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC), c)
		want(t, c, "shipped", "stalled", "stalled", "expired")
	})
}

// A changelog record with a time before the supported range is refused on
// restore, as one past uint32 is.
func TestUnmarshalStateRefusesTimesOutsideRange(t *testing.T) {
	for _, v := range []uint32{5, uint32(event.MinTime.Unix() - 1)} {
		s := State{LastScan: v}
		var back State
		if err := unmarshalState(MarshalState(nil, &s), &back, func(b []byte) string { return string(b) }); err == nil ||
			!strings.Contains(err.Error(), "outside the supported range") {
			t.Errorf("LastScan %d: %v", v, err)
		}
	}
	s := State{LastScan: uint32(event.MinTime.Unix()), LastMove: math.MaxUint32}
	var back State
	if err := unmarshalState(MarshalState(nil, &s), &back, func(b []byte) string { return string(b) }); err != nil || back != s {
		t.Errorf("times at the edges: %v %+v", err, back)
	}
}
