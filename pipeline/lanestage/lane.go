// Package lanestage runs the lane model across instances (the global-table
// pattern):
//
//   - the detect stage writes each observation it learns from (a movement
//     gap, a delivered leg's transit, a last mile, an out-for-delivery
//     outcome) to shipments.lane-observations.v1, once for every lane of
//     the shipment's chain (area, region, country, any), each keyed by its
//     own lane, in the transaction of its commands and offsets;
//   - the lane stage (Processor) owns the lanes of the partitions it is
//     assigned: it learns each observation into its lane, and at the end
//     of every batch writes each changed lane's model (quantiles and the
//     sketches' bins) to the compacted shipments.lanes.v1, to the same
//     partition number, in the transaction of its offsets. On assignment
//     it reads those partitions of the lanes topic whole first, so a
//     restart rebuilds the exact model; an aborted batch's changes are
//     undone;
//   - every detect instance reads the lanes topic whole (Table: its own
//     client, no group, from the start, kept up to date in the background)
//     and decides with it.
package lanestage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"go.uber.org/zap"
)

// Config configures the lane stage's processor.
type Config struct {
	ObservationsTopic string // input
	LanesTopic        string // output, compacted, as many partitions as the input
	// Model bounds each partition's lanes (lanes.max_lanes, max_bins).
	Model lanes.Config
	// Restorer reads a partition of the lanes topic; required.
	Restorer detectstage.Restorer
	Now      func() time.Time
	Metrics  *pipeline.Metrics
	Logger   *zap.Logger
}

// Processor is the lane stage's processor: Process, Flush and EndBatch run
// on the stage's goroutine, Assigned and Revoked on the group's.
type Processor struct {
	cfg    Config
	obs    *codec.LaneObservations
	models *codec.LaneModels

	mu    sync.Mutex
	parts map[int32]*part

	o       lanes.Observation // decode buffer
	learned int               // observations of the batch in hand
	publish int               // lane models written by the batch in hand
}

// part is the lanes of one partition, and the batch's journal.
type part struct {
	m       *lanes.Model
	changed map[lanes.ID]bool
	undo    map[lanes.ID]lanes.State // lanes as they were before the batch
	base    int                      // lanes before the batch
}

var hdrLane = []kgo.RecordHeader{{Key: "avro.schema", Value: []byte(codec.LaneModelSchema)}}

// New builds the processor.
func New(cfg Config) (*Processor, error) {
	if cfg.ObservationsTopic == "" || cfg.LanesTopic == "" || cfg.Restorer == nil {
		return nil, fmt.Errorf("lane: the observations and lanes topics and a restorer are required")
	}
	if err := cfg.Model.Check(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	obs, err := codec.NewLaneObservations()
	if err != nil {
		return nil, err
	}
	models, err := codec.NewLaneModels()
	if err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg, obs: obs, models: models, parts: map[int32]*part{}}, nil
}

// Topics is what the stage consumes.
func (p *Processor) Topics() []string { return []string{p.cfg.ObservationsTopic} }

// Partitioner writes each lane model to the partition number of the
// observations it learned from (the records say it), so that an
// assignment's lanes are those partitions of the lanes topic.
func (p *Processor) Partitioner() kgo.Partitioner { return kgo.ManualPartitioner() }

func (p *Processor) newPart() *part {
	m, _ := lanes.New(p.cfg.Model) // checked in New
	return &part{m: m, changed: map[lanes.ID]bool{}, undo: map[lanes.ID]lanes.State{}}
}

// Assigned rebuilds the partitions' lanes from the lanes topic before
// their first observation is read.
func (p *Processor) Assigned(ctx context.Context, topic string, partitions []int32) error {
	if topic != p.cfg.ObservationsTopic {
		return nil
	}
	for _, id := range partitions {
		pt := p.newPart()
		var lm codec.LaneModel
		n, err := p.cfg.Restorer.Restore(ctx, p.cfg.LanesTopic, id, func(key, value []byte) error {
			if value == nil {
				return nil
			}
			if err := p.models.Decode(value, &lm); err != nil {
				// A record this stage wrote and cannot read (a corrupted
				// or foreign record, or a schema this build does not
				// know). Refusing it would stop the stage on every
				// restart, so the lane starts again from nothing: its
				// next observations rebuild it, its coarser lanes and
				// the flat rules decide meanwhile, and its next publish
				// replaces the record on the compacted topic.
				p.cfg.Logger.Warn("lane: a lanes topic record is unreadable; the lane is learned again", zap.String("topic", p.cfg.LanesTopic),
					zap.Int32("partition", id), zap.ByteString("lane", key), zap.Error(err))
				if m := p.cfg.Metrics; m != nil {
					m.LaneUnreadable.WithLabelValues("stage").Inc()
				}
				return nil
			}
			if lane := pt.m.Own(lm.Key); lane != 0 {
				pt.m.SetState(lane, &lm.State)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("lane: restore partition %d of %s: %w", id, p.cfg.LanesTopic, err)
		}
		pt.base = pt.m.Len()
		p.cfg.Logger.Info("restored lanes", zap.Int32("partition", id), zap.Int("records", n), zap.Int("lanes", pt.m.Len()))
		p.mu.Lock()
		p.parts[id] = pt
		p.mu.Unlock()
	}
	p.publishKnown()
	return nil
}

// Revoked drops the partitions' lanes: their new owner rebuilds them.
func (p *Processor) Revoked(topic string, partitions []int32) {
	if topic != p.cfg.ObservationsTopic {
		return
	}
	p.mu.Lock()
	for _, id := range partitions {
		delete(p.parts, id)
	}
	p.mu.Unlock()
	p.publishKnown()
}

// Process learns one observation into its lane.
func (p *Processor) Process(rec *kgo.Record, out *pipeline.Output) {
	p.mu.Lock()
	pt := p.parts[rec.Partition]
	p.mu.Unlock()
	if pt == nil {
		out.DeadLetter(rec, "no_state", fmt.Sprintf("lane: partition %d has no restored lanes", rec.Partition))
		return
	}
	if err := p.obs.Decode(rec.Value, &p.o); err != nil {
		out.DeadLetter(rec, "decode", fmt.Sprintf("lane: %v", err))
		return
	}
	out.Carrier = p.o.Key.Carrier
	id := pt.m.Own(p.o.Key)
	if id == 0 {
		return // lanes.max_lanes reached: a new lane is not learned (its coarser lanes are)
	}
	if int(id) <= pt.base && !pt.changed[id] {
		pt.undo[id] = pt.m.State(id)
	}
	pt.changed[id] = true
	pt.m.Learn(id, &p.o)
	p.learned++
}

// Flush writes each lane the batch changed, once, in its transaction.
func (p *Processor) Flush(out *pipeline.Output) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	for pid, pt := range p.parts {
		ids := make([]lanes.ID, 0, len(pt.changed))
		for id := range pt.changed {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			k := pt.m.Key(id)
			lm := codec.LaneModel{Key: k, UpdatedAt: now, Summary: pt.m.Summary(id), State: pt.m.State(id)}
			v, err := p.models.Append(nil, &lm)
			if err != nil {
				panic(fmt.Sprintf("lane: %v", err)) // every field is the model's own: a bug
			}
			out.Emit(&kgo.Record{Topic: p.cfg.LanesTopic, Partition: pid, Key: []byte(k.String()), Value: v, Headers: hdrLane})
			p.publish++
		}
	}
}

// EndBatch keeps the batch's changes or undoes them.
func (p *Processor) EndBatch(committed bool) {
	p.mu.Lock()
	for _, pt := range p.parts {
		if !committed {
			for id, st := range pt.undo {
				pt.m.SetState(id, &st)
			}
			pt.m.Truncate(pt.base)
		}
		pt.base = pt.m.Len()
		clear(pt.undo)
		clear(pt.changed)
	}
	p.mu.Unlock()
	if m := p.cfg.Metrics; m != nil && committed {
		m.LaneObservations.WithLabelValues("in").Add(float64(p.learned))
		m.LanePublishes.Add(float64(p.publish))
	}
	p.learned, p.publish = 0, 0
	p.publishKnown()
}

func (p *Processor) publishKnown() {
	if p.cfg.Metrics != nil {
		p.cfg.Metrics.LanesKnown.WithLabelValues("stage").Set(float64(p.Lanes()))
	}
}

// Lanes is the number of lanes held.
func (p *Processor) Lanes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pt := range p.parts {
		n += pt.m.Len()
	}
	return n
}

// Each calls fn with every lane's key and state, for tests and reports.
func (p *Processor) Each(fn func(k lanes.Key, st lanes.State)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pt := range p.parts {
		for id := lanes.ID(1); int(id) <= pt.m.Len(); id++ {
			fn(pt.m.Key(id), pt.m.State(id))
		}
	}
}
