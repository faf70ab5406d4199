package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/internal/wismoproc"
	"github.com/wismo/wismo/names"
	"go.yaml.in/yaml/v3"
)

// topicNames are the run's topics, all under one fresh prefix.
type topicNames struct {
	prefix                                   string
	events, notifications, state, deadletter string
	raw                                      map[string]string // prefixed raw topic -> carrier
	rawSorted                                []string
}

func newTopicNames(prefix string, recs []rawRecord) topicNames {
	t := topicNames{prefix: prefix, events: prefix + names.EventsTopic,
		notifications: prefix + names.NotificationsTopic, state: prefix + names.StateTopic,
		deadletter: prefix + names.DeadLetterTopic, raw: map[string]string{}}
	for _, c := range genCarriers {
		t.raw[prefix+"raw."+c] = c
	}
	for _, rc := range recs {
		if _, ok := t.raw[rc.topic]; !ok {
			t.raw[rc.topic] = strings.TrimPrefix(rc.topic, prefix+"raw.")
		}
	}
	for tp := range t.raw {
		t.rawSorted = append(t.rawSorted, tp)
	}
	sort.Strings(t.rawSorted)
	return t
}

func (t topicNames) all() []string {
	return append([]string{t.events, t.notifications, t.state, t.deadletter}, t.rawSorted...)
}

// instance is one `wismo run` subprocess, restarted whenever it exits until
// it is stopped.
type instance struct {
	r        *runner
	idx      int
	id       string
	httpAddr string
	cfgPath  string
	logPath  string
	env      []string

	mu         sync.Mutex
	cmd        *exec.Cmd
	running    bool
	killedByUs bool
	stopping   bool
	starts     int
	kills      int
	unexpected []string // exits nobody asked for
	memKills   []string // killed for using more memory than -max-rss
	done       chan struct{}
}

// wismoConfig is the part of wismo's configuration the run sets.
type wismoConfig struct {
	InstanceID string            `yaml:"instance_id"`
	Stages     []string          `yaml:"stages"`
	Kafka      map[string]any    `yaml:"kafka"`
	Topics     map[string]any    `yaml:"topics"`
	Raw        []map[string]any  `yaml:"raw"`
	Detect     map[string]string `yaml:"detect"`
	ClickHouse map[string]any    `yaml:"clickhouse,omitempty"`
	HTTP       map[string]string `yaml:"http"`
	Log        map[string]string `yaml:"log"`
}

// stagesKnown asks the binary which stages `wismo run` knows (the --stages
// help line: "stages to run, of normalize, detect").
func (r *runner) stagesKnown(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.o.wismo, "run", "--help").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s run --help: %v: %s", r.o.wismo, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		_, list, ok := strings.Cut(sc.Text(), "stages to run, of ")
		if !ok {
			continue
		}
		list, _, _ = strings.Cut(list, "(")
		var stages []string
		for _, s := range strings.Split(list, ",") {
			if s = strings.TrimSpace(s); s != "" {
				stages = append(stages, s)
			}
		}
		return stages, nil
	}
	return nil, fmt.Errorf("%s run --help does not list the stages", r.o.wismo)
}

// setupSink decides whether the sink stage runs: only when the binary has
// one and -clickhouse names a server. Its database is fresh and migrated
// with `wismo migrate`.
func (r *runner) setupSink(ctx context.Context) {
	stages, err := r.stagesKnown(ctx)
	switch {
	case err != nil:
		r.chSkip = "could not tell whether the build has a sink stage: " + err.Error()
	case !contains(stages, "sink"):
		r.chSkip = fmt.Sprintf("the build has no sink stage (wismo run knows: %s)", strings.Join(stages, ", "))
	case r.o.clickhouse == "":
		r.chSkip = "-clickhouse is empty"
	}
	if r.chSkip != "" {
		logf("ClickHouse sink not run: %s", r.chSkip)
		return
	}
	r.chDB = fmt.Sprintf("chaos_%d", r.unix)
	mctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(mctx, r.o.wismo, "migrate", "--clickhouse", r.o.clickhouse, "--database", r.chDB)
	cmd.Env = wismoproc.Env()
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(r.o.runDir, "migrate.log"), out, 0o644)
	if err != nil {
		r.chSkip = fmt.Sprintf("wismo migrate failed (%v), see migrate.log", err)
		logf("ClickHouse sink not run: %s", r.chSkip)
		return
	}
	r.sink = true
	logf("sink stage on: ClickHouse %s, database %s", r.o.clickhouse, r.chDB)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (r *runner) startInstances(ctx context.Context) error {
	o := r.o
	stages := []string{"normalize", "detect", "lane"}
	var ch map[string]any
	if r.sink {
		stages = append(stages, "sink")
		// The run's own database, migrated above (so an instance restarted
		// while ClickHouse is down still starts).
		ch = map[string]any{"addr": o.clickhouse, "database": r.chDB, "migrate": false}
	}
	var (
		raw   []map[string]any
		insts []*instance
	)
	for _, t := range r.topics.rawSorted {
		c := r.topics.raw[t]
		raw = append(raw, map[string]any{"topic": t, "carrier": c, "format": string(gen.Format(c))})
	}
	for i := 0; i < o.instances; i++ {
		addr, err := wismoproc.FreeAddr()
		if err != nil {
			return err
		}
		in := &instance{r: r, idx: i + 1, id: fmt.Sprintf("chaos-%d-%d", r.unix, i+1), httpAddr: addr,
			cfgPath: filepath.Join(o.runDir, fmt.Sprintf("instance-%d.yaml", i+1)),
			logPath: filepath.Join(o.runDir, fmt.Sprintf("instance-%d.log", i+1)),
			env:     wismoproc.Env(), done: make(chan struct{})}
		cfg := wismoConfig{
			InstanceID: in.id, Stages: stages,
			Kafka: map[string]any{"brokers": o.brokers, "client_id": "wismo-" + in.id},
			Topics: map[string]any{"events": r.topics.events, "notifications": r.topics.notifications,
				"state": r.topics.state, "deadletter": r.topics.deadletter, "partitions": o.partitions,
				"lane_observations": r.topics.prefix + names.LaneObservationsTopic, "lanes": r.topics.prefix + names.LanesTopic,
				"replication_factor": 1, "create": true},
			Raw: raw,
			// The lanes learn and publish under the same faults, but
			// decide nothing: the check's reference is the flat rules',
			// and the model's decisions hang on when each instance read
			// the lanes topic, which no reference can replay.
			Detect:     map[string]string{"clock": "event", "lane_decisions": "false"},
			ClickHouse: ch,
			HTTP:       map[string]string{"addr": addr},
			Log:        map[string]string{"level": "info", "format": "json"},
		}
		data, err := yaml.Marshal(&cfg)
		if err != nil {
			return err
		}
		if err := os.WriteFile(in.cfgPath, data, 0o644); err != nil {
			return err
		}
		insts = append(insts, in)
	}
	// The configuration must be valid before anything runs on it.
	pc := exec.CommandContext(ctx, o.wismo, "run", "--config", insts[0].cfgPath, "--print-config")
	pc.Env = insts[0].env
	if out, err := pc.CombinedOutput(); err != nil {
		return fmt.Errorf("wismo run --print-config rejects the generated configuration: %v\n%s", err, out)
	} else {
		_ = os.WriteFile(filepath.Join(o.runDir, "effective-config.yaml"), out, 0o644)
		if !bytes.Contains(out, []byte("clock: event")) {
			return fmt.Errorf("wismo does not take detect.clock: event from the configuration file; see %s", filepath.Join(o.runDir, "effective-config.yaml"))
		}
		// Never let the sink write to another database than the run's.
		if r.sink && !bytes.Contains(out, []byte("database: "+r.chDB)) {
			return fmt.Errorf("wismo does not take clickhouse.database: %s from the configuration file; see %s", r.chDB, filepath.Join(o.runDir, "effective-config.yaml"))
		}
	}
	r.mu.Lock()
	for _, in := range insts {
		r.insts = append(r.insts, in)
		go in.supervise()
	}
	r.mu.Unlock()
	go r.guardMemory()
	// Wait until every instance says it is ready.
	deadline := time.Now().Add(90 * time.Second)
	for _, in := range r.insts {
		for !in.ready() {
			if time.Now().After(deadline) {
				return fmt.Errorf("instance %s not ready after 90 s; see %s", in.id, in.logPath)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	logf("%d instances ready (instance ids chaos-%d-N); stages %s; logs %s/instance-N.log", len(r.insts), r.unix,
		strings.Join(stages, ","), o.runDir)
	return nil
}

func (in *instance) ready() bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + in.httpAddr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// supervise runs the instance, restarting it whenever it exits, until it is
// stopped.
func (in *instance) supervise() {
	defer close(in.done)
	failures := 0 // exits by itself in a row, for the restart backoff
	for {
		in.mu.Lock()
		if in.stopping {
			in.mu.Unlock()
			return
		}
		in.starts++
		n := in.starts
		in.killedByUs = false
		in.mu.Unlock()

		f, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			logf("instance %d: log: %v", in.idx, err)
			return
		}
		fmt.Fprintf(f, "=== wismo-chaos: start #%d of %s at %s ===\n", n, in.id, time.Now().UTC().Format(time.RFC3339Nano))
		cmd := exec.Command(in.r.o.wismo, "run", "--config", in.cfgPath)
		cmd.Env = in.env
		cmd.Stdout, cmd.Stderr = f, f
		// Its own process group: a Ctrl-C meant for this program reaches
		// the instances through it, in order.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		in.mu.Lock()
		if in.stopping {
			in.mu.Unlock()
			f.Close()
			return
		}
		err = cmd.Start()
		if err == nil {
			in.cmd, in.running = cmd, true
		}
		in.mu.Unlock()
		if err != nil {
			fmt.Fprintf(f, "=== wismo-chaos: start failed: %v ===\n", err)
			f.Close()
			logf("instance %d: start failed: %v", in.idx, err)
			time.Sleep(2 * time.Second)
			continue
		}
		started := time.Now()
		werr := cmd.Wait()
		in.mu.Lock()
		in.running = false
		killed, stopping := in.killedByUs, in.stopping
		status := "exit 0"
		if werr != nil {
			status = werr.Error()
		}
		if !killed && !(stopping && werr == nil) {
			in.unexpected = append(in.unexpected, fmt.Sprintf("start #%d ended by itself at %s: %s", n, time.Since(t0).Round(time.Second), status))
		}
		in.mu.Unlock()
		fmt.Fprintf(f, "=== wismo-chaos: %s ended at %s: %s ===\n", in.id, time.Now().UTC().Format(time.RFC3339Nano), status)
		f.Close()
		if stopping {
			return
		}
		if time.Since(started) > 30*time.Second {
			failures = 0
		}
		if killed {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		failures++
		wait := min(time.Second<<failures, 10*time.Second)
		logf("instance %d exited by itself (%s); restarting it in %s (last lines: %s)", in.idx, status, wait, lastLines(in.logPath, 2))
		time.Sleep(wait)
	}
}

// kill SIGKILLs the running process; the supervisor restarts it.
func (in *instance) kill() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.running || in.stopping {
		return false
	}
	in.killedByUs = true
	in.kills++
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	return true
}

// rss is the resident memory of the running process, 0 when none runs.
func (in *instance) rss() int64 {
	in.mu.Lock()
	if !in.running {
		in.mu.Unlock()
		return 0
	}
	pid := in.cmd.Process.Pid
	in.mu.Unlock()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// guardMemory SIGKILLs an instance whose resident memory passes -max-rss,
// so that a runaway instance cannot take the machine down; each such kill
// is a finding.
func (r *runner) guardMemory() {
	for {
		time.Sleep(time.Second)
		for _, in := range r.insts {
			rss := in.rss()
			if rss <= r.o.maxRSS {
				continue
			}
			in.mu.Lock()
			if in.running && !in.stopping {
				in.killedByUs = true
				msg := fmt.Sprintf("start #%d killed at %s: resident memory %d MiB, over -max-rss %d MiB", in.starts,
					time.Since(t0).Round(time.Second), rss>>20, r.o.maxRSS>>20)
				in.memKills = append(in.memKills, msg)
				_ = in.cmd.Process.Signal(syscall.SIGKILL)
				in.mu.Unlock()
				logf("MEMORY: instance %d %s (see %s)", in.idx, msg, in.logPath)
				continue
			}
			in.mu.Unlock()
		}
	}
}

// stop SIGTERMs the process (it drains and exits) and waits for it; after
// grace it is killed.
func (in *instance) stop(grace time.Duration) (clean bool) {
	in.mu.Lock()
	in.stopping = true
	if in.running {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
	}
	in.mu.Unlock()
	select {
	case <-in.done:
		return true
	case <-time.After(grace):
	}
	in.halt()
	<-in.done
	return false
}

// halt kills the process and stops supervising, at once.
func (in *instance) halt() {
	in.mu.Lock()
	in.stopping = true
	if in.running {
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
	}
	in.mu.Unlock()
}

func (r *runner) stopInstances() {
	var wg sync.WaitGroup
	for _, in := range r.insts {
		wg.Add(1)
		go func(in *instance) {
			defer wg.Done()
			if !in.stop(45 * time.Second) {
				logf("instance %d did not stop within 45 s of SIGTERM; killed", in.idx)
			}
		}(in)
	}
	wg.Wait()
}

func (r *runner) reportInstances() {
	for _, in := range r.insts {
		in.mu.Lock()
		logf("instance %d (%s): %d starts, %d SIGKILLs of the schedule, %d kills for memory, %d exits by itself", in.idx, in.id, in.starts, in.kills, len(in.memKills), len(in.unexpected))
		for _, u := range in.unexpected {
			logf("  instance %d %s", in.idx, u)
		}
		for _, u := range in.memKills {
			logf("  instance %d %s", in.idx, u)
		}
		in.mu.Unlock()
	}
}

func (r *runner) memoryKills() int {
	n := 0
	for _, in := range r.insts {
		in.mu.Lock()
		n += len(in.memKills)
		in.mu.Unlock()
	}
	return n
}

func (r *runner) counts() (kills, starts, unexpected, running int) {
	r.mu.Lock()
	insts := r.insts
	r.mu.Unlock()
	for _, in := range insts {
		in.mu.Lock()
		kills += in.kills
		starts += in.starts
		unexpected += len(in.unexpected)
		if in.running {
			running++
		}
		in.mu.Unlock()
	}
	return
}

// lastLines returns the last n lines of a file, joined by " | ".
func lastLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "..."
		}
	}
	return strings.Join(lines, " | ")
}

// services runs the services script (up|down|status SERVICE...), its
// output appended to services.log.
func (r *runner) services(ctx context.Context, args ...string) error {
	f, err := os.OpenFile(filepath.Join(r.o.runDir, "services.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "=== %s %s at %s ===\n", r.o.services, strings.Join(args, " "), time.Now().UTC().Format(time.RFC3339))
	cmd := exec.CommandContext(ctx, r.o.services, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", r.o.services, strings.Join(args, " "), err)
	}
	return nil
}
