package chlookup

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/links"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/schemas/chschema"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/sinks/chsink"
	"github.com/wismo/wismo/taxonomy"
)

// migrated is a new database of the real ClickHouse with the sink's schema.
func migrated(t *testing.T) (*chtest.Server, chsink.Options) {
	t.Helper()
	srv := chtest.New(t)
	o := chsink.Options{Addrs: []string{srv.Addr}, Database: srv.Database}
	if _, err := chsink.Migrate(context.Background(), srv.Conn, o); err != nil {
		t.Fatal(err)
	}
	return srv, o
}

// flushAndOpen inserts w's rows and opens a Lookup over o's database,
// closed when the test ends.
func flushAndOpen(t *testing.T, w *chsink.Writer, o chsink.Options) *Lookup {
	t.Helper()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := chsink.OpenDatabase(o)
	if err != nil {
		t.Fatal(err)
	}
	lk := New(conn, Options{})
	t.Cleanup(func() { _ = lk.Close() })
	return lk
}

// Against the real ClickHouse: a replayed insert (the sink's at-least-once)
// gives each event and command once, before any merge; the record matches
// the in-memory lookup's; what ClickHouse holds finer than the city does
// not come back.
func TestLookup(t *testing.T) {
	srv, o := migrated(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i, typ := range []string{"info_received.label_created", "in_transit.picked_up", "in_transit.departed_facility", "exception.address_incorrect"} {
		e := event.Event{Carrier: "fedex", TrackingNumber: "7777", Type: taxonomy.MustLookup(typ), OccurredAt: at.Add(time.Duration(i) * time.Hour),
			LocalOffset: -6 * 3600, EstimatedDelivery: "2026-11-24",
			Location: event.Location{City: "Memphis", Region: "TN", Country: "US", PostalCode: "38118", Facility: "MEMH"}}
		e.ID[0] = byte(i + 1)
		evs = append(evs, e)
	}
	cmds := []detect.Command{{CommandID: "c1", ShipmentID: "fedex:7777", Carrier: "fedex", TrackingNumber: "7777", Trigger: "action_required",
		EventType: "exception.address_incorrect", Message: "m", OccurredAt: at.Add(3 * time.Hour), DecidedAt: at.Add(3 * time.Hour), NotBefore: at.Add(3 * time.Hour),
		PredictedDelivery: &detect.Prediction{Earliest: "2026-11-23", Likely: "2026-11-24", Latest: "2026-11-26", Confidence: "medium"}}}
	for range 2 { // a replay
		w := chsink.NewWriter(srv.Conn, o)
		for i := range evs {
			w.AddEvent(&evs[i])
		}
		w.AddCommand(&cmds[0])
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := chsink.OpenDatabase(o)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lk := New(conn, Options{})
	defer lk.Close()
	rec, err := lk.Shipment(ctx, "fedex:7777")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 4 || len(rec.Commands) != 1 {
		t.Fatalf("%d events, %d commands; want 4 and 1 (a replay counted twice?)", len(rec.Events), len(rec.Commands))
	}
	if p := rec.Commands[0].PredictedDelivery; p == nil || *p != *cmds[0].PredictedDelivery {
		t.Errorf("prediction read back %+v, want %+v", p, cmds[0].PredictedDelivery)
	}
	for _, e := range rec.Events {
		if e.Location.PostalCode != "" || e.Location.Facility != "" {
			t.Errorf("the lookup read a postal code or facility: %+v", e.Location)
		}
	}
	mem := serve.NewMemory()
	mem.Add(evs, cmds)
	want, _ := mem.Shipment(ctx, "fedex:7777")
	cat, _ := serve.LoadCatalog()
	a, _ := json.Marshal(cat.For("").Summarize(want))
	b, _ := json.Marshal(cat.For("").Summarize(rec))
	if string(a) != string(b) {
		t.Errorf("ClickHouse and memory differ:\n%s\n%s", a, b)
	}
	for _, id := range []string{"fedex:8888", "nocolon", "FEDEX:7777", "fedex:" + string(make([]byte, 70))} {
		if _, err := lk.Shipment(ctx, id); !errors.Is(err, serve.ErrNotFound) {
			t.Errorf("%q: %v, want ErrNotFound", id, err)
		}
	}
}

// One query reads a batch: each shipment gets its own record, an unknown
// one ErrNotFound alone.
func TestFetchBatch(t *testing.T) {
	srv, o := migrated(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	w := chsink.NewWriter(srv.Conn, o)
	ids := []string{"fedex:1111", "ups:1Z2222", "fedex:3333"}
	for n, id := range ids {
		carrier, tn, _ := strings.Cut(id, ":")
		for i := 0; i <= n; i++ { // n+1 events for the nth
			e := event.Event{Carrier: carrier, TrackingNumber: tn, Type: taxonomy.MustLookup("in_transit.departed_facility"), OccurredAt: at.Add(time.Duration(i) * time.Hour)}
			e.ID[0], e.ID[1] = byte(n+1), byte(i)
			w.AddEvent(&e)
		}
	}
	lk := flushAndOpen(t, w, o)
	res, err := lk.fetch(ctx, []string{"fedex:3333", "dhl:404", "ups:1Z2222", "fedex:1111"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{3, -1, 2, 1} {
		r := res[i]
		switch {
		case want < 0:
			if !errors.Is(r.Err, serve.ErrNotFound) {
				t.Errorf("unknown shipment: %v, want ErrNotFound", r.Err)
			}
		case r.Err != nil || len(r.V.Events) != want:
			t.Errorf("result %d: %v, want %d events", i, r.Err, want)
		default:
			for _, e := range r.V.Events {
				if e.ShipmentID() != r.V.ShipmentID {
					t.Errorf("%s holds an event of %s", r.V.ShipmentID, e.ShipmentID())
				}
			}
		}
	}
}

// Migration 0013 (the lookup's table now) runs again from its first
// statement after failing half way (here: after all of it): nothing fails,
// each row reads once, and the backfill brings the commands' predictions
// with them.
func TestLookupMigrationRunsAgain(t *testing.T) {
	srv, o := migrated(t)
	ctx := context.Background()
	w := chsink.NewWriter(srv.Conn, o)
	e := event.Event{Carrier: "ups", TrackingNumber: "1Z11", Type: taxonomy.MustLookup("in_transit.picked_up"), OccurredAt: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	e.ID[0] = 9
	w.AddEvent(&e)
	w.AddCommand(&detect.Command{CommandID: "c9", ShipmentID: "ups:1Z11", Carrier: "ups", TrackingNumber: "1Z11", Trigger: "shipped",
		EventType: "in_transit.picked_up", OccurredAt: e.OccurredAt, DecidedAt: e.OccurredAt, NotBefore: e.OccurredAt,
		PredictedDelivery: &detect.Prediction{Earliest: "2026-11-22", Likely: "2026-11-23", Latest: "2026-11-25", Confidence: "high"}})
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := chschema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, m := range ms {
		if m.Version != 13 {
			continue
		}
		for _, st := range m.Statements {
			if st.Optional() {
				continue
			}
			if err := srv.Conn.Exec(ctx, chschema.Render(st.SQL, srv.Database)); err != nil {
				t.Fatalf("0013 statement %d again: %v", st.Index+1, err)
			}
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no migration 0013")
	}
	conn, err := chsink.OpenDatabase(o)
	if err != nil {
		t.Fatal(err)
	}
	lk := New(conn, Options{})
	defer lk.Close()
	rec, err := lk.Shipment(ctx, "ups:1Z11")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 1 || len(rec.Commands) != 1 || rec.Commands[0].PredictedDelivery == nil || rec.Commands[0].PredictedDelivery.Likely != "2026-11-23" {
		t.Fatalf("after 0013 again: %d events, %d commands %+v", len(rec.Events), len(rec.Commands), rec.Commands)
	}
}

// GET /v1/orders/{order_id} over the real ClickHouse: the order's
// shipments as /v1/shipments gives them, a replayed order context once,
// 404 for an unknown order, the API key required.
func TestOrderAPI(t *testing.T) {
	srv, o := migrated(t)
	w := chsink.NewWriter(srv.Conn, o)
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i, id := range []string{"ups:1ZA", "fedex:4242"} {
		carrier, tn, _ := strings.Cut(id, ":")
		e := event.Event{Carrier: carrier, TrackingNumber: tn, Type: taxonomy.MustLookup("in_transit.picked_up"), OccurredAt: at}
		e.ID[0] = byte(i + 1)
		w.AddEvent(&e)
	}
	for range 2 { // a replay
		for _, id := range []string{"ups:1ZA", "fedex:4242", "dhl:NOEVENTS"} {
			w.AddOrder(&detect.OrderContext{ShipmentID: id, OrderID: "1001", PromisedDelivery: "2026-11-24", CustomerSegment: "vip"})
		}
		w.AddOrder(&detect.OrderContext{ShipmentID: "ups:1ZOTHER", OrderID: "1002"})
	}
	lk := flushAndOpen(t, w, o)
	ring, _ := links.NewKeyring([]links.Key{{ID: "k", Secret: make([]byte, 32)}}, "k", nil)
	keys, _ := serve.ParseAPIKeys([]string{"bot:" + serve.HashKey("bot-secret")}, nil)
	s, err := serve.New(serve.Config{Lookup: lk, Ring: ring, APIKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rw := httptest.NewRecorder()
		s.Handler().ServeHTTP(rw, req)
		return rw
	}
	rw := get("/v1/orders/1001", "bot-secret")
	var got struct {
		OrderID   string `json:"order_id"`
		Shipments []struct {
			ShipmentID string `json:"shipment_id"`
			Milestone  string `json:"milestone"`
		} `json:"shipments"`
	}
	if err := json.Unmarshal(rw.Body.Bytes(), &got); err != nil || rw.Code != 200 {
		t.Fatalf("%d %s %v", rw.Code, rw.Body, err)
	}
	if got.OrderID != "1001" || len(got.Shipments) != 2 || got.Shipments[0].ShipmentID != "fedex:4242" || got.Shipments[1].ShipmentID != "ups:1ZA" ||
		got.Shipments[0].Milestone != "in_transit" {
		t.Errorf("order 1001: %s", rw.Body)
	}
	if rw := get("/v1/orders/9999", "bot-secret"); rw.Code != 404 {
		t.Errorf("unknown order: %d %s", rw.Code, rw.Body)
	}
	if rw := get("/v1/orders/1001", ""); rw.Code != 401 {
		t.Errorf("no key: %d", rw.Code)
	}
}
