// Package chlookup is the tracking page's and the lookup API's Lookup over
// the ClickHouse sink's tables: a shipment's events from shipment_events and
// its commands from notifications.
//
// Both tables are sorted by (carrier, shipment_id, ...), so a query naming
// the carrier (the shipment id's prefix) and the shipment id reads the
// granules of that one shipment in each monthly partition: the sort keys
// suit point lookups as they are, and no migration changes them. Neither
// query reads a postal code, a facility or a raw description, so nothing
// finer than city and region leaves ClickHouse.
package chlookup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/sinks/chsink"
	"github.com/wismo/wismo/taxonomy"
)

// Bounds of one lookup, so a shipment with a runaway history cannot make
// one request read without end. A real shipment has tens of events.
const (
	MaxEvents   = 2_000
	MaxCommands = 500
)

const eventsQuery = `SELECT event_id, tracking_number, service, event_type, reason, occurred_at, local_offset,
	toString(source), location_city, location_region, location_country, estimated_delivery
FROM shipment_events
WHERE carrier = ? AND shipment_id = ?
LIMIT %d`

const commandsQuery = `SELECT command_id, any(trigger), any(event_type), any(message), any(decided_at)
FROM notifications
WHERE carrier = ? AND shipment_id = ?
GROUP BY command_id
LIMIT %d`

// Lookup reads shipments from ClickHouse; conn has wismo's database as its
// default (chsink.OpenDatabase).
type Lookup struct{ conn chsink.Conn }

// New returns a Lookup over conn.
func New(conn chsink.Conn) *Lookup { return &Lookup{conn: conn} }

// Shipment implements serve.Lookup.
func (l *Lookup) Shipment(ctx context.Context, id string) (*serve.Record, error) {
	carrier, tn, ok := strings.Cut(id, ":")
	if !ok || !event.ValidCarrierKey(carrier) || !event.ValidTrackingNumber(tn) {
		return nil, serve.ErrNotFound
	}
	rec := &serve.Record{ShipmentID: id}
	rows, err := l.conn.Query(ctx, fmt.Sprintf(eventsQuery, MaxEvents), carrier, id)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: events of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eid, src string
			e        event.Event
			edd      time.Time
		)
		var typ string
		if err := rows.Scan(&eid, &e.TrackingNumber, &e.Service, &typ, &e.Reason, &e.OccurredAt, &e.LocalOffset,
			&src, &e.Location.City, &e.Location.Region, &e.Location.Country, &edd); err != nil {
			return nil, fmt.Errorf("clickhouse: events of %s: %w", id, err)
		}
		t, ok := taxonomy.Lookup(typ)
		if !ok {
			continue // a type of a newer taxonomy than this build's
		}
		e.Type, e.Carrier = t, carrier
		if e.ID, err = event.ParseID(eid); err != nil {
			continue
		}
		if src == "pipeline" {
			e.Source = event.FromPipeline
		}
		if edd.Year() > 1970 {
			e.EstimatedDelivery = edd.Format(time.DateOnly)
		}
		e.OccurredAt = e.OccurredAt.UTC()
		rec.Events = append(rec.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: events of %s: %w", id, err)
	}
	if len(rec.Events) == 0 {
		return nil, serve.ErrNotFound
	}
	crows, err := l.conn.Query(ctx, fmt.Sprintf(commandsQuery, MaxCommands), carrier, id)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: notifications of %s: %w", id, err)
	}
	defer crows.Close()
	for crows.Next() {
		c := detect.Command{ShipmentID: id, Carrier: carrier, TrackingNumber: tn}
		if err := crows.Scan(&c.CommandID, &c.Trigger, &c.EventType, &c.Message, &c.DecidedAt); err != nil {
			return nil, fmt.Errorf("clickhouse: notifications of %s: %w", id, err)
		}
		rec.Commands = append(rec.Commands, c)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: notifications of %s: %w", id, err)
	}
	return rec, nil
}
