package chsink

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap/zaptest"
)

// The sink's dead letters follow the same limits as the other stages': a
// batch that decompresses past the bound (the partition's first) becomes a
// placeholder naming its offsets, a 2 MB undecodable record is kept whole
// and a 5 MB one cut to the payload limit, saying so; the events after
// them are stored and every offset is committed. Before, the first of them
// failed to produce (franz-go's 1 MB batch limit) and the sink retried the
// same batch for ever.
func TestStageOversizedDeadLetters(t *testing.T) {
	brokers, srv, ctx := stageSetup(t)
	lim := pipeline.Limits{}
	topics := kafkatest.TopicsWithConfig(t, brokers, 1, lim.TopicConfig(), "events", "notifications", "deadletter")
	noise := func(n int) []byte {
		b := make([]byte, n)
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	recs := []*kgo.Record{
		{Topic: topics[0], Key: []byte("ups:BOMB"), Value: make([]byte, lim.DecompressMax()+1<<20)},
		{Topic: topics[0], Key: []byte("ups:BIG2"), Value: noise(2_000_000)},
		{Topic: topics[0], Key: []byte("ups:BIG5"), Value: bytes.Repeat([]byte{0xff}, 5_000_000)}, // compresses: reaches the topic
	}
	f := newFixture(time.Now())
	var enc event.AvroEncoder
	const good = 5
	for i := 0; i < good; i++ {
		e := &f.events[i]
		recs = append(recs, &kgo.Record{Topic: topics[0], Key: []byte(e.ShipmentID()), Value: enc.Append(nil, e)})
	}
	kafkatest.ProduceCompressed(t, brokers, recs)

	group := fmt.Sprintf("wismo-sink-limits-%d", time.Now().UnixNano())
	runUntilCommitted(t, ctx, StageConfig{
		ClickHouse: Options{Addrs: []string{srv.Addr}, Database: srv.Database, BatchAge: 100 * time.Millisecond},
		Brokers:    brokers, Group: group,
		EventsTopic: topics[0], NotificationsTopic: topics[1], DeadLetterTopic: topics[2],
		Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
	}, topics[0])
	if n := srv.Count(t, "SELECT uniqExact(event_id) FROM "+srv.Database+".shipment_events"); n != good {
		t.Errorf("%d events stored, want %d", n, good)
	}
	dead := kafkatest.ReadCommitted(t, brokers, topics[2], 3, 30*time.Second)
	for _, r := range dead {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		var ok bool
		switch {
		case h["value_unavailable"] == "true":
			ok = h["source_offset"] == "0" && h["error_kind"] == "too_large" && len(r.Value) == 0
		case string(r.Key) == "ups:BIG2":
			ok = h["error_kind"] == "decode" && h["carrier"] == "ups" && len(r.Value) == 2_000_000 && h["truncated"] == ""
		case string(r.Key) == "ups:BIG5":
			ok = h["error_kind"] == "decode" && len(r.Value) == lim.Payload() && h["truncated"] == "true" && h["original_size"] == "5000000"
		}
		if !ok || h["source_topic"] != topics[0] || h["error"] == "" {
			t.Errorf("dead letter %q: %d bytes, headers %v", r.Key, len(r.Value), h)
		}
	}
}
