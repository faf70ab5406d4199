package codec

import (
	"reflect"
	"testing"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
)

func TestCommandRoundTrip(t *testing.T) {
	cc, err := NewCommands()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 15, 4, 5, 0, time.UTC)
	in := detect.Command{SchemaVersion: 1, CommandID: "c1", ShipmentID: "fedex:1", Carrier: "fedex", TrackingNumber: "1",
		Trigger: "attempt_failed", EventType: "attempt_failed.business_closed", EventID: "e1", Priority: "high",
		Message: "m", NextStep: "n", OccurredAt: at, DecidedAt: at.Add(time.Second), NotBefore: at.Add(time.Hour), Episode: 3,
		TrackingURL: "https://shop.example/track/t/AQJrMQ"}
	predicted := in
	predicted.Trigger, predicted.Reason, predicted.EstimatedDelivery = "delayed", "predicted_late", "2026-11-23"
	predicted.PredictedDelivery = &detect.Prediction{Earliest: "2026-11-23", Likely: "2026-11-24", Latest: "2026-11-25", Confidence: "high"}
	shaped := predicted
	shaped.CustomerSegment, shaped.Accommodation, shaped.Priority = "vip", "proactive_credit", "high"
	for _, in := range []detect.Command{in, predicted, shaped} {
		roundTrip(t, cc, in)
	}
	// A command written with an older schema (the same datum without the
	// fields added since: tracking_url, then reason, predicted_delivery,
	// estimated_delivery, customer_segment and accommodation, each a zero
	// byte when empty) still decodes, so
	// the commands on the topic during an upgrade are not dead-lettered.
	in.TrackingURL = ""
	b, err := encoder(t, Avro, nil).Append(nil, &in)
	if err != nil || string(b[len(b)-addedFields:]) != string(make([]byte, addedFields)) {
		t.Fatalf("the added fields, empty, should encode as %d zero bytes: %v", addedFields, err)
	}
	for k := 1; k <= addedFields; k++ {
		var old detect.Command
		if err := cc.Decode(b[:len(b)-k], &old); err != nil || !reflect.DeepEqual(old, in) {
			t.Fatalf("a command %d fields older: %+v, %v", k, old, err)
		}
	}
	var out detect.Command
	for _, bad := range [][]byte{nil, {0, 1}, {2, 'x'}, []byte(`{"command_id":`)} {
		if err := cc.Decode(bad, &out); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func roundTrip(t *testing.T, cc *Commands, in detect.Command) {
	t.Helper()
	for name, enc := range map[string]func([]byte, *detect.Command) ([]byte, error){
		"avro": encoder(t, Avro, nil).Append, "json": encoder(t, JSON, nil).Append,
		"confluent": func(d []byte, c *detect.Command) ([]byte, error) {
			return encoder(t, Avro, nil).Append(append(d, 0, 0, 0, 0, 7), c)
		},
	} {
		b, err := enc(nil, &in)
		if err != nil {
			t.Fatal(name, err)
		}
		var out detect.Command
		if err := cc.Decode(b, &out); err != nil {
			t.Fatal(name, err)
		}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("%s: got %+v (prediction %+v), want %+v (prediction %+v)", name, out, out.PredictedDelivery, in, in.PredictedDelivery)
		}
	}
}

func TestEventEncodings(t *testing.T) {
	d, err := NewEvents()
	if err != nil {
		t.Fatal(err)
	}
	in := event.Event{Carrier: "ups", TrackingNumber: "1Z", Type: taxonomy.MustLookup("delivered.delivered"),
		OccurredAt: time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC), Source: event.FromCarrier}
	in.ID[0] = 9
	var enc event.AvroEncoder
	plain := enc.Append(nil, &in)
	for name, v := range map[string][]byte{
		"avro": plain, "confluent": append([]byte{0, 0, 0, 0, 1}, plain...), "json": event.AppendJSON(nil, &in),
	} {
		var out event.Event
		if err := d.Decode(v, &out); err != nil {
			t.Fatal(name, err)
		}
		if out.ID != in.ID || out.ShipmentID() != "ups:1Z" || out.Type != in.Type || !out.OccurredAt.Equal(in.OccurredAt) {
			t.Errorf("%s: got %+v", name, out)
		}
	}
}
