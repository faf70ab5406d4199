package codec

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/registrytest"
	"github.com/wismo/wismo/taxonomy"
)

func encoder(t testing.TB, enc Encoding, r *Registry) *CommandEncoder {
	t.Helper()
	x, err := NewCommandEncoder(context.Background(), "notes", Options{Encoding: enc, Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func sampleEvent() event.Event {
	e := event.Event{Carrier: "ups", CarrierName: "UPS", TrackingNumber: "1Z999AA10123456784", Type: taxonomy.MustLookup("attempt_failed.business_closed"),
		OccurredAt: time.Date(2026, 11, 21, 15, 4, 5, 0, time.UTC), LocalOffset: -5 * 3600, TZSource: event.TZCarrierOffset,
		Location: event.Location{City: "LOUISVILLE", Region: "KY", Country: "US"}, Source: event.FromCarrier}
	e.ID[0] = 7
	return e
}

func sampleCommand() detect.Command {
	at := time.Date(2026, 11, 21, 15, 4, 5, 0, time.UTC)
	return detect.Command{SchemaVersion: 1, CommandID: "c1", ShipmentID: "fedex:1", Carrier: "fedex", TrackingNumber: "1",
		Trigger: "attempt_failed", EventType: "attempt_failed.business_closed", EventID: "e1", Priority: "high",
		Message: strings.Repeat("m", 500), NextStep: "n", OccurredAt: at, DecidedAt: at, NotBefore: at, Episode: 2}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Every encoding of both kinds: the record's topic, key, headers and
// framing, and the value reads back. A Confluent value carries the id the
// registry gave its topic's subject and decodes with the schema the
// registry holds under that id.
func TestEncoders(t *testing.T) {
	reg := registrytest.New(t)
	ctx := context.Background()
	ts := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	events, _ := NewEvents()
	commands, _ := NewCommands()
	for _, o := range []Options{{Encoding: Avro}, {Encoding: JSON}, {Encoding: Avro, Registry: &Registry{URL: reg.URL}},
		{Encoding: Confluent, Registry: &Registry{URL: reg.URL}}, {Encoding: JSON, Registry: &Registry{URL: reg.URL}}} {
		ee, err := NewEventEncoder(ctx, "ev", o)
		if err != nil {
			t.Fatal(err)
		}
		ce, err := NewCommandEncoder(ctx, "notes", o)
		if err != nil {
			t.Fatal(err)
		}
		want := o.Encoding
		if o.Registry != nil && o.Encoding != JSON {
			want = Confluent
		}
		e, c := sampleEvent(), sampleCommand()
		er := ee.Record(&e, ts)
		cr, err := ce.Record(&c, ts)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []struct {
			rec                    *kgo.Record
			enc                    *framing
			topic, key, schemaName string
		}{
			{er, &ee.framing, "ev", "ups:1Z999AA10123456784", "io.wismo.v1.ShipmentEvent"},
			{cr, &ce.framing, "notes", "fedex:1", "io.wismo.v1.NotificationCommand"},
		} {
			name := want.String() + " " + x.topic
			if x.enc.Encoding() != want || x.enc.Topic() != x.topic {
				t.Errorf("%s: encoder says %s on %s", name, x.enc.Encoding(), x.enc.Topic())
			}
			if x.rec.Topic != x.topic || string(x.rec.Key) != x.key || !x.rec.Timestamp.Equal(ts) {
				t.Errorf("%s: record topic %q key %q at %s", name, x.rec.Topic, x.rec.Key, x.rec.Timestamp)
			}
			enc, payload, err := Sniff(x.rec.Value)
			if err != nil || enc != want {
				t.Errorf("%s: value sniffs as %s (%v)", name, enc, err)
			}
			switch want {
			case JSON:
				if header(x.rec, "content-type") != "application/json" || header(x.rec, "avro.schema") != "" {
					t.Errorf("%s: headers %v", name, x.rec.Headers)
				}
				continue
			case Confluent:
				id, ok := reg.ID(Subject(x.topic))
				if !ok || x.enc.SchemaID() != id || int32(binary.BigEndian.Uint32(x.rec.Value[1:5])) != id {
					t.Errorf("%s: framed with id % x, encoder says %d, registry has %d under %s", name, x.rec.Value[:5], x.enc.SchemaID(), id, Subject(x.topic))
				}
				if _, rest, err := reg.Codec(t, id).NativeFromBinary(payload); err != nil || len(rest) != 0 {
					t.Errorf("%s: does not decode with registered schema %d: %v", name, id, err)
				}
			}
			if header(x.rec, "content-type") != "application/avro" || header(x.rec, "avro.schema") != x.schemaName {
				t.Errorf("%s: headers %v", name, x.rec.Headers)
			}
		}
		var eb event.Event
		if err := events.Decode(er.Value, &eb); err != nil || eb.ID != e.ID || eb.ShipmentID() != e.ShipmentID() || eb.Message() != e.Message() {
			t.Errorf("%s: event reads back as %+v (%v)", want, eb, err)
		}
		var cb detect.Command
		if err := commands.Decode(cr.Value, &cb); err != nil || cb != c {
			t.Errorf("%s: command reads back as %+v (%v)", want, cb, err)
		}
	}
	if got := reg.Subjects(); strings.Join(got, ",") != "ev-value,notes-value" {
		t.Errorf("registered subjects %v", got)
	}
	// Both schemas registered, each under its own id.
	evID, _ := reg.ID("ev-value")
	notesID, _ := reg.ID("notes-value")
	if evID == notesID {
		t.Errorf("events and commands share schema id %d", evID)
	}
}

// Key and value share one allocation; a value that outgrows it must leave
// the key alone.
func TestRecordKeyIsItsOwn(t *testing.T) {
	ee, err := NewEventEncoder(context.Background(), "ev", Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := sampleEvent()
	e.Raw.Description = strings.Repeat("long description ", 100)
	r := ee.Record(&e, time.Time{})
	if string(r.Key) != e.ShipmentID() || cap(r.Key) != len(r.Key) {
		t.Errorf("key %q (cap %d)", r.Key, cap(r.Key))
	}
	var back event.Event
	d, _ := NewEvents()
	if err := d.Decode(r.Value, &back); err != nil || back.Raw.Description != e.Raw.Description {
		t.Errorf("value: %v", err)
	}
}

// One encoder serves every stage of an instance at once.
func TestEncoderConcurrentUse(t *testing.T) {
	ee, err := NewEventEncoder(context.Background(), "ev", Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := sampleEvent()
	want := string(ee.Record(&e, time.Time{}).Value)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := sampleEvent()
			e.Location.City = strings.Repeat("x", g*40)
			other := string(ee.Record(&e, time.Time{}).Value)
			for range 200 {
				e2 := sampleEvent()
				if got := string(ee.Record(&e2, time.Time{}).Value); got != want {
					errs <- "concurrent encodings differ"
					return
				}
				if got := string(ee.Record(&e, time.Time{}).Value); got != other {
					errs <- "concurrent encodings differ"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestEncoderSettingErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := ParseEncoding("protobuf"); err == nil || !strings.Contains(err.Error(), "encoding") {
		t.Errorf("ParseEncoding: %v", err)
	}
	if _, err := NewEventEncoder(ctx, "", Options{}); err == nil {
		t.Error("an encoder without a topic")
	}
	if _, err := NewEventEncoder(ctx, "ev", Options{Encoding: Confluent}); err == nil || !strings.Contains(err.Error(), "schema_registry.url") {
		t.Errorf("Confluent framing without a registry: %v", err)
	}

	reg := registrytest.New(t)
	reg.RequireAuth("wismo", "right")
	if _, err := NewEventEncoder(ctx, "ev", Options{Registry: &Registry{URL: reg.URL, Username: "wismo", Password: "right"}}); err != nil {
		t.Errorf("with the right credentials: %v", err)
	}
	_, err := NewEventEncoder(ctx, "ev2", Options{Registry: &Registry{URL: reg.URL, Username: "wismo", Password: "wrong"}})
	if err == nil || !strings.Contains(err.Error(), "schema_registry.password") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}
	// Nothing listens: the error names the setting, without the URL's
	// password.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = NewCommandEncoder(ctx, "notes", Options{Registry: &Registry{URL: "http://u:hunter2@" + addr}})
	if err == nil || !strings.Contains(err.Error(), "schema_registry.url") || strings.Contains(err.Error(), "hunter2") ||
		!strings.Contains(err.Error(), "notes-value") {
		t.Errorf("no registry: %v", err)
	}
}

func BenchmarkEventRecord(b *testing.B) {
	reg := registrytest.New(b)
	for _, c := range []struct {
		name string
		o    Options
	}{{"avro", Options{}}, {"confluent", Options{Registry: &Registry{URL: reg.URL}}}, {"json", Options{Encoding: JSON}}} {
		ee, err := NewEventEncoder(context.Background(), "ev", c.o)
		if err != nil {
			b.Fatal(err)
		}
		e := sampleEvent()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = ee.Record(&e, time.Time{})
			}
		})
	}
}

func BenchmarkCommandRecord(b *testing.B) {
	ce := encoder(b, Avro, nil)
	c := sampleCommand()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ce.Record(&c, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
