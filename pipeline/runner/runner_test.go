package runner_test

import (
	"context"
	"encoding/binary"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/internal/registrytest"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

// A whole instance as `wismo run` builds it, with a schema registry: topics
// are created, /readyz turns ready once the group is joined, records flow
// in the Confluent wire format, and /metrics counts them.
func TestRunnerEndToEnd(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	registry := registrytest.New(t)

	cfg := runConfig(t, []string{"--raw", "raw.ups=ups:json", "--instance-id", "test-1", "--http-addr", "127.0.0.1:0", "--stages", "normalize,detect,lane"}, []string{
		"WISMO_KAFKA_BROKERS=" + strings.Join(cluster.ListenAddrs(), ","),
		"WISMO_SCHEMA_REGISTRY_URL=" + registry.URL,
		"WISMO_TOPICS_PARTITIONS=2",
		"WISMO_TOPICS_REPLICATION_FACTOR=1",
		"WISMO_KAFKA_GROUP_PREFIX=acme-wismo",
		"WISMO_TOPICS_DEADLETTER_RETENTION=72h",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := runner.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := registry.ID("shipments.events.v1-value")
	if got := strings.Join(registry.Subjects(), ","); got != "shipments.events.v1-value,shipments.notifications.v1-value" {
		t.Errorf("registered %s", got)
	}
	checkTopicConfigs(t, ctx, cluster.ListenAddrs())
	addr, err := r.Serve()
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := runner.HTTPGet(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the stage runs: %d, want 503", code)
	}
	if code, body := runner.HTTPGet(t, "http://"+addr+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	payload, err := os.ReadFile("../../testdata/carriers/ups/track-v1-ground-delivered-photo.json")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics("shipments.events.v1"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, v := range [][]byte{payload, []byte("{oops")} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "raw.ups", Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var got []*kgo.Record
	for len(got) < 10 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("got %d of 10 events", len(got))
		}
		got = append(got, fs.Records()...)
	}
	codec, _ := event.NewAvroCodec()
	for _, rec := range got {
		if len(rec.Value) < 5 || rec.Value[0] != 0 || int32(binary.BigEndian.Uint32(rec.Value[1:5])) != id {
			t.Fatalf("record is not in the Confluent wire format with schema id %d: % x", id, rec.Value[:5])
		}
		var e event.Event
		if err := codec.Decode(rec.Value[5:], &e); err != nil {
			t.Fatal(err)
		}
	}
	kafkatest.WaitFor(t, "ready", 30*time.Second, func() bool { code, _ := runner.HTTPGet(t, "http://"+addr+"/readyz"); return code == 200 })
	kafkatest.WaitFor(t, "metrics", 30*time.Second, func() bool {
		_, m := runner.HTTPGet(t, "http://"+addr+"/metrics")
		return strings.Contains(m, `wismo_records_in_total{carrier="ups",stage="normalize"} 2`) &&
			strings.Contains(m, `wismo_records_deadlettered_total{carrier="ups",kind="decode",stage="normalize"} 1`) &&
			strings.Contains(m, `wismo_records_produced_total{carrier="ups",stage="normalize"} 10`) &&
			strings.Contains(m, `wismo_transaction_seconds_count{outcome="committed",stage="normalize"}`)
	})
	// The groups carry the deployment's prefix.
	groups, err := kadm.NewClient(cl).ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := groups.Groups(); !slices.Contains(names, "acme-wismo-normalize") || !slices.Contains(names, "acme-wismo-detect") ||
		!slices.Contains(names, "acme-wismo-lane") {
		t.Errorf("groups %v, want acme-wismo-normalize, acme-wismo-detect and acme-wismo-lane", names)
	}
	// Dead letters are whole payloads, personal data included: their
	// topic is created with the retention configured (7 days by default,
	// whatever the broker's default is).
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, "shipments.deadletter.v1")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("shipments.deadletter.v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	retention := ""
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && c.Value != nil {
			retention = *c.Value
		}
	}
	if retention != "259200000" {
		t.Errorf("dead-letter topic retention.ms %q, want 259200000 (72h)", retention)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The topics the runner creates take the largest record wismo writes
// (a dead letter of a payload at normalize.max_payload_bytes, 4 MiB, plus
// 64 KiB for key and headers), not the broker's 1 MiB default.
func checkTopicConfigs(t *testing.T, ctx context.Context, brokers []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	topics := []string{"raw.ups", "shipments.events.v1", "shipments.deadletter.v1", "shipments.notifications.v1", "shipments.state.v1",
		"shipments.lane-observations.v1", "shipments.lanes.v1"}
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rcs) != len(topics) {
		t.Errorf("%d topics described, want %d", len(rcs), len(topics))
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Errorf("topic %s: %v", rc.Name, rc.Err)
		}
		got := map[string]string{}
		for _, c := range rc.Configs {
			if c.Value != nil {
				got[c.Key] = *c.Value
			}
		}
		if got["max.message.bytes"] != "4259840" || (rc.Name == "shipments.state.v1" || rc.Name == "shipments.lanes.v1") && got["cleanup.policy"] != "compact" {
			t.Errorf("topic %s: max.message.bytes %q, cleanup.policy %q", rc.Name, got["max.message.bytes"], got["cleanup.policy"])
		}
	}
}
