package chsink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/internal/kafkatest"
	"go.uber.org/zap/zaptest"
)

// stageSetup is what a stage test needs: the brokers and a migrated
// database of the real ClickHouse.
func stageSetup(t *testing.T) ([]string, *chtest.Server, context.Context) {
	t.Helper()
	brokers := kafkatest.Brokers(t)
	srv := chtest.New(t)
	ctx := testCtx(t)
	if _, err := Migrate(ctx, srv.Conn, optionsFor(srv)); err != nil {
		t.Fatal(err)
	}
	return brokers, srv, ctx
}

// runUntilCommitted runs a stage of cfg until the group has committed
// every offset of topic, then stops it.
func runUntilCommitted(t *testing.T, ctx context.Context, cfg StageConfig, topic string) {
	t.Helper()
	st, err := NewStage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	kafkatest.WaitFor(t, "every offset of "+topic+" committed", 90*time.Second, func() bool { return committedAll(t, adm, cfg.Group, topic) })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The sink reads the order context topic when it is configured: good
// records become order_shipments rows, a bad one is dead-lettered with its
// source, a tombstone is read and left.
func TestStageOrders(t *testing.T) {
	brokers, srv, ctx := stageSetup(t)
	topics := kafkatest.Topics(t, brokers, 1, "events", "notifications", "deadletter", "orders")
	kafkatest.Produce(t, brokers, []*kgo.Record{
		{Topic: topics[3], Key: []byte("ups:1ZA"), Value: []byte(`{"shipment_id": "ups:1ZA", "order_id": "1001", "promised_delivery": "2026-11-24", "customer_segment": "vip"}`)},
		{Topic: topics[3], Key: []byte("ups:1ZB"), Value: []byte(`{"shipment_id": "ups:1ZB", "order_id": "1001"}`)},
		{Topic: topics[3], Key: []byte("ups:1ZC"), Value: []byte(`{"shipment_id": "ups:1ZC", "order_id": "1002", "customer_segment": "gold"}`)},
		{Topic: topics[3], Key: []byte("ups:1ZD")}, // a tombstone
	})
	group := fmt.Sprintf("wismo-sink-orders-test-%d", time.Now().UnixNano())
	runUntilCommitted(t, ctx, StageConfig{
		ClickHouse: Options{Addrs: []string{srv.Addr}, Database: srv.Database, BatchAge: 100 * time.Millisecond},
		Brokers:    brokers, Group: group,
		EventsTopic: topics[0], NotificationsTopic: topics[1], DeadLetterTopic: topics[2], OrdersTopic: topics[3],
		Logger: zaptest.NewLogger(t),
	}, topics[3])
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".order_shipments WHERE order_id = '1001' AND (shipment_id = 'ups:1ZA' AND promised_delivery = '2026-11-24' AND customer_segment = 'vip' OR shipment_id = 'ups:1ZB' AND promised_delivery = toDate(0))"); n != 2 {
		t.Errorf("%d order_shipments rows of order 1001 as sent, want 2", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".order_shipments"); n != 2 {
		t.Errorf("%d order_shipments rows, want 2 (the bad record and the tombstone stored nothing)", n)
	}
	dead := kafkatest.ReadCommitted(t, brokers, topics[2], 1, 20*time.Second)
	h := map[string]string{}
	for _, kv := range dead[0].Headers {
		h[kv.Key] = string(kv.Value)
	}
	if string(dead[0].Key) != "ups:1ZC" || h["source_topic"] != topics[3] || h["error_kind"] != "validate" {
		t.Errorf("dead letter %q: %v", dead[0].Key, h)
	}
}
