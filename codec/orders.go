package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/schemas"
)

// MaxOrderContext bounds one order context record: the contract's seven
// fields take a few hundred bytes.
const MaxOrderContext = 4 << 10

// OrderError is why an order context record was refused; Kind is the dead
// letter's error_kind (decode: not a record of the contract; validate: a
// record whose values are wrong).
type OrderError struct {
	Kind string
	Msg  string
}

func (e *OrderError) Error() string { return e.Msg }

// orderAvro is the order context's Avro codec (schemas/order_context.avsc).
var orderAvro = sync.OnceValues(func() (*goavro.Codec, error) { return goavro.NewCodec(schemas.OrderContext) })

// DecodeOrderContext decodes one record of orders.context.v1 (contract
// JSON, or Avro: plain or in the Confluent wire format, see Sniff) keyed
// key (nil: the record has no key to check, as in a file of order
// contexts; the stage refuses a record without a key before). It refuses
// what is not the contract's: any other field
// (contact data above all: an email, a name, an address must never reach
// the pipeline), a shipment_id that is not the record's key, a segment,
// date or currency of the wrong form. Only the contract's fields are ever
// copied.
func DecodeOrderContext(key, value []byte) (*detect.OrderContext, error) {
	if len(value) > MaxOrderContext {
		return nil, orderErr("too_large", "%d bytes, more than the %d an order context takes; send only the contract's fields (orders.context.v1)", len(value), MaxOrderContext)
	}
	v := value
	if t := bytes.TrimLeft(value, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		v = t // JSON after blanks (an Avro datum's first byte may be one)
	}
	enc, payload, err := Sniff(v)
	if err != nil {
		return nil, orderErr("decode", "%v; the order context topic carries contract JSON or Avro (schemas/order_context.avsc)", err)
	}
	oc := new(detect.OrderContext)
	if enc == JSON {
		if err := decodeOrderJSON(v, oc); err != nil {
			return nil, err
		}
	} else if err := decodeOrderAvro(payload, oc); err != nil {
		return nil, err
	}
	if err := checkOrder(key, oc); err != nil {
		return nil, err
	}
	return oc, nil
}

// DecodeOrderRecord decodes one record of orders.context.v1 as the
// stages read it (detect's join and the sink's order_shipments): a record
// without a key is refused, a tombstone (no value) is nil with no error,
// and any other value is checked by DecodeOrderContext against its key.
func DecodeOrderRecord(key, value []byte) (*detect.OrderContext, error) {
	if len(key) == 0 {
		return nil, orderErr("validate", "the record has no key; key each record by its shipment_id")
	}
	if value == nil {
		return nil, nil
	}
	return DecodeOrderContext(key, value)
}

// OrderErrorKind is the dead letter's error_kind for an error of the
// order context decoders: the OrderError's kind, else decode.
func OrderErrorKind(err error) string {
	var oe *OrderError
	if errors.As(err, &oe) {
		return oe.Kind
	}
	return "decode"
}

func orderErr(kind, f string, a ...any) error {
	return &OrderError{Kind: kind, Msg: "order context: " + fmt.Sprintf(f, a...)}
}

func decodeOrderJSON(v []byte, oc *detect.OrderContext) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(oc); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return orderErr("validate", "unknown field %s: an order context has only shipment_id, order_id, promised_delivery, "+
				"customer_segment, lifetime_value, order_count and currency, and never contact data", f)
		}
		return orderErr("decode", "%s", strings.TrimPrefix(msg, "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return orderErr("decode", "data after the JSON object")
	}
	return nil
}

// decodeOrderAvro reads an Avro datum of schemas/order_context.avsc: only
// its fields exist, so nothing else can come along.
func decodeOrderAvro(payload []byte, oc *detect.OrderContext) error {
	c, err := orderAvro()
	if err != nil {
		return fmt.Errorf("codec: order context schema: %w", err)
	}
	n, rest, err := c.NativeFromBinary(payload)
	if err != nil {
		return orderErr("decode", "Avro: %v", err)
	}
	if len(rest) != 0 {
		return orderErr("decode", "Avro: %d bytes after the record", len(rest))
	}
	m := n.(map[string]any)
	str := func(k string) string { s, _ := m[k].(string); return s }
	*oc = detect.OrderContext{ShipmentID: str("shipment_id"), OrderID: str("order_id"), PromisedDelivery: str("promised_delivery"),
		CustomerSegment: str("customer_segment"), Currency: str("currency")}
	oc.LifetimeValue, _ = m["lifetime_value"].(float64)
	oc.OrderCount, _ = m["order_count"].(int64)
	return nil
}

// checkOrder validates a decoded order context keyed key.
func checkOrder(key []byte, oc *detect.OrderContext) error {
	bad := func(f string, a ...any) error { return orderErr("validate", f, a...) }
	switch {
	case oc.ShipmentID == "":
		return bad("no shipment_id")
	case key != nil && string(key) != oc.ShipmentID:
		return bad("shipment_id %.80q is not the record key %.80q; key each record by its shipment_id", oc.ShipmentID, key)
	case !strings.Contains(oc.ShipmentID, ":") || len(oc.ShipmentID) > 256:
		return bad("shipment_id %.80q is not <carrier>:<tracking_number>", oc.ShipmentID)
	case len(oc.OrderID) > 128:
		return bad("order_id is %d bytes, at most 128", len(oc.OrderID))
	case !rules.ValidSegment(oc.CustomerSegment):
		return bad("customer_segment %.40q, want one of %s or empty", oc.CustomerSegment, strings.Join(rules.Segments, ", "))
	case oc.LifetimeValue < 0 || math.IsInf(oc.LifetimeValue, 0):
		return bad("lifetime_value %v is negative", oc.LifetimeValue)
	case oc.OrderCount < 0:
		return bad("order_count %d is negative", oc.OrderCount)
	case oc.Currency != "" && !isCurrency(oc.Currency):
		return bad("currency %.20q is not an ISO 4217 code (three capital letters)", oc.Currency)
	}
	if oc.PromisedDelivery != "" {
		d, err := time.Parse("2006-01-02", oc.PromisedDelivery)
		if err != nil || d.Year() < 2000 || d.Year() > 2100 {
			return bad("promised_delivery %.40q is not a date (YYYY-MM-DD, 2000 to 2100)", oc.PromisedDelivery)
		}
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
