// Command wismo-bench measures wismo against a real Kafka broker, with
// transactions on (see BENCHMARKS.md for results). -mode e2e runs `wismo
// run` with every stage on load from `wismo gen` (see e2e.go; it is what
// make bench runs); -mode ingest runs `wismo ingest` under signed webhooks
// on loopback (see ingest.go; make bench runs it too). The other modes measure the normalize stage alone:
//
//   - throughput: N single-scan push payloads (about 400 bytes each) are
//     produced first, then one stage instance normalizes them; the figure is
//     input records per second from the stage's start to its last commit;
//   - latency: payloads are produced at a fixed rate while the stage runs;
//     for each canonical event a read_committed consumer sees, the latency is
//     the time from the raw record's timestamp to that moment.
//
// It creates its own uniquely named topics and deletes them at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

func main() {
	var (
		brokers    = flag.String("brokers", "127.0.0.1:19092", "Kafka brokers")
		mode       = flag.String("mode", "throughput", "throughput or latency (the normalize stage alone), e2e (every stage, on wismo gen records), ingest (wismo ingest under webhooks at -rate for -duration, at most -records), or serve (wismo serve's lookups over ClickHouse)")
		records    = flag.Int("records", 500000, "throughput: records to normalize")
		rate       = flag.Int("rate", 10000, "latency: records per second")
		rates      = flag.String("rates", "", "e2e: latency runs at each of these rates (comma-separated; default -rate)")
		duration   = flag.Duration("duration", 30*time.Second, "latency: how long to produce")
		partitions = flag.Int("partitions", 6, "partitions of the benchmark's topics")
		encoding   = flag.String("encoding", "avro", "avro or json")
		fetchWait  = flag.Duration("fetch-max-wait", 0, "stage consumer's fetch max wait (0: the stage's default)")
		warmup     = flag.Duration("warmup", 3*time.Second, "latency: first stretch of sending left out of the figures (group join, first transactions)")
		ef         e2eFlags
		inf        ingestFlags
		sf         serveFlags
	)
	// A connection carries one webhook at a time, answered once the broker
	// acked it (the producer lingers 10 ms), so the connections bound the
	// rate at about conns / latency: 256 capped it near 17,000/s at 15 ms,
	// a limit of the load generator, not of the gateway (BENCHMARKS.md,
	// 2026-12-08). Senders of 20,000 webhooks a second are many.
	flag.IntVar(&inf.conns, "conns", 1024, "ingest: keep-alive connections of the load generator")
	flag.IntVar(&inf.bodySize, "body-size", 2048, "ingest: bytes of each webhook body")
	flag.IntVar(&inf.brokerPID, "broker-pid", 0, "ingest: process id of the Kafka broker, whose CPU per webhook is then reported too (0: not reported)")
	flag.StringVar(&ef.wismo, "wismo", "bin/wismo", "e2e: the wismo binary (make build)")
	flag.StringVar(&ef.clickhouse, "clickhouse", "127.0.0.1:9000", "e2e: ClickHouse native address")
	flag.StringVar(&ef.write, "write", "", "e2e: append the dated table to this file (BENCHMARKS.md)")
	flag.StringVar(&ef.dir, "dir", "", "e2e: folder for the instance logs and the CPU profile (default: a new temporary folder)")
	flag.BoolVar(&ef.keep, "keep", false, "e2e: keep the run's topics and ClickHouse database")
	flag.Func("set", "e2e: one more setting for wismo run, WISMO_KEY=VALUE (repeatable)", func(v string) error {
		if !strings.HasPrefix(v, "WISMO_") || !strings.Contains(v, "=") {
			return fmt.Errorf("want WISMO_KEY=VALUE")
		}
		ef.set = append(ef.set, v)
		return nil
	})
	flag.DurationVar(&ef.profile, "profile", 20*time.Second, "e2e: length of the CPU profile taken during the throughput run (0: none)")
	flag.IntVar(&sf.shipments, "shipments", 1_000_000, "serve: shipments in the ClickHouse database")
	flag.IntVar(&sf.lookups, "lookups", 200_000, "serve: at most this many requests per run (with -duration)")
	flag.IntVar(&sf.concurrency, "concurrency", 32, "serve: concurrent keep-alive clients")
	flag.IntVar(&sf.workers, "lookup-workers", 4, "serve: ClickHouse queries the lookups run at once (serve.lookup_workers)")
	flag.IntVar(&sf.batch, "lookup-batch", 64, "serve: most shipments of one lookup query (serve.lookup_batch; 1: no coalescing)")
	flag.IntVar(&sf.chPID, "clickhouse-pid", 0, "serve: clickhouse-server's process id, to read its CPU per request from /proc (0: not read)")
	flag.StringVar(&sf.cpuProfile, "serve-cpuprofile", "", "serve: write the bench process's CPU profile (server and load generator) of the runs to this file")
	flag.StringVar(&sf.database, "database", "wismo_bench_serve", "serve: the ClickHouse database (kept, so a second run needs no load)")
	flag.Parse()
	b := &bench{metrics: pipeline.NewMetrics(), brokers: strings.Split(*brokers, ","), partitions: int32(*partitions), fetchWait: *fetchWait}
	var err error
	if b.encoding, err = codec.ParseEncoding(*encoding); err != nil {
		fmt.Fprintln(os.Stderr, "wismo-bench: -"+err.Error())
		os.Exit(2)
	}
	switch *mode {
	case "throughput":
		err = b.throughput(*records)
	case "latency":
		err = b.latency(*rate, *duration, *warmup)
	case "ingest":
		err = runIngest(b.brokers, *partitions, *records, *rate, *duration, *warmup, ef, inf)
	case "serve":
		sf.clickhouse, sf.write, sf.duration = ef.clickhouse, ef.write, *duration
		err = runServe(sf)
	case "e2e":
		list := []int{*rate}
		if *rates != "" {
			list = nil
			for _, r := range strings.Split(*rates, ",") {
				n, perr := strconv.Atoi(strings.TrimSpace(r))
				if perr != nil || n <= 0 {
					fmt.Fprintf(os.Stderr, "wismo-bench: -rates: %q is not a rate\n", r)
					os.Exit(2)
				}
				list = append(list, n)
			}
		}
		err = runE2E(b.brokers, *partitions, *records, list, *duration, *warmup, ef)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wismo-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	brokers          []string
	partitions       int32
	encoding         codec.Encoding
	fetchWait        time.Duration
	metrics          *pipeline.Metrics
	seen             *[]time.Duration // raw timestamp to processing, when probing
	raw, events, dlq string
	adm              *kadm.Client
	cl               *kgo.Client
}

func (b *bench) setup() error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(200_000), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return err
	}
	b.cl, b.adm = cl, kadm.NewClient(cl)
	id := time.Now().UnixNano()
	b.raw, b.events, b.dlq = fmt.Sprintf("bench.%d.raw.ups", id), fmt.Sprintf("bench.%d.events", id), fmt.Sprintf("bench.%d.dlq", id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := b.adm.CreateTopics(ctx, b.partitions, 1, nil, b.raw, b.events, b.dlq)
	if err == nil {
		err = res.Error()
	}
	return err
}

func (b *bench) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = b.adm.DeleteTopics(ctx, b.raw, b.events, b.dlq)
	b.cl.Close()
}

// payload is a single-scan UPS push of about 400 bytes; each tracking
// number is distinct so every record yields one distinct event.
func payload(i int) []byte {
	return []byte(fmt.Sprintf(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1ZBENCH%011d","activity":[{"location":{"address":{"city":"Louisville","stateProvince":"KY","postalCode":"40209","countryCode":"US"},"slic":"4021"},"status":{"type":"I","description":"Departed from Facility","code":"DP","statusCode":"005"},"date":"20261120","time":"%02d%02d%02d","gmtDate":"20261120","gmtOffset":"-05:00","gmtTime":"15:04:05"}]}]}]}}`,
		i, i/3600%24, i/60%60, i%60))
}

func (b *bench) stage() (*pipeline.Stage, error) {
	var opts []kgo.Opt
	if b.fetchWait > 0 {
		opts = append(opts, kgo.FetchMaxWait(b.fetchWait))
	}
	if os.Getenv("BENCH_KGO_DEBUG") != "" {
		opts = append(opts, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	if os.Getenv("BENCH_FAST_RETRY") != "" {
		opts = append(opts, kgo.RetryBackoffFn(func(tries int) time.Duration { return time.Duration(tries) * 10 * time.Millisecond }))
	}
	// The normalize stage `wismo run` builds, over the benchmark's topics.
	cfg := &config.Config{InstanceID: "t", Stages: []string{"normalize"},
		Kafka:    config.Kafka{Brokers: b.brokers, GroupPrefix: b.raw},
		Topics:   config.Topics{Events: b.events, DeadLetter: b.dlq},
		Raw:      []config.Raw{{Topic: b.raw, Carrier: "ups", Format: string(normalizers.JSON)}},
		Encoding: b.encoding.String(), Normalize: config.Normalize{MaxPollRecords: 10000}}
	build, err := runner.NewBuilder(context.Background(), cfg, zap.NewNop(), b.metrics)
	if err != nil {
		return nil, err
	}
	if b.seen != nil {
		build.Wrap = func(p pipeline.Processor) pipeline.Processor { return &probe{Processor: p, seen: b.seen} }
	}
	return build.Normalize(opts)
}

func (b *bench) throughput(n int) error {
	if err := b.setup(); err != nil {
		return err
	}
	defer b.teardown()
	fmt.Printf("producing %d single-scan payloads (%d bytes each) to %d partitions...\n", n, len(payload(0)), b.partitions)
	ctx := context.Background()
	var wg sync.WaitGroup
	var perr atomic.Value
	for i := 0; i < n; i++ {
		wg.Add(1)
		b.cl.Produce(ctx, &kgo.Record{Topic: b.raw, Value: payload(i)}, func(_ *kgo.Record, err error) {
			if err != nil {
				perr.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err, _ := perr.Load().(error); err != nil {
		return err
	}
	st, err := b.stage()
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- st.Run(runCtx) }()
	last := time.Now()
	for {
		_, tot := st.Stats().Snapshot()
		if tot.In >= int64(n) {
			break
		}
		if time.Since(last) >= 2*time.Second {
			el := time.Since(start)
			fmt.Printf("  %d/%d committed (%.0f records/s)\n", tot.In, n, float64(tot.In)/el.Seconds())
			last = time.Now()
		}
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("stage stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	el := time.Since(start)
	stop()
	<-done
	txns, aborts := st.Stats().Transactions()
	fmt.Printf("throughput: %d records in %s = %.0f records/s (transactions: %d committed, %d aborted; encoding %s)\n",
		n, el.Round(time.Millisecond), float64(n)/el.Seconds(), txns, aborts, b.encoding)
	return nil
}

func (b *bench) latency(rate int, dur, warmup time.Duration) error {
	if err := b.setup(); err != nil {
		return err
	}
	defer b.teardown()
	var seen []time.Duration
	b.seen = &seen
	st, err := b.stage()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	for !st.Ready() || st.Assigned() == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	// Prime: on brand-new topics the first fetch can wait for a metadata
	// refresh (seconds). Measuring starts once records flow end to end;
	// the warm-up then covers the first transactions.
	for i := 0; st.Polled() == 0; i++ {
		if i == 3000 {
			return fmt.Errorf("the stage read nothing for 30 s")
		}
		b.cl.Produce(ctx, &kgo.Record{Topic: b.raw, Value: payload(1_000_000_000 + i)}, nil)
		time.Sleep(10 * time.Millisecond)
	}
	// Record i's event is keyed ups:1ZBENCH<i>, so the consumer finds the
	// raw record's timestamp without decoding the event: a decoding
	// consumer that fell behind would be measuring itself.
	skip := int(float64(rate) * warmup.Seconds())
	dur += warmup
	total := int(float64(rate) * dur.Seconds())
	stamps := make([]atomic.Int64, total)
	consumer, err := kgo.NewClient(kgo.SeedBrokers(b.brokers...), kgo.ConsumeTopics(b.events),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return err
	}
	defer consumer.Close()
	lat := make([]time.Duration, 0, total)
	var perSecond []time.Duration
	if os.Getenv("BENCH_TIMELINE") != "" {
		perSecond = make([]time.Duration, int(dur.Seconds())+1)
	}
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for len(lat) < total-skip {
			fs := consumer.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			now := time.Now().UnixNano()
			fs.EachRecord(func(r *kgo.Record) {
				i, err := strconv.Atoi(strings.TrimPrefix(string(r.Key), "ups:1ZBENCH"))
				if err != nil || i < 0 || i >= total {
					return
				}
				if t0 := stamps[i].Load(); t0 != 0 {
					if i >= skip {
						lat = append(lat, time.Duration(now-t0))
					}
					if perSecond != nil {
						s := i / rate
						if d := time.Duration(now - t0); d > perSecond[s] {
							perSecond[s] = d
						}
					}
				}
			})
		}
	}()
	var (
		ackMu sync.Mutex
		acks  []time.Duration
	)
	fmt.Printf("producing %d records/s for %s (the first %s is warm-up, left out)...\n", rate, dur, warmup)
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(float64(i) / float64(rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		now := time.Now()
		stamps[i].Store(now.UnixNano())
		b.cl.Produce(ctx, &kgo.Record{Topic: b.raw, Value: payload(i), Timestamp: now}, func(r *kgo.Record, err error) {
			if err == nil {
				ackMu.Lock()
				acks = append(acks, time.Since(r.Timestamp))
				ackMu.Unlock()
			}
		})
	}
	select {
	case <-consumed:
	case <-time.After(60 * time.Second):
		fmt.Println("  (timed out waiting for the last events)")
		stop()
		<-consumed
	}
	stop()
	<-done
	if len(lat) == 0 {
		return fmt.Errorf("no latencies measured")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond / 10) }
	b.printTxnHistogram()
	if perSecond != nil {
		fmt.Print("worst latency by second of sending:")
		for _, d := range perSecond {
			fmt.Printf(" %s", r(d))
		}
		fmt.Println()
	}
	if len(acks) > 0 {
		sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
		fmt.Printf("raw produce acknowledged: p50 %s, p99 %s, max %s\n", r(acks[len(acks)/2]), r(acks[len(acks)*99/100]), r(acks[len(acks)-1]))
	}
	if len(seen) > 0 {
		sort.Slice(seen, func(i, j int) bool { return seen[i] < seen[j] })
		fmt.Printf("raw record to stage processing: p50 %s, p99 %s, max %s\n", r(seen[len(seen)/2]), r(seen[len(seen)*99/100]), r(seen[len(seen)-1]))
	}
	txns, aborts := st.Stats().Transactions()
	fmt.Printf("latency at %d records/s over %s after warm-up (%d events): p50 %s, p90 %s, p99 %s, p99.9 %s, max %s (encoding %s; %d transactions, %d aborted)\n",
		rate, dur-warmup, len(lat), r(q(0.50)), r(q(0.90)), r(q(0.99)), r(q(0.999)), r(lat[len(lat)-1]), b.encoding, txns, aborts)
	return nil
}

// printTxnHistogram shows how long the stage's transactions took.
func (b *bench) printTxnHistogram() {
	mfs, err := b.metrics.Registry.Gather()
	if err != nil {
		return
	}
	for _, mf := range mfs {
		if mf.GetName() != "wismo_transaction_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			fmt.Printf("transactions: %d, mean %.1f ms; cumulative counts by upper bound:", h.GetSampleCount(), 1000*h.GetSampleSum()/float64(h.GetSampleCount()))
			for _, bk := range h.GetBucket() {
				fmt.Printf(" <=%gms:%d", 1000*bk.GetUpperBound(), bk.GetCumulativeCount())
			}
			fmt.Println()
		}
	}
}

// probe records how long raw records waited before the stage processed them.
type probe struct {
	pipeline.Processor
	seen *[]time.Duration
}

func (p *probe) Process(rec *kgo.Record, out *pipeline.Output) {
	*p.seen = append(*p.seen, time.Since(rec.Timestamp))
	p.Processor.Process(rec, out)
}
