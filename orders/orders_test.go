package orders

import (
	"strings"
	"testing"
)

const contract = `{"shipment_id": "ups:1Z999AA10123456784", "order_id": "1001", "promised_delivery": "2026-11-24",
	"customer_segment": "vip", "lifetime_value": 1840.50, "order_count": 11, "currency": "EUR"}`

func TestDecodeContract(t *testing.T) {
	c, err := Decode([]byte(contract))
	if err != nil {
		t.Fatal(err)
	}
	want := Context{ShipmentID: "ups:1Z999AA10123456784", OrderID: "1001", PromisedDelivery: "2026-11-24", Segment: "vip",
		LifetimeValue: 1840.50, OrderCount: 11, Currency: "EUR"}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.Promised().Format("2006-01-02") != "2026-11-24" {
		t.Errorf("promised %v", c.Promised())
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"order_id": "1"}`, "shipment_id"},
		{`{"shipment_id": "ups:1"}`, "order_id"},
		{`{"shipment_id": "ups:1", "order_id": "1", "customer_segment": "gold"}`, "customer_segment"},
		{`{"shipment_id": "ups:1", "order_id": "1", "promised_delivery": "24/11/2026"}`, "promised_delivery"},
		{`{"shipment_id": "ups:1", "order_id": "1", "order_count": -1}`, "negative"},
		{`{"shipment_id": "ups:1", "order_id": "1"} {}`, "after"},
		{`[1]`, "JSON object"},
		{`{"shipment_id": "` + strings.Repeat("x", 5000) + `"}`, "bytes"},
	} {
		if _, err := Decode([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40s: %v, want an error about %s", tc.in, err, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(contract))
	f.Add([]byte(`{"shipment_id": "a:b", "order_id": "x", "promised_delivery": ""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Decode accepted what Validate refuses: %v", err)
		}
		if c.ShipmentID == "" || c.OrderID == "" || len(c.OrderID) > MaxIDLen {
			t.Fatalf("accepted %+v", c)
		}
	})
}
