package chsink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
)

// eventColumns are shipment_events' columns as the writer inserts them
// (ingested_at is left to its DEFAULT). Same order as EventRow and as
// eventBuffer.values.
var eventColumns = []string{
	"event_id", "shipment_id", "carrier", "tracking_number", "service", "milestone", "event_type",
	"class", "reason", "occurred_at", "local_offset", "local_date", "tz_source", "source",
	"location_city", "location_region", "location_postal_code", "location_country", "location_facility",
	"raw_code", "raw_type", "raw_description", "estimated_delivery",
	"origin_city", "origin_region", "origin_postal_code", "origin_country",
	"destination_city", "destination_region", "destination_postal_code", "destination_country",
	"lineage_topic", "lineage_partition", "lineage_offset", "feed",
}

// notificationColumns are notifications' columns as the writer inserts them.
var notificationColumns = []string{
	"command_id", "shipment_id", "carrier", "tracking_number", "trigger", "event_type", "event_id",
	"priority", "message", "next_step", "occurred_at", "decided_at", "not_before", "supersedes", "episode",
	"reason", "predicted_earliest", "predicted_likely", "predicted_latest", "predicted_confidence", "estimated_delivery",
	"customer_segment", "accommodation",
}

// eventBuffer holds shipment_events rows column by column, the shape a
// native-protocol insert sends, so a flush copies slices instead of
// converting row by row.
type eventBuffer struct {
	eventID, shipmentID, carrier, trackingNumber, service, milestone, eventType []string
	class, reason                                                               []string
	occurredAt                                                                  []time.Time
	localOffset                                                                 []int32
	localDate                                                                   []time.Time
	tzSource, source                                                            []string
	locCity, locRegion, locPostal, locCountry, locFacility                      []string
	rawCode, rawType, rawDescription                                            []string
	estimatedDelivery                                                           []time.Time
	origCity, origRegion, origPostal, origCountry                               []string
	destCity, destRegion, destPostal, destCountry                               []string
	lineageTopic                                                                []string
	lineagePartition                                                            []int32
	lineageOffset                                                               []int64
	feed                                                                        []string
}

func (b *eventBuffer) add(r *EventRow) {
	b.eventID = append(b.eventID, r.EventID)
	b.shipmentID = append(b.shipmentID, r.ShipmentID)
	b.carrier = append(b.carrier, r.Carrier)
	b.trackingNumber = append(b.trackingNumber, r.TrackingNumber)
	b.service = append(b.service, r.Service)
	b.milestone = append(b.milestone, r.Milestone)
	b.eventType = append(b.eventType, r.EventType)
	b.class = append(b.class, r.Class)
	b.reason = append(b.reason, r.Reason)
	b.occurredAt = append(b.occurredAt, r.OccurredAt)
	b.localOffset = append(b.localOffset, r.LocalOffset)
	b.localDate = append(b.localDate, r.LocalDate)
	b.tzSource = append(b.tzSource, r.TZSource)
	b.source = append(b.source, r.Source)
	b.locCity = append(b.locCity, r.LocationCity)
	b.locRegion = append(b.locRegion, r.LocationRegion)
	b.locPostal = append(b.locPostal, r.LocationPostalCode)
	b.locCountry = append(b.locCountry, r.LocationCountry)
	b.locFacility = append(b.locFacility, r.LocationFacility)
	b.rawCode = append(b.rawCode, r.RawCode)
	b.rawType = append(b.rawType, r.RawType)
	b.rawDescription = append(b.rawDescription, r.RawDescription)
	b.estimatedDelivery = append(b.estimatedDelivery, r.EstimatedDelivery)
	b.origCity = append(b.origCity, r.OriginCity)
	b.origRegion = append(b.origRegion, r.OriginRegion)
	b.origPostal = append(b.origPostal, r.OriginPostalCode)
	b.origCountry = append(b.origCountry, r.OriginCountry)
	b.destCity = append(b.destCity, r.DestinationCity)
	b.destRegion = append(b.destRegion, r.DestinationRegion)
	b.destPostal = append(b.destPostal, r.DestinationPostalCode)
	b.destCountry = append(b.destCountry, r.DestinationCountry)
	b.lineageTopic = append(b.lineageTopic, r.LineageTopic)
	b.lineagePartition = append(b.lineagePartition, r.LineagePartition)
	b.lineageOffset = append(b.lineageOffset, r.LineageOffset)
	b.feed = append(b.feed, r.Feed)
}

func (b *eventBuffer) values() []any {
	return []any{
		b.eventID, b.shipmentID, b.carrier, b.trackingNumber, b.service, b.milestone, b.eventType,
		b.class, b.reason, b.occurredAt, b.localOffset, b.localDate, b.tzSource, b.source,
		b.locCity, b.locRegion, b.locPostal, b.locCountry, b.locFacility,
		b.rawCode, b.rawType, b.rawDescription, b.estimatedDelivery,
		b.origCity, b.origRegion, b.origPostal, b.origCountry,
		b.destCity, b.destRegion, b.destPostal, b.destCountry,
		b.lineageTopic, b.lineagePartition, b.lineageOffset, b.feed,
	}
}

func (b *eventBuffer) len() int { return len(b.eventID) }

// reset empties the buffer and keeps its capacity; strings are dropped so
// that the decoded records they point into can be collected.
func (b *eventBuffer) reset() {
	for _, s := range []*[]string{
		&b.eventID, &b.shipmentID, &b.carrier, &b.trackingNumber, &b.service, &b.milestone, &b.eventType,
		&b.class, &b.reason, &b.tzSource, &b.source,
		&b.locCity, &b.locRegion, &b.locPostal, &b.locCountry, &b.locFacility,
		&b.rawCode, &b.rawType, &b.rawDescription,
		&b.origCity, &b.origRegion, &b.origPostal, &b.origCountry,
		&b.destCity, &b.destRegion, &b.destPostal, &b.destCountry, &b.lineageTopic, &b.feed,
	} {
		clear(*s)
		*s = (*s)[:0]
	}
	b.occurredAt, b.localDate, b.estimatedDelivery = b.occurredAt[:0], b.localDate[:0], b.estimatedDelivery[:0]
	b.localOffset, b.lineagePartition, b.lineageOffset = b.localOffset[:0], b.lineagePartition[:0], b.lineageOffset[:0]
}

type notificationBuffer struct {
	commandID, shipmentID, carrier, trackingNumber, trigger, eventType, eventID []string
	priority, message, nextStep                                                 []string
	occurredAt, decidedAt, notBefore                                            []time.Time
	supersedes                                                                  []string
	episode                                                                     []int32
	reason, predictedConfidence, customerSegment, accommodation                 []string
	predictedEarliest, predictedLikely, predictedLatest, estimatedDelivery      []time.Time
}

func (b *notificationBuffer) add(r *NotificationRow) {
	b.commandID = append(b.commandID, r.CommandID)
	b.shipmentID = append(b.shipmentID, r.ShipmentID)
	b.carrier = append(b.carrier, r.Carrier)
	b.trackingNumber = append(b.trackingNumber, r.TrackingNumber)
	b.trigger = append(b.trigger, r.Trigger)
	b.eventType = append(b.eventType, r.EventType)
	b.eventID = append(b.eventID, r.EventID)
	b.priority = append(b.priority, r.Priority)
	b.message = append(b.message, r.Message)
	b.nextStep = append(b.nextStep, r.NextStep)
	b.occurredAt = append(b.occurredAt, r.OccurredAt)
	b.decidedAt = append(b.decidedAt, r.DecidedAt)
	b.notBefore = append(b.notBefore, r.NotBefore)
	b.supersedes = append(b.supersedes, r.Supersedes)
	b.episode = append(b.episode, r.Episode)
	b.reason = append(b.reason, r.Reason)
	b.predictedEarliest = append(b.predictedEarliest, r.PredictedEarliest)
	b.predictedLikely = append(b.predictedLikely, r.PredictedLikely)
	b.predictedLatest = append(b.predictedLatest, r.PredictedLatest)
	b.predictedConfidence = append(b.predictedConfidence, r.PredictedConfidence)
	b.estimatedDelivery = append(b.estimatedDelivery, r.EstimatedDelivery)
	b.customerSegment = append(b.customerSegment, r.CustomerSegment)
	b.accommodation = append(b.accommodation, r.Accommodation)
}

func (b *notificationBuffer) values() []any {
	return []any{
		b.commandID, b.shipmentID, b.carrier, b.trackingNumber, b.trigger, b.eventType, b.eventID,
		b.priority, b.message, b.nextStep, b.occurredAt, b.decidedAt, b.notBefore, b.supersedes, b.episode,
		b.reason, b.predictedEarliest, b.predictedLikely, b.predictedLatest, b.predictedConfidence, b.estimatedDelivery,
		b.customerSegment, b.accommodation,
	}
}

func (b *notificationBuffer) len() int { return len(b.commandID) }

func (b *notificationBuffer) reset() {
	for _, s := range []*[]string{
		&b.commandID, &b.shipmentID, &b.carrier, &b.trackingNumber, &b.trigger, &b.eventType, &b.eventID,
		&b.priority, &b.message, &b.nextStep, &b.supersedes, &b.reason, &b.predictedConfidence,
		&b.customerSegment, &b.accommodation,
	} {
		clear(*s)
		*s = (*s)[:0]
	}
	b.occurredAt, b.decidedAt, b.notBefore, b.episode = b.occurredAt[:0], b.decidedAt[:0], b.notBefore[:0], b.episode[:0]
	b.predictedEarliest, b.predictedLikely = b.predictedEarliest[:0], b.predictedLikely[:0]
	b.predictedLatest, b.estimatedDelivery = b.predictedLatest[:0], b.estimatedDelivery[:0]
}

// Writer buffers rows per table and inserts each table's rows as one batch
// (PrepareBatch with an explicit column list, which ClickHouse 18.16 needs).
// It is not safe for concurrent use.
//
// The caller decides when to flush: Due says when a table holds BatchRows
// rows or the oldest row is BatchAge old. A failed Flush keeps the rows of
// every table it could not insert (tables already inserted are emptied), so
// calling Flush again retries exactly what is missing.
type Writer struct {
	conn    Conn
	db      string
	rows    int
	age     time.Duration
	events  eventBuffer
	notes   notificationBuffer
	orders  orderBuffer
	oldest  time.Time // when the first row of the pending batch was added
	metrics *Metrics
	now     func() time.Time
}

// NewWriter returns a writer into o.Database over conn.
func NewWriter(conn Conn, o Options) *Writer {
	o = o.withDefaults()
	return &Writer{conn: conn, db: o.Database, rows: o.BatchRows, age: o.BatchAge, now: time.Now}
}

// AddEvent buffers a canonical event.
func (w *Writer) AddEvent(ev *event.Event) {
	r := NewEventRow(ev)
	w.AddEventRow(&r)
}

// AddEventRow buffers a shipment_events row.
func (w *Writer) AddEventRow(r *EventRow) {
	w.touch()
	w.events.add(r)
}

// AddCommand buffers a notification command.
func (w *Writer) AddCommand(c *detect.Command) {
	r := NewNotificationRow(c)
	w.AddNotificationRow(&r)
}

// AddNotificationRow buffers a notifications row.
func (w *Writer) AddNotificationRow(r *NotificationRow) {
	w.touch()
	w.notes.add(r)
}

func (w *Writer) touch() {
	if w.Len() == 0 {
		w.oldest = w.now()
	}
}

// Len is the number of buffered rows, all tables together.
func (w *Writer) Len() int { return w.events.len() + w.notes.len() + w.orders.len() }

// Oldest is when the oldest buffered row was added (zero when empty).
func (w *Writer) Oldest() time.Time {
	if w.Len() == 0 {
		return time.Time{}
	}
	return w.oldest
}

// Due reports whether a flush is due at now: a table is full or the oldest
// row has waited BatchAge.
func (w *Writer) Due(now time.Time) bool {
	if w.Len() == 0 {
		return false
	}
	return w.events.len() >= w.rows || w.notes.len() >= w.rows || w.orders.len() >= w.rows || now.Sub(w.oldest) >= w.age
}

// Flush inserts every buffered row. On error the rows of the table that
// failed, and of those after it, stay buffered.
func (w *Writer) Flush(ctx context.Context) error {
	if n := w.events.len(); n > 0 {
		if err := w.insert(ctx, EventsTable, eventColumns, w.events.values(), n); err != nil {
			return err
		}
		w.events.reset()
	}
	if n := w.notes.len(); n > 0 {
		if err := w.insert(ctx, NotificationsTable, notificationColumns, w.notes.values(), n); err != nil {
			return err
		}
		w.notes.reset()
	}
	if n := w.orders.len(); n > 0 {
		if err := w.insert(ctx, OrdersTable, orderColumns, w.orders.values(), n); err != nil {
			return err
		}
		w.orders.reset()
	}
	w.oldest = time.Time{}
	return nil
}

func (w *Writer) insert(ctx context.Context, table string, columns []string, values []any, n int) (err error) {
	start := time.Now()
	defer func() {
		if w.metrics != nil {
			w.metrics.observeInsert(table, n, time.Since(start), err)
		}
	}()
	query := "INSERT INTO " + w.db + "." + table + " (" + strings.Join(columns, ", ") + ")"
	batch, err := w.conn.PrepareBatch(ctx, query)
	if err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	// Rows go out in blocks of blockRows within the one INSERT: the
	// driver's column buffers are reused from block to block instead of
	// growing to the whole batch (less copying and garbage), and the server
	// works on a block while the next is encoded. The server squashes the
	// blocks of one INSERT, so this still makes one part per table.
	for lo := 0; lo < n; lo += blockRows {
		hi := min(lo+blockRows, n)
		for i, v := range values {
			if err = batch.Column(i).Append(sliceRows(v, lo, hi)); err != nil {
				_ = batch.Abort()
				return fmt.Errorf("clickhouse: insert into %s, column %s: %w", table, columns[i], err)
			}
		}
		if hi < n {
			if err = batch.Flush(); err != nil {
				_ = batch.Abort()
				return fmt.Errorf("clickhouse: insert %d rows into %s: %w", n, table, err)
			}
		}
	}
	if err = batch.Send(); err != nil {
		return fmt.Errorf("clickhouse: insert %d rows into %s: %w", n, table, err)
	}
	return nil
}

// blockRows is the size of the blocks an insert is sent in.
const blockRows = 16_384

// sliceRows returns rows [lo, hi) of a column slice.
func sliceRows(v any, lo, hi int) any {
	switch v := v.(type) {
	case []string:
		return v[lo:hi]
	case []time.Time:
		return v[lo:hi]
	case []int32:
		return v[lo:hi]
	case []int64:
		return v[lo:hi]
	}
	panic(fmt.Sprintf("clickhouse: column of %T", v))
}
