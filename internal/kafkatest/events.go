package kafkatest

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/event"
)

// EventRecords is evs as the normalize stage writes them to topic: each
// event Avro-encoded, keyed by its shipment, for tests that feed the
// stages downstream of it.
func EventRecords(topic string, evs []event.Event) []*kgo.Record {
	var enc event.AvroEncoder
	out := make([]*kgo.Record, len(evs))
	for i := range evs {
		out[i] = &kgo.Record{Topic: topic, Key: []byte(evs[i].ShipmentID()), Value: enc.Append(nil, &evs[i])}
	}
	return out
}
