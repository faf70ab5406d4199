package detectstage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
)

// orderTopics are a test's topics with the order context input, three
// partitions each, the state and orders topics compacted.
func orderTopics(t *testing.T, brokers []string) topics {
	base := kafkatest.Topics(t, brokers, 3, "events", "notifications", "dlq")
	compact := "compact"
	cfg := map[string]*string{"cleanup.policy": &compact}
	state := kafkatest.TopicsWithConfig(t, brokers, 3, cfg, "state", "orders")
	return topics{events: base[0], notifications: base[1], dlq: base[2], state: state[0], orders: state[1]}
}

// Order contexts on the order topic shape the commands on the
// notifications topic (segment, accommodation, priority); bad ones are
// dead-lettered with the reason; after a restart the replacement has the
// table back from the order topic itself and goes on shaping commands.
func TestRealBrokerOrderContextShapesCommands(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	tp := orderTopics(t, brokers)
	orders := tp.orders

	const n = 10
	var ctxRecs []*kgo.Record
	segment := map[string]string{}
	for i := 0; i < n; i++ {
		for _, seg := range []string{"vip", "first_order"} {
			id := fmt.Sprintf("dhl:%s%03d", seg, i)
			segment[id] = seg
			ctxRecs = append(ctxRecs, &kgo.Record{Topic: orders, Key: []byte(id), Value: []byte(fmt.Sprintf(
				`{"shipment_id":%q,"order_id":"%d","customer_segment":%q,"lifetime_value":10.5,"order_count":2,"currency":"EUR"}`, id, i, seg))})
		}
	}
	bad := []*kgo.Record{
		{Topic: orders, Key: []byte("dhl:BAD1"), Value: []byte(`{"shipment_id":"dhl:BAD1","email":"someone@example.com"}`)},
		{Topic: orders, Key: []byte("dhl:BAD2"), Value: []byte(`{"shipment_id":"dhl:BAD2","customer_segment":"gold"}`)},
	}
	a := start(t, brokers, tp, tp.events+".txn", nil)
	kafkatest.Produce(t, brokers, append(ctxRecs, bad...))
	kafkatest.WaitFor(t, "the order contexts to be read", 60*time.Second, func() bool {
		_, tot := a.stage.Stats().Snapshot()
		return tot.In >= int64(len(ctxRecs)+len(bad))
	})

	now := time.Now()
	var phase1, phase2 []event.Event
	ids := []string{"dhl:PLAIN000"}
	for id := range segment {
		ids = append(ids, id)
	}
	for _, id := range ids {
		tn := id[len("dhl:"):]
		phase1 = append(phase1, scan(tn, "in_transit.picked_up", now.Add(-55*time.Hour))) // the 48 h stall is overdue
		phase2 = append(phase2, scan(tn, "in_transit.departed_facility", now.Add(-time.Hour)))
	}
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, phase1))
	kafkatest.WaitFor(t, "the stalls to fire", 60*time.Second, func() bool {
		return len(kafkatest.ReadAll(t, brokers, tp.notifications)) >= 2*len(ids)
	})
	a.stop()

	b := start(t, brokers, tp, tp.events+".txn", nil)
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, phase2))
	want := 3 * len(ids) // shipped, stalled, exception_resolved
	cmds := kafkatest.ReadCommitted(t, brokers, tp.notifications, want, 90*time.Second)
	if got := b.restorer.n.Load(); got < int64(len(ctxRecs)) {
		t.Errorf("the replacement restored %d records, want at least the %d order contexts", got, len(ctxRecs))
	}
	cc, err := codec.NewCommands()
	if err != nil {
		t.Fatal(err)
	}
	wantAcc := map[string]string{"vip/stalled": "expedite_replacement", "first_order/stalled": "reassure"}
	resolved := 0
	for _, r := range cmds {
		var c detect.Command
		if err := cc.Decode(r.Value, &c); err != nil {
			t.Fatal(err)
		}
		seg := segment[c.ShipmentID]
		if c.CustomerSegment != seg {
			t.Errorf("%s %s: segment %q, want %q", c.ShipmentID, c.Trigger, c.CustomerSegment, seg)
		}
		if acc := wantAcc[seg+"/"+c.Trigger]; c.Accommodation != acc {
			t.Errorf("%s %s: accommodation %q, want %q", c.ShipmentID, c.Trigger, c.Accommodation, acc)
		}
		if seg == "vip" && c.Priority != "high" {
			t.Errorf("%s %s: priority %s, want high for a vip", c.ShipmentID, c.Trigger, c.Priority)
		}
		if c.Trigger == "exception_resolved" {
			resolved++ // decided by the replacement, from the restored table
		}
	}
	if len(cmds) != want || resolved != len(ids) {
		t.Errorf("%d commands (%d exception_resolved), want %d (%d)", len(cmds), resolved, want, len(ids))
	}
	dl := kafkatest.ReadAll(t, brokers, tp.dlq)
	kinds := map[string]int{}
	for _, r := range dl {
		for _, h := range r.Headers {
			if h.Key == "error_kind" {
				kinds[string(h.Value)]++
			}
		}
	}
	if len(dl) != len(bad) || kinds["validate"] != len(bad) {
		t.Errorf("%d dead letters, kinds %v; want the %d bad order contexts, validate", len(dl), kinds, len(bad))
	}
}

// With two instances, each joins the order contexts of the shipments it
// owns: partition q of the order topic goes to the owner of partition q of
// the events (GroupOpts), so every command has its shipment's segment.
func TestRealBrokerOrderContextTwoInstances(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	tp := orderTopics(t, brokers)
	orders := tp.orders
	a := start(t, brokers, tp, tp.events+".txn-a", nil)
	b := start(t, brokers, tp, tp.events+".txn-b", nil)
	kafkatest.WaitFor(t, "both instances to share the 6 partitions", 60*time.Second, func() bool {
		return a.stage.Assigned() > 0 && b.stage.Assigned() > 0 && a.stage.Assigned()+b.stage.Assigned() == 6 &&
			a.stage.Ready() && b.stage.Ready()
	})
	const n = 40
	var ctxRecs []*kgo.Record
	var evs []event.Event
	now := time.Now()
	for i := 0; i < n; i++ {
		tn := fmt.Sprintf("TWO%03d", i)
		id := "dhl:" + tn
		ctxRecs = append(ctxRecs, &kgo.Record{Topic: orders, Key: []byte(id),
			Value: []byte(fmt.Sprintf(`{"shipment_id":%q,"customer_segment":"repeat"}`, id))})
		evs = append(evs, scan(tn, "in_transit.picked_up", now.Add(-55*time.Hour)))
	}
	kafkatest.Produce(t, brokers, ctxRecs)
	kafkatest.WaitFor(t, "the order contexts to be read", 60*time.Second, func() bool {
		_, ta := a.stage.Stats().Snapshot()
		_, tb := b.stage.Stats().Snapshot()
		return ta.In+tb.In >= n
	})
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, evs))
	cmds := kafkatest.ReadCommitted(t, brokers, tp.notifications, 2*n, 90*time.Second)
	cc, err := codec.NewCommands()
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, r := range cmds {
		var c detect.Command
		if err := cc.Decode(r.Value, &c); err != nil {
			t.Fatal(err)
		}
		if c.CustomerSegment != "repeat" {
			missing++
		}
	}
	if len(cmds) != 2*n || missing > 0 {
		t.Errorf("%d commands, %d of them without their order's segment; want %d, all with it", len(cmds), missing, 2*n)
	}
}
