// Package orders is the order context (contracts.md "Order context", topic
// orders.context.v1, compacted, keyed by shipment_id): which order a
// shipment belongs to, the date promised to the customer and the
// customer's segment and value. It holds no contact data.
package orders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Context is one shipment's order context.
type Context struct {
	ShipmentID string `json:"shipment_id"`
	OrderID    string `json:"order_id"`
	// PromisedDelivery is the date promised at checkout (YYYY-MM-DD), ""
	// when none.
	PromisedDelivery string  `json:"promised_delivery"`
	Segment          string  `json:"customer_segment"`
	LifetimeValue    float64 `json:"lifetime_value"`
	OrderCount       int     `json:"order_count"`
	Currency         string  `json:"currency"`
}

// Segments are the customer segments of the contract; "" is none.
var Segments = []string{"vip", "repeat", "first_order", "at_risk"}

// Bounds of a record: an order context is a few hundred bytes.
const (
	MaxRecordBytes = 4 << 10
	MaxIDLen       = 128
)

// Decode reads one record's JSON value and checks it.
func Decode(b []byte) (Context, error) {
	var c Context
	if len(b) > MaxRecordBytes {
		return c, fmt.Errorf("order context: %d bytes, more than %d", len(b), MaxRecordBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&c); err != nil {
		return Context{}, fmt.Errorf("order context: not the contract's JSON object: %w", err)
	}
	if d.More() {
		return Context{}, errors.New("order context: data after the JSON object")
	}
	return c, c.Validate()
}

// Validate checks the fields the contract requires.
func (c *Context) Validate() error {
	switch {
	case c.ShipmentID == "" || len(c.ShipmentID) > MaxIDLen:
		return fmt.Errorf("order context: shipment_id %q: want <carrier>:<tracking number>, at most %d bytes", c.ShipmentID, MaxIDLen)
	case c.OrderID == "" || len(c.OrderID) > MaxIDLen:
		return fmt.Errorf("order context of %s: order_id %q: want 1 to %d bytes", c.ShipmentID, c.OrderID, MaxIDLen)
	case c.Segment != "" && !slices.Contains(Segments, c.Segment):
		return fmt.Errorf("order context of %s: customer_segment %q: want one of %v or empty", c.ShipmentID, c.Segment, Segments)
	case c.OrderCount < 0 || c.LifetimeValue < 0:
		return fmt.Errorf("order context of %s: negative order_count or lifetime_value", c.ShipmentID)
	}
	if c.PromisedDelivery != "" {
		if _, err := time.Parse(time.DateOnly, c.PromisedDelivery); err != nil {
			return fmt.Errorf("order context of %s: promised_delivery %q: want YYYY-MM-DD", c.ShipmentID, c.PromisedDelivery)
		}
	}
	return nil
}

// Promised is the promised date, zero when there is none.
func (c *Context) Promised() time.Time {
	t, _ := time.Parse(time.DateOnly, c.PromisedDelivery)
	return t
}
