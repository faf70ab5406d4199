package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/pipeline/runner"
)

func genCmd() *cobra.Command {
	var (
		o                     gen.Options
		carriers, start       string
		days, rate            float64
		outDir, expectedPath  string
		progressEvery         time.Duration
		withoutExpectedEvents bool
		topicPrefix           string
	)
	cmd := &cobra.Command{
		Use:   "gen [--seed N] [--shipments N] (--out DIR | --brokers HOST:PORT) [flags]",
		Short: "Generate realistic raw carrier payloads for test shipments, with their expected outcomes",
		Long: `Generates shipments deterministically from --seed and tells each one as the
raw payloads a tracking poller would write to its carrier's raw topic (UPS
Track API v1, FedEx Track API v1, USPS Tracking API v3, DHL unified API,
Royal Mail mailpieces v2, PostNL shipping status v2, all JSON; Canada Post
tracking-detail and DPD ParcelLifeCycle, XML): one record per poll that found something new, holding the history so
far, in the order the polls happened across all shipments. Stalls, carrier
exceptions, noise scans, resent payloads, payloads out of order and
malformed records are injected at the given rates.

With --out DIR, writes DIR/raw.<carrier>.ndjson, one record per line:
  {"time":"<poll time, RFC 3339>","key":"<tracking number>","value":<payload>}
("value_base64" instead of "value" for a payload that is not JSON), and the
expected outcomes to DIR/expected.ndjson (or --expected FILE), one shipment
per line: the commands detection must decide (triggers, in order), the
canonical events, the records that must be dead-lettered, and settle_by, the
time the clock must reach for every command to be decided.

With --brokers (or WISMO_KAFKA_BROKERS, or --config), produces the records to
the raw topics instead (created when missing), keyed by tracking number,
with the poll time in the wismo-gen-time header; --rate limits records per
second, and --expected FILE writes the expected outcomes.

The same seed and flags always give the same bytes. Expectations hold for
the default rules. To run a carrier's records through the pipeline offline:

  jq -c .value DIR/raw.ups.ndjson | wismo normalize --carrier ups > events.ndjson
  wismo backtest --until <latest settle_by> events.ndjson`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Carriers, err = gen.ParseCarriers(carriers); err != nil {
				return err
			}
			if start != "" {
				if o.Start, err = time.Parse(time.RFC3339, start); err != nil {
					return fmt.Errorf("--start: %w", err)
				}
			}
			if days <= 0 {
				return errors.New("--days must be positive")
			}
			o.Window = time.Duration(days * float64(24*time.Hour))
			if o.Shipments <= 0 {
				return errors.New("--shipments must be positive")
			}
			if err := o.Validate(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			run := &genRun{opts: o, errw: cmd.ErrOrStderr(), every: progressEvery, noEvents: withoutExpectedEvents, prefix: topicPrefix}
			brokersSet := cmd.Flags().Changed("brokers")
			switch {
			case outDir != "" && brokersSet:
				return errors.New("give either --out or --brokers, not both")
			case outDir != "":
				if expectedPath == "" {
					expectedPath = filepath.Join(outDir, "expected.ndjson")
				}
				return run.toFiles(ctx, outDir, expectedPath)
			}
			cfg, err := config.LoadKafkaOnly(cmd.Flags(), os.Environ())
			if err != nil {
				return fmt.Errorf("no --out DIR, and no Kafka to produce to: %w", err)
			}
			return run.toKafka(ctx, cfg, expectedPath, rate)
		},
	}
	config.Flags(cmd.Flags())
	f := cmd.Flags()
	for _, name := range []string{"stages", "raw", "instance-id", "encoding", "http-addr", "log-level"} {
		_ = f.MarkHidden(name) // the stream processor's, not gen's
	}
	f.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed and flags give the same records")
	f.IntVar(&o.Shipments, "shipments", 1000, "number of shipments")
	f.StringVar(&carriers, "carriers", gen.DefaultCarriers, "carrier mix, name=weight,...")
	f.Float64Var(&o.International, "international", 0.08, "share of UPS and FedEx shipments on international lanes (DHL: half are Express international)")
	f.StringVar(&start, "start", gen.DefaultStart.Format(time.RFC3339), "earliest label creation time (RFC 3339)")
	f.Float64Var(&days, "days", 7, "labels are created over this many days from --start")
	f.Float64Var(&o.StallRate, "stall-rate", 0.05, "share of shipments with a long silence (before pickup, in transit, on the delivery day, or lost)")
	f.Float64Var(&o.ExceptionRate, "exception-rate", 0.1, "share of shipments with a carrier exception (delay, customs, address, failed attempt, held for pickup, return)")
	f.Float64Var(&o.NoiseRate, "noise-rate", 0.1, "share of shipments with a noise scan (missort, internal scan) that must not notify")
	f.Float64Var(&o.ResendRate, "resend-rate", 0.05, "share of shipments with payloads sent again")
	f.Float64Var(&o.OutOfOrderRate, "out-of-order-rate", 0.05, "share of shipments with payloads out of order (a later poll first, a scan reported after the delivery, unsorted histories)")
	f.Float64Var(&o.MalformedRate, "malformed-rate", 0.01, "share of shipments with a malformed record (truncated, wrong types, garbage)")
	f.StringVar(&outDir, "out", "", "write NDJSON files to this folder instead of producing to Kafka")
	f.StringVar(&expectedPath, "expected", "", "write the expected outcomes to this file (default with --out: DIR/expected.ndjson)")
	f.BoolVar(&withoutExpectedEvents, "expected-without-events", false, "leave the canonical events out of the expected outcomes (smaller file)")
	f.Float64Var(&rate, "rate", 0, "with Kafka: records per second; 0 means as fast as the broker takes them")
	f.DurationVar(&progressEvery, "progress", time.Second, "how often to report progress on stderr")
	f.StringVar(&topicPrefix, "topic-prefix", "", "put this before every raw topic name (and --out file name): bench.1.raw.ups")
	return cmd
}

type genRun struct {
	opts     gen.Options
	errw     io.Writer
	every    time.Duration
	noEvents bool
	prefix   string // of every raw topic name

	start    time.Time
	last     time.Time
	records  int
	bytes    int64
	expected *bufio.Writer
}

// progress reports on stderr at most every r.every; check it often.
func (r *genRun) progress(what string, done int) {
	now := time.Now()
	if now.Sub(r.last) < r.every {
		return
	}
	r.last = now
	el := now.Sub(r.start).Seconds()
	fmt.Fprintf(r.errw, "gen: %d records %s (%.0f/s), %.1f MB\n", done, what, float64(done)/el, float64(r.bytes)/1e6)
}

func (r *genRun) openExpected(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r.expected = bufio.NewWriterSize(f, 1<<20)
	return f, nil
}

func (r *genRun) writeExpected(e *gen.Expected) error {
	if r.expected == nil {
		return nil
	}
	if r.noEvents {
		e.Events = nil
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	r.expected.Write(data)
	return r.expected.WriteByte('\n')
}

func (r *genRun) closeExpected(f *os.File) error {
	if f == nil {
		return nil
	}
	err := r.expected.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// toFiles writes one NDJSON file per raw topic.
func (r *genRun) toFiles(ctx context.Context, dir, expectedPath string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ef, err := r.openExpected(expectedPath)
	if err != nil {
		return err
	}
	type topicFile struct {
		f *os.File
		w *bufio.Writer
	}
	files := map[string]*topicFile{}
	defer func() {
		for _, tf := range files {
			if ferr := tf.w.Flush(); err == nil {
				err = ferr
			}
			if cerr := tf.f.Close(); err == nil {
				err = cerr
			}
		}
		if cerr := r.closeExpected(ef); err == nil {
			err = cerr
		}
	}()
	// Every topic of the mix gets its file, even one no record went to.
	for name, w := range r.opts.Carriers {
		if w <= 0 {
			continue
		}
		topic := r.prefix + gen.Topic(name)
		f, err := os.Create(filepath.Join(dir, topic+".ndjson"))
		if err != nil {
			return err
		}
		files[topic] = &topicFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	}
	r.start, r.last = time.Now(), time.Now()
	var line []byte
	st, err := gen.Generate(r.opts, func(rec *gen.Record) error {
		tf := files[r.prefix+rec.Topic]
		line = append(line[:0], `{"time":"`...)
		line = rec.Time.AppendFormat(line, time.RFC3339)
		line = append(line, `","key":"`...)
		line = append(line, rec.Key...) // letters and digits
		line = append(line, '"')
		if json.Valid(rec.Value) {
			line = append(line, `,"value":`...)
			line = append(line, rec.Value...)
		} else {
			line = append(line, `,"value_base64":"`...)
			line = base64.StdEncoding.AppendEncode(line, rec.Value)
			line = append(line, '"')
		}
		line = append(line, "}\n"...)
		if _, err := tf.w.Write(line); err != nil {
			return err
		}
		r.records++
		r.bytes += int64(len(line))
		if r.records&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.progress("written", r.records)
		}
		return nil
	}, r.writeExpected)
	if err != nil {
		return err
	}
	r.summary(st, "written to "+dir, expectedPath)
	return nil
}

func (r *genRun) summary(st gen.Stats, where, expectedPath string) {
	el := time.Since(r.start)
	var topics []string
	for t, n := range st.ByTopic {
		topics = append(topics, fmt.Sprintf("%s%s=%d", r.prefix, t, n))
	}
	sort.Strings(topics)
	fmt.Fprintf(r.errw, "gen: %d shipments, %d records (%d malformed; %s), %.1f MB of payloads %s in %s (%.0f records/s)\n",
		st.Shipments, st.Records, st.Bad, strings.Join(topics, " "), float64(st.Bytes)/1e6, where,
		el.Round(time.Millisecond), float64(st.Records)/el.Seconds())
	if expectedPath != "" {
		fmt.Fprintf(r.errw, "gen: expected outcomes in %s\n", expectedPath)
	}
}

// toKafka produces to the raw topics, asynchronously, paced by rate.
func (r *genRun) toKafka(ctx context.Context, cfg *config.Config, expectedPath string, rate float64) error {
	kopts, err := cfg.KafkaOpts()
	if err != nil {
		return err
	}
	if err := runner.CheckBrokers(ctx, kopts, cfg.Kafka); err != nil {
		return err
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	var topics []string
	for name, w := range r.opts.Carriers {
		if w > 0 {
			topics = append(topics, r.prefix+gen.Topic(name))
		}
	}
	sort.Strings(topics)
	// Missing raw topics are created as wismo run would create them.
	res, err := kadm.NewClient(cl).CreateTopics(ctx, cfg.Topics.Partitions, cfg.Topics.ReplicationFactor, nil, topics...)
	if err != nil {
		return err
	}
	for _, t := range res.Sorted() {
		if t.Err != nil && !errors.Is(t.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("gen: create %s: %w", t.Topic, t.Err)
		}
	}
	if err := topicsReady(ctx, kadm.NewClient(cl), topics); err != nil {
		return err
	}
	ef, err := r.openExpected(expectedPath)
	if err != nil {
		return err
	}
	var (
		acked  = make(chan error, 4096)
		sent   int
		done   int
		failed error
	)
	collect := func(block bool) {
		for {
			var err error
			if block {
				err = <-acked
			} else {
				select {
				case err = <-acked:
				default:
					return
				}
			}
			done++
			if err != nil && failed == nil {
				failed = err
			}
			if block {
				return
			}
		}
	}
	r.start, r.last = time.Now(), time.Now()
	st, gerr := gen.Generate(r.opts, func(rec *gen.Record) error {
		if rate > 0 {
			due := r.start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		kr := &kgo.Record{Topic: r.prefix + rec.Topic, Key: []byte(rec.Key), Value: append([]byte(nil), rec.Value...),
			Headers: []kgo.RecordHeader{{Key: "wismo-gen-time", Value: []byte(rec.Time.Format(time.RFC3339))}}}
		cl.Produce(ctx, kr, func(_ *kgo.Record, err error) { acked <- err })
		sent++
		r.bytes += int64(len(rec.Value))
		for sent-done >= cap(acked)-1 {
			collect(true)
		}
		collect(false)
		if failed != nil {
			return failed
		}
		r.progress("acknowledged", done)
		return nil
	}, r.writeExpected)
	for done < sent {
		collect(true)
	}
	if cerr := r.closeExpected(ef); gerr == nil {
		gerr = cerr
	}
	if gerr == nil {
		gerr = failed
	}
	if gerr != nil {
		return fmt.Errorf("gen: after %d of the records were acknowledged: %w", done, gerr)
	}
	r.summary(st, "produced to "+strings.Join(topics, ", "), expectedPath)
	return nil
}

// topicsReady waits until every topic has a leader for each partition: a
// just-created topic is not at once known to every broker, and the
// producer gives up on a topic it is told is unknown a few times.
func topicsReady(ctx context.Context, adm *kadm.Client, topics []string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		td, err := adm.ListTopics(ctx, topics...)
		missing := ""
		if err != nil {
			missing = err.Error()
		}
		for _, t := range topics {
			d, ok := td[t]
			switch {
			case missing != "":
			case !ok || d.Err != nil || len(d.Partitions) == 0:
				missing = t
			default:
				for _, p := range d.Partitions {
					if p.Leader < 0 || p.Err != nil {
						missing = t
					}
				}
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gen: topic %s has no leader a minute after it was created", missing)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
