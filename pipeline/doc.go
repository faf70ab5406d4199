// Package pipeline runs wismo's stages on Kafka.
//
// A stage is a consume-transform-produce loop in Kafka transactions: the
// records a batch of input produces (output records and dead letters) and
// the batch's input offsets commit together, or not at all. A rebalance in
// the middle of a batch aborts it, and the batch is read again by whoever
// owns the partition next, so nothing is lost and nothing is emitted twice
// to a read_committed consumer.
//
// The transformation itself is a Processor, which knows nothing of Kafka
// transactions: it maps one input record to zero or more output records, or
// to a dead letter with a reason.
package pipeline
