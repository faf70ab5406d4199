// Package chlookup is the tracking page's and the lookup API's Lookup over
// the ClickHouse sink's tables: one query of shipment_lookup (migration
// 0007), which two materialized views fill from shipment_events and
// notifications, sorted by shipment in 256-row granules for point lookups.
// It holds no postal code, facility or raw text, so nothing finer than city
// and region leaves ClickHouse.
package chlookup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
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

const lookupQuery = `SELECT toString(kind), id, occurred_at, event_type, tracking_number, local_offset, toString(source),
	location_city, location_region, location_country, estimated_delivery, trigger, message, decided_at
FROM shipment_lookup
WHERE carrier = ? AND shipment_id = ?
LIMIT %d`

// Settings are the lookup query's: short point reads of a table that fits
// in memory decompressed (about 130 bytes a row), so ClickHouse keeps the
// blocks it decompressed in its uncompressed cache (uncompressed_cache_size,
// 8 GiB in the default server configuration) instead of decompressing a
// whole compressed block of each column for every 256-row granule.
var Settings = clickhouse.Settings{"use_uncompressed_cache": 1}

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
	rows, err := l.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(Settings)), fmt.Sprintf(lookupQuery, MaxEvents+MaxCommands), carrier, id)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: shipment_lookup of %s: %w", id, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var (
			kind, rid, typ, src string
			e                   event.Event
			edd                 time.Time
			c                   detect.Command
		)
		if err := rows.Scan(&kind, &rid, &e.OccurredAt, &typ, &e.TrackingNumber, &e.LocalOffset, &src,
			&e.Location.City, &e.Location.Region, &e.Location.Country, &edd, &c.Trigger, &c.Message, &c.DecidedAt); err != nil {
			return nil, fmt.Errorf("clickhouse: shipment_lookup of %s: %w", id, err)
		}
		if seen[kind+rid] {
			continue // a replayed insert not merged yet
		}
		seen[kind+rid] = true
		if kind == "command" {
			if len(rec.Commands) < MaxCommands {
				c.ShipmentID, c.Carrier, c.TrackingNumber, c.CommandID, c.EventType = id, carrier, e.TrackingNumber, rid, typ
				c.OccurredAt, c.DecidedAt = e.OccurredAt.UTC(), c.DecidedAt.UTC()
				rec.Commands = append(rec.Commands, c)
			}
			continue
		}
		t, ok := taxonomy.Lookup(typ)
		if !ok || len(rec.Events) >= MaxEvents {
			continue // a type of a newer taxonomy than this build's
		}
		e.Type, e.Carrier = t, carrier
		if e.ID, err = event.ParseID(rid); err != nil {
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
		return nil, fmt.Errorf("clickhouse: shipment_lookup of %s: %w", id, err)
	}
	if len(rec.Events) == 0 {
		return nil, serve.ErrNotFound
	}
	return rec, nil
}
