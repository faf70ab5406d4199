package normalize_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/linkedin/goavro/v2"
	_ "github.com/wismo/wismo/normalizers/avroscan"
	"github.com/wismo/wismo/schemas"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
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
	_, err := normalize.New(normalize.Config{Events: encoder(t, "e", codec.Avro), Bindings: []normalize.Binding{{Topic: "raw.x", Carrier: "pony-express"}}})
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
		Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups", Format: normalizers.JSON}},
		Events:   encoder(t, "events", codec.Avro),
		Now:      func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) },
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

func encoder(t testing.TB, topic string, enc codec.Encoding) *codec.EventEncoder {
	t.Helper()
	e, err := codec.NewEventEncoder(context.Background(), topic, codec.Options{Encoding: enc})
	if err != nil {
		t.Fatal(err)
	}
	return e
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
		Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups", Format: normalizers.JSON}},
		Events:   encoder(t, "events", codec.JSON), Metrics: m,
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

// unmappedPayload is one UPS Track API answer whose activities carry the given
// status codes, none of them in UPS's table.
func unmappedPayload(codes []string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1Z81WV380316886897","activity":[`)
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(',')
		}
		// the code goes in raw, bytes as they are: fastjson does not check UTF-8
		fmt.Fprintf(&b, `{"location":{"address":{"city":"NEWARK","stateProvince":"CA","countryCode":"US"}},`+
			`"status":{"type":"Q","description":"?","code":"%s"},"date":"20240202","time":"120435","gmtOffset":"-08:00"}`, c)
	}
	b.WriteString(`]}]}]}}`)
	return b.Bytes()
}

// series lists the label sets of one metric family.
func series(t *testing.T, m *pipeline.Metrics, name string) []map[string]string {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range mt.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out = append(out, l)
		}
	}
	return out
}

// One payload of 5,000 made-up codes (one of 200 KB) made 5,000 permanent
// series. The label keeps the first codes of each carrier, each at most
// 32 bytes; the rest count under _other. The events keep every code.
func TestUnmappedCodeLabelsAreBounded(t *testing.T) {
	m := pipeline.NewMetrics()
	p := upsProcessor(t, m)
	codes := []string{strings.Repeat("Q", 200_000), "Q\xff\xfe"}
	for i := 0; i < 5000; i++ {
		codes = append(codes, fmt.Sprintf("Q%05d", i))
	}
	out := process(t, p, unmappedPayload(codes))
	if out.Dead || len(out.Records) != len(codes) {
		t.Fatalf("dead=%v, %d records, want %d events", out.Dead, len(out.Records), len(codes))
	}
	// The events keep every code (ClickHouse's unmapped_codes lists them),
	// the 200 KB one cut to 64 bytes.
	var all bytes.Buffer
	for _, r := range out.Records {
		all.Write(r.Value)
	}
	for _, c := range []string{"Q00000", "Q04999", `"code":"` + strings.Repeat("Q", 64) + `"`} {
		if !bytes.Contains(all.Bytes(), []byte(c)) {
			t.Errorf("no event keeps the code %.70s", c)
		}
	}
	p.EndBatch(true) // invalid UTF-8 in a label made the Prometheus client panic here
	got := series(t, m, "wismo_unmapped_codes_total")
	if len(got) > pipeline.DefaultCodeLabels+1 {
		t.Errorf("%d series, want at most %d", len(got), pipeline.DefaultCodeLabels+1)
	}
	other := false
	for _, l := range got {
		if len(l["code"]) > pipeline.MaxLabelLen || !utf8.ValidString(l["code"]) {
			t.Errorf("label %.50q: %d bytes", l["code"], len(l["code"]))
		}
		other = other || l["code"] == pipeline.OtherLabel
	}
	if !other {
		t.Error("no _other series for the codes past the cap")
	}
	// A later batch of known-labelled and new codes adds no series.
	process(t, p, unmappedPayload([]string{"Q99999", "Q00001"}))
	p.EndBatch(true)
	if n := len(series(t, m, "wismo_unmapped_codes_total")); n != len(got) {
		t.Errorf("%d series after a second batch, want %d", n, len(got))
	}
}

// The generic Avro feed names the carrier of every scan, so its senders
// can name any number of them: the unmapped-code and assumed-UTC series
// label at most MaxCarrierLabels of them (plus _other).
func TestGenericFeedCarrierLabelsAreBounded(t *testing.T) {
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schemas.Scan})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		var typ any // half unmapped, half mapped without a place (assumed UTC)
		if i%2 == 1 {
			typ = goavro.Union("string", "in_transit.departed_facility")
		}
		if err := w.Append([]any{map[string]any{
			"carrier": fmt.Sprintf("made-up-%03d", i), "tracking_number": "T1", "code": "ZZ",
			"occurred_at_local": "2026-11-19T04:50:00", "service": nil, "subcode": nil, "description": nil,
			"event_type": typ, "utc_offset_minutes": nil, "city": nil, "region": nil, "postal_code": nil,
			"country": nil, "facility": nil, "estimated_delivery": nil,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	m := pipeline.NewMetrics()
	genericFeed(t, m, buf.Bytes(), 300)
	for _, name := range []string{"wismo_unmapped_codes_total", "wismo_assumed_utc_total"} {
		if n := len(series(t, m, name)); n > pipeline.MaxCarrierLabels+1 || n == 0 {
			t.Errorf("%s: %d series, want 1 to %d", name, n, pipeline.MaxCarrierLabels+1)
		}
	}
}

// A payload of one good scan and thousands of absurd ones made one partial
// dead letter, a copy of the whole payload, per absurd scan: a 4 MiB payload
// became gigabytes in one transaction. One partial dead letter per kind
// stands for them now, saying how many.
func TestPartialDeadLettersArePerKind(t *testing.T) {
	p := upsProcessor(t, nil)
	var b bytes.Buffer
	b.WriteString(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1Z81WV380316886897","activity":[`)
	b.WriteString(`{"location":{"address":{"city":"NEWARK","stateProvince":"CA","countryCode":"US"}},"status":{"type":"D","code":"FS","description":"DELIVERED"},"date":"20240202","time":"120435","gmtOffset":"-08:00"}`)
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, `,{"location":{"address":{"city":"NEWARK","stateProvince":"CA","countryCode":"US"}},"status":{"type":"I","code":"AR","description":"x"},"date":"1990%04d","time":"120435","gmtOffset":"-08:00"}`, 101+i%28)
	}
	b.WriteString(`]}]}]}}`)
	out := process(t, p, b.Bytes())
	if out.Dead || out.Partial != 1 || len(out.Records) != 2 {
		t.Fatalf("dead=%v, %d partial dead letters, %d records; want 1 event and 1 partial dead letter", out.Dead, out.Partial, len(out.Records))
	}
	dl := out.Records[1]
	if e := header(dl, "error"); header(dl, "error_kind") != "timestamp" || header(dl, "partial") != "true" || !strings.Contains(e, "and 2999 more scans rejected as timestamp") {
		t.Errorf("partial dead letter: kind %s, error %q", header(dl, "error_kind"), e)
	}
	// Every scan refused: one dead letter, which counts them all.
	out = process(t, p, bytes.Replace(b.Bytes(), []byte(`"date":"20240202"`), []byte(`"date":"19900202"`), 1))
	if !out.Dead || out.Partial != 0 || len(out.Records) != 1 || !strings.Contains(header(out.Records[0], "error"), "and 3000 more scans rejected") {
		t.Errorf("dead=%v, %d partial, %d records, error %q", out.Dead, out.Partial, len(out.Records), header(out.Records[0], "error"))
	}
}
