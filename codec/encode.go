package codec

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/schemas"
)

// Options say how an instance writes its records: the same for every
// record kind and every stage, so that a topic never mixes encodings.
type Options struct {
	// Encoding is Avro (the default) or JSON. With a Registry, Avro is
	// written in the Confluent wire format (Confluent says the same, and
	// needs the Registry).
	Encoding Encoding
	// Registry, when set, has each encoder register its schema under its
	// topic's subject (Subject) and frame every Avro value with that id.
	Registry *Registry
}

// ParseEncoding reads the `encoding` setting.
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "", "avro":
		return Avro, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("encoding: %q, want avro or json", s)
}

// String is the encoding's name.
func (e Encoding) String() string {
	switch e {
	case Avro:
		return "avro"
	case Confluent:
		return "confluent"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// framing is what an encoder of either kind decides once, at start: the
// topic, the encoding, the Confluent prefix and the headers.
type framing struct {
	topic  string
	enc    Encoding
	id     int32
	prefix []byte // Confluent: magic byte 0 and the schema id, big-endian
	hdr    []kgo.RecordHeader
	size   int // a value's usual size, to allocate once
}

func newFraming(ctx context.Context, topic string, o Options, s *schema, avroSize, jsonSize int) (framing, error) {
	if topic == "" {
		return framing{}, fmt.Errorf("codec: no topic for %s records", s.name)
	}
	f := framing{topic: topic, enc: o.Encoding}
	switch o.Encoding {
	case JSON:
		f.hdr = []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/json")}}
		f.size = jsonSize
		return f, nil
	case Avro:
	case Confluent:
		if o.Registry == nil {
			return framing{}, fmt.Errorf("codec: Confluent framing needs a schema registry (schema_registry.url)")
		}
	default:
		return framing{}, fmt.Errorf("codec: encoding %s: want avro or json", o.Encoding)
	}
	// Plain Avro names its schema in a header; Confluent-framed records
	// keep the header too, for consumers that read headers only.
	f.hdr = []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/avro")}, {Key: "avro.schema", Value: []byte(s.name)}}
	f.size = avroSize
	if o.Registry != nil {
		id, err := o.Registry.Register(ctx, Subject(topic), s.text)
		if err != nil {
			return framing{}, err
		}
		f.enc, f.id = Confluent, id
		f.prefix = binary.BigEndian.AppendUint32([]byte{0}, uint32(id))
		f.size += len(f.prefix)
	}
	return f, nil
}

// Topic is the topic the encoder writes.
func (f *framing) Topic() string { return f.topic }

// Encoding is how values are written: Avro, Confluent or JSON.
func (f *framing) Encoding() Encoding { return f.enc }

// SchemaID is the registry's id of the schema, 0 unless Confluent.
func (f *framing) SchemaID() int32 { return f.id }

// Headers are the headers of every record: content-type, and for Avro the
// schema's full name in "avro.schema".
func (f *framing) Headers() []kgo.RecordHeader { return f.hdr }

// record allocates the key and the value in one slice, key first; the
// caller appends the value to val.
func (f *framing) record(key ...string) (k, val []byte) {
	n := 0
	for _, s := range key {
		n += len(s)
	}
	buf := make([]byte, 0, n+f.size)
	for _, s := range key {
		buf = append(buf, s...)
	}
	return buf[:n:n], buf[n:]
}

// EventEncoder writes canonical events to the events topic. It is safe for
// concurrent use: one serves every stage of an instance.
type EventEncoder struct{ framing }

// NewEventEncoder returns the encoder of topic's events, registering the
// canonical event schema first when o has a registry.
func NewEventEncoder(ctx context.Context, topic string, o Options) (*EventEncoder, error) {
	// Buffers for the 99th percentile of the bundled samples' events
	// (Avro 545 bytes, JSON 1078), so a value is allocated once.
	f, err := newFraming(ctx, topic, o, eventSchema(), 640, 1152)
	if err != nil {
		return nil, err
	}
	return &EventEncoder{f}, nil
}

// Append appends e's value.
func (x *EventEncoder) Append(dst []byte, e *event.Event) []byte {
	if x.enc == JSON {
		return event.AppendJSON(dst, e)
	}
	return event.AppendAvro(append(dst, x.prefix...), e)
}

// Record is e as a record of the events topic, keyed by shipment id, with
// timestamp ts.
func (x *EventEncoder) Record(e *event.Event, ts time.Time) *kgo.Record {
	key, val := x.record(e.Carrier, ":", e.TrackingNumber)
	return &kgo.Record{Topic: x.topic, Key: key, Value: x.Append(val, e), Headers: x.hdr, Timestamp: ts}
}

// CommandEncoder writes notification commands to the notifications topic.
// It is safe for concurrent use.
type CommandEncoder struct{ framing }

// NewCommandEncoder returns the encoder of topic's commands, registering
// the command schema first when o has a registry.
func NewCommandEncoder(ctx context.Context, topic string, o Options) (*CommandEncoder, error) {
	f, err := newFraming(ctx, topic, o, commandSchema(), 384, 640)
	if err != nil {
		return nil, err
	}
	return &CommandEncoder{f}, nil
}

// Append appends c's value.
func (x *CommandEncoder) Append(dst []byte, c *detect.Command) ([]byte, error) {
	if x.enc == JSON {
		b, err := json.Marshal(c)
		return append(dst, b...), err
	}
	return commandSchema().codec.BinaryFromNative(append(dst, x.prefix...), map[string]any{
		"schema_version": int32(1), "command_id": c.CommandID, "shipment_id": c.ShipmentID,
		"carrier": c.Carrier, "tracking_number": c.TrackingNumber, "trigger": c.Trigger,
		"event_type": c.EventType, "event_id": c.EventID, "priority": c.Priority,
		"message": c.Message, "next_step": c.NextStep,
		"occurred_at": stamp(c.OccurredAt), "decided_at": stamp(c.DecidedAt), "not_before": stamp(c.NotBefore),
		"supersedes": c.Supersedes, "episode": int32(c.Episode), "tracking_url": c.TrackingURL,
		"reason": c.Reason, "predicted_delivery": predictionNative(c.PredictedDelivery), "estimated_delivery": c.EstimatedDelivery,
		"customer_segment": c.CustomerSegment, "accommodation": c.Accommodation,
	})
}

// predictionNative is the predicted_delivery union's value: nil, or the
// record under its full name.
func predictionNative(p *detect.Prediction) any {
	if p == nil {
		return nil
	}
	return goavro.Union("io.wismo.v1.PredictedDelivery", map[string]any{
		"earliest": p.Earliest, "likely": p.Likely, "latest": p.Latest, "confidence": p.Confidence,
	})
}

// Record is c as a record of the notifications topic, keyed by shipment
// id, with timestamp ts.
func (x *CommandEncoder) Record(c *detect.Command, ts time.Time) (*kgo.Record, error) {
	key, val := x.record(c.ShipmentID)
	v, err := x.Append(val, c)
	if err != nil {
		return nil, fmt.Errorf("codec: command %s: %w", c.CommandID, err)
	}
	return &kgo.Record{Topic: x.topic, Key: key, Value: v, Headers: x.hdr, Timestamp: ts}, nil
}

// schema is an embedded schema, compiled, with its full name.
type schema struct {
	text, name string
	codec      *goavro.Codec
}

var (
	eventSchema   = sync.OnceValue(func() *schema { return mustSchema(schemas.CanonicalEvent) })
	commandSchema = sync.OnceValue(func() *schema { return mustSchema(schemas.NotificationCommand) })
)

// mustSchema compiles an embedded schema; the tests compile both, so a
// broken one never ships.
func mustSchema(text string) *schema {
	c, err := goavro.NewCodec(text)
	if err != nil {
		panic(fmt.Sprintf("codec: embedded schema: %v", err))
	}
	var s struct{ Name, Namespace string }
	if err := json.Unmarshal([]byte(text), &s); err != nil || s.Name == "" {
		panic(fmt.Sprintf("codec: embedded schema has no name: %v", err))
	}
	name := s.Name
	if s.Namespace != "" {
		name = s.Namespace + "." + name
	}
	return &schema{text: text, name: name, codec: c}
}
