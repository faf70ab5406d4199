package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
)

// `wismo backtest --orders FILE` joins order contexts: a stalled vip gets
// expedite_replacement at high priority; a bad line is reported with its
// number and makes the exit status 1, the good ones still apply.
func TestBacktestOrders(t *testing.T) {
	dest := event.Location{City: "Miami", Region: "FL", Country: "US"}
	in := eventLine("dhl", "in_transit.picked_up", time.Date(2026, 11, 16, 15, 0, 0, 0, time.UTC), dest)
	orders := filepath.Join(t.TempDir(), "orders.ndjson")
	if err := os.WriteFile(orders, []byte(`{"shipment_id":"dhl:BT1","order_id":"1","customer_segment":"vip"}`+"\n"+
		`{"shipment_id":"dhl:BT2","email":"a@example.com"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, err := runBacktest(t, in, "--until", "2026-11-20T00:00:00Z", "--orders", orders)
	if !errors.Is(err, errRejected) || !strings.Contains(errs, "orders.ndjson:2: order context: unknown field \"email\"") {
		t.Errorf("exit %v, stderr %q: want line 2 refused", err, errs)
	}
	if !strings.Contains(out, `"trigger":"stalled"`) || !strings.Contains(out, `"customer_segment":"vip","accommodation":"expedite_replacement"`) {
		t.Errorf("no vip stall with its accommodation:\n%s", out)
	}
	plain, _, err := runBacktest(t, in, "--until", "2026-11-20T00:00:00Z")
	if err != nil || strings.Contains(plain, `"customer_segment":"v`) || !strings.Contains(plain, `"customer_segment":"","accommodation":""`) {
		t.Errorf("without --orders: %v\n%s", err, plain)
	}
}
