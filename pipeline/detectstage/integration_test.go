package detectstage_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

// scan is a DHL event (DHL scans on weekends: no business-day rules) to New
// York.
func scan(tracking, typ string, at time.Time) event.Event {
	e := event.Event{
		Carrier: "dhl", TrackingNumber: tracking, Type: taxonomy.MustLookup(typ), OccurredAt: at.UTC().Truncate(time.Second),
		Source: event.FromCarrier, TZSource: event.TZLocation, LocalOffset: -5 * 3600,
		Destination: event.Location{City: "New York", Region: "NY", Country: "US"},
		Origin:      event.Location{Country: "US"},
		Location:    event.Location{City: "Newark", Region: "NJ", Country: "US"},
	}
	e.ID = event.ID(xxh3.Hash128([]byte(tracking + typ + at.String())).Bytes())
	return e
}

// countingRestorer counts the changelog records an instance restored.
type countingRestorer struct {
	detectstage.KafkaRestorer
	n atomic.Int64
}

func (c *countingRestorer) Restore(ctx context.Context, topic string, p int32, fn func(k, v []byte) error) (int, error) {
	n, err := c.KafkaRestorer.Restore(ctx, topic, p, fn)
	c.n.Add(int64(n))
	return n, err
}

type instance struct {
	stage    *pipeline.Stage
	proc     *detectstage.Processor
	restorer *countingRestorer
	done     chan error
	stop     func() // ends the instance (also at the test's end)
}

// topics of a test; orders is the optional order context input.
type topics struct{ events, notifications, state, dlq, orders string }

func start(t *testing.T, brokers []string, tp topics, txnID string, wrap func(*detectstage.Processor) pipeline.Processor) *instance {
	t.Helper()
	rs := &countingRestorer{KafkaRestorer: detectstage.KafkaRestorer{Opts: []kgo.Opt{kgo.SeedBrokers(brokers...)}}}
	events, err := codec.NewEventEncoder(context.Background(), tp.events, codec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	commands, err := codec.NewCommandEncoder(context.Background(), tp.notifications, codec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := detectstage.New(detectstage.Config{Events: events, Commands: commands, StateTopic: tp.state,
		OrdersTopic: tp.orders, Restorer: rs})
	if err != nil {
		t.Fatal(err)
	}
	var p pipeline.Processor = proc
	if wrap != nil {
		p = wrap(proc)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "detect", Brokers: brokers, Group: tp.events + ".detect",
		TransactionalID: txnID, Inputs: proc.Topics(), DeadLetterTopic: tp.dlq, MaxPollRecords: 40,
		TickInterval: 200 * time.Millisecond, ClientOpts: append([]kgo.Opt{kgo.RecordPartitioner(proc.Partitioner())}, proc.GroupOpts()...)}, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stage: st, proc: proc, restorer: rs, done: make(chan error, 1)}
	go func() { in.done <- st.Run(ctx) }()
	var once sync.Once
	in.stop = func() { once.Do(func() { cancel(); <-in.done }) }
	t.Cleanup(in.stop)
	return in
}

// hang blocks the stage inside its transaction at the nth record after
// arm, once the earlier records' outputs are on the broker.
type hang struct {
	*detectstage.Processor // its Assigned, Flush, Tick... come along
	armed                  atomic.Bool
	n, seen                int
	flush                  func()
	reached                chan struct{}
	release                chan struct{}
	once                   sync.Once
}

func (h *hang) Process(rec *kgo.Record, out *pipeline.Output) {
	if h.armed.Load() {
		h.seen++
		if h.seen == h.n {
			h.flush()
			h.once.Do(func() { close(h.reached) })
			<-h.release
		}
	}
	h.Processor.Process(rec, out)
}

// The detect stage dies mid-transaction with commands produced; its
// replacement restores the shipments' state from the changelog and
// finishes. Read committed, every shipment got exactly the commands the
// policy promises, not one twice, even though every history was resent.
func TestRealBrokerRestoreNoDuplicateCommands(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	base := kafkatest.Topics(t, brokers, 3, "events", "notifications", "dlq")
	compact := "compact"
	state := kafkatest.TopicsWithConfig(t, brokers, 3, map[string]*string{"cleanup.policy": &compact}, "state")[0]
	tp := topics{events: base[0], notifications: base[1], dlq: base[2], state: state}

	now := time.Now()
	const happy, stalled = 40, 20
	var phase1, phase2 []event.Event
	for i := 0; i < happy; i++ {
		tn := fmt.Sprintf("HAPPY%04d", i)
		h := []event.Event{
			scan(tn, "info_received.label_created", now.Add(-3*time.Hour)),
			scan(tn, "in_transit.picked_up", now.Add(-2*time.Hour)),
			scan(tn, "in_transit.departed_facility", now.Add(-time.Hour)),
			scan(tn, "out_for_delivery.out_for_delivery", now.Add(-30*time.Minute)),
			scan(tn, "delivered.delivered", now.Add(-10*time.Minute)),
		}
		phase1 = append(phase1, h[:2]...)
		phase2 = append(phase2, h[2:]...)
		phase2 = append(phase2, h...) // the whole history, resent
	}
	for i := 0; i < stalled; i++ {
		tn := fmt.Sprintf("STALL%04d", i)
		h := []event.Event{
			scan(tn, "info_received.label_created", now.Add(-60*time.Hour)),
			scan(tn, "in_transit.picked_up", now.Add(-55*time.Hour)), // 48 h stall is overdue
		}
		phase1 = append(phase1, h...)
		phase2 = append(phase2, h...)
	}

	h := &hang{n: 25, reached: make(chan struct{}), release: make(chan struct{})}
	a := start(t, brokers, tp, tp.events+".txn", func(p *detectstage.Processor) pipeline.Processor { h.Processor = p; return h })
	h.flush = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.stage.Client().Flush(ctx)
	}
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, phase1))
	kafkatest.WaitFor(t, "the first instance to commit phase 1", 60*time.Second, func() bool {
		_, tot := a.stage.Stats().Snapshot()
		return tot.In >= int64(len(phase1))
	})
	// Phase 1 leaves 20 stalls due: they fire on the clock alone.
	kafkatest.WaitFor(t, "the overdue stalls to fire with no new event", 30*time.Second, func() bool {
		n := len(kafkatest.ReadAll(t, brokers, tp.notifications))
		t.Logf("%d commands so far, tracked %d", n, a.proc.Tracked())
		return n >= happy+2*stalled
	})

	h.armed.Store(true)
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, phase2))
	select {
	case <-h.reached:
	case <-time.After(60 * time.Second):
		t.Fatal("the first instance never reached the crash point")
	}
	a.stage.Client().Close() // the crash, with a transaction open
	b := start(t, brokers, tp, tp.events+".txn", nil)
	kafkatest.WaitFor(t, "the replacement to process phase 2", 90*time.Second, func() bool {
		_, tot := b.stage.Stats().Snapshot()
		return tot.In >= int64(len(phase2))
	})
	close(h.release)
	<-a.done
	a.done <- nil
	if n := b.restorer.n.Load(); n < happy+stalled {
		t.Errorf("the replacement restored %d changelog records, want at least one per shipment (%d)", n, happy+stalled)
	}
	if !b.stage.Ready() {
		t.Error("the replacement is not ready after restoring")
	}

	want := 3*happy + 2*stalled
	cmds := kafkatest.ReadCommitted(t, brokers, tp.notifications, want, 60*time.Second)
	cc, err := codec.NewCommands()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	per := map[string][]string{}
	for _, r := range cmds {
		var c detect.Command
		if err := cc.Decode(r.Value, &c); err != nil {
			t.Fatal(err)
		}
		if ids[c.CommandID] {
			t.Errorf("duplicate command %s (%s %s)", c.CommandID, c.ShipmentID, c.Trigger)
		}
		ids[c.CommandID] = true
		if string(r.Key) != c.ShipmentID {
			t.Errorf("command keyed %q, for shipment %q", r.Key, c.ShipmentID)
		}
		per[c.ShipmentID] = append(per[c.ShipmentID], c.Trigger)
	}
	for id, trig := range per {
		sort.Strings(trig)
		got := strings.Join(trig, ",")
		wantT := "delivered,out_for_delivery,shipped"
		if strings.Contains(id, "STALL") {
			wantT = "shipped,stalled"
		}
		if got != wantT {
			t.Errorf("%s: triggers %s, want %s", id, got, wantT)
		}
	}
	if len(per) != happy+stalled {
		t.Errorf("%d shipments notified, want %d", len(per), happy+stalled)
	}
	// The stalls' synthetic events went to the events topic, once each.
	synthetic := 0
	dec, _ := codec.NewEvents()
	for _, r := range kafkatest.ReadAll(t, brokers, tp.events) {
		var e event.Event
		if err := dec.Decode(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if e.Source == event.FromPipeline {
			synthetic++
		}
	}
	if synthetic != stalled {
		t.Errorf("%d synthetic events, want %d stalls", synthetic, stalled)
	}
}
