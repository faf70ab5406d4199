// Package normalize is the normalize stage: raw carrier payloads in, canonical
// events out (keyed by shipment id), and anything unusable to the dead-letter
// topic with its reason.
package normalize

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/taxonomy"
)

// Binding ties a raw topic to the carrier and format of its payloads.
type Binding struct {
	Topic   string
	Carrier string
	Format  normalizers.Format
}

// DefaultRememberScans is how many event ids wismo run and the demo
// remember (Config.RememberScans).
const DefaultRememberScans = 1_000_000

// Config configures the stage's processor.
type Config struct {
	Bindings []Binding
	// Events writes the events topic (its topic, encoding and framing);
	// required.
	Events *codec.EventEncoder
	// MaxPayload rejects larger raw records as too_large.
	MaxPayload int
	// Now is the processing clock; nil means time.Now.
	Now func() time.Time
	// Metrics, when set, receives the unmapped-code and assumed-UTC counts.
	Metrics *pipeline.Metrics
	// RememberScans, when positive, is how many event ids the processor
	// remembers of what went out in committed transactions, so that a
	// scan a poller sends again in every poll (the whole history each
	// time) goes out once and not once per poll; see resent. 0 sends
	// every scan of every payload.
	RememberScans int
	// CodeLabels is how many distinct unmapped codes of one carrier get
	// their own label in the unmapped-code metric; later ones are counted
	// under pipeline.OtherLabel. 0 means pipeline.DefaultCodeLabels.
	CodeLabels int
}

// Processor normalizes raw records. It is not safe for concurrent use; a
// stage runs one per instance.
type Processor struct {
	cfg      Config
	bindings map[string]bound
	batch    *normalizers.Batch

	// counts of the batch in progress, published when it commits
	unmapped   map[codeKey]int
	assumedUTC map[string]int
	resentN    map[string]int

	// label caps of the data-quality metrics, for the life of the process
	// as the series are
	carrierLabels *pipeline.LabelCap
	codeLabels    map[string]*pipeline.LabelCap

	resent *resent // nil when RememberScans is 0
	kinds  []kindCount
}

type codeKey struct{ carrier, code string }

type bound struct {
	n      normalizers.Normalizer
	format normalizers.Format
}

// New checks the bindings (an unknown carrier or format is a config error
// that names the binding and the known carriers) and builds the processor.
func New(cfg Config) (*Processor, error) {
	if cfg.Events == nil {
		return nil, fmt.Errorf("normalize: no events encoder")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CodeLabels <= 0 {
		cfg.CodeLabels = pipeline.DefaultCodeLabels
	}
	p := &Processor{cfg: cfg, bindings: map[string]bound{}, batch: normalizers.NewBatch(),
		unmapped: map[codeKey]int{}, assumedUTC: map[string]int{}, resentN: map[string]int{},
		carrierLabels: pipeline.NewLabelCap(pipeline.MaxCarrierLabels), codeLabels: map[string]*pipeline.LabelCap{}}
	if cfg.RememberScans > 0 {
		p.resent = newResent(cfg.RememberScans)
	}
	// Events are encoded as soon as they are made and never kept, so the
	// batch may reuse their string memory from record to record.
	p.batch.ReuseStrings = true
	for i, b := range cfg.Bindings {
		n, err := normalizers.Lookup(b.Carrier, b.Format)
		if err != nil {
			return nil, fmt.Errorf("normalize: binding %d (topic %q): %w", i, b.Topic, err)
		}
		if _, dup := p.bindings[b.Topic]; dup {
			return nil, fmt.Errorf("normalize: topic %q is bound twice", b.Topic)
		}
		f := b.Format
		if f == "" {
			f = n.Formats()[0]
		}
		p.bindings[b.Topic] = bound{n: n, format: f}
	}
	if len(p.bindings) == 0 {
		return nil, fmt.Errorf("normalize: no raw topic bindings")
	}
	return p, nil
}

// EndBatch implements pipeline.BatchEnder: data-quality counts are
// published only for committed batches, like the record counts.
func (p *Processor) EndBatch(committed bool) {
	if p.resent != nil {
		p.resent.end(committed)
	}
	if committed && p.cfg.Metrics != nil {
		for c, n := range p.resentN {
			p.cfg.Metrics.Resent.WithLabelValues(c).Add(float64(n))
		}
		for k, n := range p.unmapped {
			c := p.carrierLabels.Value(k.carrier)
			codes := p.codeLabels[c]
			if codes == nil {
				codes = pipeline.NewLabelCap(p.cfg.CodeLabels)
				p.codeLabels[c] = codes
			}
			p.cfg.Metrics.Unmapped.WithLabelValues(c, codes.Value(k.code)).Add(float64(n))
		}
		for c, n := range p.assumedUTC {
			p.cfg.Metrics.AssumedUTC.WithLabelValues(p.carrierLabels.Value(c)).Add(float64(n))
		}
	}
	clear(p.unmapped)
	clear(p.assumedUTC)
	clear(p.resentN)
}

// CarrierOf implements pipeline.TopicCarrier: a raw topic is bound to one
// carrier ("" for a topic not bound).
func (p *Processor) CarrierOf(topic string) string {
	if b, ok := p.bindings[topic]; ok {
		return b.n.Carrier()
	}
	return ""
}

// Topics lists the bound raw topics.
func (p *Processor) Topics() []string {
	out := make([]string, 0, len(p.bindings))
	for t := range p.bindings {
		out = append(out, t)
	}
	return out
}

// Process implements pipeline.Processor.
func (p *Processor) Process(rec *kgo.Record, out *pipeline.Output) {
	b, ok := p.bindings[rec.Topic]
	if !ok {
		out.DeadLetter(rec, string(normalizers.KindUnsupportedCarrier), "no carrier is bound to topic "+rec.Topic)
		return
	}
	out.Carrier = b.n.Carrier()
	in := normalizers.Input{
		Payload:      rec.Value,
		Format:       b.format,
		TrackingHint: keyHint(rec.Key),
		Lineage:      event.Lineage{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset},
		Now:          p.cfg.Now(),
	}
	if err := normalizers.Normalize(b.n, &in, p.batch, p.cfg.MaxPayload); err != nil {
		out.DeadLetter(rec, string(normalizers.KindOf(err)), err.Error())
		return
	}
	events := p.batch.Events
	// The newest scan goes out even when it was sent before, so that every
	// raw record shows in the events topic (the accounting: records in =
	// records out + dead letters). Normalizers give the oldest scan first.
	keepLast := p.resent != nil && p.resent.allSent(events)
	for i := range events {
		e := &events[i]
		if p.resent != nil {
			if p.resent.sent(e.ID) && !(keepLast && i == len(events)-1) {
				p.resentN[out.Carrier]++
				continue
			}
			p.resent.add(e.ID)
		}
		// Keys are cloned: the event's strings are reused by the next record.
		if e.Type == taxonomy.Unmapped {
			p.unmapped[codeKey{strings.Clone(e.Carrier), strings.Clone(e.Raw.Code)}]++
		}
		if e.AssumedUTC() {
			p.assumedUTC[strings.Clone(e.Carrier)]++
		}
		// The raw record's timestamp carries on: downstream, it is when the
		// scan reached the pipeline (the detect stage's clock while catching
		// up; end-to-end latency for whoever measures it). The record holds
		// copies: the event's strings are reused by the next record.
		out.Emit(p.cfg.Events.Record(e, rec.Timestamp))
	}
	rejected := p.batch.Rejected
	if len(out.Records) == 0 { // every scan was rejected
		kind, msg := string(normalizers.KindValidate), "no scan was usable"
		if len(rejected) > 0 {
			kind, msg = string(rejected[0].Kind), rejected[0].Error()+more(len(rejected)-1, "")
		}
		out.DeadLetter(rec, kind, msg)
		return
	}
	// One partial dead letter per kind of rejection stands for all the
	// scans rejected for it: each is a copy of the whole payload, and a
	// 4 MiB payload of 50,000 absurd scans must not become 50,000 copies
	// of it in one transaction.
	p.kinds = p.kinds[:0]
	for _, r := range rejected {
		i := 0
		for i < len(p.kinds) && p.kinds[i].first.Kind != r.Kind {
			i++
		}
		if i == len(p.kinds) {
			p.kinds = append(p.kinds, kindCount{first: r})
		}
		p.kinds[i].n++
	}
	for i := range p.kinds {
		k := &p.kinds[i]
		out.PartialDeadLetter(rec, string(k.first.Kind), k.first.Error()+more(k.n-1, string(k.first.Kind)))
		k.first = nil
	}
}

// kindCount is one kind of scan rejection in a record: the first scan
// rejected for it, and how many were.
type kindCount struct {
	first *normalizers.Error
	n     int
}

// more says how many other scans a dead letter's message stands for.
func more(n int, kind string) string {
	switch {
	case n <= 0:
		return ""
	case kind == "":
		return fmt.Sprintf(" (and %d more scans rejected)", n)
	}
	return fmt.Sprintf(" (and %d more scans rejected as %s)", n, kind)
}

// keyHint uses the record key as the tracking number when it looks like
// one; pollers key raw records by tracking number.
func keyHint(k []byte) string {
	if len(k) == 0 || len(k) > 64 || !utf8.Valid(k) {
		return ""
	}
	for _, c := range k {
		if c <= ' ' || c == '{' || c == '"' {
			return ""
		}
	}
	return string(k)
}
