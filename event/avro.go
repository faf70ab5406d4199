package event

import (
	"fmt"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/schemas"
)

// AvroCodec encodes and decodes events with the schema in
// schemas/canonical_event.avsc.
type AvroCodec struct{ codec *goavro.Codec }

// NewAvroCodec compiles the embedded schema.
func NewAvroCodec() (*AvroCodec, error) {
	c, err := goavro.NewCodec(schemas.CanonicalEvent)
	if err != nil {
		return nil, fmt.Errorf("event: canonical Avro schema: %w", err)
	}
	return &AvroCodec{codec: c}, nil
}

// Schema returns the schema text, for headers and registries.
func (c *AvroCodec) Schema() string { return c.codec.Schema() }

// Append appends e as Avro binary.
func (c *AvroCodec) Append(dst []byte, e *Event) ([]byte, error) {
	return c.codec.BinaryFromNative(dst, native(e))
}

// Decode decodes one Avro binary datum into e.
func (c *AvroCodec) Decode(data []byte, e *Event) error {
	v, rest, err := c.codec.NativeFromBinary(data)
	if err != nil {
		return fmt.Errorf("event: avro: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("event: avro: %d trailing bytes", len(rest))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("event: avro: datum is %T, want a record", v)
	}
	w := wire{
		SchemaVersion:     int(m["schema_version"].(int32)),
		EventID:           m["event_id"].(string),
		ShipmentID:        m["shipment_id"].(string),
		Carrier:           m["carrier"].(string),
		TrackingNumber:    m["tracking_number"].(string),
		Service:           m["service"].(string),
		Milestone:         m["milestone"].(string),
		EventType:         m["event_type"].(string),
		Class:             m["class"].(string),
		Reason:            m["reason"].(string),
		OccurredAt:        m["occurred_at"].(string),
		OccurredAtLocal:   m["occurred_at_local"].(string),
		TZSource:          m["tz_source"].(string),
		Location:          locationFromNative(m["location"]),
		Message:           m["message"].(string),
		Source:            m["source"].(string),
		EstimatedDelivery: m["estimated_delivery"].(string),
		Origin:            locationFromNative(m["origin"]),
		Destination:       locationFromNative(m["destination"]),
	}
	w.Feed, _ = m["feed"].(string)
	raw := m["raw"].(map[string]any)
	w.Raw = wireRaw{Code: raw["code"].(string), Type: raw["type"].(string), Description: raw["description"].(string)}
	lin := m["lineage"].(map[string]any)
	w.Lineage = wireLineage{Topic: lin["topic"].(string), Partition: lin["partition"].(int32), Offset: lin["offset"].(int64)}
	return fromWire(&w, e)
}

func native(e *Event) map[string]any {
	t := e.Type
	msg := e.AppendMessage(nil)
	next := e.AppendNextStep(nil)
	var buf [64]byte
	return map[string]any{
		"schema_version":     int32(SchemaVersion),
		"event_id":           e.ID.String(),
		"shipment_id":        e.ShipmentID(),
		"carrier":            e.Carrier,
		"tracking_number":    e.TrackingNumber,
		"service":            e.Service,
		"milestone":          t.Milestone,
		"event_type":         t.Name,
		"class":              t.Class.String(),
		"reason":             e.Reason,
		"occurred_at":        string(AppendUTC(buf[:0], e.OccurredAt)),
		"occurred_at_local":  string(AppendLocal(buf[:0], e.OccurredAt, e.LocalOffset)),
		"tz_source":          e.TZSource.String(),
		"location":           locationNative(&e.Location),
		"raw":                map[string]any{"code": e.Raw.Code, "type": e.Raw.Type, "description": e.Raw.Description},
		"message":            string(msg),
		"next_step":          string(next),
		"source":             e.Source.String(),
		"lineage":            map[string]any{"topic": e.Lineage.Topic, "partition": e.Lineage.Partition, "offset": e.Lineage.Offset},
		"estimated_delivery": e.EstimatedDelivery,
		"origin":             locationNative(&e.Origin),
		"destination":        locationNative(&e.Destination),
		"feed":               e.Feed,
	}
}

func locationNative(l *Location) map[string]any {
	return map[string]any{"city": l.City, "region": l.Region, "postal_code": l.PostalCode, "country": l.Country, "facility": l.Facility}
}

func locationFromNative(v any) wireLocation {
	m, _ := v.(map[string]any)
	s := func(k string) string { x, _ := m[k].(string); return x }
	return wireLocation{City: s("city"), Region: s("region"), PostalCode: s("postal_code"), Country: s("country"), Facility: s("facility")}
}
