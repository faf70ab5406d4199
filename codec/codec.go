// Package codec reads and writes the records of wismo's own topics: canonical
// events (shipments.events.v1) and notification commands
// (shipments.notifications.v1). Every stage that writes them encodes with
// this package (EventEncoder, CommandEncoder: one per kind, configured once
// per instance by Options) and every stage that consumes them decodes with
// it, so one record format change is one change.
//
// A value is one of three encodings, told apart by its first byte, so a
// consumer needs no configuration and a topic may even mix them during a
// migration:
//
//   - '{': contract JSON;
//   - 0x00: Confluent wire format (magic byte, 4-byte schema id, Avro);
//   - anything else: plain Avro binary. (A plain datum starts with
//     schema_version, a zig-zag varint: 1 is 0x02, so never 0x00 or '{'.)
package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/schemas"
)

// Encoding names how a value was written.
type Encoding uint8

const (
	Avro Encoding = iota
	Confluent
	JSON
)

// Sniff tells a value's encoding and returns its Avro payload (the value
// itself for plain Avro and JSON).
func Sniff(v []byte) (Encoding, []byte, error) {
	switch {
	case len(v) == 0:
		return 0, nil, errors.New("codec: empty value")
	case v[0] == '{':
		return JSON, v, nil
	case v[0] == 0:
		if len(v) < 5 {
			return 0, nil, errors.New("codec: Confluent framing shorter than 5 bytes")
		}
		return Confluent, v[5:], nil
	}
	return Avro, v, nil
}

// Events decodes canonical events. It is not safe for concurrent use.
type Events struct {
	// The hand-written decoder: about ten times goavro's speed with one
	// allocation per event, checked against goavro by its tests.
	avro event.AvroDecoder
}

// NewEvents returns an event decoder.
func NewEvents() (*Events, error) { return &Events{}, nil }

// Decode decodes one record value into e.
func (d *Events) Decode(v []byte, e *event.Event) error {
	enc, payload, err := Sniff(v)
	if err != nil {
		return err
	}
	*e = event.Event{}
	if enc == JSON {
		return event.UnmarshalJSON(payload, e)
	}
	return d.avro.Decode(payload, e)
}

// addedFields is how many fields the command schema has gained at its end
// since version 1 (tracking_url, reason, predicted_delivery,
// estimated_delivery, customer_segment, accommodation), each with a default
// written as one zero byte.
const addedFields = 6

// Commands decodes notification commands; CommandEncoder writes them.
type Commands struct{ avro *goavro.Codec }

// NewCommands returns a command codec.
func NewCommands() (*Commands, error) {
	c, err := goavro.NewCodec(schemas.NotificationCommand)
	if err != nil {
		return nil, fmt.Errorf("codec: command schema: %w", err)
	}
	return &Commands{avro: c}, nil
}

// Decode decodes one record value into c.
func (cc *Commands) Decode(v []byte, c *detect.Command) error {
	enc, payload, err := Sniff(v)
	if err != nil {
		return err
	}
	*c = detect.Command{}
	if enc == JSON {
		return json.Unmarshal(payload, c)
	}
	n, rest, err := cc.avro.NativeFromBinary(payload)
	// Written with an older schema (records still on the topic during an
	// upgrade): every field added since version 1 is last and defaults to
	// a value encoded as one zero byte (an empty string, a null union), so
	// the old datum plus one zero per missing field is the same command
	// with those fields at their defaults.
	for k := 1; err != nil && k <= addedFields; k++ {
		pad := append(payload[:len(payload):len(payload)], make([]byte, k)...)
		var err2 error
		if n, rest, err2 = cc.avro.NativeFromBinary(pad); err2 == nil {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("codec: command: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("codec: command: %d trailing bytes", len(rest))
	}
	m := n.(map[string]any)
	str := func(k string) string { s, _ := m[k].(string); return s }
	tm := func(k string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339, str(k))
		if err != nil {
			return t, fmt.Errorf("codec: command %s: %w", k, err)
		}
		return t.UTC(), nil
	}
	v32 := func(k string) int { i, _ := m[k].(int32); return int(i) }
	*c = detect.Command{
		SchemaVersion: v32("schema_version"), CommandID: str("command_id"), ShipmentID: str("shipment_id"),
		Carrier: str("carrier"), TrackingNumber: str("tracking_number"), Trigger: str("trigger"),
		EventType: str("event_type"), EventID: str("event_id"), Priority: str("priority"),
		Message: str("message"), NextStep: str("next_step"), Supersedes: str("supersedes"), Episode: v32("episode"),
		TrackingURL: str("tracking_url"), Reason: str("reason"), EstimatedDelivery: str("estimated_delivery"),
		CustomerSegment: str("customer_segment"), Accommodation: str("accommodation"),
	}
	if u, ok := m["predicted_delivery"].(map[string]any); ok {
		if p, ok := u["io.wismo.v1.PredictedDelivery"].(map[string]any); ok {
			ps := func(k string) string { s, _ := p[k].(string); return s }
			c.PredictedDelivery = &detect.Prediction{Earliest: ps("earliest"), Likely: ps("likely"), Latest: ps("latest"), Confidence: ps("confidence")}
		}
	}
	if c.OccurredAt, err = tm("occurred_at"); err != nil {
		return err
	}
	if c.DecidedAt, err = tm("decided_at"); err != nil {
		return err
	}
	c.NotBefore, err = tm("not_before")
	return err
}

func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
