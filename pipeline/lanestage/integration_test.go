package lanestage_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/pipeline/lanestage"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/zeebo/xxh3"
)

// scan is a DHL event (DHL moves on weekends: no business days) from
// Newark to New York.
func scan(tracking, typ string, at time.Time) event.Event {
	e := event.Event{
		Carrier: "dhl", TrackingNumber: tracking, Type: taxonomy.MustLookup(typ), OccurredAt: at.UTC().Truncate(time.Second),
		Source: event.FromCarrier, TZSource: event.TZLocation, LocalOffset: -5 * 3600,
		Origin:      event.Location{City: "Newark", Region: "NJ", Country: "US", PostalCode: "07102"},
		Destination: event.Location{City: "New York", Region: "NY", Country: "US", PostalCode: "10001"},
		Location:    event.Location{City: "Newark", Region: "NJ", Country: "US"},
	}
	e.ID = event.ID(xxh3.Hash128([]byte(tracking + typ + at.String())).Bytes())
	return e
}

type topics struct{ events, notifications, state, dlq, obs, lanes string }

func run(t *testing.T, st *pipeline.Stage) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("stage %s: %v", st.Name(), err)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

func startLane(t *testing.T, brokers []string, tp topics, txnID string) (*lanestage.Processor, *pipeline.Stage, func()) {
	t.Helper()
	proc, err := lanestage.New(lanestage.Config{ObservationsTopic: tp.obs, LanesTopic: tp.lanes, Model: lanes.DefaultConfig,
		Restorer: detectstage.KafkaRestorer{Opts: []kgo.Opt{kgo.SeedBrokers(brokers...)}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "lane", Brokers: brokers, Group: tp.obs + ".lane",
		TransactionalID: txnID, Inputs: proc.Topics(), DeadLetterTopic: tp.dlq, MaxPollRecords: 100,
		TickInterval: 200 * time.Millisecond, ClientOpts: []kgo.Opt{kgo.RecordPartitioner(proc.Partitioner())}}, proc)
	if err != nil {
		t.Fatal(err)
	}
	return proc, st, run(t, st)
}

func snapshot(p *lanestage.Processor) map[string]lanes.State {
	out := map[string]lanes.State{}
	p.Each(func(k lanes.Key, st lanes.State) { out[k.String()] = st })
	return out
}

// The lane model across instances, through the broker: detect writes what
// one lane's histories teach, the lane stage publishes the lane, detect
// reads it back from the lanes topic and stalls a parcel silent far beyond
// the lane's gaps but well under the flat 48 h; a restarted lane stage
// rebuilds the same lanes.
func TestLaneModelThroughKafka(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	plain := kafkatest.Topics(t, brokers, 1, "events", "notifications", "dlq")
	obs := kafkatest.Topics(t, brokers, 3, "lane-observations")
	compact := "compact"
	cfg := map[string]*string{"cleanup.policy": &compact}
	state := kafkatest.TopicsWithConfig(t, brokers, 1, cfg, "state")
	lanesTopic := kafkatest.TopicsWithConfig(t, brokers, 3, cfg, "lanes")
	tp := topics{events: plain[0], notifications: plain[1], dlq: plain[2], state: state[0], obs: obs[0], lanes: lanesTopic[0]}

	laneProc, _, stopLane := startLane(t, brokers, tp, tp.obs+".lane-1")

	table, err := lanestage.NewTable(lanestage.TableConfig{Topic: tp.lanes, Opts: []kgo.Opt{kgo.SeedBrokers(brokers...)}, LoadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithCancel(context.Background())
	tdone := make(chan struct{})
	go func() { defer close(tdone); _ = table.Run(tctx) }()
	t.Cleanup(func() { tcancel(); <-tdone })
	events, _ := codec.NewEventEncoder(context.Background(), tp.events, codec.Options{})
	commands, _ := codec.NewCommandEncoder(context.Background(), tp.notifications, codec.Options{})
	dproc, err := detectstage.New(detectstage.Config{Events: events, Commands: commands, StateTopic: tp.state,
		Restorer: detectstage.KafkaRestorer{Opts: []kgo.Opt{kgo.SeedBrokers(brokers...)}},
		Lanes:    table, LaneModel: rules.Default().Lanes.Model, ObservationsTopic: tp.obs})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := pipeline.NewStage(pipeline.StageConfig{Name: "detect", Brokers: brokers, Group: tp.events + ".detect",
		TransactionalID: tp.events + ".detect-1", Inputs: dproc.Topics(), DeadLetterTopic: tp.dlq, MaxPollRecords: 100,
		TickInterval: 200 * time.Millisecond, ClientOpts: []kgo.Opt{kgo.RecordPartitioner(dproc.Partitioner())}}, dproc)
	if err != nil {
		t.Fatal(err)
	}
	run(t, dst)
	kafkatest.WaitFor(t, "the lane table's first read", 30*time.Second, table.Loaded)

	// One lane's histories, days ago: in transit, a movement every 2.5 to
	// 3.5 hours, then delivered.
	const histories, moves = 40, 4
	now := time.Now()
	var evs []event.Event
	for i := range histories {
		tn := fmt.Sprintf("LANE%04d", i)
		at := now.Add(-10*24*time.Hour + time.Duration(i)*time.Hour)
		evs = append(evs, scan(tn, "info_received.label_created", at), scan(tn, "in_transit.picked_up", at.Add(time.Hour)))
		at = at.Add(time.Hour)
		for j := range moves {
			at = at.Add(150*time.Minute + time.Duration((i*7+j*13)%60)*time.Minute)
			evs = append(evs, scan(tn, "in_transit.departed_facility", at))
		}
		evs = append(evs, scan(tn, "out_for_delivery.out_for_delivery", at.Add(time.Hour)),
			scan(tn, "delivered.delivered", at.Add(2*time.Hour)))
	}
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, evs))

	area := lanes.Key{Carrier: "dhl", Level: lanes.Area, From: lanes.AreaOf("US", "NJ", "07102"), To: lanes.AreaOf("US", "NY", "10001")}
	models, _ := codec.NewLaneModels()
	var published codec.LaneModel
	kafkatest.WaitFor(t, "the lane's model on the lanes topic", 60*time.Second, func() bool {
		for _, r := range kafkatest.ReadAll(t, brokers, tp.lanes) {
			var lm codec.LaneModel
			if models.Decode(r.Value, &lm) == nil && lm.Key == area && lm.State.Gaps[lanes.GapInTransit].N >= histories*moves {
				published = lm
				return true
			}
		}
		return false
	})
	if s := published.Summary.StallAfter[lanes.GapInTransit]; !(s > 5*3600 && s < 9*3600) {
		t.Errorf("the lane's in-transit stall threshold is %vs, want 2 x its p95 gap (about 7 h)", s)
	}
	// Every lane of the chain is published, once per batch that changed it.
	all := kafkatest.ReadAll(t, brokers, tp.lanes)
	kafkatest.WaitFor(t, "detect's table to read the lanes topic", 30*time.Second, func() bool { return table.Read() >= len(all) })

	// Silent for 13 hours since its last movement: beyond the lane's
	// normal gaps, under the flat 48 h.
	late := []event.Event{scan("SILENT1", "info_received.label_created", now.Add(-15*time.Hour)),
		scan("SILENT1", "in_transit.picked_up", now.Add(-14*time.Hour)),
		scan("SILENT1", "in_transit.departed_facility", now.Add(-13*time.Hour))}
	kafkatest.Produce(t, brokers, kafkatest.EventRecords(tp.events, late))
	cmds, _ := codec.NewCommands()
	kafkatest.WaitFor(t, "a stalled command for the silent parcel", 60*time.Second, func() bool {
		for _, r := range kafkatest.ReadAll(t, brokers, tp.notifications) {
			var c detect.Command
			if cmds.Decode(r.Value, &c) == nil && c.TrackingNumber == "SILENT1" && c.Trigger == "stalled" {
				return true
			}
		}
		return false
	})

	// A restart rebuilds the lanes exactly, from the lanes topic alone.
	before := snapshot(laneProc)
	if len(before) != 4 {
		t.Errorf("the lane stage holds %d lanes, want the chain's 4", len(before))
	}
	stopLane()
	again, st2, _ := startLane(t, brokers, tp, tp.obs+".lane-2")
	kafkatest.WaitFor(t, "the restarted lane stage to restore", 60*time.Second, func() bool { return st2.Ready() && st2.Assigned() == 3 })
	if after := snapshot(again); !reflect.DeepEqual(after, before) {
		t.Errorf("rebuilt lanes differ:\n got %v\nwant %v", after, before)
	}
}
