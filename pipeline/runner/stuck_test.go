package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/internal/testbound"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// blocker is a processor that never returns from Process, as the detect
// stage did on a shipment to Cuba, until the test releases it.
type blocker struct{ release chan struct{} }

func (b blocker) Process(*kgo.Record, *pipeline.Output) { <-b.release }

// A stage stuck in a batch turns /healthz to 503 and logs the stage and the
// record in hand; SIGTERM (the context cancelled) then ends the instance
// within the shutdown grace, with an error naming the stage, instead of
// waiting for the batch forever.
func TestStuckStageFailsHealthAndShutdownEndsWithinGrace(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "in", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	b := blocker{release: make(chan struct{})}
	defer close(b.release)
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(core)
	st, err := pipeline.NewStage(pipeline.StageConfig{
		Name: "detect", Brokers: cluster.ListenAddrs(), Group: "g", TransactionalID: "t1",
		Inputs: []string{"in"}, DeadLetterTopic: "dlq", Logger: log, StuckAfter: 300 * time.Millisecond,
	}, b)
	if err != nil {
		t.Fatal(err)
	}
	r := runner.WithStages(&config.Config{Pipeline: config.Pipeline{ShutdownGrace: time.Second}}, log, st)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	if code, body := runner.HTTPGet(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz before the stage runs: %d %s", code, body)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "in", Value: []byte("poison")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	var body string
	kafkatest.WaitFor(t, "/healthz to fail", 30*time.Second, func() bool {
		var code int
		code, body = runner.HTTPGet(t, srv.URL+"/healthz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "stage detect stuck") || !strings.Contains(body, "in partition 0 offset 0") {
		t.Errorf("/healthz says %q, want the stage and the record", body)
	}
	stuck := logs.FilterMessageSnippet("batch stuck").All()
	if len(stuck) != 1 {
		t.Fatalf("%d 'batch stuck' log lines, want 1: %+v", len(stuck), logs.All())
	}
	if f := stuck[0].ContextMap(); fmt.Sprintf("%v %v %v %v", f["stage"], f["topic"], f["partition"], f["offset"]) != "detect in 0 0" {
		t.Errorf("the log line lacks the stage or record: %v", f)
	}

	cancel() // SIGTERM
	var runErr error
	testbound.Within(t, 30*time.Second, func() { runErr = <-done })
	if runErr == nil || !strings.Contains(runErr.Error(), "pipeline.shutdown_grace: detect did not stop within 1s") ||
		!strings.Contains(runErr.Error(), "in partition 0 offset 0") {
		t.Errorf("Run returned %v, want the shutdown grace error naming the stage and its record", runErr)
	}
	if n := len(logs.FilterMessageSnippet("did not stop within the shutdown grace").All()); n != 1 {
		t.Errorf("%d shutdown grace log lines, want 1", n)
	}
}
