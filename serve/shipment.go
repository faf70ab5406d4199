// Package serve is `wismo serve`: the retailer's tracking page at
// /t/{token} (signed links, see package links) and the lookup API for
// back-office callers and support bots at /v1/shipments/{shipment_id}. The
// data comes through a Lookup: ClickHouse in production (package
// serve/chlookup), memory in `wismo demo --serve`.
package serve

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/taxonomy"
)

// ErrNotFound is a Lookup's answer for a shipment it has no events of.
var ErrNotFound = errors.New("serve: no such shipment")

// Lookup finds a shipment's record.
type Lookup interface {
	Shipment(ctx context.Context, shipmentID string) (*Record, error)
}

// Orders is what a Lookup may also do: list an order's shipment ids
// (order context, migration 0012), ErrNotFound for an order it does not
// know. At most MaxOrderShipments of them.
type Orders interface {
	Order(ctx context.Context, orderID string) ([]string, error)
}

// MaxOrderShipments bounds the shipments of one order answered at once.
const MaxOrderShipments = 50

// Record is what wismo knows of one shipment: its events (any order,
// repeats allowed) and the notification commands sent for it.
type Record struct {
	ShipmentID string
	Events     []event.Event
	Commands   []detect.Command
}

// Shipment is a record summarized for the customer: what the page and the
// API show. Its texts are rendered in one language (Catalog.Summarize).
type Shipment struct {
	ShipmentID     string `json:"shipment_id"`
	Carrier        string `json:"carrier"`
	CarrierName    string `json:"carrier_name"`
	TrackingNumber string `json:"tracking_number"`
	Milestone      string `json:"milestone"`
	// Headline is the status in a few plain words; Status the latest
	// event's message; NextStep what the customer should do, "" if nothing.
	Headline string `json:"headline"`
	Status   string `json:"status"`
	NextStep string `json:"next_step"`
	// OpenException is the problem not yet resolved by a later movement
	// scan (an exception, a failed attempt, a stall), or nil.
	OpenException *Issue `json:"open_exception"`
	Stalled       bool   `json:"stalled"`
	// CarrierEDD is the carrier's latest estimated delivery date
	// (YYYY-MM-DD), "" when it gave none.
	CarrierEDD string `json:"carrier_edd"`
	// PredictedDelivery is wismo's own window, from the latest
	// notification command that carries the lane model's prediction; nil
	// when none does (a thin lane) and once the shipment has ended.
	PredictedDelivery *Window `json:"predicted_delivery"`
	LastLocation      *Place  `json:"last_location"`
	// Progress is the milestone bar: each step and whether it is reached.
	Progress []Step `json:"progress"`
	// Timeline is what the customer sees happened, noise left out, newest
	// first, in the local time of each scan's place.
	Timeline      []Entry        `json:"timeline"`
	Notifications []Notification `json:"notifications"`
	// EndedAt is when the shipment was delivered, returned or expired;
	// zero while under way.
	EndedAt time.Time `json:"ended_at,omitzero"`
	// Updated is the time of the latest event.
	Updated time.Time `json:"updated_at"`
	// UpdatedText is Updated as the page shows it, "" when zero
	// (pageTimes). Not in the API.
	UpdatedText string `json:"-"`
}

// pageTimes formats s's times for the page's templates.
func (s *Shipment) pageTimes() {
	for i := range s.Timeline {
		e := &s.Timeline[i]
		e.OccurredAtAttr, e.LocalAttr, e.LocalText = e.OccurredAt.Format(time.RFC3339), e.Local.Format(time.RFC3339), localTime(e.Local)
	}
	if !s.Updated.IsZero() {
		s.UpdatedText = localTime(s.Updated)
	}
}

// Issue is an open exception.
type Issue struct {
	EventType string    `json:"event_type"`
	Message   string    `json:"message"`
	NextStep  string    `json:"next_step"`
	Since     time.Time `json:"since"`
}

// Window is a predicted delivery window (dates in the destination's
// calendar).
type Window struct {
	Earliest   string `json:"earliest"`
	Likely     string `json:"likely"`
	Latest     string `json:"latest"`
	Confidence string `json:"confidence"`
}

// Place is a location no finer than city and region: the page and the API
// never show a street, postal code or facility.
type Place struct {
	City    string `json:"city"`
	Region  string `json:"region"`
	Country string `json:"country"`
}

func placeOf(l *event.Location) *Place {
	if l.City == "" && l.Region == "" && l.Country == "" {
		return nil
	}
	return &Place{City: l.City, Region: l.Region, Country: l.Country}
}

// Step is one milestone of the progress bar.
type Step struct {
	Milestone string `json:"milestone"`
	Label     string `json:"label"`
	Reached   bool   `json:"reached"`
	Current   bool   `json:"current"`
}

// Entry is one line of the timeline.
type Entry struct {
	OccurredAt time.Time `json:"occurred_at"` // UTC
	// Local is the time at the scan's place (RFC 3339 with its offset).
	Local     time.Time `json:"local_time"`
	EventType string    `json:"event_type"`
	Milestone string    `json:"milestone"`
	Message   string    `json:"message"`
	Place     *Place    `json:"location"`
	// The times as the page shows them (pageTimes): formatted once in Go,
	// not by method calls in the template. Not in the API.
	OccurredAtAttr string `json:"-"` // OccurredAt, RFC 3339
	LocalAttr      string `json:"-"` // Local, RFC 3339
	LocalText      string `json:"-"` // Local in words (Messages.Local)
}

// Notification is a command sent for the shipment.
type Notification struct {
	Trigger   string    `json:"trigger"`
	EventType string    `json:"event_type"`
	Message   string    `json:"message"`
	DecidedAt time.Time `json:"decided_at"`
}

// progressSteps are the milestones of the progress bar, in order; a
// shipment has reached a step when its current milestone ranks at least
// as high (taxonomy ranks), so a failed attempt (rank 4) shows "out for
// delivery" reached and "delivered" not.
var progressSteps = []string{"info_received", "in_transit", "out_for_delivery", "delivered"}

// events returns r's events without repeats (by event id), oldest first.
func (r *Record) events() []*event.Event {
	seen := make(map[event.ID]bool, len(r.Events))
	out := make([]*event.Event, 0, len(r.Events))
	for i := range r.Events {
		e := &r.Events[i]
		if e.Type == nil || seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		out = append(out, e)
	}
	// by time, then id: the same order whichever store the events came from
	slices.SortFunc(out, func(a, b *event.Event) int {
		if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	return out
}

// state is what Summarize derives from the events before any text.
type state struct {
	current, open, last *event.Event
	endedAt             time.Time
	edd                 string
}

// derive finds the current event (the latest that is not noise, as
// ClickHouse's shipments view), the open issue (the current event when it
// is a failed attempt or an exception; else the latest exception after the
// latest movement scan) and the end.
func derive(evs []*event.Event) state {
	var s state
	lastMove := -1
	for i, e := range evs {
		s.last = e
		if e.EstimatedDelivery != "" {
			s.edd = e.EstimatedDelivery
		}
		if e.Type.Class != taxonomy.Noise {
			s.current = e
		}
		if e.Type.Movement {
			lastMove = i
		}
	}
	if s.current == nil {
		s.current = s.last
	}
	for i := len(evs) - 1; i > lastMove; i-- {
		if e := evs[i]; e.Type.Milestone == "exception" && e.Type.Class != taxonomy.Noise {
			s.open = e
			break
		}
	}
	if c := s.current; c != nil && (c.Type.Milestone == "attempt_failed" || c.Type.Milestone == "exception") {
		s.open = c
	}
	if c := s.current; c != nil && links.IsEnd(c.Type.Milestone) {
		for _, e := range evs {
			if e.Type.Milestone == c.Type.Milestone {
				s.endedAt = e.OccurredAt
				break
			}
		}
	}
	return s
}

// EndedAt is when r's shipment was delivered, returned or expired, or zero;
// the page refuses its links links.after_end after that.
func (r *Record) EndedAt() time.Time { return derive(r.events()).endedAt }
