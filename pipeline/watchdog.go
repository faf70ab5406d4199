package pipeline

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// BatchTimeout bounds the produce and end of one transaction (the context
// of Stage.batch). A batch running longer than that is not waiting on
// Kafka: it is stuck in the processor.
const BatchTimeout = 2 * time.Minute

// DefaultMaxPollRecords is StageConfig.MaxPollRecords's default: the most
// records one transaction takes from a poll.
const DefaultMaxPollRecords = 5000

// DefaultStuckAfter is StageConfig.StuckAfter's default.
const DefaultStuckAfter = 5 * time.Minute

// MinStuckAfter is the least StuckAfter: above the transaction's own
// timeout, with room for a slow broker, so that only a stuck processor
// trips the watchdog.
const MinStuckAfter = BatchTimeout + 30*time.Second

// phases of a batch, for the watchdog's report
const (
	phaseIdle int32 = iota
	phaseTick
	phaseRecords
	phaseFlush
	phaseEnd
)

var phaseNames = [...]string{"idle", "tick (deadlines)", "processing records", "flush", "ending the transaction"}

// watchdog reports a batch that does not finish: a processor in an endless
// loop (a poison record) holds its partition forever, while the process
// looks alive. Past the bound, the stage turns unhealthy (/healthz fails,
// so an orchestrator restarts the instance) and one log line names the
// stage, the phase and the record in hand. The stage's goroutine marks
// progress with atomics; a goroutine of the watchdog's own looks.
type watchdog struct {
	limit time.Duration
	log   *zap.Logger

	started atomic.Int64 // UnixNano of the batch in hand's start; 0 between batches
	phase   atomic.Int32
	rec     atomic.Pointer[kgo.Record] // the record being processed (not modified while in a batch)
	stuck   atomic.Pointer[string]     // the report, while the batch in hand is past the bound
}

func newWatchdog(limit time.Duration, log *zap.Logger) *watchdog {
	if limit <= 0 {
		limit = DefaultStuckAfter
	}
	return &watchdog{limit: limit, log: log}
}

// begin marks the start of a batch.
func (w *watchdog) begin() {
	w.rec.Store(nil)
	w.phase.Store(phaseTick)
	w.started.Store(time.Now().UnixNano())
}

// enter marks the batch's phase.
func (w *watchdog) enter(phase int32) { w.phase.Store(phase) }

// record marks the record the processor is given.
func (w *watchdog) record(r *kgo.Record) {
	w.rec.Store(r)
	w.phase.Store(phaseRecords)
}

// end marks the end of the batch; a stage that was reported stuck is
// healthy again.
func (w *watchdog) end() {
	start := w.started.Swap(0)
	w.phase.Store(phaseIdle)
	w.rec.Store(nil)
	if w.stuck.Swap(nil) != nil {
		w.log.Warn("the batch reported stuck has finished; the stage is healthy again",
			zap.Duration("took", time.Since(time.Unix(0, start))))
	}
}

// check reports the batch in hand when it has run past the bound.
func (w *watchdog) check(now time.Time) {
	start := w.started.Load()
	if start == 0 || w.stuck.Load() != nil || now.Sub(time.Unix(0, start)) < w.limit {
		return
	}
	report, fields := w.describe(now)
	if !w.stuck.CompareAndSwap(nil, &report) {
		return
	}
	w.log.Error("batch stuck: /healthz fails until it ends; restart the instance, and look at the record in hand",
		append(fields, zap.Duration("bound", w.limit))...)
}

// describe says what the batch in hand is doing, in words and as log
// fields; "" when there is none.
func (w *watchdog) describe(now time.Time) (string, []zap.Field) {
	start := w.started.Load()
	if start == 0 {
		return "", nil
	}
	running := now.Sub(time.Unix(0, start)).Round(time.Millisecond)
	phase := phaseNames[w.phase.Load()]
	fields := []zap.Field{zap.String("phase", phase), zap.Duration("running", running)}
	report := fmt.Sprintf("batch running for %v (pipeline.stuck_batch_after is %v), %s", running, w.limit, phase)
	if r := w.rec.Load(); r != nil {
		fields = append(fields, zap.String("topic", r.Topic), zap.Int32("partition", r.Partition), zap.Int64("offset", r.Offset))
		report += fmt.Sprintf(" at %s partition %d offset %d", r.Topic, r.Partition, r.Offset)
	}
	return report, fields
}

// watch checks every interval until stop is closed.
func (w *watchdog) watch(stop <-chan struct{}) {
	every := min(w.limit/4, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			w.check(now)
		}
	}
}

// Healthy reports an error while the batch in hand has run past
// StageConfig.StuckAfter: /healthz then fails.
func (s *Stage) Healthy() error {
	if r := s.dog.stuck.Load(); r != nil {
		return fmt.Errorf("stage %s stuck: %s", s.cfg.Name, *r)
	}
	return nil
}

// InHand describes the batch in hand (phase, record, how long it runs),
// or "" between batches: the runner names it when a stage does not stop
// within the shutdown grace.
func (s *Stage) InHand() string {
	r, _ := s.dog.describe(time.Now())
	return r
}
