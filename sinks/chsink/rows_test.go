package chsink

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

func TestNewEventRow(t *testing.T) {
	ev := event.Event{
		ID: event.ID{0xde, 0xad}, Carrier: "ups", TrackingNumber: "1Z9", Service: "ground",
		Type:        taxonomy.MustLookup("delivered.delivered"),
		OccurredAt:  time.Date(2026, 11, 21, 3, 30, 0, 500, time.FixedZone("x", 3600)), // 02:30 UTC
		LocalOffset: -5 * 3600, TZSource: event.TZCarrierOffset,
		Location:          event.Location{City: "FRESNO", Region: "CA", Country: "US", Facility: "F1"},
		Raw:               event.Raw{Code: "D", Type: "D", Description: "Delivered"},
		Source:            event.FromCarrier,
		Lineage:           event.Lineage{Topic: "raw.ups", Partition: 2, Offset: 7},
		EstimatedDelivery: "2026-11-22",
		Origin:            event.Location{Region: "KY", Country: "US"}, Destination: event.Location{City: "FRESNO", Region: "CA", Country: "US"},
		Feed: "easypost",
	}
	r := NewEventRow(&ev)
	if r.Feed != "easypost" {
		t.Errorf("feed = %q, want easypost", r.Feed)
	}
	if r.EventID != ev.ID.String() || r.ShipmentID != "ups:1Z9" || r.Milestone != "delivered" || r.EventType != "delivered.delivered" ||
		r.Class != "informational" || r.TZSource != "carrier_offset" || r.Source != "carrier" {
		t.Errorf("row = %+v", r)
	}
	if !r.OccurredAt.Equal(time.Date(2026, 11, 21, 2, 30, 0, 0, time.UTC)) || r.OccurredAt.Location() != time.UTC {
		t.Errorf("occurred_at = %v, want 02:30:00 UTC, whole seconds", r.OccurredAt)
	}
	// 02:30 UTC at UTC-5 is still the 20th where the parcel was.
	if !r.LocalDate.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("local_date = %v, want 2026-11-20", r.LocalDate)
	}
	if !r.EstimatedDelivery.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("estimated_delivery = %v", r.EstimatedDelivery)
	}

	ev.Type, ev.EstimatedDelivery, ev.OccurredAt = nil, "soon", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	r = NewEventRow(&ev)
	if r.EventType != "unknown.unmapped" || r.Class != "noise" || !r.EstimatedDelivery.Equal(epoch) || !r.OccurredAt.Equal(epoch) || !r.LocalDate.Equal(epoch) {
		t.Errorf("unmapped, bad date, pre-1970: %+v", r)
	}

	c := detect.Command{CommandID: "c1", ShipmentID: "ups:1Z9", Carrier: "ups", Trigger: "delivered", Episode: 3,
		OccurredAt: time.Date(2026, 11, 21, 2, 30, 0, 900, time.UTC)}
	n := NewNotificationRow(&c)
	if n.CommandID != "c1" || n.Episode != 3 || n.OccurredAt.Nanosecond() != 0 || !n.DecidedAt.Equal(epoch) {
		t.Errorf("notification row = %+v", n)
	}
}

// The NDJSON objects have the insert's columns, in order, and parse as JSON.
func TestNDJSONColumns(t *testing.T) {
	f := newFixture(time.Now())
	dir := t.TempDir()
	if _, err := WriteNDJSON(dir, f.events, f.cmds); err != nil {
		t.Fatal(err)
	}
	for table, cols := range map[string][]string{EventsTable: eventColumns, NotificationsTable: notificationColumns} {
		data, err := os.ReadFile(filepath.Join(dir, table+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(data, []byte("\n"))
		dec := json.NewDecoder(bytes.NewReader(first))
		var keys []string
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(keys, append(slices.Clone(cols), "ingested_at")) {
			t.Errorf("%s keys = %v, want %v + ingested_at", table, keys, cols)
		}
		var m map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %v: %s", table, err, line)
			}
		}
	}
	// The writer's column buffers line up with the column lists.
	var eb eventBuffer
	var nb notificationBuffer
	if len(eb.values()) != len(eventColumns) || len(nb.values()) != len(notificationColumns) {
		t.Errorf("buffers have %d and %d columns, lists %d and %d", len(eb.values()), len(nb.values()), len(eventColumns), len(notificationColumns))
	}
}

func TestNotificationRowPrediction(t *testing.T) {
	c := &detect.Command{CommandID: "c", Trigger: "delayed", Reason: "predicted_late", EstimatedDelivery: "2026-11-23",
		CustomerSegment: "first_order", Accommodation: "reassure",
		PredictedDelivery: &detect.Prediction{Earliest: "2026-11-23", Likely: "2026-11-24", Latest: "2026-11-26", Confidence: "medium"}}
	r := NewNotificationRow(c)
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	if r.Reason != "predicted_late" || !r.PredictedLikely.Equal(day("2026-11-24")) || !r.PredictedLatest.Equal(day("2026-11-26")) ||
		r.PredictedConfidence != "medium" || !r.EstimatedDelivery.Equal(day("2026-11-23")) ||
		r.CustomerSegment != "first_order" || r.Accommodation != "reassure" {
		t.Errorf("row %+v", r)
	}
	j := string(AppendNotificationJSON(nil, &r, time.Time{}))
	if !strings.Contains(j, `"predicted_likely":"2026-11-24"`) || !strings.Contains(j, `"reason":"predicted_late"`) ||
		!strings.Contains(j, `"customer_segment":"first_order","accommodation":"reassure"`) {
		t.Errorf("NDJSON %s", j)
	}
	none := NewNotificationRow(&detect.Command{CommandID: "d"})
	if !none.PredictedLikely.Equal(epoch) || none.PredictedConfidence != "" || !none.EstimatedDelivery.Equal(epoch) {
		t.Errorf("no prediction: %+v", none)
	}
}
