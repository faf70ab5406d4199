package normalize_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
	"github.com/wismo/wismo/schemas"
)

// An unmapped scan whose time zone nothing told is still a scan taken as UTC
// (contracts.md: every assumed_utc event is a data-quality problem). The
// stage once left it out of wismo_assumed_utc_total while `wismo normalize
// --stats` and the demo counted it.
func TestUnmappedScanCountsAsAssumedUTC(t *testing.T) {
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schemas.Scan})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append([]any{map[string]any{
		"carrier": "acme", "tracking_number": "T1", "code": "ZZ",
		"occurred_at_local": "2026-11-19T04:50:00", "service": nil, "subcode": nil, "description": nil,
		"event_type": nil, "utc_offset_minutes": nil, "city": nil, "region": nil, "postal_code": nil,
		"country": nil, "facility": nil, "estimated_delivery": nil,
	}}); err != nil {
		t.Fatal(err)
	}
	m := pipeline.NewMetrics()
	genericFeed(t, m, buf.Bytes(), 1)
	if got := testutil.ToFloat64(m.AssumedUTC.WithLabelValues("acme")); got != 1 {
		t.Errorf("wismo_assumed_utc_total{carrier=acme} = %v, want 1", got)
	}
}

// genericFeed runs one payload through a stage bound to the generic Avro
// feed, checks it made want events, and ends the batch.
func genericFeed(t *testing.T, m *pipeline.Metrics, payload []byte, want int) {
	t.Helper()
	p, err := normalize.New(normalize.Config{
		Bindings: []normalize.Binding{{Topic: "raw.feed", Carrier: normalizers.GenericCarrier, Format: normalizers.Avro}},
		Events:   encoder(t, "events", codec.JSON), Metrics: m,
		Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	out := &pipeline.Output{}
	p.Process(&kgo.Record{Topic: "raw.feed", Value: payload}, out)
	if out.Dead || len(out.Records) != want {
		t.Fatalf("dead=%v, %d records, want %d events", out.Dead, len(out.Records), want)
	}
	p.EndBatch(true)
}
