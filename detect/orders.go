package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wismo/wismo/rules"
)

// The order context's part of the engine: a table keyed by shipment id,
// joined with the shipments' events. It may be set before the shipment's
// first event or after; it shapes the commands decided after it is set
// (customer_segment, accommodation, priority) and adds the order's promised
// date to the predicted_late check (see checkLate). Without any context the
// engine decides exactly as without this file.
//
// The table keeps only what decisions use (the segment and the promised
// day), not the order id, value or currency: a copy the engine holds is a
// copy that must be kept small and right. Its durable form is the input
// topic itself (orders.context.v1 is compacted and keyed by shipment id,
// and a context is stored as it came, not derived from other input), so it
// needs no changelog of its own: a restart reads the topic again.

// OrderContext is one record of the order context topic (contracts v1). It
// holds no contact data; the decoder (codec.DecodeOrderContext) refuses a
// record with any other field.
type OrderContext struct {
	ShipmentID       string  `json:"shipment_id"`
	OrderID          string  `json:"order_id"`
	PromisedDelivery string  `json:"promised_delivery"` // YYYY-MM-DD, or ""
	CustomerSegment  string  `json:"customer_segment"`  // rules.Segments, or ""
	LifetimeValue    float64 `json:"lifetime_value"`
	OrderCount       int64   `json:"order_count"`
	Currency         string  `json:"currency"`
}

// order is the table's row: 8 bytes.
type order struct {
	promised int32 // days since 1970; 0 none
	segment  uint8 // 1 + index in rules.Segments; 0 none
}

type orderJournal struct {
	prev    order
	existed bool
}

// SetOrder installs a shipment's order context, or forgets it when oc is
// nil (a tombstone). A context that says nothing the engine uses (no
// segment, no promised date) is forgotten too.
func (e *Engine) SetOrder(shipmentID string, oc *OrderContext) error {
	var o order
	if oc != nil {
		if oc.PromisedDelivery != "" {
			d, err := time.Parse("2006-01-02", oc.PromisedDelivery)
			if err != nil {
				return fmt.Errorf("detect: order context of %s: promised_delivery %q is not a date (YYYY-MM-DD)", shipmentID, oc.PromisedDelivery)
			}
			o.promised = int32(d.Unix() / 86400)
		}
		if oc.CustomerSegment != "" {
			i := slices.Index(rules.Segments, oc.CustomerSegment)
			if i < 0 {
				return fmt.Errorf("detect: order context of %s: customer_segment %q, want one of %s or empty", shipmentID, oc.CustomerSegment, strings.Join(rules.Segments, ", "))
			}
			o.segment = uint8(i + 1)
		}
	}
	prev, existed := e.orders[shipmentID]
	if existed == (o != order{}) && prev == o {
		return nil
	}
	if e.journaling {
		if _, ok := e.orderJournal[shipmentID]; !ok {
			e.orderJournal[shipmentID] = orderJournal{prev: prev, existed: existed}
		}
	}
	if o == (order{}) {
		delete(e.orders, shipmentID)
		return nil
	}
	if e.orders == nil {
		e.orders = map[string]order{}
	}
	if existed {
		e.orders[shipmentID] = o
	} else {
		e.orders[strings.Clone(shipmentID)] = o
	}
	return nil
}

// Orders is the number of shipments with an order context.
func (e *Engine) Orders() int { return len(e.orders) }

// rollbackOrders undoes the batch's order context changes.
func (e *Engine) rollbackOrders() {
	for id, j := range e.orderJournal {
		if j.existed {
			e.orders[id] = j.prev
		} else {
			delete(e.orders, id)
		}
	}
	clear(e.orderJournal)
}

// orderOf is the shipment's row; the zero row when it has none.
func (e *Engine) orderOf(id string) order {
	if len(e.orders) == 0 {
		return order{}
	}
	return e.orders[id]
}

func (o order) segmentName() string {
	if o.segment == 0 {
		return ""
	}
	return rules.Segments[o.segment-1]
}
