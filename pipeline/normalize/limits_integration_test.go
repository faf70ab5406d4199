package normalize_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
)

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// runNormalize runs a normalize stage with the default limits (the 4 MiB
// normalize.max_payload_bytes) over raw until it has committed n records.
func runNormalize(t *testing.T, brokers []string, raw, events, dlq string, n int64) {
	t.Helper()
	proc, err := normalize.New(normalize.Config{Bindings: []normalize.Binding{{Topic: raw, Carrier: "ups", Format: normalizers.JSON}},
		Events: encoder(t, events, codec.JSON)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "normalize", Brokers: brokers, Group: events + ".g",
		TransactionalID: events + ".t", Inputs: []string{raw}, DeadLetterTopic: dlq}, proc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	kafkatest.WaitFor(t, fmt.Sprintf("%d raw records committed", n), 120*time.Second, func() bool {
		_, tot := st.Stats().Snapshot()
		return tot.In >= n
	})
}

// Raw payloads of 2 MB, 5 MB and 60 MB, sent compressed so that they reach
// the raw topic, each end in the dead-letter topic with its reason: the 2
// MB one whole (it is under the payload limit: undecodable), the 5 MB one
// cut to the limit with headers saying so, the 60 MB one (past the
// decompression bound) as a placeholder naming its offsets. The good
// payloads between them go out as events. Read from the topics, not the
// metrics: before the fix the stage counted and "committed" all three
// while none reached the dead-letter topic (franz-go's 1 MB default batch
// limit failed them after the stage had looked at the produce errors).
func TestRealBrokerOversizedDeadLetters(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	lim := pipeline.Limits{}
	tp := kafkatest.TopicsWithConfig(t, brokers, 1, lim.TopicConfig(), "raw.ups", "events", "dlq")
	raw, events, dlq := tp[0], tp[1], tp[2]
	sizes := []int{2_000_000, 5_000_000, 60_000_000}
	var recs []*kgo.Record
	for i, n := range sizes {
		tn := fmt.Sprintf("1ZBIG%08d", i)
		recs = append(recs,
			&kgo.Record{Topic: raw, Key: []byte(tn), Value: upsPayload(tn, 2)},
			&kgo.Record{Topic: raw, Key: []byte("big-" + strconv.Itoa(n)), Value: bytes.Repeat([]byte{'x'}, n)})
	}
	kafkatest.ProduceCompressed(t, brokers, recs)
	runNormalize(t, brokers, raw, events, dlq, int64(len(recs)))

	dead := kafkatest.ReadCommitted(t, brokers, dlq, len(sizes), 60*time.Second)
	byKey := map[string]*kgo.Record{}
	for _, r := range dead {
		byKey[string(r.Key)] = r
	}
	for i, n := range sizes {
		key := "big-" + strconv.Itoa(n)
		r := byKey[key]
		if r == nil && n > lim.DecompressMax() {
			// Its bytes were never read, key included: find it by offset.
			for _, d := range dead {
				if headers(d)["source_offset"] == strconv.Itoa(2*i+1) {
					r = d
				}
			}
		}
		if r == nil {
			t.Errorf("%d-byte payload: no dead letter (dead letters: %d)", n, len(dead))
			continue
		}
		h := headers(r)
		if h["error"] == "" || h["source_topic"] != raw || h["source_offset"] != strconv.Itoa(2*i+1) || h["carrier"] != "ups" {
			t.Errorf("%d-byte payload: headers %v", n, h)
		}
		switch {
		case n <= lim.Payload():
			if h["error_kind"] != "decode" || len(r.Value) != n || h["truncated"] != "" {
				t.Errorf("%d-byte payload: kind %q, %d bytes kept, truncated=%q; want decode, whole", n, h["error_kind"], len(r.Value), h["truncated"])
			}
		case n <= lim.DecompressMax():
			if h["error_kind"] != "too_large" || len(r.Value) != lim.Payload() || h["truncated"] != "true" || h["original_size"] != strconv.Itoa(n) {
				t.Errorf("%d-byte payload: kind %q, %d bytes kept, truncated=%q, original_size=%q; want too_large cut to %d",
					n, h["error_kind"], len(r.Value), h["truncated"], h["original_size"], lim.Payload())
			}
		default:
			if h["error_kind"] != "too_large" || h["value_unavailable"] != "true" || len(r.Value) != 0 {
				t.Errorf("%d-byte payload: kind %q, value_unavailable=%q, %d bytes; want a too_large placeholder", n, h["error_kind"], h["value_unavailable"], len(r.Value))
			}
		}
	}
	kafkatest.ReadCommitted(t, brokers, events, 2*len(sizes), 30*time.Second)
}

// A zstd batch that decompresses past the bound (here the partition's
// first, so that the group has no offset for it yet) becomes one dead
// letter naming its offsets, and the good records after it are processed:
// the partition goes on instead of stopping for good (franz-go stops
// fetching a partition at such a batch until told to skip it).
func TestRealBrokerDecompressionBomb(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	lim := pipeline.Limits{}
	tp := kafkatest.TopicsWithConfig(t, brokers, 1, lim.TopicConfig(), "raw.ups", "events", "dlq")
	raw, events, dlq := tp[0], tp[1], tp[2]
	bomb := &kgo.Record{Topic: raw, Key: []byte("bomb"), Value: make([]byte, lim.DecompressMax()+1<<20)}
	recs := []*kgo.Record{bomb}
	const good = 5
	for i := 0; i < good; i++ {
		tn := fmt.Sprintf("1ZAFTER%07d", i)
		recs = append(recs, &kgo.Record{Topic: raw, Key: []byte(tn), Value: upsPayload(tn, 2)})
	}
	kafkatest.ProduceCompressed(t, brokers, recs)
	runNormalize(t, brokers, raw, events, dlq, int64(len(recs)))

	dead := kafkatest.ReadCommitted(t, brokers, dlq, 1, 60*time.Second)
	h := headers(dead[0])
	if h["error_kind"] != "too_large" || h["value_unavailable"] != "true" || h["source_topic"] != raw ||
		h["source_partition"] != "0" || h["source_offset"] != "0" || h["carrier"] != "ups" || len(dead[0].Value) != 0 {
		t.Errorf("dead letter of the bomb: headers %v, %d value bytes", h, len(dead[0].Value))
	}
	if want := strconv.Itoa(lim.DecompressMax()); !bytes.Contains([]byte(h["error"]), []byte(want)) {
		t.Errorf("the error %q does not give the bound (%s bytes)", h["error"], want)
	}
	kafkatest.ReadCommitted(t, brokers, events, 2*good, 30*time.Second)
}

// Records the topics refuse (an events topic and a dead-letter topic set
// below what wismo writes) do not freeze the partition or vanish: the
// batch aborts, each input is tried alone, and what still fails ends as a
// dead letter with its reason; a dead letter the topic refuses is stored
// again with less of its value, down to none, saying so. Before the fix
// the stage committed the batch as if all had been written.
func TestRealBrokerRefusedOutputsDeadLettered(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	lim := pipeline.Limits{}
	tiny, small := "300", "100000"
	raw := kafkatest.TopicsWithConfig(t, brokers, 1, lim.TopicConfig(), "raw.ups")[0]
	events := kafkatest.TopicsWithConfig(t, brokers, 1, map[string]*string{"max.message.bytes": &tiny}, "events")[0]
	dlq := kafkatest.TopicsWithConfig(t, brokers, 1, map[string]*string{"max.message.bytes": &small}, "dlq")[0]
	noise := make([]byte, 2_000_000) // does not compress, is not JSON
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	recs := []*kgo.Record{
		{Topic: raw, Key: []byte("1ZREFUSED0001"), Value: upsPayload("1ZREFUSED0001", 2)},
		{Topic: raw, Key: []byte("1ZREFUSED0002"), Value: upsPayload("1ZREFUSED0002", 1)},
		{Topic: raw, Key: []byte("noise"), Value: noise},
	}
	kafkatest.ProduceCompressed(t, brokers, recs)
	runNormalize(t, brokers, raw, events, dlq, int64(len(recs)))

	dead := kafkatest.ReadCommitted(t, brokers, dlq, len(recs), 60*time.Second)
	for _, r := range dead {
		h := headers(r)
		switch string(r.Key) {
		case "1ZREFUSED0001", "1ZREFUSED0002":
			if h["error_kind"] != "too_large" || !bytes.Contains([]byte(h["error"]), []byte(events)) || len(r.Value) == 0 || h["truncated"] != "" {
				t.Errorf("%s: headers %v, %d value bytes; want too_large naming %s, the payload whole", r.Key, h, len(r.Value), events)
			}
		case "noise":
			if h["error_kind"] != "decode" || h["truncated"] != "true" || h["original_size"] != "2000000" || len(r.Value) != 0 {
				t.Errorf("noise: headers %v, %d value bytes; want decode, truncated to nothing", h, len(r.Value))
			}
		default:
			t.Errorf("unexpected dead letter %q: %v", r.Key, h)
		}
	}
	if evs := kafkatest.ReadAll(t, brokers, events); len(evs) != 0 {
		t.Errorf("%d events reached a topic that refuses them all", len(evs))
	}
}
