package detectstage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/rules"
)

// BenchmarkRestoreKafka restores one changelog partition of 200,000
// shipment states from the real broker into an engine: what a new owner
// of a partition does before its first record. Target: at least 300,000
// records/s. Needs the broker (make services).
func BenchmarkRestoreKafka(b *testing.B) {
	brokers := kafkatest.Brokers(b)
	compact := "compact"
	topic := kafkatest.TopicsWithConfig(b, brokers, 1, map[string]*string{"cleanup.policy": &compact}, "state")[0]
	const n = 200_000
	// Realistic values: states of in-transit shipments from the engine.
	en := detect.New(rules.Default())
	c := &collector{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID(topic+".txn"), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.BeginTransaction(); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < n; i++ {
		tn := fmt.Sprintf("R%09d", i)
		ev := scan(tn, "in_transit.picked_up", now.Add(-time.Duration(i)*time.Second))
		en.Apply(&ev, c)
		cl.Produce(ctx, &kgo.Record{Key: []byte(ev.ShipmentID()), Value: detect.MarshalState(nil, en.State(ev.ShipmentID()))}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		b.Fatal(err)
	}
	r := detectstage.KafkaRestorer{Opts: []kgo.Opt{kgo.SeedBrokers(brokers...)}}
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		dst := detect.New(rules.Default())
		got, err := r.Restore(ctx, topic, 0, func(k, v []byte) error { return dst.Restore(string(k), v) })
		if err != nil {
			b.Fatal(err)
		}
		if got != n || dst.Len() != n {
			b.Fatalf("restored %d records, %d shipments; want %d", got, dst.Len(), n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}

type collector struct{}

func (collector) Command(*detect.Command) {}
func (collector) Event(*event.Event)      {}
