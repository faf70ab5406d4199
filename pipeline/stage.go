package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// StageConfig configures one stage instance.
type StageConfig struct {
	Name            string   // "normalize"; labels logs and metrics
	Brokers         []string // seed brokers
	Group           string   // consumer group shared by all instances of the stage
	TransactionalID string   // unique and stable per instance: a restarted instance fences its zombie
	Inputs          []string // topics to consume
	DeadLetterTopic string
	// MaxPollRecords bounds one transaction's batch, and with it memory.
	MaxPollRecords int
	// ClientOpts are extra franz-go options: TLS, SASL, client id.
	ClientOpts []kgo.Opt
	Logger     *zap.Logger
	// Metrics, when set, receives the stage's series.
	Metrics *Metrics
	// LagInterval is how often consumer lag is measured for the metrics;
	// 0 means 15 s.
	LagInterval time.Duration
	// TickInterval is how often a Ticker processor is asked whether time
	// brought work; 0 means 1 s.
	TickInterval time.Duration
	// Limits size the producer, the decompression bound and the dead
	// letters after normalize.max_payload_bytes.
	Limits Limits
	// StuckAfter bounds one batch: past it the stage is unhealthy (see
	// watchdog.go); 0 means DefaultStuckAfter.
	StuckAfter time.Duration
}

// Stage is a running consume-transform-produce loop.
type Stage struct {
	cfg      StageConfig
	proc     Processor
	sess     *kgo.GroupTransactSession
	stats    *Stats
	log      *zap.Logger
	assigned atomic.Int32
	polled   atomic.Int64
	joined   atomic.Bool
	// restoring counts assignments whose PartitionKeeper.Assigned has not
	// returned; failed is set when one failed (the instance is unhealthy).
	restoring atomic.Int32
	failed    atomic.Pointer[error]
	// revokedSinceEnd is set when partitions were revoked or lost after
	// the session's last End (see endSession).
	revokedSinceEnd atomic.Bool
	// poisoned are inputs whose outputs could not be produced (produce.go);
	// only the stage's goroutine touches it.
	poisoned map[srcKey]poisoned
	// skips are batches too large to decompress, waiting to be
	// dead-lettered and skipped (skip.go).
	skipMu sync.Mutex
	skips  map[topicPartition]skip
	// dog watches the batch in hand (watchdog.go).
	dog *watchdog
}

// NewStage connects a stage; Run starts it.
func NewStage(cfg StageConfig, proc Processor) (*Stage, error) {
	if cfg.Group == "" || cfg.TransactionalID == "" || len(cfg.Inputs) == 0 || cfg.DeadLetterTopic == "" {
		return nil, errors.New("pipeline: a stage needs a group, a transactional id, inputs and a dead-letter topic")
	}
	if cfg.MaxPollRecords <= 0 {
		cfg.MaxPollRecords = DefaultMaxPollRecords
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Second
	}
	s := &Stage{cfg: cfg, proc: proc, stats: newStats(), log: cfg.Logger.With(zap.String("stage", cfg.Name)),
		poisoned: map[srcKey]poisoned{}, skips: map[topicPartition]skip{}}
	s.dog = newWatchdog(cfg.StuckAfter, s.log)
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Inputs...),
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(60 * time.Second),
		// Only committed input counts: upstream stages write transactionally
		// too. (franz-go always asks for stable offsets, KIP-447, so a
		// partition moved mid-transaction is not read twice.)
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// A fetch parked on an idle partition returns within this; the
		// default (5 s) shows up as latency when traffic starts again.
		kgo.FetchMaxWait(250 * time.Millisecond),
		// Bound what sits in memory when the stage falls behind.
		kgo.FetchMaxBytes(32 << 20),
		kgo.MaxBufferedRecords(100_000),
		kgo.OnPartitionsAssigned(func(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(int32(count(m)))
			s.log.Info("partitions assigned", zap.Any("partitions", m))
			if pk, ok := proc.(PartitionKeeper); ok && count(m) > 0 {
				s.restoring.Add(1)
				defer s.restoring.Add(-1)
				for topic, ps := range m {
					start := time.Now()
					if err := pk.Assigned(ctx, topic, ps); err != nil {
						// Without its state the stage would decide wrongly;
						// it stops, and its partitions go to another
						// instance (or to this one, restarted).
						s.log.Error("restoring partition state failed", zap.String("topic", topic), zap.Error(err))
						err = fmt.Errorf("pipeline: %s: restore %s %v: %w", cfg.Name, topic, ps, err)
						s.failed.Store(&err)
						return
					}
					s.log.Info("partition state restored", zap.String("topic", topic), zap.Int32s("partitions", ps),
						zap.Duration("took", time.Since(start)))
				}
			}
			s.joined.Store(true)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(-int32(count(m)))
			s.log.Info("partitions revoked", zap.Any("partitions", m))
			s.dropSkips(m)
			s.revoke(m)
			s.revokedSinceEnd.Store(true)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(-int32(count(m)))
			s.log.Warn("partitions lost", zap.Any("partitions", m))
			s.dropSkips(m)
			s.revoke(m)
			s.revokedSinceEnd.Store(true)
		}),
	}
	// The limits first, so that ClientOpts may override them.
	opts = append(append(cfg.Limits.ClientOpts(), opts...), cfg.ClientOpts...)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", cfg.Name, err)
	}
	s.sess = sess
	return s, nil
}

func (s *Stage) revoke(m map[string][]int32) {
	if pk, ok := s.proc.(PartitionKeeper); ok {
		for topic, ps := range m {
			pk.Revoked(topic, ps)
		}
	}
}

func count(m map[string][]int32) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

// Ready reports whether the instance has joined its group and received an
// assignment (possibly empty, when there are more instances than
// partitions).
func (s *Stage) Ready() bool {
	if s.restoring.Load() > 0 || s.failed.Load() != nil {
		return false
	}
	if s.joined.Load() {
		return true
	}
	if _, keeps := s.proc.(PartitionKeeper); keeps {
		return false // ready only once its state is restored
	}
	member, gen := s.sess.Client().GroupMetadata()
	return member != "" && gen >= 0
}

// Name is the stage's name.
func (s *Stage) Name() string { return s.cfg.Name }

// Stats returns the stage's committed record accounting.
func (s *Stage) Stats() *Stats { return s.stats }

// Assigned reports how many partitions the instance owns now.
func (s *Stage) Assigned() int { return int(s.assigned.Load()) }

// Polled is the number of input records read so far, committed or not.
func (s *Stage) Polled() int64 { return s.polled.Load() }

// Client is the underlying client, for lag checks and admin calls.
func (s *Stage) Client() *kgo.Client { return s.sess.Client() }

// Run processes until ctx is cancelled, then finishes the batch in hand,
// commits it, leaves the group and returns nil. Cancelling ctx is how
// SIGTERM drains a stage. It returns an error only when the transactional
// producer has failed for good (fenced by a newer instance with the same
// transactional id, or out of retries).
func (s *Stage) Run(ctx context.Context) error {
	defer s.sess.Close()
	stopDog := make(chan struct{})
	defer close(stopDog)
	go s.dog.watch(stopDog)
	if s.cfg.Metrics != nil {
		lagCtx, stopLag := context.WithCancel(ctx)
		defer stopLag()
		go s.measureLag(lagCtx)
	}
	var out Output
	out.deadLetterTopic = s.cfg.DeadLetterTopic
	out.maxValue = s.cfg.Limits.Payload()
	ticker, _ := s.proc.(Ticker)
	_, keeper := s.proc.(PartitionKeeper)
	for {
		if errp := s.failed.Load(); errp != nil {
			return *errp
		}
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if ticker != nil || keeper || s.hasSkips() {
			// Wake up at least every TickInterval: deadlines are due
			// whether or not records come, and a revocation must be
			// settled while idle (endSession).
			pollCtx, cancel = context.WithTimeout(ctx, s.cfg.TickInterval)
		}
		fetches := s.sess.PollRecords(pollCtx, s.cfg.MaxPollRecords)
		cancel()
		if fetches.IsClientClosed() || ctx.Err() != nil && fetches.NumRecords() == 0 {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				s.log.Warn("fetch error", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
			}
		})
		s.noteSkips(fetches)
		tick := ticker != nil && ticker.Due(time.Now())
		if fetches.NumRecords() == 0 && !tick && !s.hasSkips() {
			if keeper && s.revokedSinceEnd.Load() {
				if err := s.endSession(); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.batch(fetches, &out, tick); err != nil {
			return err
		}
	}
}

// batch runs one transaction. Its context is not the caller's: a batch in
// hand when shutdown starts is finished and committed, not abandoned.
//
// It commits only when every record it produced was written: it flushes,
// waits for every promise, and aborts on any failure (the batch is then
// read again). An input whose outputs failed for good (too large for the
// topic) is remembered and becomes a dead letter the next time it is read,
// with less of its value at each further failure, so a record that cannot
// be written never holds its partition.
func (s *Stage) batch(fetches kgo.Fetches, out *Output, tick bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), BatchTimeout)
	defer cancel()
	s.dog.begin()
	defer s.dog.end()
	start := time.Now()
	if err := s.sess.Begin(); err != nil {
		return fmt.Errorf("pipeline: %s: begin transaction: %w", s.cfg.Name, err)
	}
	w := newTxnWatch()
	// produceAll sends what a hook (tick, flush) put in out; those records
	// belong to no input record, so they are not in the accounting.
	produceAll := func() {
		for _, r := range out.Records {
			w.produce(ctx, s.sess, r, -1)
		}
	}
	if tick {
		// What time alone brings (deadlines) goes first: it was due
		// before the records polled now were read.
		out.reset()
		s.proc.(Ticker).Tick(time.Now(), out)
		produceAll()
	}
	skips := s.pendingSkips()
	for _, sk := range skips {
		out.reset()
		s.deadLetterSkipped(sk, out)
		// No record of it will come again to be dead-lettered another
		// way: if even this placeholder is refused, the stage stops.
		for _, r := range out.Records {
			w.produce(ctx, s.sess, r, -1)
		}
		s.stats.record(out, 0)
	}
	fetches.EachRecord(func(rec *kgo.Record) {
		s.dog.record(rec)
		s.polled.Add(1)
		out.reset()
		key := srcKey{rec.Topic, rec.Partition, rec.Offset}
		p, poisoned := s.poisoned[key]
		if poisoned {
			// Alone in its batches: what came before goes out first.
			_ = s.sess.Client().Flush(ctx)
		}
		if poisoned && p.level >= 0 {
			s.deadLetterPoisoned(rec, p, out)
		} else {
			s.proc.Process(rec, out)
		}
		w.inputs = append(w.inputs, key)
		produced := int64(0)
		for _, r := range out.Records {
			if r.Topic != s.cfg.DeadLetterTopic {
				produced++
			}
			w.produce(ctx, s.sess, r, len(w.inputs)-1)
		}
		s.stats.record(out, produced)
		if poisoned {
			_ = s.sess.Client().Flush(ctx)
		}
	})
	if f, ok := s.proc.(Flusher); ok {
		s.dog.enter(phaseFlush)
		out.reset()
		f.Flush(out)
		produceAll()
	}
	try := kgo.TryCommit
	var fatal error // the batch aborts, then the stage stops
	err := s.sess.Client().Flush(ctx)
	if err == nil {
		err = w.wait(ctx)
	}
	if err != nil {
		try = kgo.TryAbort
		s.log.Warn("flushing the batch did not finish; aborting it", zap.Error(err))
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
	} else if fs := w.failures(); len(fs) > 0 {
		try = kgo.TryAbort
		s.log.Warn("produce failed; aborting the batch", zap.Int("failed", len(fs)), zap.Error(fs[0].err))
		fatal = s.poison(fs)
	}
	s.revokedSinceEnd.Store(false) // this End settles any revocation so far
	endCtx := ctx
	var before map[string]map[int32]kgo.EpochOffset
	if len(skips) > 0 {
		before = s.sess.Client().UncommittedOffsets()
		endCtx = kgo.PreTxnCommitFnContext(ctx, commitPast(skips))
	}
	s.dog.enter(phaseEnd)
	committed, err := s.sess.End(endCtx, try)
	s.stats.settle(committed, s.cfg.Name, s.cfg.Metrics)
	s.settleSkips(skips, committed, before)
	if committed {
		for _, k := range w.inputs {
			delete(s.poisoned, k)
		}
	}
	if be, ok := s.proc.(BatchEnder); ok {
		be.EndBatch(committed)
	}
	if m := s.cfg.Metrics; m != nil {
		outcome := "committed"
		if !committed {
			outcome = "aborted"
		}
		m.TxnSeconds.WithLabelValues(s.cfg.Name, outcome).Observe(time.Since(start).Seconds())
	}
	if err != nil {
		return fmt.Errorf("pipeline: %s: end transaction: %w", s.cfg.Name, err)
	}
	if fatal != nil {
		return fatal
	}
	s.log.Debug("batch", zap.Int("records", fetches.NumRecords()), zap.Bool("committed", committed),
		zap.Duration("took", time.Since(start)))
	if !committed {
		s.log.Info("batch aborted (rebalance or produce failure); its records will be read again",
			zap.Int("records", fetches.NumRecords()))
	}
	return nil
}

// endSession runs an empty transaction to settle a revocation while the
// stage is idle. franz-go's GroupTransactSession remembers a revocation
// until the next End (so that the transaction in hand aborts), and until
// then it does not call OnPartitionsRevoked again (v1.22): a stage with no
// records to process would miss the next revocation and keep state, and
// fire deadlines, for partitions another instance owns.
func (s *Stage) endSession() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.sess.Begin(); err != nil {
		return fmt.Errorf("pipeline: %s: begin transaction: %w", s.cfg.Name, err)
	}
	s.revokedSinceEnd.Store(false)
	if _, err := s.sess.End(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("pipeline: %s: end transaction: %w", s.cfg.Name, err)
	}
	return nil
}

// measureLag publishes, every LagInterval, how far behind the end of each
// of its partitions this instance is.
func (s *Stage) measureLag(ctx context.Context) {
	every := s.cfg.LagInterval
	if every <= 0 {
		every = 15 * time.Second
	}
	adm := kadm.NewClient(s.sess.Client())
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.cfg.Metrics.Assigned.WithLabelValues(s.cfg.Name).Set(float64(s.assigned.Load()))
		member, _ := s.sess.Client().GroupMetadata()
		lags, err := adm.Lag(ctx, s.cfg.Group)
		if err != nil {
			continue
		}
		for _, g := range lags {
			for topic, ps := range g.Lag {
				for p, l := range ps {
					if l.Member == nil || l.Member.MemberID != member || l.Err != nil {
						continue
					}
					s.cfg.Metrics.Lag.WithLabelValues(s.cfg.Name, topic, strconv.Itoa(int(p))).Set(float64(l.Lag))
				}
			}
		}
	}
}
