package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
)

// State is what the detector remembers of one shipment. It is kept small:
// there is one per tracked shipment, and a million of them must fit in a
// few hundred megabytes (TestMemoryPerShipment measures it). Times are Unix
// seconds in a uint32, which lasts until 2106; 0 means "none".
type State struct {
	Service string // interned
	// Zone is the destination's time zone (quiet hours, end of day); nil
	// means UTC.
	Zone *time.Location

	Current *taxonomy.Type // last customer-visible event type; sets the milestone
	// OpenException is the delay, hold, problem or stall not yet cleared
	// by movement, opened at ExceptAt; flagStalled marks a synthetic stall.
	OpenException *taxonomy.Type

	CurrentAt uint32 // Current's occurred_at
	LastScan  uint32 // last carrier scan of any class
	LastMove  uint32 // last scan that shows the parcel moving
	LabelAt   uint32 // first label-created scan
	ExceptAt  uint32
	FirstMove uint32 // first scan that showed movement: a leg's transit starts there
	due       uint32 // next deadline armed in the timer heap
	// lane is the shipment's lane in the engine's lane model (0: none or
	// no model). It is an index into that model, so it is not written to
	// the changelog: a restored shipment finds its lane at its next event.
	lane uint32

	EDD int32 // carrier's estimated delivery date, days since 1970; 0 unknown
	Day int32 // the destination's local day of DayCount (daily cap)

	// Episode counts customer-visible changes: a trigger notifies at most
	// once per episode (a second delivery attempt is a new episode; the same
	// scan resent is not).
	Episode  uint16
	Notified uint16 // bit per trigger notified in this episode
	Flags    uint8
	DayCount uint8
	next     uint8

	// Recent event ids (64-bit prefixes), so a resent scan is ignored.
	// Older resent scans need no slot: they are older than Current and
	// change nothing.
	Recent [4]uint64
}

const (
	flagInternational uint8 = 1 << iota
	flagDelayNotified       // a delay or stall was told: movement owes exception_resolved
	flagEscalated           // the stall was escalated once
	flagExpired
	flagStalled       // OpenException is a synthetic stall
	flagRoute         // lane was found with both ends of the route known
	flagPredictedLate // a predicted_late delay was told: back on track owes a follow-up
	flagLatePromise   // ... and it was told against the order's promised date, not the carrier's
)

// seenBefore reports whether the event is one of the shipment's recent ones.
func (s *State) seenBefore(id event.ID) bool {
	k := idKey(id)
	for _, r := range s.Recent {
		if r == k {
			return true
		}
	}
	return false
}

// remember adds the event to the recent ones, replacing the oldest.
func (s *State) remember(id event.ID) {
	s.Recent[s.next%uint8(len(s.Recent))] = idKey(id)
	s.next = (s.next + 1) % uint8(len(s.Recent))
}

func idKey(id event.ID) uint64 {
	k := binary.BigEndian.Uint64(id[:8])
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	return k
}

// Milestone returns the shipment's current milestone.
func (s *State) Milestone() string {
	if s.Current == nil {
		return "pending"
	}
	return s.Current.Milestone
}

// Stalled reports whether a stall is open.
func (s *State) Stalled() bool { return s.Flags&flagStalled != 0 }

func (s *State) terminal() bool {
	m := s.Milestone()
	return m == "delivered" || s.Flags&flagExpired != 0 || (s.Current != nil && s.Current.Name == "returned.returned_to_sender")
}

func stateSize() int { return int(unsafe.Sizeof(State{})) }

// u32 stores a Unix time in a State field. Only times of the supported range
// (event.CheckTime, which Apply and the decoders enforce) and deadlines a
// bounded distance after them reach here, far inside uint32; the clamp is a
// guard, and arm never arms a deadline it would clamp.
func u32(t int64) uint32 { return uint32(min(max(t, 0), math.MaxUint32)) }

// ---- the changelog's binary form ----

// stateVersion is the first byte of an encoded state. A change of layout
// gets a new version, and UnmarshalState keeps reading the old ones, so a
// new release restores the changelog an old one wrote.
// Version 2 added FirstMove after ExceptAt.
const stateVersion = 2

// MarshalState appends the binary form of s (its times are uint32, so
// within what UnmarshalState reads back: the engine only stores times of
// events in the supported range and deadlines a bounded distance after them), the value of its record in the
// changelog topic: names for the interned and table values (service, zone,
// event types), varints for the rest.
func MarshalState(dst []byte, s *State) []byte {
	dst = append(dst, stateVersion)
	dst = appendStr(dst, s.Service)
	zone := ""
	if s.Zone != nil {
		zone = s.Zone.String()
	}
	dst = appendStr(dst, zone)
	dst = appendStr(dst, typeName(s.Current))
	dst = appendStr(dst, typeName(s.OpenException))
	for _, v := range [...]uint32{s.CurrentAt, s.LastScan, s.LastMove, s.LabelAt, s.ExceptAt, s.FirstMove} {
		dst = binary.AppendUvarint(dst, uint64(v))
	}
	dst = binary.AppendVarint(dst, int64(s.EDD))
	dst = binary.AppendVarint(dst, int64(s.Day))
	dst = binary.AppendUvarint(dst, uint64(s.Episode))
	dst = binary.AppendUvarint(dst, uint64(s.Notified))
	dst = append(dst, s.Flags, s.DayCount, s.next)
	for _, r := range s.Recent {
		dst = binary.BigEndian.AppendUint64(dst, r)
	}
	return dst
}

func typeName(t *taxonomy.Type) string {
	if t == nil {
		return ""
	}
	return t.Name
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errShort = errors.New("detect: state record is truncated")

// stateReader walks an encoded state; the first error sticks.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *stateReader) str() []byte { return r.bytes(r.uvarint()) }

// u32 reads a time: 0 (none), or Unix seconds from event.MinTime to the end
// of uint32 (a deadline may lie past event.MaxTime, never past 2106).
func (r *stateReader) u32() uint32 {
	v := r.uvarint()
	if (v > math.MaxUint32 || v != 0 && v < uint64(event.MinTime.Unix())) && r.err == nil {
		r.err = fmt.Errorf("detect: state time %d is outside the supported range (%s .. 2106)", v, event.MinTime.Format("2006-01-02"))
	}
	return uint32(v)
}

// unmarshalState decodes data into s; intern gives the shared copy of the
// service name.
func unmarshalState(data []byte, s *State, intern func([]byte) string) error {
	if len(data) == 0 {
		return errShort
	}
	if data[0] != stateVersion && data[0] != 1 {
		return fmt.Errorf("detect: state record version %d, this release reads 1 and %d", data[0], stateVersion)
	}
	r := stateReader{b: data[1:]}
	*s = State{}
	if svc := r.str(); len(svc) > 0 {
		s.Service = intern(svc)
	}
	if zone := r.str(); len(zone) > 0 {
		if s.Zone = tz.ByName(string(zone)); s.Zone == nil {
			return fmt.Errorf("detect: state names unknown time zone %q", zone)
		}
	}
	var err error
	if s.Current, err = lookupType(r.str()); err != nil {
		return err
	}
	if s.OpenException, err = lookupType(r.str()); err != nil {
		return err
	}
	s.CurrentAt, s.LastScan, s.LastMove, s.LabelAt, s.ExceptAt = r.u32(), r.u32(), r.u32(), r.u32(), r.u32()
	if data[0] >= 2 {
		s.FirstMove = r.u32()
	}
	s.EDD, s.Day = int32(r.varint()), int32(r.varint())
	s.Episode, s.Notified = uint16(r.uvarint()), uint16(r.uvarint())
	if b := r.bytes(3); b != nil {
		s.Flags, s.DayCount, s.next = b[0], b[1], b[2]%uint8(len(s.Recent))
	}
	for i := range s.Recent {
		if b := r.bytes(8); b != nil {
			s.Recent[i] = binary.BigEndian.Uint64(b)
		}
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("detect: state record has %d trailing bytes", len(r.b))
	}
	return nil
}

func lookupType(name []byte) (*taxonomy.Type, error) {
	if len(name) == 0 {
		return nil, nil
	}
	t, ok := taxonomy.Lookup(string(name))
	if !ok {
		return nil, fmt.Errorf("detect: state names unknown event type %q", name)
	}
	return t, nil
}
