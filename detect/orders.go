package detect

import (
	"fmt"
	"slices"
	"strings"
	"sync"
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
	promised int32  // days since 1970; 0 none
	segment  uint8  // 1 + index in rules.Segments; 0 none
	part     uint16 // the input partition it came from (DropPartitions; topics have far fewer than 65,536)
}

// empty: the row says nothing the engine uses.
func (o order) empty() bool { return o.promised == 0 && o.segment == 0 }

type orderJournal struct {
	prev    order
	existed bool
}

// OrderTable is the order contexts, keyed by shipment id. One table may
// serve several engines (the detect stage's partitions, on one goroutine):
// UseOrders. Its batch journal works as the engine's: Commit keeps the
// changes since the last Commit, Rollback undoes them.
//
// It is safe for concurrent use: the detect stage restores a newly
// assigned partition of the order topic on the consumer group's goroutine
// while its other partitions go on deciding.
type OrderTable struct {
	mu      sync.Mutex
	rows    map[string]order
	journal map[string]orderJournal
}

// NewOrderTable returns an empty table, without a journal (see Journal).
func NewOrderTable() *OrderTable { return &OrderTable{rows: map[string]order{}} }

// Journal turns on the batch journal: the detect stage changes the table
// in transactions and must undo an aborted one.
func (t *OrderTable) Journal() { t.journal = map[string]orderJournal{} }

// UseOrders makes the engine join t (instead of a table of its own).
func (e *Engine) UseOrders(t *OrderTable) { e.orders = t }

// SetOrder installs a shipment's order context in the engine's table (see
// OrderTable.Set).
func (e *Engine) SetOrder(shipmentID string, oc *OrderContext) error {
	if e.orders == nil {
		e.orders = NewOrderTable()
	}
	return e.orders.Set(shipmentID, oc)
}

// Orders is the number of shipments with an order context.
func (e *Engine) Orders() int {
	if e.orders == nil {
		return 0
	}
	return e.orders.Len()
}

// Set installs a shipment's order context, or forgets it when oc is nil (a
// tombstone). A context that says nothing the engine uses (no segment, no
// promised date) is forgotten too.
func (t *OrderTable) Set(shipmentID string, oc *OrderContext) error {
	return t.SetIn(0, shipmentID, oc)
}

// SetIn is Set for a record of the input's partition part.
func (t *OrderTable) SetIn(part int32, shipmentID string, oc *OrderContext) error {
	o, err := rowOf(shipmentID, oc)
	if err != nil {
		return err
	}
	o.part = uint16(part)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.set(shipmentID, o, true)
	return nil
}

// Restore is Set for a record read back from the topic: durable already,
// so outside the batch journal (an aborted batch does not undo it).
func (t *OrderTable) Restore(part int32, shipmentID string, oc *OrderContext) error {
	o, err := rowOf(shipmentID, oc)
	if err != nil {
		return err
	}
	o.part = uint16(part)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.set(shipmentID, o, false)
	delete(t.journal, shipmentID)
	return nil
}

func rowOf(shipmentID string, oc *OrderContext) (order, error) {
	var o order
	if oc != nil {
		if oc.PromisedDelivery != "" {
			d, err := time.Parse("2006-01-02", oc.PromisedDelivery)
			if err != nil {
				return o, fmt.Errorf("detect: order context of %s: promised_delivery %q is not a date (YYYY-MM-DD)", shipmentID, oc.PromisedDelivery)
			}
			o.promised = int32(d.Unix() / 86400)
		}
		if oc.CustomerSegment != "" {
			i := slices.Index(rules.Segments, oc.CustomerSegment)
			if i < 0 {
				return o, fmt.Errorf("detect: order context of %s: customer_segment %q, want one of %s or empty", shipmentID, oc.CustomerSegment, strings.Join(rules.Segments, ", "))
			}
			o.segment = uint8(i + 1)
		}
	}
	return o, nil
}

func (t *OrderTable) set(shipmentID string, o order, journal bool) {
	prev, existed := t.rows[shipmentID]
	if existed == !o.empty() && prev == o {
		return
	}
	if _, ok := t.journal[shipmentID]; !ok && journal && t.journal != nil {
		t.journal[strings.Clone(shipmentID)] = orderJournal{prev: prev, existed: existed}
	}
	switch {
	case o.empty():
		delete(t.rows, shipmentID)
	case existed:
		t.rows[shipmentID] = o
	default:
		t.rows[strings.Clone(shipmentID)] = o
	}
}

// Len is the number of shipments with an order context.
func (t *OrderTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.rows)
}

// Commit keeps the changes since the last Commit or Rollback.
func (t *OrderTable) Commit() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.journal)
}

// Rollback undoes the changes since the last Commit or Rollback.
func (t *OrderTable) Rollback() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, j := range t.journal {
		if j.existed {
			t.rows[id] = j.prev
		} else {
			delete(t.rows, id)
		}
	}
	clear(t.journal)
}

// DropPartitions forgets the rows that came from the input's partitions
// ps: they moved to another instance (which restores them), and when they
// come back they are restored afresh, tombstones compacted away or not.
func (t *OrderTable) DropPartitions(ps []int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, o := range t.rows {
		if slices.Contains(ps, int32(o.part)) {
			delete(t.rows, id)
			delete(t.journal, id)
		}
	}
}

// Forget drops every row.
func (t *OrderTable) Forget() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.rows)
	clear(t.journal)
}

// orderOf is the shipment's row; the zero row when it has none.
func (e *Engine) orderOf(id string) order {
	t := e.orders
	if t == nil {
		return order{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rows[id]
}

func (o order) segmentName() string {
	if o.segment == 0 {
		return ""
	}
	return rules.Segments[o.segment-1]
}
