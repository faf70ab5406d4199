package gen

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
	"github.com/zeebo/xxh3"
)

// The lane month: canonical events of shipments on lanes whose behaviour
// the generator knows, so that the lane model's decisions can be measured
// against the truth (wismo evaluate). Unlike Generate it writes canonical
// events, not carrier payloads: what is measured is detection, and the
// normalizers have their own suite.
//
// Each lane (carrier x service x origin x destination) has a number of
// hops and a typical gap between scans; a parcel's gaps vary around it
// within a bounded spread. On top of that:
//   - weekday effects: a parcel picked up on a Friday waits for a later
//     trunk with some probability; carriers that do not move on weekends
//     scan Monday to Friday only (their gaps count weekday time);
//   - hub outages: a facility stops for 12 to 30 hours; every parcel whose
//     next scan there falls in the outage waits for its end;
//   - stuck parcels: silent for 20 to 100 hours, then moving again, or lost;
//   - a carrier that runs late: half of its parcels take a day longer than
//     the estimated delivery date it gives;
//   - promised dates: the retailer promises the carrier's date plus one day.
// A carrier whose parcel will be late says so itself (a delay scan) at the
// end of the estimated day, as carriers do.

// LaneOptions say what to generate.
type LaneOptions struct {
	Seed      uint64
	Shipments int
	Start     time.Time // first pickup (default DefaultStart)
	Days      int       // pickups spread over this many days (default 30)
	StuckRate float64   // share of parcels that get stuck (default 0.05)
	Outages   int       // hub outages over the month (default 6)
}

// LaneTruth is what really happened to one shipment.
type LaneTruth struct {
	ShipmentID string
	Lane       string
	Zone       *time.Location
	PickedUp   time.Time
	// Delivered is zero for a lost parcel; DeliveredDay is its local Day
	// number in the destination's zone.
	Delivered    time.Time
	DeliveredDay int64
	EDD          int64 // carrier's estimated delivery, local Day number
	Promised     int64 // the retailer's promise, local Day number
	// StallAt is the last scan before an abnormal stop (stuck, or held by
	// an outage longer than the lane's gaps ever are); zero when there
	// was none. StallEnd is when it moved again (zero: never).
	StallAt, StallEnd time.Time
	// CarrierDelayAt is when the carrier's own delay scan came (zero: it
	// sent none: the parcel was on time).
	CarrierDelayAt time.Time
}

// Late reports whether the parcel came after the carrier's date (or never).
func (t *LaneTruth) Late() bool { return t.Delivered.IsZero() || t.DeliveredDay > t.EDD }

type lmPlace struct {
	city, region, postal, hub string
	zone                      *time.Location
}

var lmPlaces = func() []*lmPlace {
	ps := []*lmPlace{
		{city: "New York", region: "NY", postal: "10001", hub: "NJ-NEWARK"},
		{city: "Boston", region: "MA", postal: "02110", hub: "MA-BOSTON"},
		{city: "Los Angeles", region: "CA", postal: "90012", hub: "CA-ONTARIO"},
		{city: "San Francisco", region: "CA", postal: "94105", hub: "CA-OAKLAND"},
		{city: "Chicago", region: "IL", postal: "60601", hub: "IL-HODGKINS"},
		{city: "Dallas", region: "TX", postal: "75201", hub: "TX-DFW"},
		{city: "Miami", region: "FL", postal: "33101", hub: "FL-MIAMI"},
		{city: "Seattle", region: "WA", postal: "98101", hub: "WA-SEATAC"},
	}
	for _, p := range ps {
		p.zone = tz.ForLocation("US", p.region)
	}
	return ps
}()

type lmService struct {
	name     string
	hops     int           // line-haul scans on the shortest lanes
	gap      time.Duration // typical gap between them
	distHops int           // extra hops per distance step
}

type lmCarrier struct {
	name     string
	business bool // does not move on weekends
	late     bool // half its parcels come a day after its date
	services []lmService
}

var lmCarriers = []lmCarrier{
	{name: "ups", business: true, services: []lmService{{"ground", 4, 6 * time.Hour, 2}, {"next_day_air", 2, 3 * time.Hour, 1}}},
	{name: "fedex", business: true, late: true, services: []lmService{{"ground", 4, 7 * time.Hour, 2}, {"express_saver", 3, 4 * time.Hour, 1}}},
	{name: "dhl", services: []lmService{{"parcel", 3, 8 * time.Hour, 2}, {"express", 2, 3 * time.Hour, 1}}},
}

// Gaps vary around the lane's by a log-normal factor, cut to this spread:
// what a lane normally does is bounded, so an abnormal stop is one longer
// than gapCap times its gap.
const (
	gapSigma = 0.3
	gapLo    = 0.5
	gapCap   = 2.2
)

type lmScan struct {
	at  int64
	typ *taxonomy.Type
	loc *lmPlace
	hub string
}

type lmOutage struct {
	hub      string
	from, to int64
}

// LaneMonth generates the shipments; emit receives their events in time
// order, and the truths are returned in shipment order.
func LaneMonth(o LaneOptions, emit func(*event.Event) error) ([]LaneTruth, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.StuckRate == 0 {
		o.StuckRate = 0.05
	}
	if o.Outages == 0 {
		o.Outages = 6
	}
	if o.Shipments < 0 || o.StuckRate < 0 || o.StuckRate > 1 || o.Days > 366 {
		return nil, fmt.Errorf("gen: lane month: shipments %d, stuck rate %v, days %d: want shipments >= 0, a rate from 0 to 1, at most 366 days",
			o.Shipments, o.StuckRate, o.Days)
	}
	r := rand.New(rand.NewPCG(mix(o.Seed), mix(o.Seed+0x1a7e)))
	var outages []lmOutage
	for i := 0; i < o.Outages; i++ {
		p := lmPlaces[r.IntN(len(lmPlaces))]
		from := o.Start.Unix() + r.Int64N(int64(o.Days)*day)
		outages = append(outages, lmOutage{hub: p.hub, from: from, to: from + (12+r.Int64N(19))*hour})
	}
	type timed struct {
		ev  *event.Event
		seq int
	}
	var all []timed
	truths := make([]LaneTruth, 0, o.Shipments)
	for i := 0; i < o.Shipments; i++ {
		sr := rand.New(rand.NewPCG(mix(o.Seed^0x5eed), mix(uint64(i)+1)))
		t, evs := lmShipment(o, i, sr, outages)
		truths = append(truths, t)
		for j, ev := range evs {
			all = append(all, timed{ev, j})
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].ev.OccurredAt.Before(all[b].ev.OccurredAt) })
	for _, x := range all {
		if err := emit(x.ev); err != nil {
			return truths, err
		}
	}
	return truths, nil
}

// distance is a fixed number of steps between two places (0 in one
// region).
func distance(a, b *lmPlace) int {
	if a.region == b.region {
		return 0
	}
	h := xxh3.HashString(a.postal + b.postal)
	if a.postal > b.postal {
		h = xxh3.HashString(b.postal + a.postal)
	}
	return 1 + int(h%3)
}

func lmShipment(o LaneOptions, i int, r *rand.Rand, outages []lmOutage) (LaneTruth, []*event.Event) {
	c := &lmCarriers[r.IntN(len(lmCarriers))]
	svc := c.services[r.IntN(len(c.services))]
	from := lmPlaces[r.IntN(len(lmPlaces))]
	to := lmPlaces[r.IntN(len(lmPlaces))]
	for to == from {
		to = lmPlaces[r.IntN(len(lmPlaces))]
	}
	zone := to.zone
	tn := fmt.Sprintf("LM%08d", i)
	id := c.name + ":" + tn
	hops := svc.hops + distance(from, to)*svc.distHops
	gap := int64(svc.gap / time.Second)
	// pickup: a weekday afternoon for the weekday carriers
	pick := o.Start.Unix() + r.Int64N(int64(o.Days)*day)
	pick = atLocal(pick, from.zone, 0, 14*60+r.Int64N(4*60))
	if c.business {
		pick = offWeekend(pick, from.zone)
	}
	add := func(t, d int64) int64 { return addCounted(t, d, c.business, zone) }
	// The carrier's date: the journey at the lane's typical gaps.
	nominal := pick
	for h := 0; h < hops+1; h++ {
		nominal = add(nominal, gap)
	}
	edd := calendar.Day(lmDeliverAt(nominal, c.business, zone), zone)
	truth := LaneTruth{ShipmentID: id, Lane: fmt.Sprintf("%s|%s|%s->%s", c.name, svc.name, from.postal, to.postal),
		Zone: zone, PickedUp: time.Unix(pick, 0).UTC(), EDD: edd, Promised: edd + 1}

	scans := []lmScan{{at: pick - (1+r.Int64N(20))*hour, typ: tLabel, loc: from}, {at: pick, typ: tPickedUp, loc: from, hub: from.hub}}
	extra := 0
	if c.late && r.IntN(2) == 0 {
		extra = int(math.Ceil(24 * 3600 / float64(gap))) // a day of extra trunks
	}
	if wd := time.Unix(pick, 0).In(from.zone).Weekday(); wd == time.Friday && r.IntN(2) == 0 {
		extra += int(math.Ceil(12 * 3600 / float64(gap))) // the weekend trunk leaves later
	}
	stuckAt, lost := -1, false
	if r.Float64() < o.StuckRate {
		stuckAt = r.IntN(hops + extra + 1)
		lost = r.IntN(5) == 0
	}
	t := pick
	for h := 0; h <= hops+extra; h++ {
		g := int64(float64(gap) * min(max(math.Exp(r.NormFloat64()*gapSigma), gapLo), gapCap))
		next := add(t, g)
		hub := from.hub
		if h > (hops+extra)/2 {
			hub = to.hub
		}
		if h == stuckAt {
			truth.StallAt = time.Unix(t, 0).UTC()
			if lost {
				break
			}
			next = add(t, (20+r.Int64N(81))*hour)
			truth.StallEnd = time.Unix(next, 0).UTC()
		}
		for _, out := range outages {
			if out.hub == hub && next >= out.from && next < out.to {
				held := add(out.to, r.Int64N(hour))
				silence := held - t
				if c.business {
					silence = calendar.WeekdaySeconds(t, held, zone)
				}
				if truth.StallAt.IsZero() && silence > int64(gapCap*float64(gap)) {
					truth.StallAt, truth.StallEnd = time.Unix(t, 0).UTC(), time.Unix(held, 0).UTC()
				}
				next = held
			}
		}
		typ := tDeparted
		if h%2 == 1 {
			typ = tArrived
		}
		loc := from
		if h > (hops+extra)/2 {
			loc = to
		}
		if h == hops+extra {
			typ, loc = tArrivedDelivery, to
		}
		t = next
		scans = append(scans, lmScan{at: t, typ: typ, loc: loc, hub: hub})
	}
	if !(stuckAt >= 0 && lost) {
		ofd := lmDeliverAt(t, c.business, zone)
		del := ofd + hour + r.Int64N(7*hour)
		scans = append(scans, lmScan{at: ofd, typ: tOFD, loc: to}, lmScan{at: del, typ: tDelivered, loc: to})
		truth.Delivered, truth.DeliveredDay = time.Unix(del, 0).UTC(), calendar.Day(del, zone)
	}
	if truth.Late() {
		// the carrier admits it at the end of its date
		at := lmEndOfDay(edd, zone)
		if truth.Delivered.IsZero() || at < truth.Delivered.Unix() {
			truth.CarrierDelayAt = time.Unix(at, 0).UTC()
			scans = append(scans, lmScan{at: at, typ: tCarrierDelay, loc: to})
		}
	}
	sort.SliceStable(scans, func(a, b int) bool { return scans[a].at < scans[b].at })
	evs := make([]*event.Event, 0, len(scans))
	eddStr := string(calendar.AppendDate(nil, edd))
	for j, s := range scans {
		ev := &event.Event{Carrier: c.name, TrackingNumber: tn, Service: svc.name, Type: s.typ,
			OccurredAt: time.Unix(s.at, 0).UTC(), TZSource: event.TZLocation, Source: event.FromCarrier,
			Location:          event.Location{City: s.loc.city, Region: s.loc.region, PostalCode: s.loc.postal, Country: "US", Facility: s.hub},
			Origin:            event.Location{Region: from.region, PostalCode: from.postal, Country: "US"},
			Destination:       event.Location{Region: to.region, PostalCode: to.postal, Country: "US"},
			EstimatedDelivery: eddStr, Feed: c.name}
		_, off := ev.OccurredAt.In(s.loc.zone).Zone()
		ev.LocalOffset = int32(off)
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(j))
		ev.ID = event.ID(xxh3.Hash128(append([]byte(id), b[:]...)).Bytes())
		evs = append(evs, ev)
	}
	return truth, evs
}

// lmDeliverAt is when a parcel at the delivery facility at t goes out for
// delivery: 9 o'clock the next morning that is at least two hours away (a
// weekday for the weekday carriers).
func lmDeliverAt(t int64, business bool, z *time.Location) int64 {
	at := atLocal(t+2*hour, z, 0, 9*60)
	if at < t+2*hour {
		at = atLocal(t+2*hour, z, 1, 9*60)
	}
	if business {
		at = offWeekend(at, z)
	}
	return at
}

// lmEndOfDay is 19:00 local on Day d of a US zone (noon UTC is on the
// same local date there).
func lmEndOfDay(d int64, z *time.Location) int64 {
	return calendar.At(d*day+12*hour, z, 0, 19*hour)
}

var (
	tLabel           = taxonomy.MustLookup("info_received.label_created")
	tPickedUp        = taxonomy.MustLookup("in_transit.picked_up")
	tDeparted        = taxonomy.MustLookup("in_transit.departed_facility")
	tArrived         = taxonomy.MustLookup("in_transit.arrived_at_facility")
	tArrivedDelivery = taxonomy.MustLookup("in_transit.arrived_at_delivery_facility")
	tOFD             = taxonomy.MustLookup("out_for_delivery.out_for_delivery")
	tDelivered       = taxonomy.MustLookup("delivered.delivered")
	tCarrierDelay    = taxonomy.MustLookup("exception.delayed_carrier_operations")
)
