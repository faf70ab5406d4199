package runner_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/internal/registrytest"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

// contracts.md: with a schema registry configured, every topic carries the
// Confluent wire format. Every stage that writes the events and
// notifications topics (normalize: carrier events; detect: synthetic
// events and commands) runs as `wismo run` builds it, against a registry
// stub, on the real broker; then every record of both topics must be
// framed with the id registered under its topic's subject
// (TopicNameStrategy: <topic>-value) and decode with that schema.
func TestEveryStageWritesConfluentFraming(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	compact := "compact"
	names := kafkatest.Topics(t, brokers, 2, "events", "notifications", "deadletter", "raw.ups", "raw.fedex", "raw.usps", "raw.dhl")
	state := kafkatest.TopicsWithConfig(t, brokers, 2, map[string]*string{"cleanup.policy": &compact}, "state")
	checkFraming(t, brokers, framingTopics{events: names[0], notifications: names[1], deadletter: names[2], state: state[0],
		raw: map[string]string{"ups": names[3], "fedex": names[4], "usps": names[5], "dhl": names[6]}})
}

// The same on the in-process broker: fast, and runs without Kafka.
func TestEveryStageWritesConfluentFramingKfake(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	checkFraming(t, cluster.ListenAddrs(), framingTopics{events: "events", notifications: "notifications", deadletter: "deadletter", state: "state",
		raw: map[string]string{"ups": "raw.ups", "fedex": "raw.fedex", "usps": "raw.usps", "dhl": "raw.dhl"}})
}

type framingTopics struct {
	events, notifications, deadletter, state string
	raw                                      map[string]string // carrier -> raw topic
}

func checkFraming(t *testing.T, brokers []string, tp framingTopics) {
	registry := registrytest.New(t)
	registry.RequireAuth("wismo", "s3cret")
	// The bundled JSON samples: deliveries notify, and the scans of
	// unfinished shipments are old enough that the wall clock finds them
	// stalled at once, so the detect stage writes synthetic events too.
	var (
		args   = []string{"--instance-id", "framing-1", "--http-addr", "off", "--stages", "normalize,detect"}
		inputs []*kgo.Record
	)
	for carrier, topic := range tp.raw {
		args = append(args, "--raw", topic+"="+carrier+":json")
		files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "carriers", carrier, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s samples: %v", carrier, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, &kgo.Record{Topic: topic, Value: data})
		}
	}
	cfg := runConfig(t, args, []string{
		"WISMO_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"WISMO_KAFKA_GROUP_PREFIX=" + tp.events,
		"WISMO_SCHEMA_REGISTRY_URL=" + registry.URL,
		"WISMO_SCHEMA_REGISTRY_USERNAME=wismo",
		"WISMO_SCHEMA_REGISTRY_PASSWORD=s3cret",
		"WISMO_TOPICS_EVENTS=" + tp.events, "WISMO_TOPICS_NOTIFICATIONS=" + tp.notifications,
		"WISMO_TOPICS_STATE=" + tp.state, "WISMO_TOPICS_DEADLETTER=" + tp.deadletter,
		"WISMO_TOPICS_PARTITIONS=2", "WISMO_TOPICS_REPLICATION_FACTOR=1",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := runner.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { done <- r.Run(runCtx) }()
	kafkatest.Produce(t, brokers, inputs)

	// Wait until every input was normalized, detect has read every event
	// normalize wrote, and both kinds of detect output committed.
	stages := r.Stages()
	kafkatest.WaitFor(t, "every stage to catch up", 60*time.Second, func() bool {
		_, norm := stages[0].Stats().Snapshot()
		_, det := stages[1].Stats().Snapshot()
		return norm.In == int64(len(inputs)) && det.In >= norm.Produced && det.Produced > 0 &&
			counter(t, r, "wismo_synthetic_events_total") > 0 && counter(t, r, "wismo_notification_commands_total") > 0
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	for _, topic := range []string{tp.events, tp.notifications} {
		subject := topic + "-value"
		id, ok := registry.ID(subject)
		if !ok {
			t.Errorf("nothing registered under %s (registered: %v)", subject, registry.Subjects())
			continue
		}
		codec := registry.Codec(t, id)
		recs := kafkatest.ReadAll(t, brokers, topic)
		synthetic, bad := 0, 0
		for _, rec := range recs {
			v := rec.Value
			if len(v) < 5 || v[0] != 0 || int32(binary.BigEndian.Uint32(v[1:5])) != id {
				if bad++; bad == 1 {
					t.Errorf("%s: record at %d/%d is not Confluent-framed with schema id %d (subject %s): % x",
						topic, rec.Partition, rec.Offset, id, subject, v[:min(len(v), 8)])
				}
				continue
			}
			native, rest, err := codec.NativeFromBinary(v[5:])
			if err != nil || len(rest) != 0 {
				if bad++; bad == 1 {
					t.Errorf("%s: record at %d/%d does not decode with schema %d: %v (%d bytes left)", topic, rec.Partition, rec.Offset, id, err, len(rest))
				}
				continue
			}
			if fmt.Sprint(native.(map[string]any)["source"]) == "pipeline" {
				synthetic++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d records are not Confluent-framed with schema id %d", topic, bad, len(recs), id)
			continue
		}
		if len(recs) == 0 || topic == tp.events && synthetic == 0 {
			t.Errorf("%s: %d records, %d synthetic: the test saw too little to check", topic, len(recs), synthetic)
		}
		t.Logf("%s: %d records (%d synthetic events), all framed with id %d", topic, len(recs), synthetic, id)
	}
}

// runConfig is the configuration `wismo run` builds from these flags and
// environment.
func runConfig(t *testing.T, args, env []string) *config.Config {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	config.Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(fs, env)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// counter sums a counter of the instance's metrics over its labels.
func counter(t *testing.T, r *runner.Runner, name string) float64 {
	mfs, err := r.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
