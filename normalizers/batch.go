package normalizers

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
	"github.com/zeebo/xxh3"
)

// Input is one raw record.
type Input struct {
	Payload []byte
	Format  Format
	// TrackingHint is the tracking number the record is about, when the
	// transport knows it: the raw record's Kafka key (raw topics are keyed
	// by tracking number), `wismo normalize --tracking-number`, or a
	// sample's key file (KeyFileExt). It names the shipment of a "not found
	// yet" answer that does not repeat the number, and of every scan of an
	// API that never does (DPD's ParcelLifeCycle); such a payload without
	// a hint is rejected (validate) saying so.
	TrackingHint string
	Lineage      event.Lineage
	// Now is the processing time, for the sanity check on scan times and
	// for pending events. Zero means time.Now().
	Now time.Time
}

// KeyFileExt is the extension of a payload file's key file: FILE.xml.key
// holds the tracking number FILE.xml is about, as the Kafka key of its raw
// record would. `wismo normalize` and the conformance suite read it as the
// TrackingHint.
const KeyFileExt = ".key"

// Batch receives the events of one payload. Reuse it: Reset keeps its
// buffers.
type Batch struct {
	Events []event.Event
	// Rejected holds the scans refused one by one (absurd times); the
	// payload's other scans still count.
	Rejected []*Error

	// ReuseStrings lets the next Normalize overwrite the strings of this
	// payload's events instead of allocating fresh memory for them. Set it
	// only when nothing keeps an event (or a string from one) past the next
	// call, as the normalize stage does: it encodes every event at once.
	// Then normalizing allocates nothing in the steady state.
	ReuseStrings bool

	carrier, display string
	feed             string
	lineage          event.Lineage
	now              time.Time
	minTime, maxTime time.Time
	// ids are the events' ids, in order, for the duplicate check: a
	// payload holds a dozen scans, and a look through 16-byte ids in one
	// array is cheaper than a map's hashing, inserting and clearing. Past
	// linearIDs ids, seen (filled then) answers instead.
	ids  []event.ID
	seen map[event.ID]struct{}
	// asc and desc say whether Events are in ascending (equal times
	// allowed) or strictly descending order of time so far, kept by Add so
	// that oldestFirst does not walk the events again.
	asc, desc bool
	// tracking is the last tracking number found valid in this payload:
	// a payload's scans repeat one number, checked once.
	tracking string
	// lastCarrier is the last scan carrier of this payload and its display
	// name (displayOf); reset with the arena, which its key may be in.
	lastCarrier [2]string
	arena       arena
	hash        [256]byte
	// zones remembers the last places' zones (their strings may be in the
	// arena: reset with it); offsets the last zone offset found, which
	// holds across payloads.
	zones   [2]placeZone
	offsets zoneOffsets
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{} }

// linearIDs is how many ids the duplicate check looks through one by one
// before it builds a map.
const linearIDs = 32

func (b *Batch) reset(n Normalizer, in *Input) {
	b.resetFor(n.Carrier(), n.DisplayName(), feedOf(n), in)
}

func (b *Batch) resetFor(carrier, display, feed string, in *Input) {
	b.Events = b.Events[:0]
	if b.ReuseStrings {
		b.arena.rewind()
	}
	for i := range b.Rejected {
		b.Rejected[i] = nil
	}
	b.Rejected = b.Rejected[:0]
	b.ids = b.ids[:0]
	if len(b.seen) > 0 {
		clear(b.seen)
	}
	b.asc, b.desc = true, true
	b.carrier, b.display, b.feed = carrier, display, feed
	b.tracking = "" // the arena may have rewound under it
	b.lastCarrier = [2]string{}
	b.zones = [2]placeZone{}
	b.lineage = in.Lineage
	b.now = in.Now
	if b.now.IsZero() {
		b.now = time.Now()
	}
	b.minTime = minScanTime
	b.maxTime = b.now.Add(MaxFutureSkew)
	if last := event.MaxTime.Add(-time.Second); b.maxTime.After(last) {
		b.maxTime = last // a processing clock past the supported range (normalize --now)
	}
}

// Carrier is the carrier of the payload being normalized.
func (b *Batch) Carrier() string { return b.carrier }

// Now is the processing time of the payload.
func (b *Batch) Now() time.Time { return b.now }

// Str returns an immutable copy of a decoder's scratch bytes.
func (b *Batch) Str(v []byte) string { return b.arena.String(trimSpace(v)) }

// Upper is Str, upper-cased; for tracking numbers and codes.
func (b *Batch) Upper(v []byte) string { return b.arena.Upper(v) }

// Limits on scan times. A scan outside them is rejected: before 2000 is a
// zero or garbage date; more than two days ahead of processing is a clock or
// parsing fault (carriers' clocks run a little ahead, and time zones add a
// day at most).
var minScanTime = event.MinTime

// MaxFutureSkew is how far a scan may lie ahead of the processing time.
const MaxFutureSkew = 48 * time.Hour

// Time is when a scan happened, as the carrier put it. Carriers give a local
// wall clock with or without a UTC offset, or a UTC instant, or both.
type Time struct {
	// Wall is the local wall-clock time, stored as if it were UTC. Zero when
	// the carrier only gave UTC.
	Wall time.Time
	// Offset is the wall clock's UTC offset in seconds, valid when HasOffset.
	Offset    int32
	HasOffset bool
	// UTC is the instant, when the carrier gave it separately.
	UTC time.Time
}

// Scan is one carrier scan, as a carrier decoder describes it.
type Scan struct {
	TrackingNumber string
	Service        string
	Type           *taxonomy.Type // nil: unknown.unmapped
	Reason         string         // "" takes the type's default
	Time           Time
	Location       event.Location
	Raw            event.Raw
	// IDExtra is hashed into the event id besides the code, time and place;
	// for carriers whose codes are too coarse to tell two scans apart.
	IDExtra string

	EstimatedDelivery string
	Origin            event.Location
	Destination       event.Location

	// Carrier, when set, is the scan's own carrier key and overrides the
	// batch's: a generic feed carries scans of many carriers in one payload.
	Carrier string
}

// Add turns a scan into an event. A scan with an absurd time or tracking
// number is recorded in Rejected; a scan already seen in this payload is
// dropped.
func (b *Batch) Add(s *Scan) {
	if !b.validTracking(s.TrackingNumber) {
		b.reject(KindValidate, "", badTracking(s.TrackingNumber))
		return
	}
	utc, offset, src, ok := b.offsets.resolve(&s.Time, b.zoneOf(s))
	if !ok {
		b.reject(KindTimestamp, s.TrackingNumber, "scan "+Shown(s.Raw.Code)+" has no usable time")
		return
	}
	if utc.Before(b.minTime) || utc.After(b.maxTime) {
		b.reject(KindTimestamp, s.TrackingNumber, "scan "+Shown(s.Raw.Code)+" at "+utc.Format(time.RFC3339)+
			" is outside 2000-01-01 .. processing time + 48h ("+b.maxTime.Format(time.RFC3339)+")")
		return
	}
	id := b.id(s, utc)
	if !b.firstSeen(id) {
		return
	}
	if n := len(b.Events); n > 0 {
		c := b.Events[n-1].OccurredAt.Compare(utc)
		b.asc = b.asc && c <= 0
		b.desc = b.desc && c > 0
	}
	t := s.Type
	if t == nil {
		t = taxonomy.Unmapped
	}
	reason := s.Reason
	if reason == "" {
		reason = t.Reason
	}
	carrier, display := b.carrier, b.display
	if s.Carrier != "" && s.Carrier != b.carrier {
		carrier, display = s.Carrier, b.displayOf(s.Carrier)
	}
	b.Events = append(b.Events, event.Event{
		ID: id, Carrier: carrier, CarrierName: display,
		TrackingNumber: s.TrackingNumber, Service: s.Service,
		Type: t, Reason: reason,
		OccurredAt: utc, LocalOffset: offset, TZSource: src,
		Location: s.Location, Raw: s.Raw, Source: event.FromCarrier, Lineage: b.lineage,
		EstimatedDelivery: s.EstimatedDelivery, Origin: s.Origin, Destination: s.Destination,
		Feed: b.feed,
	})
	clipEvent(&b.Events[len(b.Events)-1])
}

// Pending records the carrier's "no data for this number yet" answer as a
// pending.tracking_registered event. Its id does not depend on the time, so
// the same answer polled again is the same event.
func (b *Batch) Pending(tracking, code, description string) {
	b.PendingFor("", tracking, code, description)
}

// PendingFor is Pending for a parcel of carrier, which overrides the
// batch's as Scan.Carrier does: a feed's tracker with no history yet is a
// shipment of the carrier that carries it, not of the feed.
func (b *Batch) PendingFor(carrier, tracking, code, description string) {
	if !b.validTracking(tracking) {
		b.reject(KindValidate, "", badTracking(tracking))
		return
	}
	s := Scan{TrackingNumber: tracking, Raw: event.Raw{Code: code, Description: description}, Carrier: carrier}
	id := b.id(&s, time.Time{})
	if !b.firstSeen(id) {
		return
	}
	at := b.now.UTC().Truncate(time.Second)
	if n := len(b.Events); n > 0 {
		c := b.Events[n-1].OccurredAt.Compare(at)
		b.asc = b.asc && c <= 0
		b.desc = b.desc && c > 0
	}
	display := b.display
	if carrier == "" || carrier == b.carrier {
		carrier = b.carrier
	} else {
		display = b.displayOf(carrier)
	}
	b.Events = append(b.Events, event.Event{
		ID: id, Carrier: carrier, CarrierName: display, TrackingNumber: tracking,
		Type: taxonomy.Pending, OccurredAt: at,
		TZSource: event.TZAssumedUTC, Raw: s.Raw, Source: event.FromCarrier, Lineage: b.lineage,
		Feed: b.feed,
	})
	clipEvent(&b.Events[len(b.Events)-1])
}

// firstSeen records id and reports whether this payload had not produced
// it before.
func (b *Batch) firstSeen(id event.ID) bool {
	if len(b.ids) < linearIDs {
		for i := range b.ids {
			if b.ids[i] == id {
				return false
			}
		}
		b.ids = append(b.ids, id)
		return true
	}
	if len(b.seen) == 0 {
		if b.seen == nil {
			b.seen = make(map[event.ID]struct{}, 2*linearIDs)
		}
		for _, v := range b.ids {
			b.seen[v] = struct{}{}
		}
	}
	n := len(b.seen)
	if b.seen[id] = struct{}{}; len(b.seen) == n {
		return false // one map operation instead of a look-up and an insert
	}
	b.ids = append(b.ids, id)
	return true
}

// displayOf is event.DisplayName(carrier), remembering the last one: a
// feed's payload names one carrier in every scan, and the display name of a
// carrier wismo has no normalizer for is made anew on each call.
func (b *Batch) displayOf(carrier string) string {
	if carrier != b.lastCarrier[0] {
		b.lastCarrier = [2]string{carrier, event.DisplayName(carrier)}
	}
	return b.lastCarrier[1]
}

// validTracking is ValidTracking, remembering the last number it passed.
func (b *Batch) validTracking(s string) bool {
	if s == b.tracking && s != "" {
		return true
	}
	if !ValidTracking(s) {
		return false
	}
	b.tracking = s
	return true
}

// Reject records one scan refused by a decoder (a required field missing);
// the payload's other scans still count.
func (b *Batch) Reject(kind Kind, tracking, msg string) { b.reject(kind, tracking, msg) }

func (b *Batch) reject(kind Kind, tracking, msg string) {
	b.Rejected = append(b.Rejected, &Error{Kind: kind, Carrier: b.carrier, Tracking: tracking, Msg: msg})
}

// id hashes what makes a scan the same scan when a carrier resends it: the
// carrier, tracking number, codes, the time as the carrier gave it, the
// place, and IDExtra. Descriptions are left out, since carriers reword them
// between polls.
func (b *Batch) id(s *Scan, utc time.Time) event.ID {
	carrier := b.carrier
	if s.Carrier != "" {
		carrier = s.Carrier
	}
	h := b.hash[:0]
	h = appendField(h, carrier)
	h = appendField(h, s.TrackingNumber)
	h = appendField(h, s.Raw.Code)
	h = appendField(h, s.Raw.Type)
	switch {
	case !s.Time.Wall.IsZero():
		h = binary.BigEndian.AppendUint64(append(h, 'w'), uint64(s.Time.Wall.Unix()))
	case !utc.IsZero():
		h = binary.BigEndian.AppendUint64(append(h, 'u'), uint64(utc.Unix()))
	}
	h = appendField(h, s.Location.City)
	h = appendField(h, s.Location.PostalCode)
	h = appendField(h, s.Location.Country)
	h = appendField(h, s.IDExtra)
	// xxh3's 128-bit hash: stable across processes and releases (it is a
	// fixed algorithm, unlike the runtime's seeded map hash), several times
	// cheaper than SHA-256 on these short inputs, and 128 bits keep
	// accidental collisions out of reach at any realistic volume. Ids are not
	// a security boundary.
	return event.ID(xxh3.Hash128(h).Bytes())
}

func appendField(h []byte, s string) []byte {
	h = binary.BigEndian.AppendUint32(h, uint32(len(s)))
	return append(h, s...)
}

// zoneOf is the time zone of a scan's place. A scan without a usable place
// (label created, "shipping info received") takes the zone of the
// shipment's end it most likely happened at: the origin before the carrier
// has the parcel, the destination after.
func (b *Batch) zoneOf(s *Scan) *time.Location {
	if z := b.forLocation(s.Location.Country, s.Location.Region); z != nil {
		return z
	}
	first, second := &s.Destination, &s.Origin
	if s.Type != nil && (s.Type.Milestone == "info_received" || s.Type.Milestone == "pending" || s.Type.Name == "in_transit.picked_up") {
		first, second = second, first
	}
	// An end stands in only for a scan in its country, or in none named: a
	// scan in Barcelona is not on Milan's clock because the parcel goes
	// there, and one in a country of several zones without its region is
	// assumed UTC (counted) rather than given another place's zone.
	for _, end := range [...]*event.Location{first, second} {
		if s.Location.Country != "" && s.Location.Country != end.Country {
			continue
		}
		if z := b.forLocation(end.Country, end.Region); z != nil {
			return z
		}
	}
	return nil
}

// placeZone is a place's zone as tz.ForLocation found it.
type placeZone struct {
	country, region string
	z               *time.Location
	set             bool
}

// forLocation is tz.ForLocation, remembering the last two places: a
// payload's scans name the same few, and the look-up hashes both strings.
func (b *Batch) forLocation(country, region string) *time.Location {
	if country == "" {
		return nil
	}
	for i := range b.zones {
		if p := &b.zones[i]; p.set && p.country == country && p.region == region {
			return p.z
		}
	}
	z := tz.ForLocation(country, region)
	b.zones[1] = b.zones[0]
	b.zones[0] = placeZone{country, region, z, true}
	return z
}

// zoneOffsets remembers the offset of the zone a scan was last placed in
// and the span of instants it holds for (Unix seconds, end excluded), so
// that the scans of a payload, which lie in one such span, cost no zone
// look-ups: time.Date and Time.Zone look the zone's transitions up two or
// three times a scan.
type zoneOffsets struct {
	z          *time.Location
	start, end int64
	off        int32
}

// resolve finds the UTC instant and local offset of a scan: the carrier's
// offset when given, else the zone of the scan's place with the
// daylight-saving rule of that date, else UTC. With the zone, it gives what
// time.Date and Time.Zone give: a wall clock w is at w - off when both w
// and w - off (read as UTC) lie in a span whose offset is off.
func (c *zoneOffsets) resolve(t *Time, z *time.Location) (utc time.Time, offset int32, src event.TZSource, ok bool) {
	switch {
	case t.HasOffset && !t.Wall.IsZero():
		return t.Wall.Add(-time.Duration(t.Offset) * time.Second), t.Offset, event.TZCarrierOffset, true
	case !t.UTC.IsZero():
		if z != nil {
			if u := t.UTC.Unix(); z == c.z && u >= c.start && u < c.end {
				return t.UTC, c.off, event.TZLocation, true
			}
			in := t.UTC.In(z)
			return t.UTC, c.remember(z, in), event.TZLocation, true
		}
		if t.HasOffset {
			return t.UTC, t.Offset, event.TZCarrierOffset, true
		}
		return t.UTC, 0, event.TZAssumedUTC, true
	case !t.Wall.IsZero():
		if z != nil {
			w := t.Wall
			if u := w.Unix(); z == c.z && u >= c.start && u < c.end {
				if at := u - int64(c.off); at >= c.start && at < c.end {
					return w.Add(-time.Duration(c.off) * time.Second), c.off, event.TZLocation, true
				}
			}
			at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), z)
			return at.UTC(), c.remember(z, at), event.TZLocation, true
		}
		return t.Wall, 0, event.TZAssumedUTC, true
	}
	return time.Time{}, 0, 0, false
}

// remember keeps the offset and span of the zone t (in z) is in, and
// returns the offset.
func (c *zoneOffsets) remember(z *time.Location, t time.Time) int32 {
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	c.z, c.off = z, int32(off)
	c.start, c.end = math.MinInt64, math.MaxInt64 // a zero bound: the span is open that way
	if !start.IsZero() {
		c.start = start.Unix()
	}
	if !end.IsZero() {
		c.end = end.Unix()
	}
	return c.off
}
