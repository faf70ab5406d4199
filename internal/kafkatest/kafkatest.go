// Package kafkatest gives integration tests the real Kafka broker that
// scripts/services.sh runs on loopback.
//
// Outside CI a missing broker skips the test, so `go test ./...` works on a
// laptop without Java; in CI (CI=true) it fails the test: a test that needs
// the broker must never pass by not running.
package kafkatest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Brokers returns the broker addresses (WISMO_TEST_KAFKA, default
// 127.0.0.1:19092) once a metadata request has answered.
func Brokers(t testing.TB) []string {
	t.Helper()
	addr := os.Getenv("WISMO_TEST_KAFKA")
	if addr == "" {
		addr = "127.0.0.1:19092"
	}
	brokers := strings.Split(addr, ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err == nil {
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = kadm.NewClient(cl).BrokerMetadata(ctx)
	}
	if err != nil {
		msg := fmt.Sprintf("no Kafka broker at %s (%v); start one with scripts/services.sh up kafka", addr, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return brokers
}

// Topics creates fresh topics with a per-test unique prefix, so that runs
// against a long-lived development broker do not see each other's records.
// It returns the full names in the order given.
func Topics(t testing.TB, brokers []string, partitions int32, names ...string) []string {
	t.Helper()
	return TopicsWithConfig(t, brokers, partitions, nil, names...)
}

// TopicsWithConfig is Topics with topic configs ("cleanup.policy":
// "compact" for a changelog).
func TopicsWithConfig(t testing.TB, brokers []string, partitions int32, configs map[string]*string, names ...string) []string {
	t.Helper()
	prefix := fmt.Sprintf("test.%s.%d.", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), time.Now().UnixNano())
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = prefix + n
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := adm.CreateTopics(ctx, partitions, 1, configs, full...)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	// Removed at the end with a client of its own (the one above is closed
	// by then), so that a development broker does not pile up partitions
	// and take minutes to start.
	t.Cleanup(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := kadm.NewClient(cl).DeleteTopics(ctx, full...); err != nil {
			t.Logf("delete topics: %v", err)
		}
	})
	return full
}

// ReadCommitted reads topic from the start with read_committed until it
// has want records, or fails after timeout. It then waits a moment more and
// fails if extra records show up, so that "exactly want" is checked.
func ReadCommitted(t testing.TB, brokers []string, topic string, want int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl := committedReader(t, brokers, topic)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: read %d of %d records in %s", topic, len(out), want, timeout)
		}
		out = append(out, fs.Records()...)
	}
	if len(out) > want {
		t.Fatalf("%s: %d records, want exactly %d", topic, len(out), want)
	}
	extra, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	if fs := cl.PollFetches(extra); len(fs.Records()) > 0 {
		t.Fatalf("%s: %d records beyond the %d expected", topic, len(fs.Records()), want)
	}
	return out
}

// Produce writes recs and waits for every acknowledgement.
func Produce(t testing.TB, brokers []string, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// ProduceCompressed writes recs one at a time, each in a zstd batch of its
// own and up to 96 MiB before compression: a payload far over a topic's
// max.message.bytes still reaches it when it compresses well, as an
// attacker's would.
func ProduceCompressed(t testing.TB, brokers []string, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerBatchCompression(kgo.ZstdCompression()),
		kgo.ProducerBatchMaxBytes(96<<20), kgo.MaxBufferedBytes(256<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, r := range recs {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce %d bytes to %s: %v", len(r.Value), r.Topic, err)
		}
	}
}

// ReadAll reads what topic holds now, read_committed: it stops at the first
// second with nothing new. Use ReadCommitted to wait for an exact count.
func ReadAll(t testing.TB, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	cl := committedReader(t, brokers, topic)
	defer cl.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		recs := fs.Records()
		if len(recs) == 0 {
			return out
		}
		out = append(out, recs...)
	}
}

// WaitFor polls cond every 50 ms until it holds, or fails the test after
// timeout naming what it waited for.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// committedReader consumes topic from the start, read_committed.
func committedReader(t testing.TB, brokers []string, topic string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
