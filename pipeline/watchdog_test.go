package pipeline

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The watchdog reports a batch past its bound once, with the record in
// hand, and clears when the batch ends; times are given, not waited for.
func TestWatchdogReportsABatchPastItsBound(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	w := newWatchdog(time.Minute, zap.New(core))
	s := &Stage{cfg: StageConfig{Name: "detect"}, dog: w}
	w.check(time.Now().Add(time.Hour))
	if s.Healthy() != nil || s.InHand() != "" {
		t.Fatal("unhealthy between batches")
	}
	w.begin()
	w.record(&kgo.Record{Topic: "shipments.events.v1", Partition: 7, Offset: 42})
	start := time.Unix(0, w.started.Load())
	w.check(start.Add(59 * time.Second))
	if err := s.Healthy(); err != nil {
		t.Errorf("unhealthy inside the bound: %v", err)
	}
	w.check(start.Add(61 * time.Second))
	w.check(start.Add(62 * time.Second))
	err := s.Healthy()
	if err == nil || err.Error() != "stage detect stuck: batch running for 1m1s (pipeline.stuck_batch_after is 1m0s), processing records at shipments.events.v1 partition 7 offset 42" {
		t.Errorf("Healthy: %v", err)
	}
	if n := logs.FilterMessageSnippet("batch stuck").Len(); n != 1 {
		t.Errorf("%d stuck reports, want 1", n)
	}
	w.end()
	if err := s.Healthy(); err != nil || logs.FilterMessageSnippet("healthy again").Len() != 1 {
		t.Errorf("after the batch ended: %v, %v", err, logs.All())
	}
}
