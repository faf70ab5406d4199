// Package chlookup is the tracking page's and the lookup API's Lookup over
// the ClickHouse sink's tables: shipment_lookup_v3 (migrations 0007, 0011
// and 0013), which two
// materialized views fill from shipment_events and
// notifications, sorted by shipment in 256-row granules for point lookups.
// It holds no postal code, facility or raw text, so nothing finer than city
// and region leaves ClickHouse. Concurrent lookups are read by one query
// (package coalesce).
package chlookup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/serve/coalesce"
	"github.com/wismo/wismo/sinks/chsink"
	"github.com/wismo/wismo/taxonomy"
)

// Bounds of one lookup, so a shipment with a runaway history cannot make
// one request read without end. A real shipment has tens of events.
const (
	MaxEvents   = 2_000
	MaxCommands = 500
)

// lookupQuery reads a batch of shipments: the carrier condition lets the
// primary key (carrier, shipment_id, ...) skip to each shipment's granules,
// and LIMIT BY bounds every shipment on its own, so one with a runaway
// history cannot crowd the others of its batch out. It reads two columns:
// what ClickHouse spends per shipment is mostly per column read (migration
// 0013).
const lookupQuery = `SELECT shipment_id, packed
FROM shipment_lookup_v3
WHERE carrier IN ? AND shipment_id IN ?
LIMIT %d BY shipment_id
LIMIT %d`

// Settings are the lookup query's: short point reads of a table that fits
// in memory decompressed (about 130 bytes a row), so ClickHouse keeps the
// blocks it decompressed in its uncompressed cache (uncompressed_cache_size,
// 8 GiB in the default server configuration) instead of decompressing a
// whole compressed block of each column for every 256-row granule. One
// thread: a batch reads a few granules per shipment, and spreading that
// over threads cost more CPU than it saved (on 18.16, 2.0 against 2.5 ms
// of CPU for one shipment, 6.8 against 7.3 ms for fifty).
//
// max_read_buffer_size is 64 KiB rather than 1 MiB: a lookup reads one
// compressed block (about 64 KiB) per column and shipment, and each block
// not in the uncompressed cache was read through a buffer of its own of the
// default size, 1 MiB (on 18.16, 13 MB read from the files per query of 16
// shipments against 0.8 MB, and about 30% less CPU).
var Settings = clickhouse.Settings{"use_uncompressed_cache": 1, "max_threads": 1, "max_read_buffer_size": 64 << 10}

// Options bound the lookups' batching (package coalesce): concurrent
// lookups are read by one query of at most MaxBatch shipments, at most
// Workers queries at once (each holds one of the connection pool's
// connections while it runs).
type Options = coalesce.Options

// Lookup reads shipments from ClickHouse; conn has wismo's database as its
// default (chsink.OpenDatabase). Concurrent lookups share queries; every
// answer is read from ClickHouse after it was asked for (no cache).
type Lookup struct {
	conn  chsink.Conn
	batch *coalesce.Batcher[string, *serve.Record]
}

// New returns a Lookup over conn; Close stops its workers and closes conn.
func New(conn chsink.Conn, o Options) *Lookup {
	l := &Lookup{conn: conn}
	l.batch = coalesce.New(l.fetch, o)
	return l
}

// Close stops the lookup's workers, then closes conn.
func (l *Lookup) Close() error {
	l.batch.Close()
	return l.conn.Close()
}

// Stats are the queries run and the shipments they read.
func (l *Lookup) Stats() (queries, shipments int64) { return l.batch.Stats() }

// Shipment implements serve.Lookup.
func (l *Lookup) Shipment(ctx context.Context, id string) (*serve.Record, error) {
	carrier, tn, ok := strings.Cut(id, ":")
	if !ok || !event.ValidCarrierKey(carrier) || !event.ValidTrackingNumber(tn) {
		return nil, serve.ErrNotFound
	}
	return l.batch.Do(ctx, id)
}

// fetch reads ids (valid shipment ids, distinct) in one query.
func (l *Lookup) fetch(ctx context.Context, ids []string) ([]coalesce.Result[*serve.Record], error) {
	var carriers, idList []any // GroupSets: bound as ('a', 'b')
	recs := make(map[string]*serve.Record, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		c, _, _ := strings.Cut(id, ":")
		if !slices.Contains(carriers, any(c)) {
			carriers = append(carriers, c)
		}
		recs[id] = &serve.Record{ShipmentID: id}
		idList = append(idList, id)
	}
	const perShipment = MaxEvents + MaxCommands
	q := fmt.Sprintf(lookupQuery, perShipment, perShipment*len(ids))
	rows, err := l.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(Settings)), q, clickhouse.GroupSet{Value: carriers}, clickhouse.GroupSet{Value: idList})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: shipment_lookup_v3 of %d shipments (%s...): %w", len(ids), ids[0], err)
	}
	defer rows.Close()
	var sid, packed string
	for rows.Next() {
		if err := rows.Scan(&sid, &packed); err != nil {
			return nil, fmt.Errorf("clickhouse: shipment_lookup_v3 of %d shipments (%s...): %w", len(ids), ids[0], err)
		}
		rec := recs[sid]
		if rec == nil {
			continue
		}
		r, err := unpack(packed)
		if err != nil {
			return nil, fmt.Errorf("clickhouse: shipment_lookup_v3 of %d shipments, a row of %s: %w", len(ids), sid, err)
		}
		if seen[sid+"\x00"+r.kind+r.id] {
			continue // a replayed insert not merged yet
		}
		seen[sid+"\x00"+r.kind+r.id] = true
		carrier, _, _ := strings.Cut(sid, ":")
		if r.kind == kindCommand {
			if len(rec.Commands) < MaxCommands {
				rec.Commands = append(rec.Commands, r.command(sid, carrier))
			}
			continue
		}
		t, ok := taxonomy.Lookup(r.eventType)
		if !ok || len(rec.Events) >= MaxEvents {
			continue // a type of a newer taxonomy than this build's
		}
		e, err := r.event(t, carrier)
		if err != nil {
			continue
		}
		rec.Events = append(rec.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: shipment_lookup_v3 of %d shipments (%s...): %w", len(ids), ids[0], err)
	}
	out := make([]coalesce.Result[*serve.Record], len(ids))
	for i, id := range ids {
		if rec := recs[id]; len(rec.Events) > 0 {
			out[i].V = rec
		} else {
			out[i].Err = serve.ErrNotFound
		}
	}
	return out, nil
}

// orderQuery lists an order's shipments (migration 0012), each once.
const orderQuery = `SELECT DISTINCT shipment_id FROM order_shipments WHERE order_id = ? ORDER BY shipment_id LIMIT %d`

// Order implements serve.Orders.
func (l *Lookup) Order(ctx context.Context, orderID string) ([]string, error) {
	rows, err := l.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(Settings)), fmt.Sprintf(orderQuery, serve.MaxOrderShipments), orderID)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: order_shipments of order %q: %w", orderID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("clickhouse: order_shipments of order %q: %w", orderID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: order_shipments of order %q: %w", orderID, err)
	}
	if len(ids) == 0 {
		return nil, serve.ErrNotFound
	}
	return ids, nil
}
