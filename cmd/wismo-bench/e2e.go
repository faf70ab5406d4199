package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

// e2e runs the whole pipeline as `wismo run` builds it (every stage, in
// this process) against the real broker, on records from `wismo gen`:
//
//   - throughput: n raw records are loaded first, then the instance starts
//     and the time until normalize and detect have committed everything is
//     taken; CPU (getrusage) and heap per tracked shipment come from the
//     same run;
//   - latency: a fresh instance, then records sent at rate for dur; for
//     each notification command, the time from its raw record's timestamp
//     (which the stages carry through) to a read_committed consumer seeing
//     it.
type e2e struct {
	brokers    []string
	partitions int
	recs       []*kgo.Record
}

func runE2E(brokers []string, partitions, n, rate int, dur, warmup time.Duration) error {
	fmt.Fprintf(os.Stderr, "e2e: generating %d raw records with wismo gen (seed 1)\n", n)
	recs, err := generate(n)
	if err != nil {
		return err
	}
	e := &e2e{brokers: brokers, partitions: partitions, recs: recs}
	thr, err := e.throughput()
	if err != nil {
		return err
	}
	lat, err := e.latency(rate, dur, warmup)
	if err != nil {
		return err
	}
	fmt.Printf("\n| figure | measured | target |\n|---|---|---|\n")
	fmt.Printf("| raw records/s sustained, transactions on (normalize) | %.0f | 100,000 |\n", thr.normalizeRate)
	fmt.Printf("| raw records/s through detection (normalize and detect both done) | %.0f | — |\n", thr.pipelineRate)
	fmt.Printf("| canonical events/s (detect input) | %.0f | — |\n", thr.eventRate)
	fmt.Printf("| notification latency p50 at %d records/s | %s | — |\n", rate, lat.p50)
	fmt.Printf("| notification latency p99 at %d records/s | %s | under 250 ms |\n", rate, lat.p99)
	fmt.Printf("| heap per tracked shipment (whole process, upper bound) | %.0f B | — |\n", thr.heapPerShipment)
	fmt.Printf("| CPU per 100,000 events (all stages in process) | %.2f s | — |\n", thr.cpuPer100k)
	fmt.Printf("\n%d raw records (%d shipments tracked, %d events, %d commands in the latency run); %d partitions\n",
		len(recs), thr.tracked, thr.events, lat.n, partitions)
	return nil
}

// generate makes n raw records (stopping mid-shipment is fine: a
// shipment's later polls are simply missing).
func generate(n int) ([]*kgo.Record, error) {
	var out []*kgo.Record
	stop := fmt.Errorf("enough")
	_, err := gen.Generate(gen.Options{Seed: 1, Shipments: n}, func(r *gen.Record) error {
		out = append(out, &kgo.Record{Topic: r.Topic, Key: []byte(r.Key), Value: slices.Clone(r.Value)})
		if len(out) >= n {
			return stop
		}
		return nil
	}, nil)
	if err != nil && !errors.Is(err, stop) {
		return nil, err
	}
	return out, nil
}

func (e *e2e) newRunner(ctx context.Context, prefix string) (*runner.Runner, *config.Config, error) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	config.Flags(fs)
	args := []string{"--instance-id", prefix + "bench", "--http-addr", "off", "--stages", "normalize,detect", "--log-level", "warn"}
	for _, c := range []string{"ups", "fedex", "usps", "dhl"} {
		args = append(args, "--raw", prefix+"raw."+c+"="+c+":json")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(fs, []string{
		"WISMO_KAFKA_BROKERS=" + strings.Join(e.brokers, ","),
		"WISMO_TOPICS_EVENTS=" + prefix + "events", "WISMO_TOPICS_NOTIFICATIONS=" + prefix + "notifications",
		"WISMO_TOPICS_STATE=" + prefix + "state", "WISMO_TOPICS_DEADLETTER=" + prefix + "deadletter",
		fmt.Sprintf("WISMO_TOPICS_PARTITIONS=%d", e.partitions), "WISMO_TOPICS_REPLICATION_FACTOR=1",
	})
	if err != nil {
		return nil, nil, err
	}
	r, err := runner.New(ctx, cfg, zap.NewNop())
	return r, cfg, err
}

func (e *e2e) produce(ctx context.Context, prefix string, recs []*kgo.Record, rate int, stamp bool) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ProducerLinger(2*time.Millisecond), kgo.MaxBufferedRecords(50_000))
	if err != nil {
		return err
	}
	defer cl.Close()
	var (
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for i, r := range recs {
		if rate > 0 {
			if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
				time.Sleep(wait)
			}
		}
		rec := &kgo.Record{Topic: prefix + r.Topic, Key: r.Key, Value: r.Value}
		if stamp {
			rec.Timestamp = time.Now()
		}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return first
}

type thrResult struct {
	normalizeRate, pipelineRate, eventRate float64
	heapPerShipment, cpuPer100k            float64
	tracked                                int
	events                                 int64
}

func stageByName(r *runner.Runner, name string) *pipeline.Stage {
	for _, s := range r.Stages() {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

func (e *e2e) throughput() (thrResult, error) {
	var res thrResult
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("bench.e2e.%d.", time.Now().UnixNano())
	r, _, err := e.newRunner(ctx, prefix) // creates the topics
	if err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "e2e: loading %d raw records\n", len(e.recs))
	if err := e.produce(ctx, prefix, e.recs, 0, false); err != nil {
		return res, err
	}
	norm, det := stageByName(r, "normalize"), stageByName(r, "detect")
	admCl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...))
	if err != nil {
		return res, err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	var before syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	var normDone time.Duration
	var tracked atomic.Int64
	for {
		time.Sleep(100 * time.Millisecond)
		_, nt := norm.Stats().Snapshot()
		_, dt := det.Stats().Snapshot()
		if normDone == 0 && nt.In >= int64(len(e.recs)) {
			normDone = time.Since(start)
			res.events = nt.Produced
			fmt.Fprintf(os.Stderr, "e2e: normalize committed %d raw records in %s\n", nt.In, normDone.Round(time.Millisecond))
		}
		// detect also reads back its own synthetic events: it is done when
		// its group has nothing left to read, twice in a row
		if normDone != 0 && dt.In >= res.events && drained(ctx, adm, "wismo-detect") {
			time.Sleep(300 * time.Millisecond)
			if drained(ctx, adm, "wismo-detect") {
				break
			}
		}
		if ctx.Err() != nil {
			stop()
			return res, fmt.Errorf("timed out: normalize %d/%d, detect %d", nt.In, len(e.recs), dt.In)
		}
	}
	all := time.Since(start)
	var after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	tracked.Store(int64(testutil.ToFloat64(r.Metrics().Tracked)))
	stop()
	if err := <-done; err != nil {
		return res, err
	}
	cpu := tv(after.Utime) + tv(after.Stime) - tv(before.Utime) - tv(before.Stime)
	res.normalizeRate = float64(len(e.recs)) / normDone.Seconds()
	res.pipelineRate = float64(len(e.recs)) / all.Seconds()
	res.eventRate = float64(res.events) / all.Seconds()
	res.tracked = int(tracked.Load())
	if res.tracked > 0 {
		res.heapPerShipment = float64(ms.HeapAlloc) / float64(res.tracked)
	}
	res.cpuPer100k = cpu.Seconds() / float64(res.events) * 100_000
	return res, nil
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// drained reports whether the group has no lag on any partition.
func drained(ctx context.Context, adm *kadm.Client, group string) bool {
	lags, err := adm.Lag(ctx, group)
	if err != nil {
		return false
	}
	for _, g := range lags {
		if g.Error() != nil || len(g.Lag) == 0 {
			return false
		}
		if g.Lag.Total() != 0 {
			return false
		}
	}
	return true
}

type latResult struct {
	p50, p99 time.Duration
	n        int
}

func (e *e2e) latency(rate int, dur, warmup time.Duration) (latResult, error) {
	var res latResult
	ctx, cancel := context.WithTimeout(context.Background(), dur+5*time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("bench.e2e.lat.%d.", time.Now().UnixNano())
	r, cfg, err := e.newRunner(ctx, prefix)
	if err != nil {
		return res, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	for ok, _ := r.Ready(); !ok; ok, _ = r.Ready() {
		time.Sleep(50 * time.Millisecond)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumeTopics(cfg.Topics.Notifications),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return res, err
	}
	defer cl.Close()
	n := min(len(e.recs), int(float64(rate)*dur.Seconds()))
	fmt.Fprintf(os.Stderr, "e2e: sending %d raw records at %d/s\n", n, rate)
	start := time.Now()
	prodErr := make(chan error, 1)
	go func() { prodErr <- e.produce(ctx, prefix, e.recs[:n], rate, true) }()
	var lats []time.Duration
	sent := false
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		seen := time.Now()
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Timestamp.Sub(start) >= warmup {
				lats = append(lats, seen.Sub(rec.Timestamp))
			}
		})
		if !sent {
			select {
			case err := <-prodErr:
				if err != nil {
					return res, err
				}
				sent = true
			default:
			}
		} else if fs.NumRecords() == 0 {
			break // sent everything and a second went by with nothing new
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	stop()
	if err := <-done; err != nil {
		return res, err
	}
	if len(lats) == 0 {
		return res, fmt.Errorf("no notification command seen")
	}
	slices.Sort(lats)
	res.n = len(lats)
	res.p50 = lats[len(lats)/2].Round(time.Millisecond)
	res.p99 = lats[len(lats)*99/100].Round(time.Millisecond)
	return res, nil
}
