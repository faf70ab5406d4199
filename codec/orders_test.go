package codec

import (
	"errors"
	"strings"
	"testing"

	"github.com/wismo/wismo/detect"
)

const contractOrder = `{"shipment_id":"ups:1Z999AA10123456784","order_id":"1001","promised_delivery":"2026-11-24",` +
	`"customer_segment":"vip","lifetime_value":1840.50,"order_count":11,"currency":"EUR"}`

func TestDecodeOrderContext(t *testing.T) {
	oc, err := DecodeOrderContext([]byte("ups:1Z999AA10123456784"), []byte(contractOrder))
	if err != nil {
		t.Fatal(err)
	}
	want := detect.OrderContext{ShipmentID: "ups:1Z999AA10123456784", OrderID: "1001", PromisedDelivery: "2026-11-24",
		CustomerSegment: "vip", LifetimeValue: 1840.50, OrderCount: 11, Currency: "EUR"}
	if *oc != want {
		t.Errorf("got %+v, want %+v", *oc, want)
	}
	// The same record in Avro, plain and in the Confluent wire format.
	ac, err := orderAvro()
	if err != nil {
		t.Fatal(err)
	}
	datum, err := ac.BinaryFromNative(nil, map[string]any{"shipment_id": want.ShipmentID, "order_id": "1001",
		"promised_delivery": "2026-11-24", "customer_segment": "vip", "lifetime_value": 1840.50, "order_count": int64(11), "currency": "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string][]byte{"avro": datum, "confluent": append([]byte{0, 0, 0, 0, 9}, datum...)} {
		got, err := DecodeOrderContext([]byte(want.ShipmentID), v)
		if err != nil || *got != want {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	if _, err := DecodeOrderContext([]byte(want.ShipmentID), append(datum, 0)); err == nil || !strings.Contains(err.Error(), "after the record") {
		t.Errorf("trailing byte after an Avro record: %v", err)
	}
	key := []byte("ups:1")
	for _, c := range []struct{ value, kind, want string }{
		{`{"shipment_id":"ups:1","email":"a@example.com"}`, "validate", `unknown field "email"`},
		{`{"shipment_id":"ups:1","customer_segment":"gold"}`, "validate", `customer_segment "gold"`},
		{`{"shipment_id":"ups:2"}`, "validate", "is not the record key"},
		{`{"order_id":"1"}`, "validate", "no shipment_id"},
		{`{"shipment_id":"ups:1","promised_delivery":"24.11.2026"}`, "validate", "promised_delivery"},
		{`{"shipment_id":"ups:1","currency":"euro"}`, "validate", "currency"},
		{`{"shipment_id":"ups:1","order_count":-1}`, "validate", "order_count"},
		{`{"shipment_id":"ups:1","lifetime_value":-5}`, "validate", "lifetime_value"},
		{`{"shipment_id":"ups:1"} {}`, "decode", "data after"},
		{`{"shipment_id":`, "decode", ""},
		{"\x02\x04ab", "decode", "Avro"},
		{``, "decode", "empty value"},
		{`{"shipment_id":"ups:1","order_count":"11"}`, "decode", "order_count"},
		{`{"shipment_id":"ups:1","order_id":"` + strings.Repeat("x", MaxOrderContext) + `"}`, "too_large", "4096"},
	} {
		_, err := DecodeOrderContext(key, []byte(c.value))
		var oe *OrderError
		if !errors.As(err, &oe) || oe.Kind != c.kind || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: error %v, want kind %s naming %q", c.value, err, c.kind, c.want)
		}
	}
}

// FuzzDecodeOrderContext: the decoder never panics, refuses with an
// OrderError, and what it accepts the engine takes.
func FuzzDecodeOrderContext(f *testing.F) {
	f.Add([]byte("ups:1Z999AA10123456784"), []byte(contractOrder))
	f.Add([]byte("ups:1"), []byte(`{"shipment_id":"ups:1","phone":"+1"}`))
	f.Add([]byte("ups:1"), []byte(`{"shipment_id":"ups:1","promised_delivery":"2026-02-30"}`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		oc, err := DecodeOrderContext(key, value)
		if err != nil {
			var oe *OrderError
			if !errors.As(err, &oe) || oe.Kind == "" {
				t.Fatalf("error %v is not an OrderError with a kind", err)
			}
			return
		}
		if oc.ShipmentID != string(key) {
			t.Fatalf("accepted shipment_id %q under key %q", oc.ShipmentID, key)
		}
		if err := detect.New(nil).SetOrder(oc.ShipmentID, oc); err != nil {
			t.Fatalf("accepted %+v, the engine refuses it: %v", oc, err)
		}
	})
}

// Both stages that read the order context topic read a record the same
// way: no key is refused (validate), a tombstone is nothing.
func TestDecodeOrderRecord(t *testing.T) {
	if oc, err := DecodeOrderRecord(nil, []byte(`{"shipment_id":"ups:1Z"}`)); oc != nil || OrderErrorKind(err) != "validate" {
		t.Errorf("no key: %+v, %v", oc, err)
	}
	if oc, err := DecodeOrderRecord([]byte("ups:1Z"), nil); oc != nil || err != nil {
		t.Errorf("tombstone: %+v, %v", oc, err)
	}
	if oc, err := DecodeOrderRecord([]byte("ups:1Z"), []byte(`{"shipment_id":"ups:1Z","order_id":"1"}`)); err != nil || oc.OrderID != "1" {
		t.Errorf("record: %+v, %v", oc, err)
	}
	if _, err := DecodeOrderRecord([]byte("ups:1Z"), []byte(`{`)); OrderErrorKind(err) != "decode" {
		t.Errorf("bad JSON: kind %q (%v)", OrderErrorKind(err), err)
	}
}
