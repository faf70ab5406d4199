package pipeline

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/normalizers"
)

// Limits are the sizes every stage works within. They all follow one
// setting, normalize.max_payload_bytes (MaxPayload): the largest raw
// payload wismo accepts is also the largest record it must be able to
// write (a dead letter keeps the payload's bytes) and, times a factor, the
// largest batch it decompresses.
type Limits struct {
	// MaxPayload is normalize.max_payload_bytes; 0 means its default.
	MaxPayload int
}

const (
	// recordHeadroom is what a record may hold beyond a payload of
	// MaxPayload bytes: the key, the dead-letter headers and the record's
	// framing.
	recordHeadroom = 64 << 10
	// decompressFactor: a compressed batch may hold many records, so the
	// decompression bound is this many of the largest record. Producers
	// that batch more than that uncompressed (batch.size times the
	// compression ratio) get their batches dead-lettered unread.
	decompressFactor = 8
	// maxPayloadBound keeps every derived limit within what franz-go and a
	// broker's default socket.request.max.bytes (100 MiB) allow.
	maxPayloadBound = 64 << 20
	// brokerMaxWrite is the broker's default socket.request.max.bytes: one
	// produce request, which always has room for a batch of RecordMax.
	brokerMaxWrite = 100 << 20
)

// Payload is the payload limit in force.
func (l Limits) Payload() int {
	if l.MaxPayload <= 0 {
		return normalizers.DefaultMaxPayload
	}
	return min(l.MaxPayload, maxPayloadBound)
}

// RecordMax is the largest record (and uncompressed batch) a stage
// produces: the producer's ProducerBatchMaxBytes, and the max.message.bytes
// every topic wismo writes needs. A dead letter of a payload up to the
// limit fits whole; a larger one is cut to the limit.
func (l Limits) RecordMax() int { return l.Payload() + recordHeadroom }

// DecompressMax is the most a fetched batch may decompress to
// (franz-go's MaxDecompressBatchBytes). A batch over it is skipped and
// dead-lettered with its offsets, its bytes unread.
func (l Limits) DecompressMax() int { return decompressFactor * l.RecordMax() }

// ClientOpts are the franz-go options that apply the limits to a client
// that consumes and produces.
func (l Limits) ClientOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.ProducerBatchMaxBytes(int32(l.RecordMax())),
		kgo.BrokerMaxWriteBytes(brokerMaxWrite),
		kgo.MaxDecompressBatchBytes(l.DecompressMax()),
	}
}

// TopicConfig is the config a topic wismo creates needs for the records
// wismo writes to it (and raw topics for the payloads it accepts).
func (l Limits) TopicConfig() map[string]*string {
	v := strconv.Itoa(l.RecordMax())
	return map[string]*string{"max.message.bytes": &v}
}

// DeadLetterCaps are how much of its value a dead letter keeps after a
// topic refused it 0, 1, 2 times: what the limits allow, then what a topic
// left at Kafka's default max.message.bytes (1 MiB) takes, then nothing.
func (l Limits) DeadLetterCaps() []int {
	return []int{l.Payload(), 1<<20 - recordHeadroom, 0}
}
