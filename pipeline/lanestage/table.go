package lanestage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap"
)

// Table is the lanes topic as a detect instance reads it: whole, from the
// start, with a client of its own (no group), and then kept up to date in
// the background. Run reads; the detect stage takes what was read with
// Drain on its own goroutine, so its hot path takes no lock.
type Table struct {
	cfg    TableConfig
	models *codec.LaneModels

	mu      sync.Mutex
	pending []codec.LaneModel
	loaded  bool
	read    int
	started time.Time
	err     error
}

// TableConfig configures a Table.
type TableConfig struct {
	Topic string
	// Opts connect to the cluster (seed brokers, TLS, SASL).
	Opts []kgo.Opt
	// LoadTimeout bounds the wait for the first whole read: past it the
	// instance says it is ready, deciding with the lanes read so far (the
	// flat rules for the others), and logs so.
	LoadTimeout time.Duration
	// MaxPending bounds the models read and not yet drained; past it the
	// reader waits for the detect stage.
	MaxPending int
	Metrics    *pipeline.Metrics
	Logger     *zap.Logger
}

// NewTable makes the table; Run reads it.
func NewTable(cfg TableConfig) (*Table, error) {
	if cfg.Topic == "" {
		return nil, fmt.Errorf("lane table: no topic")
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 30 * time.Second
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 100_000
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	models, err := codec.NewLaneModels()
	if err != nil {
		return nil, err
	}
	return &Table{cfg: cfg, models: models, started: time.Now()}, nil
}

// Drain calls fn with each lane model read since the last call, in the
// order read (a later one of a lane replaces an earlier one).
func (t *Table) Drain(fn func(*codec.LaneModel)) {
	t.mu.Lock()
	batch := t.pending
	t.pending = nil
	t.mu.Unlock()
	for i := range batch {
		fn(&batch[i])
	}
}

// Loading says why the table is not loaded yet ("" once it is, or once
// LoadTimeout has passed), for /readyz.
func (t *Table) Loading() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded || time.Since(t.started) >= t.cfg.LoadTimeout {
		return ""
	}
	why := fmt.Sprintf("loading %s (%d records so far, for at most %s)", t.cfg.Topic, t.read, t.cfg.LoadTimeout)
	if t.err != nil {
		why += ": " + t.err.Error()
	}
	return why
}

// Read is how many lane models the table has read.
func (t *Table) Read() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.read
}

// Loaded reports whether the whole topic as of the start has been read.
func (t *Table) Loaded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loaded
}

// Run reads the topic until ctx ends. Under read_committed with control
// records kept, "the last offset read is the last stable offset minus 1"
// is a reliable end of the first read (see detectstage.KafkaRestorer).
func (t *Table) Run(ctx context.Context) error {
	t.mu.Lock()
	t.started = time.Now()
	t.mu.Unlock()
	cl, err := kgo.NewClient(append(slices.Clone(t.cfg.Opts),
		kgo.ConsumeTopics(t.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(250*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("lane table %s: %w", t.cfg.Topic, err)
	}
	defer cl.Close()
	ends := t.endOffsets(ctx, cl)
	go t.warnSlow(ctx)
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			if ctx.Err() == nil {
				t.cfg.Logger.Warn("lane table fetch error", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
			}
		})
		var got []codec.LaneModel
		fs.EachRecord(func(r *kgo.Record) {
			if e, ok := ends[r.Partition]; ok && r.Offset+1 >= e {
				delete(ends, r.Partition)
			}
			if r.Attrs.IsControl() || r.Value == nil {
				return
			}
			var lm codec.LaneModel
			if err := t.models.Decode(r.Value, &lm); err != nil {
				t.cfg.Logger.Warn("lane table: a record is unreadable; it is left out", zap.String("topic", r.Topic),
					zap.Int32("partition", r.Partition), zap.Int64("offset", r.Offset), zap.Error(err))
				if m := t.cfg.Metrics; m != nil {
					m.LaneUnreadable.WithLabelValues("table").Inc()
				}
				return
			}
			got = append(got, lm)
		})
		if m := t.cfg.Metrics; m != nil {
			m.LaneTableRecords.Add(float64(len(got)))
		}
		t.put(ctx, got, len(ends) == 0)
	}
	return nil
}

// put queues what was read, waiting (bounded by ctx) while the detect stage
// has not drained MaxPending.
func (t *Table) put(ctx context.Context, got []codec.LaneModel, caughtUp bool) {
	for {
		t.mu.Lock()
		if len(t.pending) < t.cfg.MaxPending || ctx.Err() != nil {
			t.pending = append(t.pending, got...)
			t.read += len(got)
			if caughtUp && !t.loaded {
				t.loaded = true
				t.cfg.Logger.Info("lane table loaded", zap.String("topic", t.cfg.Topic), zap.Int("records", t.read),
					zap.Duration("took", time.Since(t.started)))
			}
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// endOffsets are the partitions' last stable offsets at the start, those
// with records only; it retries for a bounded time while a topic created
// moments ago has no leaders yet, and else says the table is loaded from
// what it reads.
func (t *Table) endOffsets(ctx context.Context, cl *kgo.Client) map[int32]int64 {
	adm := kadm.NewClient(cl)
	for attempt := 0; attempt < 60 && ctx.Err() == nil; attempt++ {
		ends, err := adm.ListCommittedOffsets(ctx, t.cfg.Topic)
		var starts kadm.ListedOffsets
		if err == nil {
			starts, err = adm.ListStartOffsets(ctx, t.cfg.Topic)
		}
		if err == nil && ends.Error() == nil && starts.Error() == nil {
			out := map[int32]int64{}
			ends.Each(func(o kadm.ListedOffset) {
				if s, ok := starts.Lookup(o.Topic, o.Partition); !ok || o.Offset > s.Offset {
					out[o.Partition] = o.Offset
				}
			})
			if len(out) == 0 {
				t.put(ctx, nil, true)
			}
			return out
		}
		t.mu.Lock()
		t.err = fmt.Errorf("list offsets of %s: %v", t.cfg.Topic, firstErr(err, ends.Error(), starts.Error()))
		t.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.cfg.Logger.Warn("lane table: the topic's end offsets are unknown; deciding with the lanes read as they come",
		zap.String("topic", t.cfg.Topic))
	t.put(ctx, nil, true)
	return map[int32]int64{}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// warnSlow logs once when the first read takes longer than LoadTimeout.
func (t *Table) warnSlow(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(t.cfg.LoadTimeout):
		if !t.Loaded() {
			t.cfg.Logger.Warn("lane table still loading past its bound; detect decides with the lanes read so far and the flat rules for the others",
				zap.String("topic", t.cfg.Topic), zap.Duration("bound", t.cfg.LoadTimeout))
		}
	}
}
