package chsink

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
)

const (
	dateTimeLayout = "2006-01-02 15:04:05"
	dateLayout     = "2006-01-02"
)

// WriteNDJSON writes the rows the sink would insert for events and cmds as
// newline-delimited JSON, one file per table, under dir (created if
// missing): shipment_events.ndjson and notifications.ndjson. Keys are the
// column names, values in ClickHouse's text formats, plus ingested_at (the
// time of writing), so the files load on every server version:
//
//	clickhouse-client -d wismo -q 'INSERT INTO shipment_events FORMAT JSONEachRow' < shipment_events.ndjson
//
// The materialized views fill the aggregate tables from such an insert as
// they do from the sink's. It returns the paths written.
func WriteNDJSON(dir string, events []event.Event, cmds []detect.Command) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ingested := time.Now().UTC()
	evPath := filepath.Join(dir, EventsTable+".ndjson")
	err := writeLines(evPath, len(events), func(i int, dst []byte) []byte {
		r := NewEventRow(&events[i])
		return AppendEventJSON(dst, &r, ingested)
	})
	if err != nil {
		return nil, err
	}
	cmdPath := filepath.Join(dir, NotificationsTable+".ndjson")
	err = writeLines(cmdPath, len(cmds), func(i int, dst []byte) []byte {
		r := NewNotificationRow(&cmds[i])
		return AppendNotificationJSON(dst, &r, ingested)
	})
	if err != nil {
		return nil, err
	}
	return []string{evPath, cmdPath}, nil
}

func writeLines(path string, n int, line func(int, []byte) []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var buf []byte
	for i := 0; i < n; i++ {
		buf = append(line(i, buf[:0]), '\n')
		if _, err := w.Write(buf); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("clickhouse: %s: %w", path, err)
	}
	return nil
}

// jsonObj appends the members of one JSON object.
type jsonObj struct{ b []byte }

func (o *jsonObj) key(k string) {
	if len(o.b) == 0 || o.b[len(o.b)-1] != '{' {
		o.b = append(o.b, ',')
	}
	o.b = event.AppendString(o.b, k)
	o.b = append(o.b, ':')
}
func (o *jsonObj) str(k, v string) { o.key(k); o.b = event.AppendString(o.b, v) }
func (o *jsonObj) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}
func (o *jsonObj) dateTime(k string, t time.Time) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = t.UTC().AppendFormat(o.b, dateTimeLayout)
	o.b = append(o.b, '"')
}
func (o *jsonObj) date(k string, t time.Time) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = t.UTC().AppendFormat(o.b, dateLayout)
	o.b = append(o.b, '"')
}

// AppendEventJSON appends r as one JSONEachRow object (no newline), its
// keys the columns of shipment_events in table order; ingested_at is added
// when not zero.
func AppendEventJSON(dst []byte, r *EventRow, ingested time.Time) []byte {
	o := jsonObj{append(dst, '{')}
	o.str("event_id", r.EventID)
	o.str("shipment_id", r.ShipmentID)
	o.str("carrier", r.Carrier)
	o.str("tracking_number", r.TrackingNumber)
	o.str("service", r.Service)
	o.str("milestone", r.Milestone)
	o.str("event_type", r.EventType)
	o.str("class", r.Class)
	o.str("reason", r.Reason)
	o.dateTime("occurred_at", r.OccurredAt)
	o.int("local_offset", int64(r.LocalOffset))
	o.date("local_date", r.LocalDate)
	o.str("tz_source", r.TZSource)
	o.str("source", r.Source)
	o.str("location_city", r.LocationCity)
	o.str("location_region", r.LocationRegion)
	o.str("location_postal_code", r.LocationPostalCode)
	o.str("location_country", r.LocationCountry)
	o.str("location_facility", r.LocationFacility)
	o.str("raw_code", r.RawCode)
	o.str("raw_type", r.RawType)
	o.str("raw_description", r.RawDescription)
	o.date("estimated_delivery", r.EstimatedDelivery)
	o.str("origin_city", r.OriginCity)
	o.str("origin_region", r.OriginRegion)
	o.str("origin_postal_code", r.OriginPostalCode)
	o.str("origin_country", r.OriginCountry)
	o.str("destination_city", r.DestinationCity)
	o.str("destination_region", r.DestinationRegion)
	o.str("destination_postal_code", r.DestinationPostalCode)
	o.str("destination_country", r.DestinationCountry)
	o.str("lineage_topic", r.LineageTopic)
	o.int("lineage_partition", int64(r.LineagePartition))
	o.int("lineage_offset", r.LineageOffset)
	o.str("feed", r.Feed)
	if !ingested.IsZero() {
		o.dateTime("ingested_at", ingested)
	}
	return append(o.b, '}')
}

// AppendNotificationJSON appends r as one JSONEachRow object (no newline),
// its keys the columns of notifications in table order.
func AppendNotificationJSON(dst []byte, r *NotificationRow, ingested time.Time) []byte {
	o := jsonObj{append(dst, '{')}
	o.str("command_id", r.CommandID)
	o.str("shipment_id", r.ShipmentID)
	o.str("carrier", r.Carrier)
	o.str("tracking_number", r.TrackingNumber)
	o.str("trigger", r.Trigger)
	o.str("event_type", r.EventType)
	o.str("event_id", r.EventID)
	o.str("priority", r.Priority)
	o.str("message", r.Message)
	o.str("next_step", r.NextStep)
	o.dateTime("occurred_at", r.OccurredAt)
	o.dateTime("decided_at", r.DecidedAt)
	o.dateTime("not_before", r.NotBefore)
	o.str("supersedes", r.Supersedes)
	o.int("episode", int64(r.Episode))
	o.str("reason", r.Reason)
	o.date("predicted_earliest", r.PredictedEarliest)
	o.date("predicted_likely", r.PredictedLikely)
	o.date("predicted_latest", r.PredictedLatest)
	o.str("predicted_confidence", r.PredictedConfidence)
	o.date("estimated_delivery", r.EstimatedDelivery)
	o.str("customer_segment", r.CustomerSegment)
	o.str("accommodation", r.Accommodation)
	if !ingested.IsZero() {
		o.dateTime("ingested_at", ingested)
	}
	return append(o.b, '}')
}
