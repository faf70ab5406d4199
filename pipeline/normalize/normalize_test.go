package normalize_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/ups"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "carriers", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBindingsAreValidated(t *testing.T) {
	_, err := normalize.New(normalize.Config{EventsTopic: "e", Bindings: []normalize.Binding{{Topic: "raw.x", Carrier: "pony-express"}}})
	if err == nil {
		t.Fatal("unknown carrier accepted")
	}
	for _, want := range []string{`binding 0 (topic "raw.x")`, "pony-express", "ups"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// Through an in-process broker: good payloads become events keyed by
// shipment id, broken ones land in the dead-letter topic with the contract's
// headers, and records in = records with events + records dead-lettered.
func TestStageAccounting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 2, 1, nil, "raw.ups", "events", "dlq"); err != nil {
		t.Fatal(err)
	}
	inputs := []*kgo.Record{
		{Topic: "raw.ups", Value: fixture(t, "ups/track-v1-ground-delivered-photo.json")},
		{Topic: "raw.ups", Value: fixture(t, "ups/track-v1-express-intl-customs-clearance.json")},
		{Topic: "raw.ups", Key: []byte("1Z999AA10123456784"), Value: fixture(t, "ups/track-v1-warning-not-found-TW0001.json")},
		{Topic: "raw.ups", Value: []byte(`{"trackResponse":`)},
		{Topic: "raw.ups", Value: fixture(t, "ups/track-v1-error-invalid-inquiry-TV1002.json")},
	}
	for _, r := range inputs {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	proc, err := normalize.New(normalize.Config{
		Bindings:    []normalize.Binding{{Topic: "raw.ups", Carrier: "ups", Format: normalizers.JSON}},
		EventsTopic: "events", Encoding: normalize.Avro,
		Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "normalize", Brokers: brokers, Group: "g",
		TransactionalID: "t-0", Inputs: []string{"raw.ups"}, DeadLetterTopic: "dlq"}, proc)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()
	for {
		if _, tot := st.Stats().Snapshot(); tot.In >= int64(len(inputs)) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("stage stopped early: %v", err)
		case <-ctx.Done():
			t.Fatal("timed out")
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, tot := st.Stats().Snapshot()
	if tot.In != 5 || tot.Out != 3 || tot.Dead != 2 {
		t.Errorf("counts in=%d out=%d dead=%d, want 5, 3, 2", tot.In, tot.Out, tot.Dead)
	}

	read := func(topic string, n int) []*kgo.Record {
		rc, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var out []*kgo.Record
		for len(out) < n {
			fs := rc.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("%s: read %d of %d records", topic, len(out), n)
			}
			out = append(out, fs.Records()...)
		}
		return out
	}
	// 10 + 17 scans + 1 pending event, as the golden files say.
	evs := read("events", 28)
	codec, _ := event.NewAvroCodec()
	pending := 0
	for _, r := range evs {
		var e event.Event
		if err := codec.Decode(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != e.ShipmentID() {
			t.Errorf("key %q, shipment %q", r.Key, e.ShipmentID())
		}
		if e.Lineage.Topic != "raw.ups" {
			t.Errorf("lineage %+v", e.Lineage)
		}
		if e.Type.Name == "pending.tracking_registered" {
			pending++
			if e.TrackingNumber != "1Z999AA10123456784" {
				t.Errorf("pending event for %q; the record key names the shipment", e.TrackingNumber)
			}
		}
	}
	if pending != 1 {
		t.Errorf("%d pending events, want 1", pending)
	}
	dead := read("dlq", 2)
	kinds := map[string]bool{}
	for _, r := range dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		for _, k := range []string{"error", "error_kind", "source_topic", "source_partition", "source_offset", "carrier"} {
			if _, ok := h[k]; !ok {
				t.Errorf("dead letter lacks header %s: %v", k, h)
			}
		}
		if h["source_topic"] != "raw.ups" || h["carrier"] != "ups" || h["error"] == "" {
			t.Errorf("headers %v", h)
		}
		kinds[h["error_kind"]] = true
	}
	if !kinds["decode"] || !kinds["invalid_tracking_number"] {
		t.Errorf("dead-letter kinds %v, want decode and invalid_tracking_number", kinds)
	}
}

// process runs one record through a UPS-bound processor, outside a stage.
func process(t *testing.T, p *normalize.Processor, value []byte) *pipeline.Output {
	t.Helper()
	out := &pipeline.Output{}
	p.Process(&kgo.Record{Topic: "raw.ups", Value: value}, out)
	return out
}

func upsProcessor(t *testing.T, m *pipeline.Metrics) *normalize.Processor {
	t.Helper()
	p, err := normalize.New(normalize.Config{
		Bindings:    []normalize.Binding{{Topic: "raw.ups", Carrier: "ups", Format: normalizers.JSON}},
		EventsTopic: "events", Encoding: normalize.JSON, Metrics: m,
		Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// A tracking number of 300 KB, or with terminal control characters, makes
// no shipment: the record is dead-lettered as validate, with a short error.
func TestBadTrackingNumberIsDeadLettered(t *testing.T) {
	p := upsProcessor(t, nil)
	good := fixture(t, "ups/track-v1-ground-delivered-photo.json")
	for _, bad := range []string{strings.Repeat("1Z", 150_000), "1Z81WV38\x1b[31m\a0316886897"} {
		out := process(t, p, bytes.ReplaceAll(good, []byte("1Z81WV380316886897"), []byte(bad)))
		if !out.Dead || len(out.Records) != 1 {
			t.Fatalf("%.20q: dead=%v, %d records; want one dead letter", bad, out.Dead, len(out.Records))
		}
		r := out.Records[0]
		if k, e := header(r, "error_kind"), header(r, "error"); k != "validate" || !strings.Contains(e, "tracking number") ||
			len(e) > 300 || strings.ContainsAny(e, "\x1b\a") {
			t.Errorf("%.20q: error_kind %s, error %.300q", bad, k, e)
		}
	}
}
