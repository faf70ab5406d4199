package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// srcKey names an input record.
type srcKey struct {
	topic     string
	partition int32
	offset    int64
}

func (k srcKey) String() string { return fmt.Sprintf("%s/%d@%d", k.topic, k.partition, k.offset) }

// txnWatch follows the records one transaction produces. franz-go reports
// a record's fate only through its promise, possibly after the flush that
// End does, so the stage flushes itself, waits for every promise and only
// then decides to commit.
type txnWatch struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	failed  []failure
	sent    []sent   // every record produced, with its input
	inputs  []srcKey // the batch's input records, in order
	promise func(*kgo.Record, error)
}

// sent is a produced record and the index of its input in inputs (-1: a
// tick's or flush's record, which belongs to no input).
type sent struct {
	rec   *kgo.Record
	input int
}

type failure struct {
	rec *kgo.Record
	err error
}

func newTxnWatch() *txnWatch {
	w := &txnWatch{}
	w.promise = func(r *kgo.Record, err error) {
		if err != nil {
			w.mu.Lock()
			w.failed = append(w.failed, failure{r, err})
			w.mu.Unlock()
		}
		w.wg.Done()
	}
	return w
}

// produce sends r for the input at index input (-1: none).
func (w *txnWatch) produce(ctx context.Context, sess *kgo.GroupTransactSession, r *kgo.Record, input int) {
	w.sent = append(w.sent, sent{r, input})
	w.wg.Add(1)
	sess.Produce(ctx, r, w.promise)
}

// wait returns once every promise has run, or ctx is done.
func (w *txnWatch) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failures returns the failed records, each with its input (nil for none).
func (w *txnWatch) failures() []inputFailure {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]inputFailure, 0, len(w.failed))
	for _, f := range w.failed {
		x := inputFailure{failure: f}
		for _, s := range w.sent { // failures are rare; a scan is fine
			if s.rec == f.rec && s.input >= 0 {
				k := w.inputs[s.input]
				x.input = &k
				break
			}
		}
		out = append(out, x)
	}
	return out
}

type inputFailure struct {
	failure
	input *srcKey
}

// permanent reports whether producing the same record again must fail the
// same way: it is too large for the producer or the topic, or the broker
// refuses it as invalid. Anything else (a broker away, a timeout, a
// rebalance) may pass on the next try.
func permanent(err error) bool {
	return errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge) ||
		errors.Is(err, kerr.InvalidRecord)
}

// poisoned is an input record whose outputs could not be produced. The
// batch aborts and is read again; the record is then first processed as
// usual but produced in batches of its own (level -1), since a broker
// refuses a whole batch and the culprit may have been another record of
// it. When it fails alone it becomes a dead letter (level 0 and up), with
// less of its value at each further failure.
type poisoned struct {
	level   int
	wasDead bool // what failed was already a dead letter: level 0 would repeat it
	kind    string
	reason  string
}

// maxPoisoned bounds the poisoned inputs remembered; an entry is dropped
// once its record commits, so only records of partitions that moved away
// stay, and these are dropped wholesale past the bound.
const maxPoisoned = 10_000

// poison records the failures of an aborted batch. It returns an error
// when a record cannot be produced even as an empty dead letter, or when
// a record that belongs to no input (a tick's, a flush's) failed for
// good: nothing the stage can do makes these pass.
func (s *Stage) poison(fs []inputFailure) error {
	if len(s.poisoned) > maxPoisoned {
		clear(s.poisoned)
	}
	levels := len(s.cfg.Limits.DeadLetterCaps())
	// A broker refuses a whole batch: a hook's record may have shared one
	// with an input's. Only when no input's record failed is it the hook's.
	inputFailed := slices.ContainsFunc(fs, func(f inputFailure) bool { return f.input != nil && permanent(f.err) })
	for _, f := range fs {
		if !permanent(f.err) || f.input == nil && inputFailed {
			continue
		}
		if f.input == nil {
			return fmt.Errorf("pipeline: %s: a %d-byte record for topic %s cannot be produced: %w; check that topic's max.message.bytes (at least %d)",
				s.cfg.Name, len(f.rec.Key)+len(f.rec.Value), f.rec.Topic, f.err, s.cfg.Limits.RecordMax())
		}
		p, seen := s.poisoned[*f.input]
		switch {
		case seen && p.level < 0 && p.wasDead:
			p.level = 1 // its dead letter failed alone: keep less of the value
		case seen:
			p.level++
		case f.rec.Topic == s.cfg.DeadLetterTopic:
			// The processor's own dead letter failed: keep its reason.
			p = poisoned{level: -1, wasDead: true, kind: header(f.rec, HeaderErrorKind), reason: header(f.rec, HeaderError) +
				fmt.Sprintf(" (the dead letter was refused whole: %v)", f.err)}
		default:
			kind := KindProduce
			if !errors.Is(f.err, kerr.InvalidRecord) {
				kind = KindTooLarge
			}
			p = poisoned{level: -1, kind: kind, reason: fmt.Sprintf("what the record became could not be written (a %d-byte record for %s): %v",
				len(f.rec.Key)+len(f.rec.Value), f.rec.Topic, f.err)}
		}
		if p.level >= levels {
			return fmt.Errorf("pipeline: %s: the dead letter of %s cannot be produced to %s even without its value: %w; check that topic (max.message.bytes at least %d)",
				s.cfg.Name, f.input, s.cfg.DeadLetterTopic, f.err, s.cfg.Limits.RecordMax())
		}
		s.poisoned[*f.input] = p
		s.log.Error("an output could not be produced; the batch is aborted and the record tried again alone, then dead-lettered",
			zap.Stringer("record", f.input), zap.String("topic", f.rec.Topic), zap.Int("level", p.level), zap.Error(f.err))
	}
	return nil
}

// deadLetterPoisoned makes rec its dead letter instead of processing it:
// what it became before cannot be written, and processing it again would
// change the processor's state for outputs that never go out.
func (s *Stage) deadLetterPoisoned(rec *kgo.Record, p poisoned, out *Output) {
	if tc, ok := s.proc.(TopicCarrier); ok {
		out.Carrier = tc.CarrierOf(rec.Topic)
	}
	out.Dead, out.deadKind = true, p.kind
	d := FromRecord(rec, p.kind, p.reason, out.Carrier)
	out.Records = append(out.Records, d.Record(s.cfg.DeadLetterTopic, s.cfg.Limits.DeadLetterCaps()[p.level]))
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
