package chsink

import (
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

// Table names.
const (
	EventsTable        = "shipment_events"
	NotificationsTable = "notifications"
)

// epoch stands for "unknown" in Date columns (ClickHouse's zero date) and is
// the floor of DateTime ones.
var epoch = time.Unix(0, 0).UTC()

// maxDateTime is the last second a ClickHouse DateTime (UInt32) holds.
var maxDateTime = time.Unix(1<<32-1, 0).UTC()

// EventRow is one row of shipment_events. Fields are in the table's column
// order; enums hold their ClickHouse names.
type EventRow struct {
	EventID               string
	ShipmentID            string
	Carrier               string
	TrackingNumber        string
	Service               string
	Milestone             string
	EventType             string
	Class                 string // noise, informational, actionable
	Reason                string
	OccurredAt            time.Time // UTC, whole seconds
	LocalOffset           int32
	LocalDate             time.Time // midnight UTC of the scan's local calendar date
	TZSource              string    // assumed_utc, carrier_offset, location
	Source                string    // carrier, pipeline
	LocationCity          string
	LocationRegion        string
	LocationPostalCode    string
	LocationCountry       string
	LocationFacility      string
	RawCode               string
	RawType               string
	RawDescription        string
	EstimatedDelivery     time.Time // midnight UTC; epoch when the carrier gave none
	OriginCity            string
	OriginRegion          string
	OriginPostalCode      string
	OriginCountry         string
	DestinationCity       string
	DestinationRegion     string
	DestinationPostalCode string
	DestinationCountry    string
	LineageTopic          string
	LineagePartition      int32
	LineageOffset         int64
	Feed                  string
}

// NewEventRow maps a canonical event to its row. A nil type is stored as
// unknown.unmapped, as the JSON encoding does.
func NewEventRow(ev *event.Event) EventRow {
	t := ev.Type
	if t == nil {
		t = taxonomy.Unmapped
	}
	at := clampTime(ev.OccurredAt)
	return EventRow{
		EventID:               ev.ID.String(),
		ShipmentID:            ev.ShipmentID(),
		Carrier:               ev.Carrier,
		TrackingNumber:        ev.TrackingNumber,
		Service:               ev.Service,
		Milestone:             t.Milestone,
		EventType:             t.Name,
		Class:                 t.Class.String(),
		Reason:                ev.Reason,
		OccurredAt:            at,
		LocalOffset:           ev.LocalOffset,
		LocalDate:             localDate(at, ev.LocalOffset),
		TZSource:              ev.TZSource.String(),
		Source:                ev.Source.String(),
		LocationCity:          ev.Location.City,
		LocationRegion:        ev.Location.Region,
		LocationPostalCode:    ev.Location.PostalCode,
		LocationCountry:       ev.Location.Country,
		LocationFacility:      ev.Location.Facility,
		RawCode:               ev.Raw.Code,
		RawType:               ev.Raw.Type,
		RawDescription:        ev.Raw.Description,
		EstimatedDelivery:     parseDate(ev.EstimatedDelivery),
		OriginCity:            ev.Origin.City,
		OriginRegion:          ev.Origin.Region,
		OriginPostalCode:      ev.Origin.PostalCode,
		OriginCountry:         ev.Origin.Country,
		DestinationCity:       ev.Destination.City,
		DestinationRegion:     ev.Destination.Region,
		DestinationPostalCode: ev.Destination.PostalCode,
		DestinationCountry:    ev.Destination.Country,
		LineageTopic:          ev.Lineage.Topic,
		LineagePartition:      ev.Lineage.Partition,
		LineageOffset:         ev.Lineage.Offset,
		Feed:                  ev.Feed,
	}
}

// NotificationRow is one row of notifications, in the table's column order.
type NotificationRow struct {
	CommandID      string
	ShipmentID     string
	Carrier        string
	TrackingNumber string
	Trigger        string
	EventType      string
	EventID        string
	Priority       string
	Message        string
	NextStep       string
	OccurredAt     time.Time
	DecidedAt      time.Time
	NotBefore      time.Time
	Supersedes     string
	Episode        int32
	// Migration 0008: the reason and the predicted and carrier's dates
	// (epoch and "" confidence when there is none).
	Reason              string
	PredictedEarliest   time.Time
	PredictedLikely     time.Time
	PredictedLatest     time.Time
	PredictedConfidence string
	EstimatedDelivery   time.Time
	// Migration 0010: the order context's segment and the accommodation
	// ("" without order context).
	CustomerSegment string
	Accommodation   string
}

// NewNotificationRow maps a notification command to its row.
func NewNotificationRow(c *detect.Command) NotificationRow {
	r := NotificationRow{
		CommandID:      c.CommandID,
		ShipmentID:     c.ShipmentID,
		Carrier:        c.Carrier,
		TrackingNumber: c.TrackingNumber,
		Trigger:        c.Trigger,
		EventType:      c.EventType,
		EventID:        c.EventID,
		Priority:       c.Priority,
		Message:        c.Message,
		NextStep:       c.NextStep,
		OccurredAt:     clampTime(c.OccurredAt),
		DecidedAt:      clampTime(c.DecidedAt),
		NotBefore:      clampTime(c.NotBefore),
		Supersedes:     c.Supersedes,
		Episode:        int32(c.Episode),
	}
	r.Reason, r.EstimatedDelivery = c.Reason, parseDate(c.EstimatedDelivery)
	r.CustomerSegment, r.Accommodation = c.CustomerSegment, c.Accommodation
	r.PredictedEarliest, r.PredictedLikely, r.PredictedLatest = epoch, epoch, epoch
	if p := c.PredictedDelivery; p != nil {
		r.PredictedEarliest, r.PredictedLikely, r.PredictedLatest = parseDate(p.Earliest), parseDate(p.Likely), parseDate(p.Latest)
		r.PredictedConfidence = p.Confidence
	}
	return r
}

// clampTime fits t into a DateTime: UTC, whole seconds, 1970 to 2106.
func clampTime(t time.Time) time.Time {
	switch {
	case t.Before(epoch):
		return epoch
	case t.After(maxDateTime):
		return maxDateTime
	}
	return t.UTC().Truncate(time.Second)
}

// localDate is the calendar date at the scan's place, as midnight UTC.
func localDate(utc time.Time, offset int32) time.Time {
	d := utc.Add(time.Duration(offset) * time.Second)
	if d.Before(epoch) {
		return epoch
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// parseDate reads YYYY-MM-DD; anything else (and "") is the zero date.
func parseDate(s string) time.Time {
	if s == "" {
		return epoch
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Before(epoch) || t.Year() > 2148 {
		return epoch
	}
	return t
}
