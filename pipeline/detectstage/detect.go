// Package detect is the detect stage: canonical events in, notification
// commands and synthetic events (stalls, expiry) out, with each shipment's
// state kept per input partition and written to a compacted changelog, all
// in the transaction that commits the input offsets.
//
// The decisions are package github.com/wismo/wismo/detect's, the same code
// `wismo backtest` runs; this package adds what running on Kafka needs:
//
//   - one engine per assigned partition of the events topic, restored from
//     the same partition of the changelog before the partition's first
//     record is read (the stage is not ready until then);
//   - a journal of the batch's changes: on commit each changed shipment's
//     state goes to the changelog once; on abort the changes are undone,
//     since the batch will be read again;
//   - the clock. Deadlines fire on time, with no event needed: the stage
//     ticks every second. A partition's clock is the wall clock while it
//     is caught up, and the Kafka timestamp of the record in hand while it
//     is catching up, so after downtime the backlog's scans and the
//     deadlines between them come in the order they happened.
package detectstage

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"go.uber.org/zap"
)

// Config configures the processor.
type Config struct {
	// Events writes the synthetic events to the events topic, which is
	// also the stage's input (the stage skips the events it made); Commands
	// writes the notifications topic. Both required, and configured like
	// the normalize stage's, so that each topic has one framing.
	Events     *codec.EventEncoder
	Commands   *codec.CommandEncoder
	StateTopic string
	// OrdersTopic is the optional order context input (orders.go); ""
	// reads none, and the stage decides as without it.
	OrdersTopic string
	Rules       *rules.Rules
	// EventClock runs every partition on the event-time clock, as
	// `wismo backtest` does, instead of the wall clock: a run is then
	// reproducible from its input alone.
	EventClock bool
	// IdleAdvance, with EventClock, moves the clock of a partition that
	// has read nothing for a second to its latest event time plus this:
	// the end of a finite input (the demo), like backtest's --until. Zero
	// leaves the clock where the events put it.
	IdleAdvance time.Duration
	// Links, when set, puts a signed tracking link in every command.
	Links *links.Maker
	// Restorer reads a partition of the changelog; required.
	Restorer Restorer
	// Now is the wall clock; nil means time.Now.
	Now     func() time.Time
	Metrics *pipeline.Metrics
	Logger  *zap.Logger
	// Lanes, when set, has the engines decide with the lane model read
	// from the lanes topic (LaneModel bounds it) and write what they
	// learn to ObservationsTopic (see lanes.go).
	Lanes LaneTable
	// LaneShadow: the lanes learn, the flat rules decide (detect.lane_decisions: false).
	LaneShadow        bool
	LaneModel         lanes.Config
	ObservationsTopic string
}

// Restorer reads one partition of the changelog from its start to its last
// committed record, calling fn for each (value nil for a tombstone).
type Restorer interface {
	Restore(ctx context.Context, topic string, partition int32, fn func(key, value []byte) error) (records int, err error)
}

// Processor is the detect stage's processor. Process, Tick and Flush run on
// the stage's goroutine; Assigned and Revoked on the group's, so the
// partition map is locked.
type Processor struct {
	cfg    Config
	events *codec.Events

	mu    sync.Mutex
	parts map[int32]*partition

	ev     event.Event // decode buffer
	sink   sink
	orders *detect.OrderTable // nil without OrdersTopic

	// the lane model's copy from the lanes topic (nil: flat rules) and the
	// writer of the observations
	model    *lanes.Model
	obsCodec *codec.LaneObservations
	learner  learner

	// counts of the batch in progress, published when it commits
	byTrigger map[string]int
	byType    map[string]int
}

type partition struct {
	id int32
	en *detect.Engine
	// Kafka timestamp of the last record applied, and when it was applied
	lastTs, lastSeen time.Time
	advanced         bool // IdleAdvance done since the last record
}

var hdrState = []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/vnd.wismo.state.v1")}}

// New builds the processor.
func New(cfg Config) (*Processor, error) {
	if cfg.Events == nil || cfg.Commands == nil || cfg.StateTopic == "" {
		return nil, fmt.Errorf("detect: the events and commands encoders and the state topic are required")
	}
	if cfg.Restorer == nil {
		return nil, fmt.Errorf("detect: no changelog restorer")
	}
	if cfg.Rules == nil {
		cfg.Rules = rules.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	evs, err := codec.NewEvents()
	if err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, events: evs, parts: map[int32]*partition{},
		byTrigger: map[string]int{}, byType: map[string]int{}}
	p.sink.p = p
	if cfg.Lanes != nil {
		if cfg.ObservationsTopic == "" {
			return nil, fmt.Errorf("detect: the lane model needs the lane-observations topic (topics.lane_observations)")
		}
		if p.model, err = lanes.New(cfg.LaneModel); err != nil {
			return nil, err
		}
		if p.obsCodec, err = codec.NewLaneObservations(); err != nil {
			return nil, err
		}
		p.learner = learner{p: p, keys: map[lanes.ID][]byte{}}
	}
	if p.ordersOn() {
		p.orders = detect.NewOrderTable()
		p.orders.Journal()
	}
	return p, nil
}

// Topics is what the stage consumes.
func (p *Processor) Topics() []string {
	if p.ordersOn() {
		return []string{p.cfg.Events.Topic(), p.cfg.OrdersTopic}
	}
	return []string{p.cfg.Events.Topic()}
}

// Partitioner routes each changelog record to the partition of the input
// it belongs to, whatever partitioner wrote the events topic, and hashes
// the key for every other topic (so a shipment's commands and events stay
// in one partition, in order).
func (p *Processor) Partitioner() kgo.Partitioner {
	return partitioner{state: p.cfg.StateTopic, manual: kgo.ManualPartitioner(), hash: kgo.StickyKeyPartitioner(nil)}
}

type partitioner struct {
	state        string
	manual, hash kgo.Partitioner
}

func (x partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if topic == x.state {
		return x.manual.ForTopic(topic)
	}
	return x.hash.ForTopic(topic)
}

func (p *Processor) newEngine() *detect.Engine {
	en := detect.New(p.cfg.Rules)
	en.Journal()
	if !p.cfg.EventClock {
		en.UseWallClock()
	}
	if p.model != nil {
		en.UseLanes(p.model)
		if p.cfg.LaneShadow {
			en.ShadowLanes()
		}
		en.LearnInto(&p.learner)
	}
	if p.orders != nil {
		en.UseOrders(p.orders)
	}
	return en
}

// Assigned restores the state of newly assigned partitions from the
// changelog. Until it returns, the stage is not ready and no record of
// these partitions is read.
func (p *Processor) Assigned(ctx context.Context, topic string, partitions []int32) error {
	if p.ordersOn() && topic == p.cfg.OrdersTopic {
		return p.restoreOrders(ctx, partitions)
	}
	if topic != p.cfg.Events.Topic() {
		return nil
	}
	for _, id := range partitions {
		start := time.Now()
		part := &partition{id: id, en: p.newEngine()}
		n, err := p.cfg.Restorer.Restore(ctx, p.cfg.StateTopic, id, func(key, value []byte) error {
			if string(key) == clockKey {
				if len(value) == 8 {
					part.en.SetClock(time.Unix(int64(binary.BigEndian.Uint64(value)), 0))
				}
				return nil
			}
			return part.en.Restore(string(key), value)
		})
		if err != nil {
			return fmt.Errorf("detect: restore partition %d of %s: %w", id, p.cfg.StateTopic, err)
		}
		part.lastSeen = p.cfg.Now()
		if m := p.cfg.Metrics; m != nil {
			m.Restored.Add(float64(n))
		}
		took := time.Since(start)
		p.cfg.Logger.Info("restored shipment state", zap.Int32("partition", id), zap.Int("records", n),
			zap.Int("shipments", part.en.Len()), zap.Duration("took", took),
			zap.Float64("records_per_second", float64(n)/max(took.Seconds(), 1e-9)))
		p.mu.Lock()
		p.parts[id] = part
		p.mu.Unlock()
	}
	p.publishTracked()
	return nil
}

// Revoked drops the partitions' state: their new owner restores it from
// the changelog.
func (p *Processor) Revoked(topic string, partitions []int32) {
	if p.ordersOn() && topic == p.cfg.OrdersTopic {
		p.orders.DropPartitions(partitions)
		return
	}
	if topic != p.cfg.Events.Topic() {
		return
	}
	p.mu.Lock()
	for _, id := range partitions {
		delete(p.parts, id)
	}
	p.mu.Unlock()
	p.publishTracked()
}

func (p *Processor) part(id int32) *partition {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parts[id]
}

// Process applies one canonical event.
func (p *Processor) Process(rec *kgo.Record, out *pipeline.Output) {
	if p.ordersOn() && rec.Topic == p.cfg.OrdersTopic {
		p.processOrder(rec, out)
		return
	}
	part := p.part(rec.Partition)
	if part == nil {
		// Not restored: the assignment callback failed or has not run.
		// Deciding without the state would repeat notifications, so the
		// record waits: the stage stops on the failed restore and the
		// batch is not committed.
		out.DeadLetter(rec, "no_state", fmt.Sprintf("detect: partition %d has no restored state", rec.Partition))
		return
	}
	if err := p.events.Decode(rec.Value, &p.ev); err != nil {
		out.DeadLetter(rec, "decode", fmt.Sprintf("detect: %v", err))
		return
	}
	out.Carrier = p.ev.Carrier
	if p.ev.Source == event.FromPipeline {
		return // made by this stage, and applied when it was made
	}
	p.sink.out, p.sink.part, p.sink.ts = out, part, rec.Timestamp
	part.advanced = false
	if p.cfg.EventClock {
		part.lastSeen = p.cfg.Now()
	} else {
		now := p.cfg.Now()
		ts := rec.Timestamp
		if ts.After(now) || ts.IsZero() {
			ts = now
		}
		part.en.Advance(ts, &p.sink)
		part.lastTs, part.lastSeen = ts, now
	}
	if err := part.en.Apply(&p.ev, &p.sink); err != nil {
		out.DeadLetter(rec, "validate", err.Error()) // the decoder refuses such times first
	}
}

// Due reports whether some partition's next deadline has come.
func (p *Processor) Due(now time.Time) bool {
	p.applyLanes()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.EventClock {
		for _, part := range p.parts {
			if p.idleAdvance(part, now) {
				return true
			}
		}
		return false
	}
	for _, part := range p.parts {
		if at, ok := part.en.NextDue(); ok && !at.After(p.clock(part, now)) {
			return true
		}
	}
	return false
}

// clock is the partition's time: the wall clock once it has read nothing
// for a while (caught up, or idle), else the timestamp of the last record
// (catching up: later deadlines wait for the records before them).
func (p *Processor) clock(part *partition, now time.Time) time.Time {
	if now.Sub(part.lastSeen) >= time.Second || now.Sub(part.lastTs) < 5*time.Second {
		return now
	}
	return part.lastTs
}

func (p *Processor) idleAdvance(part *partition, now time.Time) bool {
	return p.cfg.IdleAdvance > 0 && !part.advanced && part.en.Len() > 0 && now.Sub(part.lastSeen) >= time.Second
}

// Tick fires the deadlines that have come.
func (p *Processor) Tick(now time.Time, out *pipeline.Output) {
	p.mu.Lock()
	parts := make([]*partition, 0, len(p.parts))
	for _, part := range p.parts {
		parts = append(parts, part)
	}
	p.mu.Unlock()
	slices.SortFunc(parts, func(a, b *partition) int { return int(a.id - b.id) })
	for _, part := range parts {
		p.sink.out, p.sink.part, p.sink.ts = out, part, now
		switch {
		case !p.cfg.EventClock:
			part.en.Advance(p.clock(part, now), &p.sink)
		case p.idleAdvance(part, now):
			part.advanced = true
			part.en.Advance(part.en.Now().Add(p.cfg.IdleAdvance), &p.sink)
		}
	}
}

// clockKey is the changelog key of a partition's event-time clock; no
// shipment id (carrier:tracking) starts with a NUL byte.
const clockKey = "\x00clock"

// Flush writes the state of every shipment the batch changed to the
// changelog, in the batch's transaction; on the event-time clock, the
// partition's clock too.
func (p *Processor) Flush(out *pipeline.Output) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, part := range p.parts {
		changed := false
		part.en.Changes(func(shipment string, s *detect.State) {
			changed = true
			r := &kgo.Record{Topic: p.cfg.StateTopic, Partition: id, Key: []byte(shipment), Headers: hdrState}
			if s != nil {
				r.Value = detect.MarshalState(make([]byte, 0, 96), s)
			}
			out.Emit(r)
		})
		if changed && p.cfg.EventClock {
			out.Emit(&kgo.Record{Topic: p.cfg.StateTopic, Partition: id, Key: []byte(clockKey), Headers: hdrState,
				Value: binary.BigEndian.AppendUint64(nil, uint64(part.en.Now().Unix()))})
		}
	}
}

// EndBatch keeps or undoes the batch's state changes.
func (p *Processor) EndBatch(committed bool) {
	p.mu.Lock()
	for _, part := range p.parts {
		if committed {
			part.en.Commit()
		} else {
			part.en.Rollback()
		}
	}
	p.mu.Unlock()
	if p.orders != nil {
		if committed {
			p.orders.Commit()
		} else {
			p.orders.Rollback()
		}
	}
	if committed && p.cfg.Metrics != nil {
		p.cfg.Metrics.LaneObservations.WithLabelValues("out").Add(float64(p.learner.n))
		for t, n := range p.byTrigger {
			p.cfg.Metrics.Commands.WithLabelValues(t).Add(float64(n))
		}
		for t, n := range p.byType {
			p.cfg.Metrics.Synthetic.WithLabelValues(t).Add(float64(n))
		}
	}
	clear(p.byTrigger)
	clear(p.byType)
	p.learner.n = 0
	p.publishTracked()
}

func (p *Processor) publishTracked() {
	if p.cfg.Metrics == nil {
		return
	}
	p.cfg.Metrics.Tracked.Set(float64(p.Tracked()))
}

// Settled reports whether, with IdleAdvance, every partition has made its
// end-of-input advance: the demo's signal that detection is complete.
func (p *Processor) Settled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, part := range p.parts {
		if p.cfg.IdleAdvance > 0 && !part.advanced && part.en.Len() > 0 {
			return false
		}
	}
	return true
}

// Tracked is the number of shipments held, for tests and the demo.
func (p *Processor) Tracked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, part := range p.parts {
		n += part.en.Len()
	}
	return n
}

// sink turns the engine's decisions into records of the batch.
type sink struct {
	p    *Processor
	out  *pipeline.Output
	part *partition
	// ts stamps the outputs: the input record's timestamp (when its scan
	// reached the pipeline), or the time of the tick that fired a deadline
	ts time.Time
}

func (s *sink) Command(c *detect.Command) {
	if err := addLink(s.p.cfg.Links, c); err != nil {
		s.p.cfg.Logger.Warn("no tracking link", zap.String("shipment_id", c.ShipmentID), zap.Error(err))
	}
	r, err := s.p.cfg.Commands.Record(c, s.ts)
	if err != nil {
		// Only a bug can get here (every field is a plain string); fail
		// loudly instead of dropping a notification.
		panic(fmt.Sprintf("detect: %v", err))
	}
	s.out.Emit(r)
	s.p.byTrigger[c.Trigger]++
}

// addLink sets c's tracking URL when m is set: a link of a delivered,
// returned or expired shipment lives links.after_end from that event, any
// other links.open_ttl from the decision.
func addLink(m *links.Maker, c *detect.Command) error {
	if m == nil {
		return nil
	}
	var end time.Time
	if t, ok := taxonomy.Lookup(c.EventType); ok && links.IsEnd(t.Milestone) {
		end = c.OccurredAt
	}
	u, err := m.URL(c.ShipmentID, end, c.DecidedAt)
	c.TrackingURL = u
	return err
}

func (s *sink) Event(e *event.Event) {
	e.Lineage = event.Lineage{Topic: s.p.cfg.Events.Topic(), Partition: s.part.id, Offset: -1}
	s.out.Emit(s.p.cfg.Events.Record(e, s.ts))
	s.p.byType[e.Type.Name]++
}
