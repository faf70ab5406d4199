package detectstage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/rules"
)

type noRestore struct{}

func (noRestore) Restore(context.Context, string, int32, func(k, v []byte) error) (int, error) {
	return 0, nil
}

type noTable struct{}

func (noTable) Drain(func(*codec.LaneModel)) {}

// BenchmarkProcess is the detect stage's processor on one partition,
// without a broker: decode, apply, and the records it makes (with the lane
// model on: the observations too, once per lane of the chain).
func BenchmarkProcess(b *testing.B)      { benchProcess(b, false) }
func BenchmarkProcessLanes(b *testing.B) { benchProcess(b, true) }

func benchProcess(b *testing.B, withLanes bool) {
	events, _ := codec.NewEventEncoder(context.Background(), "events", codec.Options{})
	commands, _ := codec.NewCommandEncoder(context.Background(), "notifications", codec.Options{})
	cfg := detectstage.Config{Events: events, Commands: commands, StateTopic: "state", Restorer: noRestore{}, EventClock: true}
	if withLanes {
		cfg.Lanes, cfg.LaneModel, cfg.ObservationsTopic = noTable{}, rules.Default().Lanes.Model, "obs"
	}
	p, err := detectstage.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Assigned(context.Background(), "events", []int32{0}); err != nil {
		b.Fatal(err)
	}
	// Shipments moving every 3 hours: every record new (no duplicate).
	ships := b.N/4 + 1
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var enc event.AvroEncoder
	recs := make([]*kgo.Record, 0, 4*ships)
	for step, typ := range []string{"in_transit.picked_up", "in_transit.departed_facility", "in_transit.arrived_at_facility", "in_transit.departed_facility"} {
		for i := range ships {
			ev := scan(fmt.Sprintf("B%08d", i), typ, start.Add(time.Duration(step)*3*time.Hour+time.Duration(i)*time.Millisecond))
			recs = append(recs, &kgo.Record{Topic: "events", Value: enc.Append(nil, &ev)})
		}
	}
	var out pipeline.Output
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Records = out.Records[:0]
		p.Process(recs[i], &out)
		if i%1000 == 999 {
			p.Flush(&out)
			p.EndBatch(true)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
