package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
	// OnBatchEnd, when set, is told whether each batch committed; stateful
	// stages roll their state back on an abort.
	OnBatchEnd func(committed bool)
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
}

// NewStage connects a stage; Run starts it.
func NewStage(cfg StageConfig, proc Processor) (*Stage, error) {
	if cfg.Group == "" || cfg.TransactionalID == "" || len(cfg.Inputs) == 0 || cfg.DeadLetterTopic == "" {
		return nil, errors.New("pipeline: a stage needs a group, a transactional id, inputs and a dead-letter topic")
	}
	if cfg.MaxPollRecords <= 0 {
		cfg.MaxPollRecords = 5000
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	s := &Stage{cfg: cfg, proc: proc, stats: newStats(), log: cfg.Logger.With(zap.String("stage", cfg.Name))}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Inputs...),
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(60 * time.Second),
		// Only committed input counts: upstream stages write transactionally too.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// KIP-447: wait for our own pending offset commits after a rebalance,
		// so a partition moved mid-transaction is not read twice.
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Bound what sits in memory when the stage falls behind.
		kgo.FetchMaxBytes(32 << 20),
		kgo.MaxBufferedRecords(100_000),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(int32(count(m)))
			s.log.Info("partitions assigned", zap.Any("partitions", m))
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(-int32(count(m)))
			s.log.Info("partitions revoked", zap.Any("partitions", m))
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.assigned.Add(-int32(count(m)))
			s.log.Warn("partitions lost", zap.Any("partitions", m))
		}),
	}
	opts = append(opts, cfg.ClientOpts...)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", cfg.Name, err)
	}
	s.sess = sess
	return s, nil
}

func count(m map[string][]int32) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

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
	var out Output
	out.deadLetterTopic = s.cfg.DeadLetterTopic
	for {
		fetches := s.sess.PollRecords(ctx, s.cfg.MaxPollRecords)
		if fetches.IsClientClosed() || ctx.Err() != nil && fetches.NumRecords() == 0 {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("fetch error", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
			}
		})
		if fetches.NumRecords() == 0 {
			continue
		}
		if err := s.batch(fetches, &out); err != nil {
			return err
		}
	}
}

// batch runs one transaction. Its context is not the caller's: a batch in
// hand when shutdown starts is finished and committed, not abandoned.
func (s *Stage) batch(fetches kgo.Fetches, out *Output) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := s.sess.Begin(); err != nil {
		return fmt.Errorf("pipeline: %s: begin transaction: %w", s.cfg.Name, err)
	}
	var (
		produceErr error
		mu         sync.Mutex
	)
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if produceErr == nil {
				produceErr = err
			}
			mu.Unlock()
		}
	}
	fetches.EachRecord(func(rec *kgo.Record) {
		s.polled.Add(1)
		out.reset()
		s.proc.Process(rec, out)
		produced := int64(0)
		for _, r := range out.Records {
			if r.Topic != s.cfg.DeadLetterTopic {
				produced++
			}
			s.sess.Produce(ctx, r, promise)
		}
		var ok, dead int64 = 1, 0
		if out.Dead {
			ok, dead = 0, 1
		}
		s.stats.add(out.Carrier, 1, ok, dead, int64(out.Partial), produced)
	})
	mu.Lock()
	try := kgo.TryCommit
	if produceErr != nil {
		try = kgo.TryAbort
		s.log.Warn("produce failed; aborting the batch", zap.Error(produceErr))
	}
	mu.Unlock()
	committed, err := s.sess.End(ctx, try)
	s.stats.settle(committed)
	if s.cfg.OnBatchEnd != nil {
		s.cfg.OnBatchEnd(committed)
	}
	if err != nil {
		return fmt.Errorf("pipeline: %s: end transaction: %w", s.cfg.Name, err)
	}
	s.log.Debug("batch", zap.Int("records", fetches.NumRecords()), zap.Bool("committed", committed),
		zap.Duration("took", time.Since(start)))
	if !committed {
		s.log.Info("batch aborted (rebalance or produce failure); its records will be read again",
			zap.Int("records", fetches.NumRecords()))
	}
	return nil
}
