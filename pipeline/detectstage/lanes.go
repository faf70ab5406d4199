package detectstage

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/lanes"
)

// The lane model across instances (see package pipeline/lanestage): the
// engines decide with a model fed from the lanes topic, and what they learn
// goes to the lane-observations topic instead of into that model.

// LaneTable is the lanes topic as the stage reads it (lanestage.Table).
type LaneTable interface {
	// Drain calls fn with each lane model read since the last call.
	Drain(fn func(*codec.LaneModel))
}

var hdrObservation = []kgo.RecordHeader{{Key: "avro.schema", Value: []byte(codec.LaneObservationSchema)}}

// LaneTable is the table the stage decides with (Config.Lanes), or nil.
func (p *Processor) LaneTable() LaneTable { return p.cfg.Lanes }

// applyLanes takes into the model what the table read since the last call;
// on the stage's goroutine, between records.
func (p *Processor) applyLanes() {
	if p.cfg.Lanes == nil {
		return
	}
	p.cfg.Lanes.Drain(func(lm *codec.LaneModel) {
		// A lane this model cannot hold (max_lanes) stands for nothing
		// here: its shipments are on a coarser lane.
		if id := p.model.LookupKey(lm.Key); id != 0 && p.model.Key(id) == lm.Key {
			p.model.SetState(id, &lm.State)
		}
	})
	if m := p.cfg.Metrics; m != nil {
		m.LanesKnown.WithLabelValues("table").Set(float64(p.model.Len()))
	}
}

// learner writes what the engines learn to the lane-observations topic, as
// part of the record in hand: once for every lane of the shipment's chain,
// each keyed by its lane, so that one lane stage instance owns each lane.
type learner struct {
	p    *Processor
	keys map[lanes.ID][]byte // lane keys, made once per lane
	n    int                 // observations of the batch in hand
}

func (l *learner) ObserveGap(id lanes.ID, g lanes.Gap, seconds int64) {
	l.emit(id, lanes.KindGap, g, seconds)
}
func (l *learner) ObserveTransit(id lanes.ID, days int) {
	l.emit(id, lanes.KindTransit, 0, int64(days))
}
func (l *learner) ObserveLastMile(id lanes.ID, days int) {
	l.emit(id, lanes.KindLastMile, 0, int64(days))
}
func (l *learner) ObserveOutcome(id lanes.ID, seconds int64) {
	l.emit(id, lanes.KindOutcome, 0, seconds)
}

func (l *learner) emit(id lanes.ID, kind lanes.Kind, g lanes.Gap, v int64) {
	m := l.p.model
	for ; id != 0; id = m.Parent(id) {
		key, ok := l.keys[id]
		if !ok {
			key = []byte(m.Key(id).String())
			l.keys[id] = key
		}
		o := lanes.Observation{Key: m.Key(id), Kind: kind, Gap: g, Value: max(v, 0)}
		b, err := l.p.obsCodec.Append(make([]byte, 0, 64), &o)
		if err != nil {
			panic(fmt.Sprintf("detect: %v", err)) // every field is the model's own: a bug
		}
		l.p.sink.out.Emit(&kgo.Record{Topic: l.p.cfg.ObservationsTopic, Key: key, Value: b, Headers: hdrObservation})
		l.n++
	}
}
