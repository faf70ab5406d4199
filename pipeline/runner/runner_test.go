package runner_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
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
	var registered string
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		registered = r.URL.Path
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !strings.Contains(body["schema"], "ShipmentEvent") {
			http.Error(w, "bad schema", http.StatusUnprocessableEntity)
			return
		}
		_, _ = w.Write([]byte(`{"id":42}`))
	}))
	defer registry.Close()

	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	config.Flags(fs)
	if err := fs.Parse([]string{"--raw", "raw.ups=ups:json", "--instance-id", "test-1", "--http-addr", "127.0.0.1:0", "--stages", "normalize,detect"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(fs, []string{
		"WISMO_KAFKA_BROKERS=" + strings.Join(cluster.ListenAddrs(), ","),
		"WISMO_SCHEMA_REGISTRY_URL=" + registry.URL,
		"WISMO_TOPICS_PARTITIONS=2",
		"WISMO_TOPICS_REPLICATION_FACTOR=1",
		"WISMO_KAFKA_GROUP_PREFIX=acme-wismo",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := runner.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if registered != "/subjects/shipments.events.v1-value/versions" {
		t.Errorf("registered under %q", registered)
	}
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
		if len(rec.Value) < 5 || rec.Value[0] != 0 || binary.BigEndian.Uint32(rec.Value[1:5]) != 42 {
			t.Fatalf("record is not in the Confluent wire format with schema id 42: % x", rec.Value[:5])
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
	if names := groups.Groups(); !slices.Contains(names, "acme-wismo-normalize") || !slices.Contains(names, "acme-wismo-detect") {
		t.Errorf("groups %v, want acme-wismo-normalize and acme-wismo-detect", names)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
