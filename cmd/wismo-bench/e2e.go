package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/internal/wismoproc"
	"github.com/wismo/wismo/sinks/chsink"
)

// The end-to-end benchmark drives `wismo run` with every stage (normalize,
// detect, sink) as a separate process against the real broker and the real
// ClickHouse, with load from `wismo gen`, and reads its figures off the
// instance's own /metrics and /debug/pprof endpoints:
//
//   - throughput: `wismo gen` loads the raw topics first, then the instance
//     starts and works through them; the sustained rates are taken between
//     10% and 90% of each stage's input, so that neither the group join nor
//     the last partial batches count. CPU comes from the instance's
//     process_cpu_seconds_total and from /proc/stat (the whole machine:
//     broker and ClickHouse included); heap per tracked shipment from a
//     forced collection at the end; a CPU profile is taken while it runs;
//   - latency: a fresh instance, then `wismo gen --rate` sends records at a
//     fixed rate; for each notification command a read_committed consumer
//     sees, the time from its raw record's timestamp (which every stage
//     carries through) to that moment.
//
// Every run has its own topics and database, removed at the end (-keep
// leaves them).
type e2e struct {
	wismo      string
	brokers    []string
	clickhouse string
	partitions int
	dir        string // logs, profile
	keep       bool
	profile    time.Duration
	set        []string
	made       []*instance // stopped runs, removed at the end

	adm *kadm.Client
	cl  *kgo.Client
}

type e2eFlags struct {
	wismo, clickhouse, write, dir string
	set                           []string // more WISMO_ settings for wismo run
	keep                          bool
	profile                       time.Duration
}

// recordsPerShipment is about what `wismo gen` makes with its default
// rates (110,993 records for 10,000 shipments with seed 1): how many
// shipments to ask for to get about n records.
const recordsPerShipment = 11.1

func runE2E(brokers []string, partitions, n int, rates []int, dur, warmup time.Duration, f e2eFlags) error {
	if f.dir == "" {
		d, err := os.MkdirTemp("", "wismo-bench-")
		if err != nil {
			return err
		}
		f.dir = d
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	defer cl.Close()
	e := &e2e{wismo: f.wismo, brokers: brokers, clickhouse: f.clickhouse, partitions: partitions,
		dir: f.dir, keep: f.keep, profile: f.profile, set: f.set, adm: kadm.NewClient(cl), cl: cl}
	defer e.removeAll()
	logf("e2e: logs and profile in %s", f.dir)
	thr, err := e.throughput(n)
	if err != nil {
		return err
	}
	var lats []latResult
	for _, rate := range rates {
		lat, err := e.latency(rate, dur, warmup)
		if err != nil {
			return err
		}
		lats = append(lats, lat)
	}
	table := e.table(thr, lats)
	fmt.Print("\n" + table)
	if thr.profileTop != "" {
		fmt.Printf("\nCPU profile of the instance (%s of the throughput run; %s):\n%s\n", e.profile, thr.profilePath, thr.profileTop)
	}
	if f.write != "" {
		cmd := "make bench   # " + strings.Join(os.Args, " ")
		section := fmt.Sprintf("\n## End to end, %s\n\n```\n%s\n```\n\n%s\n%s",
			time.Now().UTC().Format("2006-01-02"), cmd, machine(), table)
		if err := appendTo(f.write, section); err != nil {
			return err
		}
		logf("e2e: table appended to %s", f.write)
	}
	return nil
}

// appendTo appends section to the file path (BENCHMARKS.md).
func appendTo(path, section string) error {
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = fh.WriteString(section)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// machine describes where the figures come from.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(data); m != nil {
			model = string(m[1])
		}
	}
	return fmt.Sprintf("%d cores (%s), with the Kafka broker and ClickHouse on the same machine; %s.\n",
		runtime.NumCPU(), model, runtime.Version())
}

func (e *e2e) table(thr thrResult, lats []latResult) string {
	var b strings.Builder
	row := func(figure, measured, target string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", figure, measured, target) }
	b.WriteString("| figure | measured | target |\n|---|---|---|\n")
	row("raw records/s sustained, transactions on (normalize, with detect and sink running)", fmt.Sprintf("%.0f", thr.normalizeRate), "100,000")
	row("raw records/s through every stage (load start to the last ClickHouse insert)", fmt.Sprintf("%.0f", thr.pipelineRate), "—")
	row("canonical events/s sustained (detect)", fmt.Sprintf("%.0f", thr.detectRate), "—")
	row("ClickHouse rows/s sustained (sink, as fast as the stages before it feed it)", fmt.Sprintf("%.0f", thr.rowsRate), "—")
	for _, lat := range lats {
		target := "—"
		if lat.rate == 10_000 {
			target = "under 250 ms"
		}
		row(fmt.Sprintf("notification latency p50 / p99 at %d raw records/s (%.0f/s achieved)", lat.rate, lat.achieved),
			lat.p50.String()+" / "+lat.p99.String(), target)
		row(fmt.Sprintf("canonical event latency p50 / p99 at %d raw records/s (normalize alone)", lat.rate),
			lat.evP50.String()+" / "+lat.evP99.String(), "—")
	}
	row("heap per tracked shipment (instance heap after GC / tracked shipments)", fmt.Sprintf("%.0f B", thr.heapPerShipment), "—")
	if slope, ok := heapSlope(thr, lats); ok {
		row("heap per additional tracked shipment (slope over the runs: fixed buffers left out)", fmt.Sprintf("%.0f B", slope), "—")
	}
	row("CPU per 100,000 canonical events, wismo (all stages)", fmt.Sprintf("%.2f s", thr.cpuPer100k), "—")
	row("CPU per 100,000 canonical events, whole machine (broker and ClickHouse too)", fmt.Sprintf("%.2f s", thr.machineCPUPer100k), "—")
	fmt.Fprintf(&b, "\nThroughput run: %d raw records of %d shipments (%d canonical events, %d ClickHouse rows, %d shipments tracked at the end); "+
		"%d partitions; event clock.", thr.records, thr.shipments, thr.events, thr.rows, thr.tracked, e.partitions)
	for _, lat := range lats {
		fmt.Fprintf(&b, " Latency run at %d/s: %d raw records sent, %d notification commands measured after a %s warm-up.",
			lat.rate, lat.sent, lat.n, lat.warmup)
	}
	b.WriteString("\n")
	return b.String()
}

// instance is one `wismo run` process.
type instance struct {
	cmd      *exec.Cmd
	httpAddr string
	// pprofAddr serves the instance's profiles (http.pprof_addr).
	pprofAddr string
	notify    string // its notifications topic
	events    string // its events topic
	topics    []string
	database  string
	exited    chan error
}

func (e *e2e) gen(ctx context.Context, prefix string, shipments int, rate int, logName string) (records int, err error) {
	args := []string{"gen", "--seed", "1", "--shipments", strconv.Itoa(shipments), "--topic-prefix", prefix,
		"--progress", "5s", "--rate", strconv.Itoa(rate)}
	logf("e2e: %s %s", e.wismo, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, e.wismo, args...)
	cmd.Env = wismoproc.Env("WISMO_KAFKA_BROKERS="+strings.Join(e.brokers, ","), fmt.Sprintf("WISMO_TOPICS_PARTITIONS=%d", e.partitions),
		"WISMO_TOPICS_REPLICATION_FACTOR=1")
	var out bytes.Buffer
	w := io.MultiWriter(&out, os.Stderr)
	cmd.Stdout, cmd.Stderr = w, w // one writer: exec then writes from one goroutine
	err = cmd.Run()
	_ = os.WriteFile(filepath.Join(e.dir, logName), out.Bytes(), 0o644)
	if err != nil {
		return 0, fmt.Errorf("wismo gen: %w", err)
	}
	m := regexp.MustCompile(`gen: \d+ shipments, (\d+) records`).FindSubmatch(out.Bytes())
	if m == nil {
		return 0, fmt.Errorf("wismo gen printed no summary line")
	}
	return strconv.Atoi(string(m[1]))
}

// start runs `wismo run` with every stage on the topics under prefix and
// waits until it is ready (or, with !ready, only until it serves its
// endpoints: the throughput run watches it join and restore). Its settings
// all come from the environment.
func (e *e2e) start(ctx context.Context, prefix, logName string, ready bool) (*instance, error) {
	addr, err := wismoproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := wismoproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	db := "wismo_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.TrimSuffix(prefix, "."))
	in := &instance{httpAddr: addr, pprofAddr: pprofAddr, notify: prefix + "notifications", events: prefix + "events", database: db, exited: make(chan error, 1)}
	var raw []string
	for _, c := range gen.CarrierNames() { // the raw topics wismo gen writes
		raw = append(raw, prefix+"raw."+c+"="+c+":"+string(gen.Format(c)))
		in.topics = append(in.topics, prefix+"raw."+c)
	}
	in.topics = append(in.topics, prefix+"events", prefix+"notifications", prefix+"state", prefix+"deadletter")
	settings := []string{
		"WISMO_INSTANCE_ID=" + strings.TrimSuffix(prefix, "."), "WISMO_STAGES=normalize,detect,sink",
		"WISMO_KAFKA_BROKERS=" + strings.Join(e.brokers, ","), "WISMO_RAW=" + strings.Join(raw, ","),
		"WISMO_TOPICS_EVENTS=" + prefix + "events", "WISMO_TOPICS_NOTIFICATIONS=" + in.notify,
		"WISMO_TOPICS_STATE=" + prefix + "state", "WISMO_TOPICS_DEADLETTER=" + prefix + "deadletter",
		fmt.Sprintf("WISMO_TOPICS_PARTITIONS=%d", e.partitions), "WISMO_TOPICS_REPLICATION_FACTOR=1",
		"WISMO_DETECT_CLOCK=event", "WISMO_CLICKHOUSE_ADDR=" + e.clickhouse, "WISMO_CLICKHOUSE_DATABASE=" + db,
		"WISMO_HTTP_ADDR=" + addr, "WISMO_HTTP_PPROF=true", "WISMO_HTTP_PPROF_ADDR=" + pprofAddr, "WISMO_LOG_LEVEL=info",
	}
	settings = append(settings, e.set...)
	logf("e2e: %s run, with\n  %s", e.wismo, strings.Join(settings, "\n  "))
	logFile, err := os.Create(filepath.Join(e.dir, logName))
	if err != nil {
		return nil, err
	}
	in.cmd = exec.Command(e.wismo, "run")
	in.cmd.Env = wismoproc.Env(settings...)
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	if err := in.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { in.exited <- in.cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		probe := "/readyz"
		if !ready {
			probe = "/healthz"
		}
		if code, _ := httpGet(ctx, "http://"+addr+probe); code == http.StatusOK {
			return in, nil
		}
		select {
		case err := <-in.exited:
			return nil, fmt.Errorf("wismo run exited before it was ready (%v); see %s", err, logFile.Name())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = in.cmd.Process.Kill()
			return nil, fmt.Errorf("wismo run not ready after 2 minutes; see %s", logFile.Name())
		}
	}
}

// stop asks the instance to finish (SIGTERM: it drains and commits). What
// the run made is removed at the very end (removeAll): Kafka deletes a
// topic's files a minute after the topic, and that disk work would land in
// the next run's measurements.
func (e *e2e) stop(in *instance) error {
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-in.exited:
	case <-time.After(time.Minute):
		_ = in.cmd.Process.Kill()
		err = fmt.Errorf("wismo run did not stop within a minute of SIGTERM")
	}
	e.made = append(e.made, in)
	return err
}

// removeAll deletes the topics and databases of every run, unless -keep.
func (e *e2e) removeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, in := range e.made {
		if e.keep {
			logf("e2e: kept topics %s and database %s", strings.Join(in.topics, " "), in.database)
			continue
		}
		if _, err := e.adm.DeleteTopics(ctx, in.topics...); err != nil {
			logf("e2e: delete topics: %v", err)
		}
		if conn, err := chsink.Open(chsink.Options{Addrs: chsink.SplitAddrs(e.clickhouse)}); err == nil {
			if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+in.database); err != nil {
				logf("e2e: drop database %s: %v", in.database, err)
			}
			conn.Close()
		}
	}
}

func httpGet(ctx context.Context, url string) (int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// sample is one read of the instance's counters.
type sample struct {
	at                             time.Time
	normIn, events, detectIn, rows float64
	synthetic, commands, sinkIn    float64
	cpu, machineCPU                float64 // seconds
	tracked, heap                  float64
}

// done reports whether every stage has read everything there is: detect
// reads the canonical events and its own synthetic ones; the sink reads
// those and the notification commands. (Counting is simpler than lag here:
// the offsets of transactional topics end with commit markers, which no
// consumer's committed offset passes until more records follow.)
func (s sample) done(records int) bool {
	return s.normIn >= float64(records) && s.detectIn >= s.events+s.synthetic &&
		s.sinkIn >= s.events+s.synthetic+s.commands
}

// metricLine matches a sample line of the Prometheus text format, e.g.
// wismo_records_in_total{carrier="ups",stage="normalize"} 1234
var metricLine = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$`)

func (in *instance) sample(ctx context.Context) (sample, error) {
	s := sample{at: time.Now(), machineCPU: machineCPU()}
	code, body := httpGet(ctx, "http://"+in.httpAddr+"/metrics")
	if code != http.StatusOK {
		return s, fmt.Errorf("GET /metrics: status %d", code)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		labels := m[2]
		switch m[1] {
		case "wismo_records_in_total":
			if strings.Contains(labels, `stage="normalize"`) {
				s.normIn += v
			} else if strings.Contains(labels, `stage="detect"`) {
				s.detectIn += v
			}
		case "wismo_records_produced_total":
			if strings.Contains(labels, `stage="normalize"`) {
				s.events += v
			}
		case "wismo_sink_rows_inserted_total":
			s.rows += v
		case "wismo_sink_records_total":
			s.sinkIn += v
		case "wismo_synthetic_events_total":
			s.synthetic += v
		case "wismo_notification_commands_total":
			s.commands += v
		case "process_cpu_seconds_total":
			s.cpu = v
		case "wismo_tracked_shipments":
			s.tracked = v
		case "go_memstats_heap_alloc_bytes":
			s.heap = v
		}
	}
	return s, sc.Err()
}

// machineCPU is the busy CPU time of the whole machine so far, in seconds:
// user, system, irq, softirq and steal of /proc/stat's cpu line. Niced
// processes' time (nice) is left out, so that a fuzz run left going at
// nice 19 does not count as the pipeline's.
func machineCPU() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	var busy float64
	for i, v := range f[1:] {
		if i == 1 || i == 3 || i == 4 { // nice, idle, iowait
			continue
		}
		if i >= 8 { // guest times are already in user
			break
		}
		x, _ := strconv.ParseFloat(v, 64)
		busy += x
	}
	return busy / 100 // USER_HZ
}

// rateBetween is the rate of the counter get between the samples where it
// first reached lo and hi of its final value.
func rateBetween(samples []sample, get func(sample) float64, lo, hi float64) float64 {
	final := get(samples[len(samples)-1])
	var a, b *sample
	for i := range samples {
		v := get(samples[i])
		if a == nil && v >= lo*final {
			a = &samples[i]
		}
		if v >= hi*final {
			b = &samples[i]
			break
		}
	}
	if a == nil || b == nil || !b.at.After(a.at) {
		return 0
	}
	return (get(*b) - get(*a)) / b.at.Sub(a.at).Seconds()
}

type thrResult struct {
	records, shipments, tracked             int
	events, rows                            int64
	normalizeRate, pipelineRate, detectRate float64
	rowsRate, heapPerShipment               float64
	heap                                    float64 // after GC, at the end
	cpuPer100k, machineCPUPer100k           float64
	profilePath, profileTop                 string
}

func (e *e2e) throughput(n int) (thrResult, error) {
	var res thrResult
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("bench.e2e.%d.", time.Now().Unix())
	res.shipments = max(1, int(float64(n)/recordsPerShipment))
	logf("e2e: throughput: loading the raw topics with %d shipments (about %d records)", res.shipments, n)
	recs, err := e.gen(ctx, prefix, res.shipments, 0, "gen-throughput.log")
	if err != nil {
		return res, err
	}
	res.records = recs
	in, err := e.start(ctx, prefix, "wismo-throughput.log", false)
	if err != nil {
		return res, err
	}
	defer func() {
		if err := e.stop(in); err != nil {
			logf("e2e: %v", err)
		}
	}()
	// A CPU profile of the busiest stretch.
	var profDone chan struct{}
	if e.profile > 0 {
		res.profilePath = filepath.Join(e.dir, "cpu-throughput.pprof")
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			code, body := httpGet(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", in.pprofAddr, int(e.profile.Seconds())))
			if code == http.StatusOK {
				_ = os.WriteFile(res.profilePath, body, 0o644)
			}
		}()
	}
	var samples []sample
	var last time.Time
	for {
		s, err := in.sample(ctx)
		if err != nil {
			return res, err
		}
		samples = append(samples, s)
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			logf("e2e: normalize %.0f/%d raw records, detect %.0f records in, sink %.0f rows", s.normIn, recs, s.detectIn, s.rows)
		}
		// Done when every stage has read everything, twice in a row half
		// a second apart (a last tick may still make synthetic events).
		if s.done(recs) {
			time.Sleep(500 * time.Millisecond)
			s2, err := in.sample(ctx)
			if err != nil {
				return res, err
			}
			if s2.done(recs) && s2.sinkIn == s.sinkIn && s2.detectIn == s.detectIn {
				samples = append(samples, s2)
				break
			}
			continue
		}
		select {
		case err := <-in.exited:
			return res, fmt.Errorf("wismo run exited during the run: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("timed out: normalize %.0f/%d", s.normIn, recs)
		}
	}
	first, end := samples[0], samples[len(samples)-1]
	res.events, res.rows = int64(end.events), int64(end.rows)
	res.normalizeRate = rateBetween(samples, func(s sample) float64 { return s.normIn }, 0.1, 0.9)
	res.detectRate = rateBetween(samples, func(s sample) float64 { return s.detectIn }, 0.1, 0.9)
	res.rowsRate = rateBetween(samples, func(s sample) float64 { return s.rows }, 0.1, 0.9)
	res.pipelineRate = float64(recs) / end.at.Sub(first.at).Seconds()
	if res.events > 0 {
		res.cpuPer100k = (end.cpu - first.cpu) / float64(res.events) * 100_000
		res.machineCPUPer100k = (end.machineCPU - first.machineCPU) / float64(res.events) * 100_000
	}
	// The heap after a forced collection (the heap profile's gc=1).
	httpGet(ctx, "http://"+in.pprofAddr+"/debug/pprof/heap?gc=1")
	if s, err := in.sample(ctx); err == nil && s.tracked > 0 {
		res.tracked, res.heap = int(s.tracked), s.heap
		res.heapPerShipment = s.heap / s.tracked
	}
	if profDone != nil {
		<-profDone
		if out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", e.wismo, res.profilePath).CombinedOutput(); err == nil {
			res.profileTop = string(out)
		} else {
			logf("e2e: go tool pprof: %v: %s", err, out)
		}
	}
	logf("e2e: throughput run done in %s", end.at.Sub(first.at).Round(time.Millisecond))
	return res, nil
}

type latResult struct {
	p50, p99, warmup time.Duration
	evP50, evP99     time.Duration // canonical events (normalize alone)
	tracked          int
	heap             float64 // after GC, at the end
	rate, sent, n    int
	achieved         float64 // raw records/s gen managed
}

func (e *e2e) latency(rate int, dur, warmup time.Duration) (latResult, error) {
	res := latResult{warmup: warmup, rate: rate}
	ctx, cancel := context.WithTimeout(context.Background(), dur+10*time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("bench.e2e.lat.%d.", time.Now().Unix())
	in, err := e.start(ctx, prefix, "wismo-latency.log", true)
	if err != nil {
		return res, err
	}
	defer func() {
		if err := e.stop(in); err != nil {
			logf("e2e: %v", err)
		}
	}()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumeTopics(in.notify, in.events),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		return res, err
	}
	defer cl.Close()
	shipments := max(1, int(float64(rate)*dur.Seconds()/recordsPerShipment))
	logf("e2e: latency: %d shipments at %d raw records/s", shipments, rate)
	start := time.Now()
	type genResult struct {
		n   int
		err error
	}
	genDone := make(chan genResult, 1)
	go func() {
		n, err := e.gen(ctx, prefix, shipments, rate, "gen-latency.log")
		genDone <- genResult{n, err}
	}()
	var lats, evLats []time.Duration // notification commands; canonical events
	type stamped struct {
		at  time.Time
		lat time.Duration
	}
	var dump []stamped
	sent, finishing := false, false
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		seen := time.Now()
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Timestamp.Sub(start) < warmup {
				return
			}
			if rec.Topic == in.notify {
				lats = append(lats, seen.Sub(rec.Timestamp))
				dump = append(dump, stamped{rec.Timestamp, seen.Sub(rec.Timestamp)})
			} else {
				evLats = append(evLats, seen.Sub(rec.Timestamp))
			}
		})
		if !sent {
			select {
			case g := <-genDone:
				if g.err != nil {
					return res, g.err
				}
				res.sent, sent = g.n, true
				res.achieved = float64(g.n) / time.Since(start).Seconds()
			default:
			}
		} else if fs.NumRecords() == 0 {
			// Everything is sent; once every stage has read everything
			// (so every command is committed), one more empty poll and
			// all are seen.
			if finishing {
				break
			}
			st, err := in.sample(ctx)
			if err != nil {
				return res, err
			}
			finishing = st.done(res.sent)
		}
		select {
		case err := <-in.exited:
			return res, fmt.Errorf("wismo run exited during the run: %v", err)
		default:
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	if len(lats) == 0 {
		return res, errors.New("no notification command seen")
	}
	if path := os.Getenv("BENCH_LATENCY_DUMP"); path != "" {
		// the raw timestamp (seconds into the run) and latency of each
		// notification command, to find where a tail comes from
		var b strings.Builder
		for _, l := range dump {
			fmt.Fprintf(&b, "%.3f %d\n", l.at.Sub(start).Seconds(), l.lat.Milliseconds())
		}
		_ = os.WriteFile(fmt.Sprintf("%s.%d", path, rate), []byte(b.String()), 0o644)
	}
	res.n = len(lats)
	res.p50, res.p99 = percentiles(lats)
	httpGet(ctx, "http://"+in.pprofAddr+"/debug/pprof/heap?gc=1")
	if st, err := in.sample(ctx); err == nil {
		res.tracked, res.heap = int(st.tracked), st.heap
	}
	if len(evLats) > 0 {
		res.evP50, res.evP99 = percentiles(evLats)
	}
	return res, nil
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond)
}

// heapSlope fits heap = a + b*tracked over the runs' end points (each a
// fresh instance after a forced collection) and returns b: what one more
// tracked shipment costs the instance (its detect state, and the scan ids
// normalize remembers for it), without the buffers every instance has.
func heapSlope(thr thrResult, lats []latResult) (float64, bool) {
	xs, ys := []float64{float64(thr.tracked)}, []float64{thr.heap}
	for _, l := range lats {
		xs, ys = append(xs, float64(l.tracked)), append(ys, l.heap)
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(xs))
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if len(xs) < 2 || sxx == 0 {
		return 0, false
	}
	return sxy / sxx, true
}
