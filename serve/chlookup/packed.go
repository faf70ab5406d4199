package chlookup

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

// The kinds of a packed row, its first byte.
const (
	kindEvent   = "e"
	kindCommand = "c"
)

// row is one packed row of shipment_lookup_v3 (migration 0013 says the
// layout): an event's fields or a command's, as stored.
type row struct {
	kind, id, eventType, trackingNumber string
	occurredAt                          int64
	// an event's
	localOffset           int64
	source                string
	city, region, country string
	edd                   int64 // days since 1970-01-01
	// a command's
	trigger, message         string
	decidedAt                int64
	earliest, likely, latest int64 // days since 1970-01-01
	confidence               string
}

// reader takes a packed row's fields in order; the first error sticks.
type reader struct {
	s   string
	err error
}

var errPacked = errors.New("packed row cut short or malformed (migration 0013's layout)")

// str reads <bytes>:<value>.
func (r *reader) str() string {
	n, i := 0, 0
	for ; i < len(r.s) && r.s[i] >= '0' && r.s[i] <= '9'; i++ {
		n = n*10 + int(r.s[i]-'0')
		if n > len(r.s) {
			break
		}
	}
	if r.err != nil || i == 0 || i >= len(r.s) || r.s[i] != ':' || n > len(r.s)-i-1 {
		r.err = errPacked
		return ""
	}
	v := r.s[i+1 : i+1+n]
	r.s = r.s[i+1+n:]
	return v
}

// int reads <decimal>, (a sign allowed).
func (r *reader) int() int64 {
	i := 0
	for i < len(r.s) && r.s[i] != ',' {
		i++
	}
	if r.err != nil || i == len(r.s) {
		r.err = errPacked
		return 0
	}
	v, err := strconv.ParseInt(r.s[:i], 10, 64)
	if err != nil {
		r.err = errPacked
	}
	r.s = r.s[i+1:]
	return v
}

// unpack reads a packed row.
func unpack(s string) (row, error) {
	var x row
	if s == "" {
		return x, errPacked
	}
	r := reader{s: s[1:]}
	switch s[:1] {
	case kindEvent:
		x.kind = kindEvent
		x.id, x.occurredAt, x.eventType, x.trackingNumber = r.str(), r.int(), r.str(), r.str()
		x.localOffset, x.source = r.int(), r.str()
		x.city, x.region, x.country, x.edd = r.str(), r.str(), r.str(), r.int()
	case kindCommand:
		x.kind = kindCommand
		x.id, x.occurredAt, x.eventType, x.trackingNumber = r.str(), r.int(), r.str(), r.str()
		x.trigger, x.message, x.decidedAt = r.str(), r.str(), r.int()
		x.earliest, x.likely, x.latest, x.confidence = r.int(), r.int(), r.int(), r.str()
	default:
		return x, fmt.Errorf("packed row of kind %q: want e or c (migration 0013's layout)", s[:1])
	}
	if r.err == nil && r.s != "" {
		r.err = errPacked
	}
	return x, r.err
}

// day is a date stored as days since 1970-01-01.
func day(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// event is the row as an event of type t; an error for an id that is not
// an event id.
func (x *row) event(t *taxonomy.Type, carrier string) (event.Event, error) {
	e := event.Event{Type: t, Carrier: carrier, TrackingNumber: x.trackingNumber, LocalOffset: int32(x.localOffset),
		OccurredAt: time.Unix(x.occurredAt, 0).UTC(),
		Location:   event.Location{City: x.city, Region: x.region, Country: x.country}}
	var err error
	if e.ID, err = event.ParseID(x.id); err != nil {
		return e, err
	}
	if x.source == "pipeline" {
		e.Source = event.FromPipeline
	}
	if edd := day(x.edd); edd.Year() > 1970 {
		e.EstimatedDelivery = edd.Format(time.DateOnly)
	}
	return e, nil
}

// command is the row as a command of shipment sid.
func (x *row) command(sid, carrier string) detect.Command {
	c := detect.Command{ShipmentID: sid, Carrier: carrier, TrackingNumber: x.trackingNumber, CommandID: x.id, EventType: x.eventType,
		Trigger: x.trigger, Message: x.message,
		OccurredAt: time.Unix(x.occurredAt, 0).UTC(), DecidedAt: time.Unix(x.decidedAt, 0).UTC()}
	if x.confidence != "" {
		c.PredictedDelivery = &detect.Prediction{Earliest: day(x.earliest).Format(time.DateOnly), Likely: day(x.likely).Format(time.DateOnly),
			Latest: day(x.latest).Format(time.DateOnly), Confidence: x.confidence}
	}
	return c
}
