package detectstage_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/pipeline"
)

// The detect stage's dead letters reach the dead-letter topic whatever
// their size: a 2 MB undecodable event whole, and a batch that
// decompresses past the bound as a placeholder for its offsets; the events
// after them are applied. Before, both were counted and lost (franz-go's
// 1 MB batch limit failed them after the stage had looked for errors).
func TestRealBrokerDetectOversizedDeadLetters(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	lim := pipeline.Limits{}
	base := kafkatest.TopicsWithConfig(t, brokers, 1, lim.TopicConfig(), "events", "notifications", "dlq")
	compact := "compact"
	cfg := lim.TopicConfig()
	cfg["cleanup.policy"] = &compact
	state := kafkatest.TopicsWithConfig(t, brokers, 1, cfg, "state")[0]
	tp := topics{events: base[0], notifications: base[1], dlq: base[2], state: state}

	noise := make([]byte, 2_000_000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	recs := []*kgo.Record{
		{Topic: tp.events, Key: []byte("dhl:NOISE"), Value: noise},
		{Topic: tp.events, Key: []byte("dhl:BOMB"), Value: make([]byte, lim.DecompressMax()+1<<20)},
	}
	now := time.Now()
	const good = 4
	for i := 0; i < good; i++ {
		e := scan(fmt.Sprintf("AFTER%04d", i), "in_transit.picked_up", now.Add(-time.Hour))
		recs = append(recs, kafkatest.EventRecords(tp.events, []event.Event{e})...)
	}
	kafkatest.ProduceCompressed(t, brokers, recs)
	in := start(t, brokers, tp, tp.events+".t", nil)
	kafkatest.WaitFor(t, "every event committed", 90*time.Second, func() bool {
		_, tot := in.stage.Stats().Snapshot()
		return tot.In >= int64(len(recs))
	})
	if n := in.proc.Tracked(); n != good {
		t.Errorf("%d shipments tracked, want the %d after the dead letters", n, good)
	}
	dead := kafkatest.ReadCommitted(t, brokers, tp.dlq, 2, 30*time.Second)
	for _, r := range dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		switch {
		case string(r.Key) == "dhl:NOISE":
			if h["error_kind"] != "decode" || len(r.Value) != len(noise) || h["source_offset"] != "0" {
				t.Errorf("undecodable event: %d bytes, headers %v", len(r.Value), h)
			}
		case h["value_unavailable"] == "true":
			if h["error_kind"] != "too_large" || h["source_offset"] != "1" || h["source_topic"] != tp.events {
				t.Errorf("bomb placeholder: headers %v", h)
			}
		default:
			t.Errorf("unexpected dead letter %q: %v", r.Key, h)
		}
	}
}
