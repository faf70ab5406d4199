package pipeline

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Processor transforms one input record. It appends what the record becomes
// to out: output records, or a dead letter. It must not keep rec.
type Processor interface {
	Process(rec *kgo.Record, out *Output)
}

// BatchEnder is implemented by processors that keep anything per batch
// (metrics to publish, state to keep or roll back). The stage calls EndBatch
// after every transaction, saying whether it committed.
type BatchEnder interface {
	EndBatch(committed bool)
}

// Flusher is implemented by processors that write once per batch, at its
// end and in its transaction: the detect stage writes each changed
// shipment's state to its changelog once, however many of its events the
// batch held.
type Flusher interface {
	Flush(out *Output)
}

// Ticker is implemented by processors with work that time alone brings:
// the detect stage's deadlines, which fire when no event comes. The stage
// asks Due at least every TickInterval, also when no record arrives, and
// when it says yes runs Tick in a transaction of its own (or of the batch
// in hand).
type Ticker interface {
	Due(now time.Time) bool
	Tick(now time.Time, out *Output)
}

// PartitionKeeper is implemented by processors that keep state per input
// partition. Assigned runs before any record of the partitions is fetched,
// and the stage is not ready until it returns: the detect stage restores
// the partitions' state there. Revoked runs between batches.
type PartitionKeeper interface {
	Assigned(ctx context.Context, topic string, partitions []int32) error
	Revoked(topic string, partitions []int32)
}

// TopicCarrier is implemented by processors that know the carrier of an
// input topic's records without reading them (normalize: a raw topic is
// bound to one carrier). The stage labels the dead letters it makes itself
// with it.
type TopicCarrier interface {
	CarrierOf(topic string) string
}

// Output collects what one input record becomes.
type Output struct {
	Records []*kgo.Record
	// Dead is set when the record itself was dead-lettered.
	Dead bool
	// Carrier labels the record in metrics ("ups"); "" when unknown.
	Carrier string
	// Partial counts parts of the record rejected while the rest went out
	// (a scan with an absurd time in a payload of good scans).
	Partial int

	deadLetterTopic string
	maxValue        int // dead letters keep at most this much of a value; 0: all
	deadKind        string
	partialKinds    []string
}

// Emit adds an output record.
func (o *Output) Emit(r *kgo.Record) { o.Records = append(o.Records, r) }

// DeadLetter sends the raw record, bytes unchanged, to the dead-letter topic
// with the headers contracts.md lists. The source key is kept, so the dead
// letters of one shipment stay in order.
func (o *Output) DeadLetter(src *kgo.Record, kind, msg string) {
	o.Dead = true
	o.deadKind = kind
	d := FromRecord(src, kind, msg, o.Carrier)
	o.Records = append(o.Records, d.Record(o.deadLetterTopic, o.valueCap()))
}

// PartialDeadLetter records that part of src was rejected while the rest of
// it went out; the copy in the dead-letter topic carries partial=true.
func (o *Output) PartialDeadLetter(src *kgo.Record, kind, msg string) {
	o.Partial++
	o.partialKinds = append(o.partialKinds, kind)
	d := FromRecord(src, kind, msg, o.Carrier)
	d.Partial = true
	o.Records = append(o.Records, d.Record(o.deadLetterTopic, o.valueCap()))
}

// valueCap is how much of a source value a dead letter keeps: what the
// stage's limits allow, or everything outside a stage (maxValue unset).
func (o *Output) valueCap() int {
	if o.maxValue <= 0 {
		return -1
	}
	return o.maxValue
}

func (o *Output) reset() {
	for i := range o.Records {
		o.Records[i] = nil
	}
	o.Records = o.Records[:0]
	o.Dead, o.Carrier, o.Partial, o.deadKind = false, "", 0, ""
	o.partialKinds = o.partialKinds[:0]
}
