package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/rules"
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

// DecodeOrderContext decodes one record of orders.context.v1 (contract
// JSON) keyed key (nil: the record has no key to check, as in a file of
// order contexts; the stage refuses a record without a key before). It refuses what is not the contract's: any other field
// (contact data above all: an email, a name, an address must never reach
// the pipeline), a shipment_id that is not the record's key, a segment,
// date or currency of the wrong form. Only the contract's fields are ever
// copied.
func DecodeOrderContext(key, value []byte) (*detect.OrderContext, error) {
	bad := func(kind, f string, a ...any) error {
		return &OrderError{Kind: kind, Msg: "order context: " + fmt.Sprintf(f, a...)}
	}
	if len(value) > MaxOrderContext {
		return nil, bad("too_large", "%d bytes, more than the %d an order context takes; send only the contract's fields (orders.context.v1)", len(value), MaxOrderContext)
	}
	v := bytes.TrimLeft(value, " \t\r\n")
	if len(v) == 0 || v[0] != '{' {
		return nil, bad("decode", "not a JSON object; the order context topic carries contract JSON (orders.context.v1)")
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	oc := new(detect.OrderContext)
	if err := dec.Decode(oc); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return nil, bad("validate", "unknown field %s: an order context has only shipment_id, order_id, promised_delivery, "+
				"customer_segment, lifetime_value, order_count and currency, and never contact data", f)
		}
		return nil, bad("decode", "%s", strings.TrimPrefix(msg, "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("decode", "data after the JSON object")
	}
	switch {
	case oc.ShipmentID == "":
		return nil, bad("validate", "no shipment_id")
	case key != nil && string(key) != oc.ShipmentID:
		return nil, bad("validate", "shipment_id %.80q is not the record key %.80q; key each record by its shipment_id", oc.ShipmentID, key)
	case !strings.Contains(oc.ShipmentID, ":") || len(oc.ShipmentID) > 256:
		return nil, bad("validate", "shipment_id %.80q is not <carrier>:<tracking_number>", oc.ShipmentID)
	case len(oc.OrderID) > 128:
		return nil, bad("validate", "order_id is %d bytes, at most 128", len(oc.OrderID))
	case !rules.ValidSegment(oc.CustomerSegment):
		return nil, bad("validate", "customer_segment %.40q, want one of %s or empty", oc.CustomerSegment, strings.Join(rules.Segments, ", "))
	case oc.LifetimeValue < 0 || math.IsInf(oc.LifetimeValue, 0):
		return nil, bad("validate", "lifetime_value %v is negative", oc.LifetimeValue)
	case oc.OrderCount < 0:
		return nil, bad("validate", "order_count %d is negative", oc.OrderCount)
	case oc.Currency != "" && !isCurrency(oc.Currency):
		return nil, bad("validate", "currency %.20q is not an ISO 4217 code (three capital letters)", oc.Currency)
	}
	if oc.PromisedDelivery != "" {
		d, err := time.Parse("2006-01-02", oc.PromisedDelivery)
		if err != nil || d.Year() < 2000 || d.Year() > 2100 {
			return nil, bad("validate", "promised_delivery %.40q is not a date (YYYY-MM-DD, 2000 to 2100)", oc.PromisedDelivery)
		}
	}
	return oc, nil
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
