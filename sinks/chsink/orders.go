package chsink

import (
	"time"

	"github.com/wismo/wismo/detect"
)

// OrdersTable maps orders to their shipments (migration 0012).
const OrdersTable = "order_shipments"

// orderColumns are order_shipments' columns as the writer inserts them.
var orderColumns = []string{"order_id", "shipment_id", "promised_delivery", "customer_segment"}

// orderBuffer holds order_shipments rows column by column.
type orderBuffer struct {
	orderID, shipmentID, segment []string
	promised                     []time.Time
}

func (b *orderBuffer) add(c *detect.OrderContext) {
	b.orderID = append(b.orderID, c.OrderID)
	b.shipmentID = append(b.shipmentID, c.ShipmentID)
	b.promised = append(b.promised, parseDate(c.PromisedDelivery)) // none: 1970-01-01, as elsewhere
	b.segment = append(b.segment, c.CustomerSegment)
}

func (b *orderBuffer) values() []any { return []any{b.orderID, b.shipmentID, b.promised, b.segment} }
func (b *orderBuffer) len() int      { return len(b.orderID) }
func (b *orderBuffer) reset()        { *b = orderBuffer{} }

// AddOrder buffers an order context as its order_shipments row.
func (w *Writer) AddOrder(c *detect.OrderContext) {
	w.touch()
	w.orders.add(c)
}
