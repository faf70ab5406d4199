package lanestage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/lanestage"
)

// emptyRestorer is a lanes topic with nothing on it yet.
type emptyRestorer struct{}

func (emptyRestorer) Restore(context.Context, string, int32, func(k, v []byte) error) (int, error) {
	return 0, nil
}

func observation(t *testing.T, key lanes.Key, v int64) *kgo.Record {
	c, _ := codec.NewLaneObservations()
	b, err := c.Append(nil, &lanes.Observation{Key: key, Kind: lanes.KindGap, Gap: lanes.GapInTransit, Value: v})
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: "obs", Partition: 0, Key: []byte(key.String()), Value: b}
}

// An aborted batch's observations are forgotten: the lanes it changed are
// as they were and the lanes it made are gone, so that reading the batch
// again learns it once.
func TestAbortedBatchIsUndone(t *testing.T) {
	p, err := lanestage.New(lanestage.Config{ObservationsTopic: "obs", LanesTopic: "lanes", Model: lanes.DefaultConfig, Restorer: emptyRestorer{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Assigned(context.Background(), "obs", []int32{0}); err != nil {
		t.Fatal(err)
	}
	old := lanes.Key{Carrier: "dhl", Level: lanes.Any}
	fresh := lanes.Key{Carrier: "ups", Level: lanes.Any}
	batch := func(recs ...*kgo.Record) []*kgo.Record {
		var out pipeline.Output
		for _, r := range recs {
			p.Process(r, &out)
		}
		p.Flush(&out)
		return out.Records
	}
	batch(observation(t, old, 3600), observation(t, old, 7200))
	p.EndBatch(true)
	committed := snapshot(p)

	out := batch(observation(t, old, 99_000), observation(t, fresh, 60))
	if len(out) != 2 {
		t.Fatalf("the batch published %d lanes, want the 2 it changed", len(out))
	}
	p.EndBatch(false)
	if got := snapshot(p); !reflect.DeepEqual(got, committed) {
		t.Errorf("after the abort:\n got %v\nwant %v", got, committed)
	}

	// Read again and committed: learned once.
	batch(observation(t, old, 99_000), observation(t, fresh, 60))
	p.EndBatch(true)
	got := snapshot(p)
	if n := got[old.String()].Gaps[lanes.GapInTransit].N; n != 3 {
		t.Errorf("lane %s has %d gaps, want 3", old, n)
	}
	if n := got[fresh.String()].Gaps[lanes.GapInTransit].N; n != 1 {
		t.Errorf("lane %s has %d gaps, want 1", fresh, n)
	}
}

// A record that is not an observation is dead-lettered, and changes nothing.
func TestBadObservation(t *testing.T) {
	p, _ := lanestage.New(lanestage.Config{ObservationsTopic: "obs", LanesTopic: "lanes", Model: lanes.DefaultConfig, Restorer: emptyRestorer{}})
	_ = p.Assigned(context.Background(), "obs", []int32{0})
	var out pipeline.Output
	p.Process(&kgo.Record{Topic: "obs", Value: []byte("nonsense")}, &out)
	if !out.Dead || p.Lanes() != 0 {
		t.Errorf("dead %v, lanes %d; want a dead letter and no lane", out.Dead, p.Lanes())
	}
}

// Until its first whole read the table says it is loading, for at most its
// bound: detect is never held unready for ever by a lanes topic it cannot
// read.
func TestTableLoadingIsBounded(t *testing.T) {
	tb, err := lanestage.NewTable(lanestage.TableConfig{Topic: "lanes", LoadTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if why := tb.Loading(); !strings.Contains(why, "loading lanes") || !strings.Contains(why, "1h0m0s") {
		t.Errorf("Loading() = %q, want it to name the topic and the bound", why)
	}
	tb, _ = lanestage.NewTable(lanestage.TableConfig{Topic: "lanes", LoadTimeout: time.Nanosecond})
	time.Sleep(time.Millisecond)
	if why := tb.Loading(); why != "" {
		t.Errorf("past its bound Loading() = %q, want ready", why)
	}
}

// recordsRestorer is a lanes topic holding the given records.
type recordsRestorer []*kgo.Record

func (r recordsRestorer) Restore(_ context.Context, _ string, _ int32, fn func(k, v []byte) error) (int, error) {
	for _, rec := range r {
		if err := fn(rec.Key, rec.Value); err != nil {
			return 0, err
		}
	}
	return len(r), nil
}

// A lanes topic record the stage cannot read does not stop its restore (it
// stopped the stage on every restart): the readable lanes come back, the
// unreadable one is counted and learned again.
func TestRestoreSkipsUnreadableLane(t *testing.T) {
	learner, _ := lanestage.New(lanestage.Config{ObservationsTopic: "obs", LanesTopic: "lanes", Model: lanes.DefaultConfig, Restorer: emptyRestorer{}})
	_ = learner.Assigned(context.Background(), "obs", []int32{0})
	kept := lanes.Key{Carrier: "dhl", Level: lanes.Any}
	var out pipeline.Output
	learner.Process(observation(t, kept, 3600), &out)
	learner.Flush(&out)
	learner.EndBatch(true)
	if len(out.Records) != 1 {
		t.Fatalf("the learner published %d lanes, want 1", len(out.Records))
	}
	topic := recordsRestorer{out.Records[0], {Key: []byte("ups|any"), Value: []byte("not a lane model")}}

	m := pipeline.NewMetrics()
	p, _ := lanestage.New(lanestage.Config{ObservationsTopic: "obs", LanesTopic: "lanes", Model: lanes.DefaultConfig, Restorer: topic, Metrics: m})
	if err := p.Assigned(context.Background(), "obs", []int32{0}); err != nil {
		t.Fatalf("restore stopped on an unreadable record: %v", err)
	}
	got := snapshot(p)
	if n := got[kept.String()].Gaps[lanes.GapInTransit].N; n != 1 || len(got) != 1 {
		t.Errorf("restored lanes %v, want only %s with its 1 gap", got, kept)
	}
	if n := testutil.ToFloat64(m.LaneUnreadable.WithLabelValues("stage")); n != 1 {
		t.Errorf("unreadable records counted %v, want 1", n)
	}
}
