package detect

import (
	"time"
	"unsafe"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

// State is what the detector remembers of one shipment. It is kept small:
// there is one per tracked shipment, and a million of them must fit in a
// few hundred megabytes. Times are Unix seconds.
type State struct {
	Service string // interned
	// Zone is the destination's time zone (quiet hours, end of day); nil
	// means UTC.
	Zone *time.Location

	Current   *taxonomy.Type // last customer-visible event type; sets the milestone
	CurrentAt int64          // its occurred_at
	LastScan  int64          // last carrier scan of any class
	LastMove  int64          // last scan that shows the parcel moving
	LabelAt   int64          // first label-created scan, 0 if none

	// OpenException is the delay, hold or problem not yet cleared by
	// movement; Stalled marks a synthetic stall reported at StallAt.
	OpenException *taxonomy.Type
	StallAt       int64

	// Episode counts customer-visible changes: a trigger notifies at most
	// once per episode (a second delivery attempt is a new episode; the same
	// scan resent is not).
	Episode  uint16
	Notified uint16 // bit per trigger notified in this episode
	Flags    uint8

	// Daily cap, in the destination's local days.
	Day      int32
	DayCount uint8

	EDD int32 // carrier's estimated delivery date, days since 1970; 0 unknown

	// Recent event ids (64-bit prefixes), so a resent history is ignored.
	Recent [8]uint64
	next   uint8

	due int64 // next deadline armed in the timer heap; 0 none
}

const (
	flagInternational uint8 = 1 << iota
	flagDelayNotified       // a delay or stall was told: movement owes exception_resolved
	flagEscalated           // the stall was escalated once
	flagExpired
)

func (s *State) seen(id event.ID) bool {
	k := idKey(id)
	for _, r := range s.Recent {
		if r == k {
			return true
		}
	}
	s.Recent[s.next%uint8(len(s.Recent))] = k
	s.next++
	return false
}

func idKey(id event.ID) uint64 {
	var k uint64
	for _, b := range id[:8] {
		k = k<<8 | uint64(b)
	}
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

func (s *State) terminal() bool {
	m := s.Milestone()
	return m == "delivered" || s.Flags&flagExpired != 0 || (s.Current != nil && s.Current.Name == "returned.returned_to_sender")
}

func stateSize() int { return int(unsafe.Sizeof(State{})) }
