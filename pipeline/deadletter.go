package pipeline

import (
	"strconv"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The dead-letter headers. The first six are the contract's
// (contracts.md); the others appear only when they apply.
const (
	HeaderError           = "error"            // why, one line, at most MaxErrorHeader bytes
	HeaderErrorKind       = "error_kind"       // decode, validate, too_large, produce, ...
	HeaderSourceTopic     = "source_topic"     // where the record was read
	HeaderSourcePartition = "source_partition" //
	HeaderSourceOffset    = "source_offset"    // its offset (the first, for a range)
	HeaderCarrier         = "carrier"          // "" when unknown
	HeaderPartial         = "partial"          // "true": part of the record was rejected, the rest went out
	HeaderTruncated       = "truncated"        // "true": the value (or key) is cut short
	HeaderOriginalSize    = "original_size"    // the value's size before it was cut
	HeaderOriginalKeySize = "original_key_size"
	HeaderSourceOffsetEnd = "source_offset_last" // the last offset, when one dead letter stands for a range
	HeaderUnavailable     = "value_unavailable"  // "true": the source bytes could not be read at all
)

// MaxErrorHeader caps the error header: one reason, not a payload.
const MaxErrorHeader = 1000

// maxDeadLetterKey caps the key of a dead letter. The key keeps one
// shipment's dead letters in order; no real key comes near it.
const maxDeadLetterKey = 4 << 10

// Error kinds the stage runtime itself gives (processors give their own).
const (
	KindTooLarge = "too_large" // the record, or what it became, is over a size limit
	KindProduce  = "produce"   // what the record became could not be written
)

// DeadLetter is one record for the dead-letter topic: what was read,
// where, and why it goes there. Every stage builds its dead letters with
// it, so they all carry the same headers, cut the same way.
type DeadLetter struct {
	Kind    string // error_kind
	Error   string // the reason; made one line and capped
	Carrier string

	Topic     string // source
	Partition int32
	Offset    int64
	// LastOffset, when above Offset, makes the dead letter stand for the
	// source records Offset..LastOffset (a batch that could not be read).
	LastOffset int64
	Key, Value []byte
	// Unavailable says the source bytes could not be read: Value is empty
	// because there was nothing to copy.
	Unavailable bool
	Partial     bool
}

// FromRecord is a dead letter for src, bytes unchanged.
func FromRecord(src *kgo.Record, kind, msg, carrier string) DeadLetter {
	return DeadLetter{Kind: kind, Error: msg, Carrier: carrier, Topic: src.Topic, Partition: src.Partition,
		Offset: src.Offset, Key: src.Key, Value: src.Value}
}

// Record builds the dead letter for topic. A value longer than maxValue
// bytes is cut to maxValue (maxValue < 0: never cut), with headers that
// say so and give the original size, so the record stays within what the
// producer and the topic accept.
func (d *DeadLetter) Record(topic string, maxValue int) *kgo.Record {
	h := make([]kgo.RecordHeader, 0, 10)
	h = append(h,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(OneLine(d.Error, MaxErrorHeader))},
		kgo.RecordHeader{Key: HeaderErrorKind, Value: []byte(d.Kind)},
		kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(d.Topic)},
		kgo.RecordHeader{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(d.Partition), 10)},
		kgo.RecordHeader{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, d.Offset, 10)},
		kgo.RecordHeader{Key: HeaderCarrier, Value: []byte(d.Carrier)},
	)
	if d.Partial {
		h = append(h, kgo.RecordHeader{Key: HeaderPartial, Value: []byte("true")})
	}
	if d.LastOffset > d.Offset {
		h = append(h, kgo.RecordHeader{Key: HeaderSourceOffsetEnd, Value: strconv.AppendInt(nil, d.LastOffset, 10)})
	}
	if d.Unavailable {
		h = append(h, kgo.RecordHeader{Key: HeaderUnavailable, Value: []byte("true")})
	}
	key, val := d.Key, d.Value
	cut := false
	if maxValue >= 0 && len(val) > maxValue {
		h = append(h, kgo.RecordHeader{Key: HeaderOriginalSize, Value: strconv.AppendInt(nil, int64(len(val)), 10)})
		val, cut = val[:maxValue], true
	}
	if len(key) > maxDeadLetterKey {
		h = append(h, kgo.RecordHeader{Key: HeaderOriginalKeySize, Value: strconv.AppendInt(nil, int64(len(key)), 10)})
		key, cut = key[:maxDeadLetterKey], true
	}
	if cut {
		h = append(h, kgo.RecordHeader{Key: HeaderTruncated, Value: []byte("true")})
	}
	return &kgo.Record{Topic: topic, Key: key, Value: val, Headers: h}
}

// OneLine makes s one line of at most max bytes: line breaks, tabs and
// other control characters become spaces, bytes that are not UTF-8 become
// U+FFFD, and a longer text is cut at a character boundary and ends in
// "...".
func OneLine(s string, max int) string {
	b := make([]byte, 0, min(len(s), max))
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			r = ' '
		}
		if len(b)+utf8.RuneLen(r) > max {
			for len(b) > max-3 {
				_, n := utf8.DecodeLastRune(b)
				b = b[:len(b)-n]
			}
			return string(append(b, "..."...))
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
