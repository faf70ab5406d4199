package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
	"github.com/wismo/wismo/pipeline/runner"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/sinks/chsink"
	"github.com/wismo/wismo/taxonomy"
	"go.uber.org/zap"
)

const (
	demoEvents        = names.EventsTopic
	demoDeadLetter    = names.DeadLetterTopic
	demoNotifications = names.NotificationsTopic
	demoState         = names.StateTopic
)

// demoOutput says where the demo's analytics go.
type demoOutput struct {
	clickhouse string // native address; "" writes NDJSON files to dir
	database   string
	dir        string
	generated  int // shipments from wismo gen added to the samples
}

func demoCmd() *cobra.Command {
	var (
		samples string
		out     demoOutput
		ds      demoServe
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the pipeline on an in-process Kafka broker with the bundled sample payloads",
		Long: `Starts an in-process Kafka broker, replays the sample carrier payloads in
testdata/carriers (plus a few broken records) through every stage, and prints
a summary. Needs nothing installed: the analytics rows go to NDJSON files
under --out, or, with --clickhouse, into that ClickHouse (migrated first),
and the demo prints the carrier scorecard from it.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			if err := runDemo(ctx, cmd.OutOrStdout(), samples, out, &ds); err != nil {
				return err
			}
			if !ds.serve {
				return nil
			}
			return ds.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&samples, "samples", filepath.Join("testdata", "carriers"), "folder of sample payloads, one folder per carrier")
	cmd.Flags().StringVar(&out.clickhouse, "clickhouse", "", "ClickHouse native address (host:port) to write the analytics to")
	cmd.Flags().StringVar(&out.database, "database", chsink.DefaultDatabase, "with --clickhouse: the database")
	cmd.Flags().IntVar(&out.generated, "generated", 400, "recent shipments from `wismo gen` (seed 1) added to the samples, so the analytics have volume; 0 for the samples alone")
	cmd.Flags().StringVar(&out.dir, "out", filepath.Join(os.TempDir(), "wismo-demo"), "without --clickhouse: folder for the analytics rows as NDJSON")
	cmd.Flags().BoolVar(&ds.serve, "serve", false, "after the run, keep serving the tracking page of its shipments on 127.0.0.1 (from memory; no ClickHouse needed)")
	cmd.Flags().IntVar(&ds.port, "port", 8080, "the port of the tracking links (with --serve, the port served on 127.0.0.1; 0 for any free one)")
	return cmd
}

type demoPayload struct {
	topic string
	key   []byte
	value []byte
}

func runDemo(ctx context.Context, w io.Writer, samples string, dst demoOutput, ds *demoServe) error {
	if err := ds.setup(); err != nil {
		return err
	}
	var (
		bindings []normalize.Binding
		payloads []demoPayload
		perTopic = map[string]int{}
	)
	// Every registered carrier, in every format it reads, and every generic
	// feed, is bound to its raw topic the way a deployment binds them in
	// config, and gets its samples replayed.
	var broken *demoPayload
	for _, src := range normalizers.Sources() {
		dir := filepath.Join(samples, strings.TrimPrefix(src.Dir, normalizers.SamplesRoot+"/"))
		files, _ := filepath.Glob(filepath.Join(dir, "*"+src.Ext()))
		if len(files) == 0 {
			continue
		}
		bindings = append(bindings, normalize.Binding{Topic: src.Topic, Carrier: src.Carrier, Format: src.Format})
		for _, f := range files {
			data, err := readFileLimited(f, normalizers.DefaultMaxPayload, "a sample is one carrier payload")
			if err != nil {
				return fmt.Errorf("demo: %s: %w", f, err)
			}
			payloads = append(payloads, demoPayload{topic: src.Topic, value: data})
			perTopic[src.Topic]++
			if broken == nil && src.Format == normalizers.JSON {
				broken = &demoPayload{topic: src.Topic, key: []byte("BROKEN"), value: data[:len(data)/2]}
			}
		}
	}
	if len(payloads) == 0 {
		return fmt.Errorf("no sample payloads under %s (run the demo from the repository root, or pass --samples)", samples)
	}
	// Generated shipments of the last few weeks (`wismo gen`, seeded), so
	// the analytics have enough recent shipments per lane and facility to
	// show percentiles and dwell times.
	if dst.generated > 0 {
		start := time.Now().UTC().Add(-21 * 24 * time.Hour).Truncate(24 * time.Hour)
		_, err := gen.Generate(gen.Options{Seed: 1, Shipments: dst.generated, Start: start, Window: 7 * 24 * time.Hour,
			International: 0.2, StallRate: 0.1, ExceptionRate: 0.1, NoiseRate: 0.2, ResendRate: 0.2, OutOfOrderRate: 0.05,
			MalformedRate: 0.01}, func(r *gen.Record) error {
			if _, bound := perTopic[r.Topic]; !bound {
				return nil // a carrier whose samples are missing
			}
			payloads = append(payloads, demoPayload{topic: r.Topic, key: []byte(r.Key), value: bytes.Clone(r.Value)})
			perTopic[r.Topic]++
			return nil
		}, nil)
		if err != nil {
			return fmt.Errorf("demo: generate: %w", err)
		}
	}
	// Broken records show the dead-letter path: nothing is dropped silently.
	// A sample cut in half and an object no carrier sends go to the first
	// JSON carrier's topic.
	if broken != nil {
		payloads = append(payloads, *broken, demoPayload{topic: broken.topic, value: []byte(`{"unexpected": true}`)})
		perTopic[broken.topic] += 2
	}

	fmt.Fprintf(w, "demo: starting an in-process Kafka broker\n")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return fmt.Errorf("demo: in-process broker: %w", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	topics := []string{demoEvents, demoDeadLetter}
	for _, b := range bindings {
		topics = append(topics, b.Topic)
	}
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, topics...); err != nil {
		return fmt.Errorf("demo: create topics: %w", err)
	}
	var produceErr atomic.Pointer[error]
	for _, p := range payloads {
		cl.Produce(ctx, &kgo.Record{Topic: p.topic, Key: p.key, Value: p.value}, func(_ *kgo.Record, err error) {
			if err != nil {
				produceErr.CompareAndSwap(nil, &err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("demo: produce samples: %w", err)
	}
	if errp := produceErr.Load(); errp != nil {
		return fmt.Errorf("demo: produce samples: %w", *errp)
	}
	fmt.Fprintf(w, "demo: produced %d raw records to %d topics\n", len(payloads), len(perTopic))

	// The stages `wismo run` builds, from the configuration it would
	// read: the defaults (plain Avro: the demo has no schema registry; resent
	// scans go out once), the samples' raw bindings, and the event-time
	// clock (the samples are years old: on the wall clock every one of them
	// would be long overdue). When the input ends, the clock moves three
	// days past each partition's last event, as if the samples had been
	// taken three days ago, so pending deadlines fire.
	cfg := &config.Config{InstanceID: "demo-0", Stages: []string{"normalize", "detect"}, Kafka: config.Kafka{Brokers: brokers, GroupPrefix: names.GroupPrefix},
		Topics:   config.Topics{Events: demoEvents, Notifications: demoNotifications, State: demoState, DeadLetter: demoDeadLetter},
		Encoding: "avro", Normalize: config.Normalize{RememberScans: 1_000_000}, Detect: config.Detect{Clock: "event"}, Links: ds.links()}
	for _, b := range bindings {
		cfg.Raw = append(cfg.Raw, config.Raw{Topic: b.Topic, Carrier: b.Carrier, Format: string(b.Format)})
	}
	build, err := runner.NewBuilder(ctx, cfg, zap.NewNop(), pipeline.NewMetrics())
	if err != nil {
		return err
	}
	build.IdleAdvance, build.TickInterval = 72*time.Hour, 200*time.Millisecond
	kopts := []kgo.Opt{kgo.SeedBrokers(brokers...)}
	stage, err := build.Normalize(kopts)
	if err != nil {
		return err
	}
	progress := func(in int64) string { return fmt.Sprintf("%d/%d raw records committed", in, len(payloads)) }
	if err := runUntil(ctx, w, stage, int64(len(payloads)), progress, nil); err != nil {
		return err
	}
	byCarrier, totals := stage.Stats().Snapshot()
	evs, err := readEvents(ctx, brokers, totals.Produced)
	if err != nil {
		return err
	}
	if err := printDemoSummary(w, feedTopics(bindings), byCarrier, totals, evs); err != nil {
		return err
	}

	// Detection: the same stage `wismo run` runs.
	compact := "compact"
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, map[string]*string{"cleanup.policy": &compact}, demoState); err != nil {
		return fmt.Errorf("demo: create topics: %w", err)
	}
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 1, nil, demoNotifications); err != nil {
		return fmt.Errorf("demo: create topics: %w", err)
	}
	dstage, dproc, err := build.Detect(kopts)
	if err != nil {
		return err
	}
	tracked := 0
	settled := func() bool {
		tracked = dproc.Tracked() // before the drain hands the partitions back
		return dproc.Settled()
	}
	// It also reads back its own synthetic events (stalls, expiry), so it
	// reads more records than normalize wrote: those are not counted
	// against the carriers' events.
	progress = func(in int64) string {
		return fmt.Sprintf("%d/%d carrier events committed, and %d of its own stall and expiry events",
			min(in, totals.Produced), totals.Produced, max(0, in-totals.Produced))
	}
	if err := runUntil(ctx, w, dstage, totals.Produced, progress, settled); err != nil {
		return err
	}
	cmds, synthetic, err := readDetections(ctx, brokers)
	if err != nil {
		return err
	}
	printDetectSummary(w, tracked, cmds, synthetic)
	if err := writeAnalytics(ctx, w, dst, append(evs, synthetic...), cmds); err != nil {
		return err
	}
	return ds.printLinks(w, append(evs, synthetic...), cmds)
}

// writeAnalytics writes the rows the sink stage would insert: into
// ClickHouse, then the scorecard from it, or as NDJSON files.
func writeAnalytics(ctx context.Context, w io.Writer, dst demoOutput, evs []event.Event, cmds []detect.Command) error {
	if dst.clickhouse == "" {
		files, err := chsink.WriteNDJSON(dst.dir, evs, cmds)
		if err != nil {
			return fmt.Errorf("demo: analytics: %w", err)
		}
		fmt.Fprintf(w, "\nanalytics: %d events and %d commands as NDJSON (what the sink inserts into ClickHouse):\n", len(evs), len(cmds))
		for _, f := range files {
			fmt.Fprintf(w, "  %s\n", f)
		}
		fmt.Fprintf(w, "run with --clickhouse 127.0.0.1:9000 to load them and print the carrier scorecard\n")
		return nil
	}
	rows, err := chsink.InsertAndScorecard(ctx, chsink.Options{Addrs: []string{dst.clickhouse}, Database: dst.database}, evs, cmds)
	if err != nil {
		return fmt.Errorf("demo: clickhouse %s: %w", dst.clickhouse, err)
	}
	fmt.Fprintf(w, "\nanalytics: %d events and %d commands written to ClickHouse %s, database %s\ncarrier scorecard (schemas/chschema/queries/carrier_scorecard.sql):\n",
		len(evs), len(cmds), dst.clickhouse, dst.database)
	const show = 25
	if err := chsink.FormatScorecard(w, rows[:min(show, len(rows))]); err != nil {
		return err
	}
	if len(rows) > show {
		fmt.Fprintf(w, "... %d more rows: clickhouse-client --database %s --multiquery < schemas/chschema/queries/carrier_scorecard.sql\n", len(rows)-show, dst.database)
	}
	return nil
}

// runUntil runs a stage until it has committed total input records (and
// done is true, when given), printing progress, then drains it.
func runUntil(ctx context.Context, w io.Writer, stage *pipeline.Stage, total int64, progress func(in int64) string, done func() bool) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan error, 1)
	go func() { finished <- stage.Run(runCtx) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := int64(-1)
	for {
		_, t := stage.Stats().Snapshot()
		if t.In != last {
			fmt.Fprintf(w, "%s: %s\n", stage.Name(), progress(t.In))
			last = t.In
		}
		if t.In >= total && (done == nil || done()) {
			break
		}
		select {
		case <-tick.C:
		case err := <-finished:
			return fmt.Errorf("demo: %s stage stopped: %v", stage.Name(), err)
		case <-ctx.Done():
			return fmt.Errorf("demo: %s timed out at %s", stage.Name(), progress(t.In))
		}
	}
	stop()
	return <-finished
}

// readEvents reads the events topic as a downstream consumer would:
// read_committed, so only what the transactions committed.
func readEvents(ctx context.Context, brokers []string, want int64) ([]event.Event, error) {
	dec, err := codec.NewEvents()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(demoEvents),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []event.Event
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("demo: read %d of %d events: %w", len(out), want, err)
		}
		var decodeErr error
		fs.EachRecord(func(r *kgo.Record) {
			var e event.Event
			if err := dec.Decode(r.Value, &e); err != nil && decodeErr == nil {
				decodeErr = err
			}
			out = append(out, e)
		})
		if decodeErr != nil {
			return nil, decodeErr
		}
	}
	return out, nil
}

func printDemoSummary(w io.Writer, feeds map[string][]string, byCarrier map[string]pipeline.Counts, totals pipeline.Counts, evs []event.Event) error {
	type row struct{ events, unmapped, assumed int }
	rows := map[string]*row{}
	for i := range evs {
		r := rows[evs[i].Carrier]
		if r == nil {
			r = &row{}
			rows[evs[i].Carrier] = r
		}
		r.events++
		if evs[i].Type == taxonomy.Unmapped {
			r.unmapped++
		}
		if evs[i].AssumedUTC() {
			r.assumed++
		}
	}
	// What came in is counted per feed (the carrier or generic feed a raw
	// topic is bound to), what came out per carrier of the event: a generic
	// Avro feed brings scans of many carriers.
	fmt.Fprintf(w, "\nin, per feed:\n%-13s %-34s %9s %14s\n", "feed", "raw topics", "records", "dead-lettered")
	for _, f := range pipeline.Labels(byCarrier) {
		k := byCarrier[f]
		fmt.Fprintf(w, "%-13s %-34s %9d %14d\n", f, strings.Join(feeds[f], ","), k.In, k.Dead)
	}
	fmt.Fprintf(w, "%-13s %-34s %9d %14d\n", "total", "", totals.In, totals.Dead)
	fmt.Fprintf(w, "\nout, per carrier:\n%-13s %7s %9s %12s\n", "carrier", "events", "unmapped", "assumed_utc")
	for _, c := range slices.Sorted(maps.Keys(rows)) {
		r := rows[c]
		fmt.Fprintf(w, "%-13s %7d %9d %12d\n", c, r.events, r.unmapped, r.assumed)
	}
	fmt.Fprintf(w, "%-13s %7d\n", "total", len(evs))
	if totals.In != totals.Out+totals.Dead {
		return fmt.Errorf("demo: accounting broken: %d in, %d out, %d dead-lettered", totals.In, totals.Out, totals.Dead)
	}
	fmt.Fprintf(w, "accounting: %d records in = %d with events + %d dead-lettered\n", totals.In, totals.Out, totals.Dead)

	// A sample: the most telling event of each carrier (actionable first).
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Class() > evs[j].Class() })
	fmt.Fprintf(w, "\nsample events:\n")
	seen := map[string]bool{}
	for i := range evs {
		e := &evs[i]
		if seen[e.Carrier] {
			continue
		}
		seen[e.Carrier] = true
		local := string(event.AppendLocal(nil, e.OccurredAt, e.LocalOffset))
		fmt.Fprintf(w, "  %-28s %-40s %s  %s\n", e.ShipmentID(), e.Type.Name, local, strings.TrimSpace(e.Message()))
	}
	return nil
}

// feedTopics lists, per feed (the carrier label a binding counts under),
// its raw topics.
func feedTopics(bindings []normalize.Binding) map[string][]string {
	out := map[string][]string{}
	for _, b := range bindings {
		out[b.Carrier] = append(out[b.Carrier], b.Topic)
	}
	return out
}

// readDetections reads, read_committed, every notification command and
// the synthetic events (stalls, expiry) the detect stage wrote.
func readDetections(ctx context.Context, brokers []string) ([]detect.Command, []event.Event, error) {
	cc, err := codec.NewCommands()
	if err != nil {
		return nil, nil, err
	}
	ec, err := codec.NewEvents()
	if err != nil {
		return nil, nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(demoNotifications, demoEvents),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, nil, err
	}
	defer cl.Close()
	var (
		cmds []detect.Command
		syn  []event.Event
	)
	for {
		// The stage has committed and stopped: what is there is all.
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if fs.NumRecords() == 0 {
			return cmds, syn, nil
		}
		var derr error
		fs.EachRecord(func(r *kgo.Record) {
			if r.Topic == demoNotifications {
				var c detect.Command
				if err := cc.Decode(r.Value, &c); err != nil {
					derr = err
				}
				cmds = append(cmds, c)
				return
			}
			var e event.Event
			if err := ec.Decode(r.Value, &e); err != nil {
				derr = err
			}
			if e.Source == event.FromPipeline {
				syn = append(syn, e)
			}
		})
		if derr != nil {
			return nil, nil, derr
		}
	}
}

func printDetectSummary(w io.Writer, tracked int, cmds []detect.Command, synthetic []event.Event) {
	fmt.Fprintf(w, "\ndetection: %d shipments tracked, %d notification commands, %d synthetic events\n", tracked, len(cmds), len(synthetic))
	byType := map[string]int{}
	for _, e := range synthetic {
		byType[e.Type.Name]++
	}
	fmt.Fprintf(w, "stalls found:\n")
	for _, t := range taxonomy.All() {
		if t.Stall || t.Pipeline && t.Milestone == "expired" {
			fmt.Fprintf(w, "  %-40s %d\n", t.Name, byType[t.Name])
		}
	}
	byTrigger := map[string]int{}
	for _, c := range cmds {
		byTrigger[c.Trigger]++
	}
	fmt.Fprintf(w, "commands by trigger:\n")
	for _, t := range rules.Triggers {
		if byTrigger[t] > 0 {
			fmt.Fprintf(w, "  %-22s %d\n", t, byTrigger[t])
		}
	}
	// A few samples: the actionable ones first, one per trigger.
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].Priority == "high" && cmds[j].Priority != "high" })
	fmt.Fprintf(w, "sample commands:\n")
	seen := map[string]bool{}
	shown := 0
	for _, c := range cmds {
		if seen[c.Trigger] || shown == 5 {
			continue
		}
		seen[c.Trigger] = true
		shown++
		fmt.Fprintf(w, "  %-26s %-16s %-6s not_before=%s  %s", c.ShipmentID, c.Trigger, c.Priority,
			c.NotBefore.UTC().Format(time.RFC3339), c.Message)
		if c.NextStep != "" {
			fmt.Fprintf(w, "  Next: %s", c.NextStep)
		}
		fmt.Fprintln(w)
	}
}
