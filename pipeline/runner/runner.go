// Package runner builds the stages a configuration asks for, creates their
// topics, serves metrics and health, and runs them until told to stop. It is
// `wismo run` without the command line, so tests can run instances in
// process.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/ingest"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/pipeline/normalize"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/serve/chlookup"
	"github.com/wismo/wismo/sinks/chsink"
	"go.uber.org/zap"
)

// Runner is one wismo instance.
type Runner struct {
	cfg     *config.Config
	log     *zap.Logger
	metrics *pipeline.Metrics
	stages  []*pipeline.Stage // the transactional stages
	all     []stage           // every stage, the sink included
	build   *Builder
	srv     *http.Server
	ln      net.Listener
	pprof   *http.Server // on http.pprof_addr, when http.pprof is on
	// pprofAddr is the address pprof bound.
	pprofAddr string
	// reach says, per stage name, whether its clients reach the brokers.
	reach map[string]*reach
}

// stage is what the runner needs of a stage: the transactional stages and
// the ClickHouse sink (which commits offsets after its inserts instead)
// both have it.
type stage interface {
	Name() string
	Ready() bool
	Run(ctx context.Context) error
}

// New connects to Kafka, creates missing topics and builds the stages.
func New(ctx context.Context, cfg *config.Config, log *zap.Logger) (*Runner, error) {
	r := &Runner{cfg: cfg, log: log, metrics: pipeline.NewMetrics(), reach: map[string]*reach{}}
	r.build = &Builder{cfg: cfg, log: log, metrics: r.metrics}
	kopts, err := cfg.KafkaOpts()
	if err != nil {
		return nil, err
	}
	kopts = append(kopts, kgo.WithLogger(kafkaLogger{log.Named("kafka")}))
	if err := CheckBrokers(ctx, kopts, cfg.Kafka); err != nil {
		return nil, err
	}
	if cfg.Topics.Create {
		if err := r.createTopics(ctx, kopts); err != nil {
			return nil, err
		}
	}
	if err := r.build.encoders(ctx); err != nil {
		return nil, err
	}
	for _, name := range cfg.Stages {
		r.reach[name] = &reach{}
		kopts := append(slices.Clone(kopts), kgo.WithHooks(r.reach[name]))
		switch name {
		case "normalize":
			st, err := r.build.Normalize(kopts)
			if err != nil {
				return nil, err
			}
			r.stages = append(r.stages, st)
			r.all = append(r.all, st)
		case "detect":
			st, proc, err := r.build.Detect(kopts)
			if err != nil {
				return nil, err
			}
			r.stages = append(r.stages, st)
			if t, ok := proc.LaneTable().(backgroundTable); ok {
				r.all = append(r.all, withTable{st, t})
			} else {
				r.all = append(r.all, st)
			}
		case "lane":
			st, _, err := r.build.Lane(kopts)
			if err != nil {
				return nil, err
			}
			r.stages = append(r.stages, st)
			r.all = append(r.all, st)
		case "sink":
			st, err := r.build.Sink(ctx, kopts)
			if err != nil {
				return nil, err
			}
			r.all = append(r.all, st)
		case "ingest":
			st, err := r.build.Ingest(kopts, r.reach[name].problem)
			if err != nil {
				return nil, err
			}
			r.all = append(r.all, st)
		case "serve":
			st, err := r.build.Serve(ctx)
			if err != nil {
				return nil, err
			}
			r.all = append(r.all, st)
		}
	}
	return r, nil
}

// Builder builds each stage as `wismo run` does, from a configuration, so
// other programs (`wismo demo`, wismo-bench) run exactly the stages an
// instance runs rather than wiring their own.
type Builder struct {
	cfg     *config.Config
	log     *zap.Logger
	metrics *pipeline.Metrics
	// The writers of the events and notifications topics, built once and
	// shared by every stage that writes them, so a topic has one framing.
	events   *codec.EventEncoder
	commands *codec.CommandEncoder
	// IdleAdvance and TickInterval tune the detect stage for a replay of
	// old records (the demo: see detectstage.Config.IdleAdvance and
	// pipeline.StageConfig.TickInterval); zero for `wismo run`.
	IdleAdvance  time.Duration
	TickInterval time.Duration
	// Wrap, when set, wraps the normalize processor (the benchmark's
	// latency probe).
	Wrap func(pipeline.Processor) pipeline.Processor
}

// NewBuilder builds the encoders the configured stages need; it contacts
// the schema registry when one is configured, and nothing else.
func NewBuilder(ctx context.Context, cfg *config.Config, log *zap.Logger, metrics *pipeline.Metrics) (*Builder, error) {
	b := &Builder{cfg: cfg, log: log, metrics: metrics}
	return b, b.encoders(ctx)
}

// encoders builds the writers the configured stages need: events for
// normalize and detect (its synthetic events), commands for detect. With
// schema_registry.url set, each registers its schema under its topic's
// subject first, and writes the Confluent wire format.
func (r *Builder) encoders(ctx context.Context) error {
	enc, err := codec.ParseEncoding(r.cfg.Encoding)
	if err != nil {
		return err
	}
	o := codec.Options{Encoding: enc}
	if sr := r.cfg.SchemaRegistry; sr.URL != "" {
		o.Registry = &codec.Registry{URL: sr.URL, Username: sr.Username, Password: sr.Password}
	}
	if slices.Contains(r.cfg.Stages, "normalize") || slices.Contains(r.cfg.Stages, "detect") {
		if r.events, err = codec.NewEventEncoder(ctx, r.cfg.Topics.Events, o); err != nil {
			return err
		}
	}
	if slices.Contains(r.cfg.Stages, "detect") {
		if r.commands, err = codec.NewCommandEncoder(ctx, r.cfg.Topics.Notifications, o); err != nil {
			return err
		}
	}
	return nil
}

// Sink builds the ClickHouse sink, after checking that ClickHouse
// answers and takes the credentials (a wrong password stops the instance
// here rather than in a silent retry loop), and after applying the schema
// when clickhouse.migrate says so (a fresh database then works at once).
func (r *Builder) Sink(ctx context.Context, kopts []kgo.Opt) (*chsink.Stage, error) {
	c := r.cfg.ClickHouse
	log := r.log.With(zap.String("stage", "sink"))
	o, err := chsink.OptionsFrom(c)
	if err != nil {
		return nil, err
	}
	o.Logger = log
	conn, err := chsink.Open(o)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Without a schema to apply, a ClickHouse that is down (not refusing)
	// is the sink's ordinary outage: it starts, unready, and retries.
	wait := c.ConnectTimeout
	if !c.Migrate {
		wait = min(wait, 5*time.Second)
	}
	err = chsink.WaitReachable(ctx, conn, o.Addrs, wait, func(err error) {
		log.Warn("waiting for ClickHouse", zap.Strings("addr", o.Addrs), zap.Error(err))
	})
	switch {
	case err != nil && !c.Migrate && errors.Is(err, chsink.ErrNoAnswer):
		log.Warn("starting the sink while ClickHouse does not answer; it retries and stays unready meanwhile", zap.Error(err))
	case err != nil:
		return nil, err
	}
	if c.Migrate {
		if _, err := chsink.Migrate(ctx, conn, o); err != nil {
			return nil, fmt.Errorf("clickhouse: migrate: %w", err)
		}
	}
	return chsink.NewStage(chsink.StageConfig{
		ClickHouse: o, Brokers: r.cfg.Kafka.Brokers, Group: r.group("sink"),
		EventsTopic: r.cfg.Topics.Events, NotificationsTopic: r.cfg.Topics.Notifications, DeadLetterTopic: r.cfg.Topics.DeadLetter,
		OrdersTopic: r.cfg.Topics.Orders, ClientOpts: kopts, Logger: log, Registerer: r.metrics.Registry,
		Limits: r.limits(),
	})
}

// Ingest builds the webhook gateway over the configured routes; reachable
// says why its client cannot reach the brokers ("" when it can).
func (r *Builder) Ingest(kopts []kgo.Opt, reachable func() string) (*ingest.Gateway, error) {
	in := r.cfg.Ingest
	var routes []ingest.Route
	for _, rt := range in.Routes {
		v, err := ingest.NewVerifier(rt.Scheme(), rt.Keys()...)
		if err != nil {
			return nil, fmt.Errorf("ingest.routes (source %q): %w", rt.Source, err)
		}
		routes = append(routes, ingest.Route{Source: rt.Source, Topic: rt.Topic, Verifier: v})
	}
	tc, err := in.TLS.Config()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(slices.Clone(kopts), ingest.ProducerOpts(in.AckTimeout, r.limits().RecordMax())...)...)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	grace := r.cfg.Pipeline.ShutdownGrace
	g, err := ingest.New(ingest.Config{
		Addr: in.Addr, Routes: routes, MaxBody: in.MaxBodyBytes, AckTimeout: in.AckTimeout,
		// Within the instance's grace, so that the drain ends before the
		// runner gives up on it.
		ShutdownGrace: max(grace-time.Second, grace/2),
		TLS:           tc, Producer: cl, Reachable: reachable,
		Registerer: r.metrics.Registry, Logger: r.log.With(zap.String("stage", "ingest")),
	})
	if err != nil {
		cl.Close()
	}
	return g, err
}

// Serve builds the tracking page and lookup API over the sink's ClickHouse
// tables (`wismo serve`, or the serve stage of `wismo run`). It waits for
// ClickHouse as the sink does, but never migrates: the sink owns the
// schema.
func (r *Builder) Serve(ctx context.Context) (*serve.Stage, error) {
	c := r.cfg.ClickHouse
	log := r.log.With(zap.String("stage", "serve"))
	o, err := chsink.OptionsFrom(c)
	if err != nil {
		return nil, err
	}
	ring, err := r.cfg.Links.Keyring()
	if err != nil {
		return nil, err
	}
	keys, err := serve.ParseAPIKeys(r.cfg.Serve.APIKeys, r.cfg.Serve.RevokedAPIKeys)
	if err != nil {
		return nil, err
	}
	if err := serveTables(ctx, o, c.ConnectTimeout, log); err != nil {
		return nil, err
	}
	conn, err := chsink.OpenDatabase(o)
	if err != nil {
		return nil, err
	}
	sc := r.cfg.Serve
	lk := chlookup.New(conn, chlookup.Options{Workers: sc.LookupWorkers, MaxBatch: sc.LookupBatch})
	srv, err := serve.New(serve.Config{Lookup: lk, Ring: ring, Policy: r.cfg.Links.Policy(), APIKeys: keys,
		TemplatesDir: sc.TemplatesDir, RatePerIP: sc.RatePerIP, RatePerToken: sc.RatePerToken, Burst: sc.Burst,
		RequestTimeout: sc.RequestTimeout, TrustProxy: sc.TrustProxy, Logger: log})
	if err != nil {
		lk.Close()
		return nil, err
	}
	return serve.NewStage(srv, sc.Addr, lk), nil
}

// serveTables waits for ClickHouse and checks that the sink's tables are
// there, so a database not migrated yet is said at start, not by every page.
func serveTables(ctx context.Context, o chsink.Options, wait time.Duration, log *zap.Logger) error {
	conn, err := chsink.Open(o)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := chsink.WaitReachable(ctx, conn, o.Addrs, wait, func(err error) {
		log.Warn("waiting for ClickHouse", zap.Strings("addr", o.Addrs), zap.Error(err))
	}); err != nil {
		return err
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'shipment_lookup_v3'", o.Database).Scan(&n); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("clickhouse.database: %s has no shipment_lookup_v3 table (migration 0013); run wismo migrate (or the sink with clickhouse.migrate: true) first", o.Database)
	}
	return nil
}

// Detect builds the detect stage; its processor answers what it tracks.
func (r *Builder) Detect(kopts []kgo.Opt) (*pipeline.Stage, *detectstage.Processor, error) {
	rl, err := r.rules()
	if err != nil {
		return nil, nil, err
	}
	lm, err := r.cfg.Links.Maker()
	if err != nil {
		return nil, nil, err
	}
	table, err := r.laneTable(rl, kopts)
	if err != nil {
		return nil, nil, err
	}
	dc := detectstage.Config{
		Links: lm, Events: r.events, Commands: r.commands, StateTopic: r.cfg.Topics.State, OrdersTopic: r.cfg.Topics.Orders, Rules: rl, EventClock: r.cfg.Detect.Clock == "event",
		IdleAdvance: r.IdleAdvance, Restorer: detectstage.KafkaRestorer{Opts: append(r.limits().ClientOpts(), kopts...)}, Metrics: r.metrics, Logger: r.log.With(zap.String("stage", "detect")),
		LaneModel: rl.Lanes.Model, ObservationsTopic: r.cfg.Topics.LaneObservations,
	}
	if table != nil {
		dc.Lanes, dc.LaneShadow = table, !r.cfg.Detect.LaneDecisions
	}
	proc, err := detectstage.New(dc)
	if err != nil {
		return nil, nil, err
	}
	st, err := pipeline.NewStage(r.stageConfig("detect", proc.Topics(), r.cfg.Detect.MaxPollRecords,
		append(append(slices.Clone(kopts), kgo.RecordPartitioner(proc.Partitioner())), proc.GroupOpts()...)), proc)
	return st, proc, err
}

// Normalize builds the normalize stage over the configured raw bindings.
func (r *Builder) Normalize(kopts []kgo.Opt) (*pipeline.Stage, error) {
	var bindings []normalize.Binding
	for _, b := range r.cfg.Raw {
		bindings = append(bindings, normalize.Binding{Topic: b.Topic, Carrier: b.Carrier, Format: normalizers.Format(b.Format)})
	}
	ncfg := normalize.Config{
		Bindings: bindings, Events: r.events,
		MaxPayload: r.cfg.Normalize.MaxPayloadBytes, Metrics: r.metrics, RememberScans: r.cfg.Normalize.RememberScans,
		CodeLabels: r.cfg.Normalize.UnmappedCodeLabels,
	}
	proc, err := normalize.New(ncfg)
	if err != nil {
		return nil, err
	}
	var p pipeline.Processor = proc
	if r.Wrap != nil {
		p = r.Wrap(proc)
	}
	return pipeline.NewStage(r.stageConfig("normalize", proc.Topics(), r.cfg.Normalize.MaxPollRecords, kopts), p)
}

// stageConfig is what every transactional stage of the instance shares.
func (r *Builder) stageConfig(name string, inputs []string, maxPollRecords int, kopts []kgo.Opt) pipeline.StageConfig {
	return pipeline.StageConfig{
		Name:    name,
		Brokers: r.cfg.Kafka.Brokers,
		Group:   r.group(name),
		// Stable per instance: a restarted instance fences its predecessor's
		// open transaction instead of racing it.
		TransactionalID: r.group(name) + "-" + r.cfg.InstanceID,
		Inputs:          inputs,
		DeadLetterTopic: r.cfg.Topics.DeadLetter,
		MaxPollRecords:  maxPollRecords,
		ClientOpts:      kopts,
		Logger:          r.log,
		Metrics:         r.metrics,
		Limits:          r.limits(),
		StuckAfter:      r.cfg.Pipeline.StuckBatchAfter,
		TickInterval:    r.TickInterval,
	}
}

// limits are the record sizes of every stage, from normalize.max_payload_bytes.
func (r *Builder) limits() pipeline.Limits {
	return pipeline.Limits{MaxPayload: r.cfg.Normalize.MaxPayloadBytes}
}

// group names a stage's consumer group: PREFIX-stage (kafka.group_prefix).
func (r *Builder) group(stage string) string { return names.Group(r.cfg.Kafka.GroupPrefix, stage) }

// createTopics creates the pipeline's topics and the bound raw topics when
// they are missing. Existing topics are left as they are.
func (r *Runner) createTopics(ctx context.Context, kopts []kgo.Opt) error {
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	t := r.cfg.Topics
	plain := []string{t.Events, t.Notifications}
	for _, b := range r.cfg.Raw {
		plain = append(plain, b.Topic)
	}
	if slices.Contains(r.cfg.Stages, "ingest") {
		for _, rt := range r.cfg.Ingest.Routes {
			if !slices.Contains(plain, rt.Topic) {
				plain = append(plain, rt.Topic)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Kafka.ConnectTimeout)
	defer cancel()
	create := func(topics []string, configs map[string]*string) error {
		res, err := adm.CreateTopics(ctx, t.Partitions, t.ReplicationFactor, configs, topics...)
		if err != nil {
			return fmt.Errorf("topics.create: creating %s on kafka.brokers %s within %s (kafka.connect_timeout): %w; create them yourself and set topics.create false, or check the brokers",
				strings.Join(topics, ", "), strings.Join(r.cfg.Kafka.Brokers, ","), r.cfg.Kafka.ConnectTimeout, err)
		}
		for _, tr := range res.Sorted() {
			switch {
			case tr.Err == nil:
				r.log.Info("created topic", zap.String("topic", tr.Topic), zap.Int32("partitions", t.Partitions))
			case errors.Is(tr.Err, kerr.TopicAlreadyExists):
			default:
				return fmt.Errorf("topics.create: the broker refused to create topic %s (topics.partitions %d, topics.replication_factor %d): %w", tr.Topic, t.Partitions, t.ReplicationFactor, tr.Err)
			}
		}
		return nil
	}
	// Every topic takes the largest record wismo writes (a dead letter of
	// a payload at the limit), and raw topics the largest payload it reads.
	configs := r.build.limits().TopicConfig()
	if err := create(plain, configs); err != nil {
		return err
	}
	// Dead letters are whole raw payloads, personal data included: they
	// are kept for the time to look into them, not for ever.
	retention := strconv.FormatInt(t.DeadLetterRetention.Milliseconds(), 10)
	dead := r.build.limits().TopicConfig()
	dead["retention.ms"] = &retention
	if err := create([]string{t.DeadLetter}, dead); err != nil {
		return err
	}
	if err := create([]string{t.LaneObservations}, configs); err != nil {
		return err
	}
	compact := "compact"
	configs["cleanup.policy"] = &compact
	return create([]string{t.State, t.Lanes}, configs)
}

// Stages returns the stages, for tests.
func (r *Runner) Stages() []*pipeline.Stage { return r.stages }

// Metrics returns the instance's metrics.
func (r *Runner) Metrics() *pipeline.Metrics { return r.metrics }

// Ready reports whether every stage reaches its brokers and has joined its
// group; why says which has not.
func (r *Runner) Ready() (ok bool, why string) {
	var waiting, unreachable, loading []string
	for _, s := range r.all {
		if h := r.reach[s.Name()]; h != nil {
			if p := h.problem(); p != "" {
				unreachable = append(unreachable, s.Name()+" ("+p+")")
				continue
			}
		}
		if !s.Ready() {
			waiting = append(waiting, s.Name())
		} else if l, ok := s.(interface{ Loading() string }); ok && l.Loading() != "" {
			loading = append(loading, s.Name()+" ("+l.Loading()+")")
		}
	}
	var whys []string
	if len(unreachable) > 0 {
		whys = append(whys, "cannot reach Kafka: "+strings.Join(unreachable, ", "))
	}
	if len(waiting) > 0 {
		whys = append(whys, "waiting for partition assignment: "+strings.Join(waiting, ", "))
	}
	if len(loading) > 0 {
		whys = append(whys, "loading: "+strings.Join(loading, ", "))
	}
	if len(whys) > 0 {
		return false, strings.Join(whys, "; ")
	}
	return true, "ready"
}

// healthChecker is a stage that can tell it is stuck (pipeline.Stage's
// watchdog).
type healthChecker interface{ Healthy() error }

// Healthy reports the stages stuck in a batch; /healthz fails with it.
func (r *Runner) Healthy() error {
	var errs []error
	for _, s := range r.all {
		if h, ok := s.(healthChecker); ok {
			errs = append(errs, h.Healthy())
		}
	}
	return errors.Join(errs...)
}

// Handler serves /metrics, /healthz and /readyz.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(r.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := r.Healthy(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := r.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, why)
	})
	return mux
}

// maxProfileSeconds bounds /debug/pprof/profile and trace: a longer one
// holds the profiler (and costs the pipeline) for as long as asked.
const maxProfileSeconds = 60

// PProfHandler serves Go's profiles under /debug/pprof/, on a listener of
// its own (http.pprof_addr), never the /metrics one: cmdline and the heap
// show arguments and payload bytes.
func PProfHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", boundSeconds(pprof.Profile))
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", boundSeconds(pprof.Trace))
	return mux
}

func boundSeconds(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if s := req.URL.Query().Get("seconds"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > maxProfileSeconds {
				http.Error(w, fmt.Sprintf("seconds=%q: want 1 to %d", s, maxProfileSeconds), http.StatusBadRequest)
				return
			}
		}
		h(w, req)
	}
}

// Serve starts the HTTP endpoints on cfg.HTTP.Addr ("" or "off" disables
// them), and the profiles on cfg.HTTP.PProfAddr when http.pprof is on. It
// returns the address actually bound.
func (r *Runner) Serve() (string, error) {
	if r.cfg.HTTP.PProf {
		ln, err := net.Listen("tcp", r.cfg.HTTP.PProfAddr)
		if err != nil {
			return "", fmt.Errorf("http.pprof_addr: %w", err)
		}
		r.pprof = &http.Server{Handler: PProfHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = r.pprof.Serve(ln) }()
		r.pprofAddr = ln.Addr().String()
		r.log.Info("profiles served", zap.String("pprof_addr", r.pprofAddr))
	}
	if r.cfg.HTTP.Addr == "" || r.cfg.HTTP.Addr == "off" {
		return "", nil
	}
	ln, err := net.Listen("tcp", r.cfg.HTTP.Addr)
	if err != nil {
		return "", fmt.Errorf("http.addr: %w", err)
	}
	r.ln = ln
	r.srv = &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return ln.Addr().String(), nil
}

// Run runs every stage until ctx is cancelled, then drains them: each
// finishes and commits the batch in hand. It returns the first stage error,
// or, when a stage has not stopped within pipeline.shutdown_grace of the
// shutdown's start, an error naming it (its batch is left unfinished: its
// transaction aborts and its records are read again).
func (r *Runner) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		running = map[string]stage{}
	)
	for _, s := range r.all {
		wg.Add(1)
		running[s.Name()] = s
		go func(s stage) {
			defer wg.Done()
			err := s.Run(ctx)
			mu.Lock()
			delete(running, s.Name())
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
			if err != nil {
				cancel() // one stage failing for good stops the instance
			}
		}(s)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		grace := r.cfg.Pipeline.ShutdownGrace
		if grace <= 0 {
			grace = config.DefaultShutdownGrace // a Config not from config.Load
		}
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			mu.Lock()
			err := r.stuckAtShutdown(running, grace)
			mu.Unlock()
			r.closeHTTP()
			return err
		}
	}
	r.closeHTTP()
	return first
}

// stuckAtShutdown logs and returns the error for the stages still running
// when the shutdown grace ran out.
func (r *Runner) stuckAtShutdown(running map[string]stage, grace time.Duration) error {
	names := slices.Sorted(maps.Keys(running))
	var what []string
	for _, n := range names {
		desc := n
		if h, ok := running[n].(interface{ InHand() string }); ok {
			if in := h.InHand(); in != "" {
				desc += " (" + in + ")"
			}
		}
		what = append(what, desc)
		r.log.Error("stage did not stop within the shutdown grace; exiting with its batch unfinished",
			zap.String("stage", n), zap.String("in_hand", desc), zap.Duration("grace", grace))
	}
	return fmt.Errorf("pipeline.shutdown_grace: %s did not stop within %v of the shutdown; exiting without them (their transactions abort, and their records are read again): %s",
		strings.Join(names, ", "), grace, strings.Join(what, "; "))
}

func (r *Runner) closeHTTP() {
	for _, srv := range []*http.Server{r.srv, r.pprof} {
		if srv != nil {
			shut, done := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(shut)
			done()
		}
	}
}
