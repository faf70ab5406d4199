// Command wismo-chaos runs the pipeline under faults and checks that nothing
// was lost or told twice.
//
// It starts several `wismo run` instances (subprocesses of a binary built
// beforehand, -wismo) on fresh topics, feeds them the records of
// `wismo gen` at a steady rate, and meanwhile SIGKILLs an instance every
// 20-40 s (restarting it with the same instance_id, so that its
// transactional id fences the zombie), restarts the Kafka broker once and
// stops ClickHouse for a minute. When the load is in and the consumer groups
// have no lag, the instances are stopped with SIGTERM and the topics are
// read back, read_committed:
//
//   - lost: raw records with neither a canonical event (by lineage) nor a
//     dead letter (by source_* headers); duplicate_events: raw records whose
//     events appear twice, or that were both dead-lettered and turned into
//     events, and outputs pointing at no raw record;
//   - duplicate_commands: command ids written more than once;
//     command_mismatch: command ids missing or extra against a reference
//     run in process (a fresh detection engine per events partition, on the
//     event-time clock, over the partition's carrier events in offset order:
//     what one instance would decide with no fault); synthetic_mismatch: the
//     same for the stage's synthetic events; engine_loops: partitions on
//     which that reference engine never returns from Apply (they are left
//     out of the comparisons);
//   - clickhouse_mismatch: when the build has a sink stage (and -clickhouse
//     is not empty), event and command ids in the run's own ClickHouse
//     database against the topics.
//
// An instance whose resident memory passes -max-rss-mib is killed (and
// restarted), so that a runaway instance cannot take the machine down; such
// kills are reported as memory_kills and fail the run. -check-only PREFIX
// checks the kept topics of an earlier run without running anything.
//
// The last line on stdout is the summary; the exit status is 0 only when
// every count in it is zero and the pipeline drained. Everything else goes
// to stderr; each instance's log, the generator's output and the service
// script's output go to the run folder.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wismo/wismo/names"
)

type options struct {
	wismo          string
	brokers        []string
	services       string
	seed           uint64
	shipments      int
	duration       time.Duration
	instances      int
	partitions     int
	killMin        time.Duration
	killMax        time.Duration
	kafkaRestart   bool
	chStop         bool
	chStopFor      time.Duration
	clickhouse     string
	clickhouseHTTP string
	sinkGroup      string
	deadline       time.Duration
	drainStable    time.Duration
	runDir         string
	keepTopics     bool
	progress       time.Duration
	maxRSS         int64
	checkPrefix    string
}

func parseFlags() *options {
	o := &options{}
	var brokers string
	flag.StringVar(&o.wismo, "wismo", "bin/wismo", "the wismo binary to run (build it first: make build)")
	flag.StringVar(&brokers, "brokers", "127.0.0.1:19092", "Kafka seed brokers, comma-separated")
	flag.StringVar(&o.services, "services", "scripts/services.sh", "the services script that stops and starts Kafka and ClickHouse")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated records and of the fault schedule")
	flag.IntVar(&o.shipments, "shipments", 3000, "shipments to generate (about 11 raw records each)")
	flag.DurationVar(&o.duration, "duration", 4*time.Minute, "how long producing the load takes (the rate follows)")
	flag.IntVar(&o.instances, "instances", 3, "wismo run instances")
	flag.IntVar(&o.partitions, "partitions", 12, "partitions of every topic")
	flag.DurationVar(&o.killMin, "kill-min", 20*time.Second, "shortest time between two SIGKILLs")
	flag.DurationVar(&o.killMax, "kill-max", 40*time.Second, "longest time between two SIGKILLs")
	flag.BoolVar(&o.kafkaRestart, "kafka-restart", true, "restart the Kafka broker once during the load")
	flag.BoolVar(&o.chStop, "clickhouse-stop", true, "stop ClickHouse once during the load")
	flag.DurationVar(&o.chStopFor, "clickhouse-stop-for", 60*time.Second, "how long ClickHouse stays down")
	flag.StringVar(&o.clickhouse, "clickhouse", "127.0.0.1:9000", "ClickHouse native address for the sink stage, used when the build has one (\"\": no sink)")
	flag.StringVar(&o.clickhouseHTTP, "clickhouse-http", "127.0.0.1:8123", "ClickHouse HTTP address the checks query")
	flag.StringVar(&o.sinkGroup, "sink-group", names.Group(names.GroupPrefix, "sink"), "consumer group of the sink stage")
	flag.DurationVar(&o.deadline, "deadline", 14*time.Minute, "hard deadline of the whole run: past it the run is aborted and fails")
	flag.DurationVar(&o.drainStable, "drain-stable", 10*time.Second, "how long lag must stay at zero before the pipeline counts as drained")
	flag.StringVar(&o.runDir, "run-dir", "", "folder for logs and generated records (default /tmp/wismo-chaos-<unix time>)")
	flag.BoolVar(&o.keepTopics, "keep-topics", false, "keep the run's topics (they are always kept when a check fails)")
	flag.DurationVar(&o.progress, "progress", 5*time.Second, "how often to report progress")
	flag.StringVar(&o.checkPrefix, "check-only", "", "run no pipeline: only check the topics of an earlier run, by prefix (chaos.<unix>.); the ClickHouse check is skipped")
	maxRSS := flag.Int64("max-rss-mib", 1024, "an instance using more resident memory than this (MiB) is killed, and the run fails")
	flag.Parse()
	o.brokers = strings.Split(brokers, ",")
	o.maxRSS = *maxRSS << 20
	if o.killMax < o.killMin {
		o.killMax = o.killMin
	}
	return o
}

// output: progress and findings on stderr, the summary on stdout, one line
// at a time (the watchdog may write while the main goroutine does).
var (
	outMu    sync.Mutex
	t0       = time.Now()
	exiting  bool
	aborting atomic.Bool // only the abort's own lines are printed
)

func logf(format string, args ...any) {
	if aborting.Load() {
		return
	}
	printf(format, args...)
}

func printf(format string, args ...any) {
	outMu.Lock()
	defer outMu.Unlock()
	if exiting {
		return
	}
	fmt.Fprintf(os.Stderr, "chaos: [%5.0fs] %s\n", time.Since(t0).Seconds(), fmt.Sprintf(format, args...))
}

// finish prints the summary line last and exits; only the first call does.
func finish(summary string, code int) {
	outMu.Lock()
	if exiting {
		outMu.Unlock()
		select {} // the other caller exits
	}
	exiting = true
	fmt.Fprintln(os.Stdout, summary)
	outMu.Unlock()
	os.Exit(code)
}

func main() {
	o := parseFlags()
	r := &runner{o: o, unix: time.Now().Unix(), rnd: rand.New(rand.NewPCG(o.seed, 0xc4a05))}
	if o.runDir == "" {
		o.runDir = fmt.Sprintf("/tmp/wismo-chaos-%d", r.unix)
	}
	if err := os.MkdirAll(o.runDir, 0o755); err != nil {
		finish(abortSummary(0, "run folder: "+err.Error()), 1)
	}
	// The hard deadline: whatever phase is running, the run ends, with the
	// instances killed and the services brought back up.
	time.AfterFunc(o.deadline, func() {
		r.abort(fmt.Sprintf("hard deadline of %s passed (phase: %s)", o.deadline, r.phase()))
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		r.abort("interrupted by " + s.String())
	}()
	summary, code := r.run()
	finish(summary, code)
}

func abortSummary(records int, why string) string {
	return fmt.Sprintf("chaos: records=%d lost=unknown duplicate_commands=unknown clickhouse_mismatch=unknown aborted=%q", records, why)
}

// runner holds one chaos run.
type runner struct {
	o    *options
	unix int64
	rnd  *rand.Rand

	mu        sync.Mutex
	curPhase  string
	insts     []*instance
	topics    topicNames
	records   int // raw records generated
	kafkaDown bool
	chDown    bool

	notDrained bool
	poison     []poison // one record of each kind that once broke the pipeline

	sink   bool   // the sink stage runs
	chDB   string // its database
	chSkip string // why the ClickHouse check is skipped
}

func (r *runner) setPhase(p string) {
	r.mu.Lock()
	r.curPhase = p
	r.mu.Unlock()
	logf("phase: %s", p)
}

func (r *runner) phase() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.curPhase
}

// abort ends the run at once: instances killed, services up again.
func (r *runner) abort(why string) {
	if aborting.Swap(true) {
		return // the first abort finishes the run
	}
	printf("ABORTED: %s", why)
	r.mu.Lock()
	insts := r.insts
	kafkaDown, chDown, records := r.kafkaDown, r.chDown, r.records
	r.mu.Unlock()
	// SIGTERM first, so that the instances leave their groups (a killed
	// member holds its partitions until its session times out, also for
	// the next run).
	var wg sync.WaitGroup
	for _, in := range insts {
		wg.Add(1)
		go func(in *instance) {
			defer wg.Done()
			in.stop(8 * time.Second)
		}(in)
	}
	wg.Wait()
	var svc []string
	if kafkaDown {
		svc = append(svc, "kafka")
	}
	if chDown {
		svc = append(svc, "clickhouse")
	}
	if len(svc) > 0 {
		printf("bringing %s back up", strings.Join(svc, " and "))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		_ = r.services(ctx, append([]string{"up"}, svc...)...)
		cancel()
	}
	printf("logs and records are in %s", r.o.runDir)
	finish(abortSummary(records, why), 1)
}

// run is the whole chaos run; it returns the summary line and exit status.
func (r *runner) run() (string, int) {
	o := r.o
	ctx := context.Background()
	if o.checkPrefix != "" {
		return r.checkOnly(ctx)
	}
	logf("run folder %s, seed %d, %d shipments over %s, %d instances", o.runDir, o.seed, o.shipments, o.duration, o.instances)

	r.setPhase("setup")
	if _, err := os.Stat(o.wismo); err != nil {
		return abortSummary(0, fmt.Sprintf("no wismo binary at %s (make build): %v", o.wismo, err)), 1
	}
	recs, err := r.generate(ctx)
	if err != nil {
		return abortSummary(0, "generate: "+err.Error()), 1
	}
	if r.poison, err = r.poisonRecords(recs); err != nil {
		return abortSummary(0, err.Error()), 1
	}
	r.mu.Lock()
	r.records = len(recs) + len(r.poison)
	r.mu.Unlock()
	r.topics = newTopicNames(fmt.Sprintf("chaos.%d.", r.unix), recs)
	adm, cl, err := r.admin()
	if err != nil {
		return abortSummary(len(recs), "kafka: "+err.Error()), 1
	}
	defer cl.Close()
	if err := r.createTopics(ctx, adm); err != nil {
		return abortSummary(len(recs), err.Error()), 1
	}
	r.setupSink(ctx)
	if err := r.startInstances(ctx); err != nil {
		return abortSummary(len(recs), err.Error()), 1
	}

	r.setPhase("load")
	loadCtx, stopLoad := context.WithCancel(ctx)
	prog := &progress{}
	go r.reportProgress(loadCtx, adm, prog)
	faults := r.startFaults(loadCtx)
	if err := r.producePoison(ctx, r.poison); err != nil {
		stopLoad()
		r.stopInstances()
		return abortSummary(len(recs), "produce: "+err.Error()), 1
	}
	if err := r.produce(ctx, recs, prog); err != nil {
		stopLoad()
		r.stopInstances()
		return abortSummary(len(recs), "produce: "+err.Error()), 1
	}
	logf("load produced: %d records in %s", prog.acked.Load(), time.Since(prog.start).Round(time.Second))
	stopLoad()
	faults.Wait() // a broker or ClickHouse outage in progress ends first
	r.mu.Lock()
	servicesDown := r.kafkaDown || r.chDown
	r.mu.Unlock()
	if servicesDown {
		return abortSummary(len(recs), "a service could not be brought back up (see "+filepath.Join(o.runDir, "services.log")+")"), 1
	}

	r.setPhase("drain")
	drainErr := r.drain(ctx, adm)
	r.notDrained = drainErr != nil
	if drainErr != nil {
		logf("NOT DRAINED: %v; checking what is there anyway", drainErr)
	}
	r.setPhase("stop")
	r.stopInstances()
	r.reportInstances()

	r.setPhase("check")
	r.waitTransactions(ctx, adm)
	res, err := r.check(ctx, adm)
	if err != nil {
		return abortSummary(len(recs), "check: "+err.Error()), 1
	}
	res.print()
	memKills := r.memoryKills()
	ok := res.ok() && drainErr == nil && memKills == 0
	if ok && !o.keepTopics {
		r.deleteTopics(ctx, adm)
	} else {
		logf("topics kept: %s*", r.topics.prefix)
		if r.sink {
			logf("ClickHouse database kept: %s", r.chDB)
		}
	}
	logf("logs and records are in %s", o.runDir)
	code := 0
	if !ok {
		code = 1
	}
	summary := res.summary()
	if memKills > 0 {
		summary += fmt.Sprintf(" memory_kills=%d", memKills)
	}
	if drainErr != nil {
		summary += " drained=false"
	}
	return summary, code
}

// sleepCtx sleeps for d or until ctx is done; it reports whether the whole
// time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// uniform is a duration in [lo, hi] from the run's seeded source.
func (r *runner) uniform(lo, hi time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.rnd.Int64N(int64(hi-lo)+1))
}

func (r *runner) intn(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rnd.IntN(n)
}

var errNotDrained = errors.New("not drained")

// checkOnly checks the kept topics of an earlier run.
func (r *runner) checkOnly(ctx context.Context) (string, int) {
	adm, cl, err := r.admin()
	if err != nil {
		return abortSummary(0, "kafka: "+err.Error()), 1
	}
	defer cl.Close()
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	topics, err := adm.ListTopics(lctx)
	cancel()
	if err != nil {
		return abortSummary(0, "list topics: "+err.Error()), 1
	}
	var raw []rawRecord
	for _, t := range topics.Names() {
		if strings.HasPrefix(t, r.o.checkPrefix+"raw.") {
			raw = append(raw, rawRecord{topic: t})
		}
	}
	if len(raw) == 0 {
		return abortSummary(0, "no raw topics named "+r.o.checkPrefix+"raw.*"), 1
	}
	r.topics = newTopicNames(r.o.checkPrefix, raw)
	r.chSkip = "-check-only"
	r.setPhase("check")
	r.waitTransactions(ctx, adm)
	res, err := r.check(ctx, adm)
	if err != nil {
		return abortSummary(0, "check: "+err.Error()), 1
	}
	res.print()
	if !res.ok() {
		return res.summary(), 1
	}
	return res.summary(), 0
}
