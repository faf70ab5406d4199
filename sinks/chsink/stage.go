package chsink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap"
)

// StageConfig configures the sink stage.
type StageConfig struct {
	// ClickHouse is where rows go, and how they are batched.
	ClickHouse Options
	// Brokers are the Kafka seed brokers.
	Brokers []string
	// Group is the consumer group (default names.Group(names.GroupPrefix, "sink")).
	Group string
	// Topics; defaults are the contract's names.
	EventsTopic        string // shipments.events.v1
	NotificationsTopic string // shipments.notifications.v1
	DeadLetterTopic    string // shipments.deadletter.v1
	// OrdersTopic is the order context (orders.context.v1) for
	// order_shipments; "" does not read it.
	OrdersTopic string
	// ClientOpts are extra franz-go options: TLS, SASL, client id.
	ClientOpts []kgo.Opt
	Logger     *zap.Logger
	// Registerer receives the Prometheus series (nil: not registered).
	Registerer prometheus.Registerer
	// MinBackoff and MaxBackoff bound the wait between retries of a failed
	// batch, doubling from one to the other (defaults 200 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// InsertTimeout bounds one insert (default 60 s).
	InsertTimeout time.Duration
	// DrainTimeout bounds the last flush when Run is cancelled (default 30 s).
	DrainTimeout time.Duration
	// Conn, when set, is used instead of connecting with ClickHouse's
	// options (tests; custom dialing). The stage does not close it.
	Conn Conn
	// Limits size the dead letters, the producer and the decompression
	// bound, as for the other stages.
	Limits pipeline.Limits
}

// Stage consumes the events and notifications topics and inserts them into
// ClickHouse.
//
// Delivery: at least once, idempotently stored. Offsets are committed only
// after the batch holding their records was inserted (and its undecodable
// records dead-lettered), so a crash or a lost ClickHouse loses nothing; a
// crash between insert and commit inserts the batch again, which the schema
// absorbs (ReplacingMergeTree keyed by id, idempotent aggregate states).
//
// Back-pressure: while an insert fails the stage retries the same batch with
// capped exponential backoff and polls nothing more, so memory stays bounded
// by one batch (and one fetch buffered by the client); Kafka keeps the rest.
// Rebalances wait until the batch in hand is committed (franz-go's
// BlockRebalanceOnPoll), so offsets are never committed for partitions the
// instance no longer owns; if an outage outlasts the group's rebalance timeout
// the instance loses its partitions, and the records are read again by
// their next owner.
type Stage struct {
	cfg     StageConfig
	log     *zap.Logger
	cl      *kgo.Client
	conn    Conn
	ownConn bool
	w       *Writer
	m       *Metrics
	evDec   *codec.Events
	cmdDec  *codec.Commands

	dead  []deadLetter    // dead letters of the batch in hand
	skips []pipeline.Skip // batches too large to decompress, dead-lettered in dead
	tally map[string]*[2]int

	joined   atomic.Bool
	healthy  atomic.Bool
	lastPing time.Time
}

// NewStage builds the stage; Run starts it. Nothing is contacted yet.
func NewStage(cfg StageConfig) (*Stage, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("clickhouse sink: no Kafka brokers")
	}
	if cfg.Group == "" {
		cfg.Group = names.Group(names.GroupPrefix, "sink")
	}
	if cfg.EventsTopic == "" {
		cfg.EventsTopic = names.EventsTopic
	}
	if cfg.NotificationsTopic == "" {
		cfg.NotificationsTopic = names.NotificationsTopic
	}
	if cfg.DeadLetterTopic == "" {
		cfg.DeadLetterTopic = names.DeadLetterTopic
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.InsertTimeout <= 0 {
		cfg.InsertTimeout = 60 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	cfg.ClickHouse = cfg.ClickHouse.withDefaults()
	if err := cfg.ClickHouse.check(); err != nil {
		return nil, err
	}
	s := &Stage{cfg: cfg, log: cfg.Logger.With(zap.String("stage", "sink")), m: NewMetrics(cfg.Registerer), tally: map[string]*[2]int{}}
	var err error
	if s.evDec, err = codec.NewEvents(); err != nil {
		return nil, err
	}
	if s.cmdDec, err = codec.NewCommands(); err != nil {
		return nil, err
	}
	s.conn = cfg.Conn
	if s.conn == nil {
		if s.conn, err = Open(cfg.ClickHouse); err != nil {
			return nil, err
		}
		s.ownConn = true
	}
	s.w = NewWriter(s.conn, cfg.ClickHouse)
	s.w.metrics = s.m
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(slices.DeleteFunc([]string{cfg.EventsTopic, cfg.NotificationsTopic, cfg.OrdersTopic}, func(t string) bool { return t == "" })...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// Only what upstream stages committed: they write transactionally.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(250 * time.Millisecond),
		// The client buffers at most one fetch per broker until it is
		// polled; this bounds that fetch.
		kgo.FetchMaxBytes(16 << 20),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.joined.Store(true)
			s.log.Info("partitions assigned", zap.Any("partitions", m))
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.log.Info("partitions revoked", zap.Any("partitions", m))
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			s.log.Warn("partitions lost", zap.Any("partitions", m))
		}),
	}
	// The limits first, so that ClientOpts may override them.
	opts = append(append(cfg.Limits.ClientOpts(), opts...), cfg.ClientOpts...)
	if s.cl, err = kgo.NewClient(opts...); err != nil {
		if s.ownConn {
			_ = s.conn.Close()
		}
		return nil, fmt.Errorf("clickhouse sink: %w", err)
	}
	return s, nil
}

// Name is the stage's name.
func (s *Stage) Name() string { return "sink" }

// Ready reports whether the stage has joined its consumer group and
// ClickHouse answered the last insert or ping.
func (s *Stage) Ready() bool {
	if !s.healthy.Load() {
		return false
	}
	if s.joined.Load() {
		return true
	}
	member, gen := s.cl.GroupMetadata()
	return member != "" && gen >= 0
}

// Metrics returns the stage's series.
func (s *Stage) Metrics() *Metrics { return s.m }

// Client is the Kafka client, for lag checks.
func (s *Stage) Client() *kgo.Client { return s.cl }

// Run consumes until ctx is cancelled, then flushes and commits the batch in
// hand (for at most DrainTimeout), leaves the group and returns nil. A batch
// that cannot be stored by then is left uncommitted, to be read again.
func (s *Stage) Run(ctx context.Context) error {
	defer s.close()
	s.ping(ctx)
	for {
		if ctx.Err() != nil {
			s.drain()
			return nil
		}
		// Wait for records no longer than the oldest buffered row may
		// wait, and wake up now and then when idle to check ClickHouse.
		wait := s.cfg.ClickHouse.BatchAge
		if s.w.Len() > 0 {
			wait = time.Until(s.w.Oldest().Add(s.cfg.ClickHouse.BatchAge))
		}
		room := s.cfg.ClickHouse.BatchRows - s.w.Len() - len(s.dead)
		if wait > 0 && room > 0 {
			pollCtx, cancel := context.WithTimeout(ctx, wait)
			fetches := s.cl.PollRecords(pollCtx, room)
			cancel()
			if fetches.IsClientClosed() {
				return nil
			}
			fetches.EachError(func(topic string, p int32, err error) {
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					s.log.Warn("fetch error", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
				}
			})
			for _, sk := range pipeline.TooLargeBatches(fetches, s.cfg.Limits, s.log) {
				s.skipped(sk)
			}
			fetches.EachRecord(s.add)
			s.m.Buffered.Set(float64(s.w.Len()))
		}
		pending := s.w.Len() + len(s.dead)
		switch {
		case pending == 0:
			s.cl.AllowRebalance()
			if !s.healthy.Load() && time.Since(s.lastPing) >= time.Second {
				s.ping(ctx)
			}
		case pending >= s.cfg.ClickHouse.BatchRows || s.w.Due(time.Now()) || len(s.dead) > 0 && s.w.Len() == 0:
			if !s.store(ctx) {
				s.drain() // cancelled while retrying: one last bounded try
				return nil
			}
		}
	}
}

// add decodes one record into the batch, or keeps it as a dead letter.
func (s *Stage) add(rec *kgo.Record) {
	switch rec.Topic {
	case s.cfg.EventsTopic:
		var ev event.Event
		if err := s.evDec.Decode(rec.Value, &ev); err != nil {
			s.deadLetter(rec, "decode", err)
			return
		}
		if ev.ID.IsZero() || ev.Carrier == "" || ev.TrackingNumber == "" {
			s.deadLetter(rec, "validate", errors.New("event without event_id, carrier or tracking number"))
			return
		}
		s.w.AddEvent(&ev)
	case s.cfg.NotificationsTopic:
		var c detect.Command
		if err := s.cmdDec.Decode(rec.Value, &c); err != nil {
			s.deadLetter(rec, "decode", err)
			return
		}
		if c.CommandID == "" || c.ShipmentID == "" {
			s.deadLetter(rec, "validate", errors.New("command without command_id or shipment_id"))
			return
		}
		s.w.AddCommand(&c)
	case s.cfg.OrdersTopic:
		// The same decoder and checks as the detect stage's join, so a
		// record one stage refuses the other refuses too.
		c, err := codec.DecodeOrderRecord(rec.Key, rec.Value)
		if err != nil {
			s.deadLetter(rec, codec.OrderErrorKind(err), err)
			return
		}
		if c == nil {
			break // a tombstone: the mapping already stored stays (see migration 0012)
		}
		if c.OrderID == "" {
			break // a shipment without an order: detect uses its segment; no order lists it
		}
		s.w.AddOrder(c)
	default:
		s.deadLetter(rec, "unsupported_topic", fmt.Errorf("the sink does not read topic %s", rec.Topic))
		return
	}
	s.count(rec.Topic, 0)
}

func (s *Stage) count(topic string, outcome int) {
	t := s.tally[topic]
	if t == nil {
		t = new([2]int)
		s.tally[topic] = t
	}
	t[outcome]++
}

// deadLetter is a dead letter of the batch in hand; level counts the times
// the topic refused it (each keeps less of the value).
type deadLetter struct {
	d     pipeline.DeadLetter
	level int
}

// deadLetter keeps the record, unchanged, for the dead-letter topic, with the
// contract's headers.
func (s *Stage) deadLetter(rec *kgo.Record, kind string, err error) {
	carrier, _, _ := strings.Cut(string(rec.Key), ":")
	s.dead = append(s.dead, deadLetter{d: pipeline.FromRecord(rec, kind, err.Error(), carrier)})
	s.count(rec.Topic, 1)
	s.log.Warn("record dead-lettered", zap.String("topic", rec.Topic), zap.Int32("partition", rec.Partition),
		zap.Int64("offset", rec.Offset), zap.String("error_kind", kind), zap.Error(err))
}

// skipped dead-letters a batch too large to decompress; commit moves past it.
func (s *Stage) skipped(sk pipeline.Skip) {
	for _, have := range s.skips {
		if have.Topic == sk.Topic && have.Partition == sk.Partition && have.Offset == sk.Offset {
			return
		}
	}
	s.skips = append(s.skips, sk)
	s.dead = append(s.dead, deadLetter{d: sk.DeadLetter("", s.cfg.Limits)})
	s.count(sk.Topic, 1)
}

// store inserts the batch in hand and produces its dead letters, retrying
// with backoff until both succeed, then commits the offsets. It returns false
// when ctx is cancelled before the batch could be stored.
func (s *Stage) store(ctx context.Context) bool {
	backoff := s.cfg.MinBackoff
	for {
		err := s.storeOnce()
		if err == nil {
			break
		}
		s.healthy.Store(false)
		s.m.Up.Set(0)
		s.m.Backoff.Set(backoff.Seconds())
		s.log.Warn("storing the batch failed; retrying the same batch", zap.Error(err),
			zap.Int("rows", s.w.Len()), zap.Int("dead_letters", len(s.dead)), zap.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.cfg.MaxBackoff)
	}
	s.commit()
	return true
}

// storeOnce inserts what is buffered, then produces the dead letters.
func (s *Stage) storeOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.InsertTimeout)
	defer cancel()
	if s.w.Len() > 0 {
		if err := s.w.Flush(ctx); err != nil {
			return err
		}
		s.healthy.Store(true)
		s.m.Up.Set(1)
		s.m.Backoff.Set(0)
		s.m.Buffered.Set(0)
	}
	if len(s.dead) > 0 {
		caps := s.cfg.Limits.DeadLetterCaps()
		recs := make([]*kgo.Record, len(s.dead))
		for i := range s.dead {
			recs[i] = s.dead[i].d.Record(s.cfg.DeadLetterTopic, caps[min(s.dead[i].level, len(caps)-1)])
		}
		// ProduceSync waits for every record's result.
		res := s.cl.ProduceSync(ctx, recs...)
		if err := res.FirstErr(); err != nil {
			s.m.DeadLetterErrs.Inc()
			for _, r := range res {
				if errors.Is(r.Err, kerr.MessageTooLarge) || errors.Is(r.Err, kerr.RecordListTooLarge) {
					// The topic takes less than the limits say: the
					// next try keeps less of the value.
					s.dead[slices.Index(recs, r.Record)].level++
				}
			}
			return fmt.Errorf("clickhouse sink: dead letters to %s: %w", s.cfg.DeadLetterTopic, err)
		}
		clear(s.dead)
		s.dead = s.dead[:0]
	}
	return nil
}

// commit commits every offset polled so far: all of them belong to the batch
// just stored. A failed commit loses nothing (the rows are stored; the
// records will be read again and absorbed by the schema).
func (s *Stage) commit() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.cl.CommitUncommittedOffsets(ctx)
	if err == nil && len(s.skips) > 0 {
		// franz-go commits only offsets of records it returned: the
		// skipped batches' are committed, then consumed past, here.
		var res *kmsg.OffsetCommitResponse
		s.cl.CommitOffsetsSync(ctx, pipeline.CommitOffsets(s.skips), func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, r *kmsg.OffsetCommitResponse, e error) {
			res, err = r, e
		})
		if err == nil {
			err = commitErr(res)
		}
		if err == nil {
			pipeline.ResumePast(s.cl, s.skips, s.log)
		}
	}
	s.skips = s.skips[:0]
	if err != nil {
		s.m.CommitErrors.Inc()
		s.log.Warn("offset commit failed; the batch is stored and will be read again", zap.Error(err))
	} else {
		s.m.Commits.Inc()
		for topic, t := range s.tally {
			s.m.Records.WithLabelValues(topic, "inserted").Add(float64(t[0]))
			s.m.Records.WithLabelValues(topic, "dead_lettered").Add(float64(t[1]))
		}
	}
	clear(s.tally)
	s.cl.AllowRebalance()
}

// commitErr is the first partition error of an offset commit.
func commitErr(r *kmsg.OffsetCommitResponse) error {
	if r == nil {
		return nil
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("topic %s partition %d: %w", t.Topic, p.Partition, err)
			}
		}
	}
	return nil
}

// drain stores the batch in hand on shutdown, for at most DrainTimeout.
func (s *Stage) drain() {
	if s.w.Len() == 0 && len(s.dead) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if !s.store(ctx) {
		s.log.Warn("shutting down with an unstored batch; its records were not committed and will be read again",
			zap.Int("rows", s.w.Len()), zap.Int("dead_letters", len(s.dead)))
	}
}

func (s *Stage) ping(ctx context.Context) {
	s.lastPing = time.Now()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.conn.Ping(pctx); err != nil {
		s.healthy.Store(false)
		s.m.Up.Set(0)
		s.log.Warn("ClickHouse does not answer", zap.Error(err))
		return
	}
	s.healthy.Store(true)
	s.m.Up.Set(1)
}

func (s *Stage) close() {
	s.cl.CloseAllowingRebalance()
	if s.ownConn {
		_ = s.conn.Close()
	}
}
