package normalize_test

// Integration tests through the real Kafka broker (scripts/services.sh).

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
)

// upsPayload is a UPS response for one tracking number with n scans, one
// minute apart, so every event of the test is distinct.
func upsPayload(tracking string, n int) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"trackResponse":{"shipment":[{"package":[{"trackingNumber":%q,"activity":[`, tracking)
	codes := []string{"MP", "OR", "DP", "AR", "OT", "FS"}
	types := []string{"M", "I", "I", "I", "I", "D"}
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"location":{"address":{"city":"Louisville","stateProvince":"KY","countryCode":"US"}},"status":{"type":%q,"code":%q,"description":"scan"},"date":"20261120","time":"10%02d00","gmtOffset":"-05:00"}`,
			types[i%len(types)], codes[i%len(codes)], i%60)
	}
	sb.WriteString(`]}]}]}}`)
	return []byte(sb.String())
}

type instance struct {
	stage  *pipeline.Stage
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, brokers []string, group, txnID string, inputs []string, bindings []normalize.Binding, events, dlq string, wrap func(pipeline.Processor) pipeline.Processor) *instance {
	t.Helper()
	proc, err := normalize.New(normalize.Config{Bindings: bindings, Events: encoder(t, events, codec.JSON)})
	if err != nil {
		t.Fatal(err)
	}
	var p pipeline.Processor = proc
	if wrap != nil {
		p = wrap(proc)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "normalize", Brokers: brokers, Group: group,
		TransactionalID: txnID, Inputs: inputs, DeadLetterTopic: dlq, MaxPollRecords: 50}, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stage: st, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- st.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-in.done })
	return in
}

// committedIn sums the committed input records of the instances.
func committedIn(ins ...*instance) int64 {
	var n int64
	for _, in := range ins {
		_, tot := in.stage.Stats().Snapshot()
		n += tot.In
	}
	return n
}

// Mixed carriers plus malformed records: per carrier, records in = records
// with events + dead letters, and the output topics hold exactly that.
func TestRealBrokerAccounting(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	tp := kafkatest.Topics(t, brokers, 3, "raw.ups", "raw.fedex", "raw.avro", "events", "dlq")
	rawUPS, rawFedEx, rawAvro, events, dlq := tp[0], tp[1], tp[2], tp[3], tp[4]
	read := func(name string) []byte {
		data, err := os.ReadFile("../../testdata/carriers/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, &kgo.Record{Topic: rawUPS, Value: upsPayload(fmt.Sprintf("1ZACC%08d", i), 3)})
	}
	recs = append(recs,
		&kgo.Record{Topic: rawUPS, Value: []byte(`{"trackResponse":`)}, // malformed
		&kgo.Record{Topic: rawUPS, Value: make([]byte, 600<<10)},       // too large for the 512 KiB limit below
		&kgo.Record{Topic: rawFedEx, Value: read("fedex/track-v1-ground-delivered-left-at-front-door.json")},
		&kgo.Record{Topic: rawFedEx, Value: []byte(`<xml/>`)},                        // wrong format
		&kgo.Record{Topic: rawAvro, Value: read("avro/ocf-3pl-mixed-carriers.avro")}, // several carriers in one payload
		&kgo.Record{Topic: rawAvro, Value: []byte{0, 1, 2}},                          // truncated Avro
	)
	kafkatest.Produce(t, brokers, recs)
	bindings := []normalize.Binding{
		{Topic: rawUPS, Carrier: "ups", Format: normalizers.JSON},
		{Topic: rawFedEx, Carrier: "fedex", Format: normalizers.JSON},
		{Topic: rawAvro, Carrier: normalizers.GenericCarrier, Format: normalizers.Avro},
	}
	proc, err := normalize.New(normalize.Config{Bindings: bindings, Events: encoder(t, events, codec.JSON), MaxPayload: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.NewStage(pipeline.StageConfig{Name: "normalize", Brokers: brokers, Group: events + ".g",
		TransactionalID: events + ".t0", Inputs: []string{rawUPS, rawFedEx, rawAvro}, DeadLetterTopic: dlq}, proc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	kafkatest.WaitFor(t, "all records committed", 60*time.Second, func() bool { _, tot := st.Stats().Snapshot(); return tot.In >= int64(len(recs)) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	by, tot := st.Stats().Snapshot()
	for c, k := range by {
		if k.In != k.Out+k.Dead {
			t.Errorf("%s: in %d != out %d + dead %d", c, k.In, k.Out, k.Dead)
		}
	}
	if by["ups"].In != 22 || by["ups"].Dead != 2 || by["fedex"].In != 2 || by["fedex"].Dead != 1 || by["generic"].In != 2 || by["generic"].Dead != 1 {
		t.Errorf("per-carrier counts %+v", by)
	}
	dead := kafkatest.ReadCommitted(t, brokers, dlq, int(tot.Dead+tot.Partial), 30*time.Second)
	kinds := map[string]int{}
	for _, r := range dead {
		for _, h := range r.Headers {
			if h.Key == "error_kind" {
				kinds[string(h.Value)]++
			}
		}
	}
	if kinds["decode"] < 3 || kinds["too_large"] != 1 {
		t.Errorf("dead-letter kinds %v", kinds)
	}
	evs := kafkatest.ReadCommitted(t, brokers, events, int(tot.Produced), 30*time.Second)
	seen := map[string]bool{}
	for _, r := range evs {
		var e event.Event
		if err := event.UnmarshalJSON(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		seen[e.Carrier] = true
	}
	if !seen["ups"] || !seen["fedex"] || len(seen) < 4 {
		t.Errorf("carriers in the events topic: %v", seen)
	}
}

// hang blocks the stage inside its transaction at the nth record, after the
// earlier records' outputs were produced: the moment a crash would hurt.
type hang struct {
	pipeline.Processor
	n       int
	seen    int
	flush   func() // sends what the open transaction produced so far
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *hang) Process(rec *kgo.Record, out *pipeline.Output) {
	h.seen++
	if h.seen == h.n {
		h.flush()
		h.once.Do(func() { close(h.reached) })
		<-h.release
	}
	h.Processor.Process(rec, out)
}

// An instance dies with a transaction open and outputs produced; its
// replacement (same transactional id) fences it, and a read_committed
// consumer sees every event exactly once, in per-shipment order.
func TestRealBrokerNoDuplicatesAfterCrash(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	tp := kafkatest.Topics(t, brokers, 3, "raw.ups", "events", "dlq")
	raw, events, dlq := tp[0], tp[1], tp[2]
	const shipments, scans = 60, 4
	var recs []*kgo.Record
	for i := 0; i < shipments; i++ {
		tn := fmt.Sprintf("1ZCRASH%06d", i)
		// Two records per shipment with the same key: order must survive.
		recs = append(recs, &kgo.Record{Topic: raw, Key: []byte(tn), Value: upsPayload(tn, scans/2)})
	}
	for i := 0; i < shipments; i++ {
		tn := fmt.Sprintf("1ZCRASH%06d", i)
		p := upsPayload(tn, scans)
		recs = append(recs, &kgo.Record{Topic: raw, Key: []byte(tn), Value: p})
	}
	kafkatest.Produce(t, brokers, recs)
	bindings := []normalize.Binding{{Topic: raw, Carrier: "ups", Format: normalizers.JSON}}
	h := &hang{n: 10, reached: make(chan struct{}), release: make(chan struct{})}
	a := start(t, brokers, events+".g", events+".txn", []string{raw}, bindings, events, dlq,
		func(p pipeline.Processor) pipeline.Processor { h.Processor = p; return h })
	h.flush = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.stage.Client().Flush(ctx)
	}
	select {
	case <-h.reached:
	case <-time.After(60 * time.Second):
		t.Fatal("the first instance never reached the crash point")
	}
	// The crash: the instance's connections go away with its transaction
	// open and 9 records' outputs on the broker, uncommitted.
	a.stage.Client().Close()
	// Its replacement starts with the same transactional id: the broker
	// aborts the dead instance's open transaction.
	b := start(t, brokers, events+".g", events+".txn", []string{raw}, bindings, events, dlq, nil)
	kafkatest.WaitFor(t, "the replacement to process everything", 90*time.Second, func() bool { return committedIn(b) >= int64(len(recs)) })
	close(h.release)
	if err := <-a.done; err == nil {
		t.Error("the crashed instance's Run returned no error")
	}
	a.done <- nil // for the cleanup
	if _, ta := a.stage.Stats().Snapshot(); ta.In != 0 {
		t.Errorf("the crashed instance committed %d records before the crash point; the test wants them all uncommitted", ta.In)
	}
	// Each payload repeats the first scans of the shipment's earlier payload:
	// distinct events per shipment = scans.
	evs := kafkatest.ReadCommitted(t, brokers, events, shipments*(scans/2+scans), 60*time.Second)
	ids := map[string]int{}
	lastOffset := map[string]int64{}
	for _, r := range evs {
		var e event.Event
		if err := event.UnmarshalJSON(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		key := e.ID.String() + "@" + fmt.Sprint(e.Lineage.Offset)
		ids[key]++
		if ids[key] > 1 {
			t.Errorf("event %s from offset %d seen twice", e.ID, e.Lineage.Offset)
		}
		sid := e.ShipmentID()
		if e.Lineage.Offset < lastOffset[sid] {
			t.Errorf("%s: event from raw offset %d after one from %d: per-shipment order broken", sid, e.Lineage.Offset, lastOffset[sid])
		}
		lastOffset[sid] = e.Lineage.Offset
	}
	if len(lastOffset) != shipments {
		t.Errorf("%d shipments in the output, want %d", len(lastOffset), shipments)
	}
}

// Two instances split the partitions; when one stops, the other takes over
// and nothing is lost.
func TestRealBrokerScaleOut(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	tp := kafkatest.Topics(t, brokers, 6, "raw.ups", "events", "dlq")
	raw, events, dlq := tp[0], tp[1], tp[2]
	bindings := []normalize.Binding{{Topic: raw, Carrier: "ups", Format: normalizers.JSON}}
	batch := func(from, n int) []*kgo.Record {
		var recs []*kgo.Record
		for i := from; i < from+n; i++ {
			tn := fmt.Sprintf("1ZSCALE%06d", i)
			recs = append(recs, &kgo.Record{Topic: raw, Key: []byte(tn), Value: upsPayload(tn, 2)})
		}
		return recs
	}
	kafkatest.Produce(t, brokers, batch(0, 300))
	a := start(t, brokers, events+".g", events+".a", []string{raw}, bindings, events, dlq, nil)
	b := start(t, brokers, events+".g", events+".b", []string{raw}, bindings, events, dlq, nil)
	kafkatest.WaitFor(t, "both instances to own partitions", 60*time.Second, func() bool {
		return a.stage.Assigned() > 0 && b.stage.Assigned() > 0 && a.stage.Assigned()+b.stage.Assigned() == 6
	})
	kafkatest.WaitFor(t, "the first 300 records", 60*time.Second, func() bool { return committedIn(a, b) >= 300 })
	a.cancel() // a leaves; b must take over its partitions
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	a.done <- nil
	kafkatest.Produce(t, brokers, batch(300, 300))
	kafkatest.WaitFor(t, "b to own every partition", 60*time.Second, func() bool { return b.stage.Assigned() == 6 })
	kafkatest.WaitFor(t, "all 600 records", 60*time.Second, func() bool { return committedIn(a, b) >= 600 })
	if got := committedIn(a, b); got != 600 {
		t.Errorf("committed %d input records, want 600", got)
	}
	_, ta := a.stage.Stats().Snapshot()
	if ta.In == 0 {
		t.Error("the first instance processed nothing: the partitions were not split")
	}
	kafkatest.ReadCommitted(t, brokers, events, 1200, 60*time.Second)
}
