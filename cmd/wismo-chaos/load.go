package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/internal/wismoproc"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/pipeline"
)

var genCarriers = gen.CarrierNames()

// rawRecord is one record `wismo gen` made, bound for a prefixed raw topic.
type rawRecord struct {
	topic string
	key   []byte
	value []byte
	time  time.Time
}

// generate runs `wismo gen --out` (gen writes raw.<carrier> names and has
// no topic prefix, so the run produces the records itself) and reads its
// NDJSON back, in poll-time order across carriers.
func (r *runner) generate(ctx context.Context) ([]rawRecord, error) {
	dir := filepath.Join(r.o.runDir, "gen")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.o.wismo, "gen", "--out", dir, "--seed", strconv.FormatUint(r.o.seed, 10),
		"--shipments", strconv.Itoa(r.o.shipments), "--expected-without-events", "--progress", "1h")
	cmd.Env = wismoproc.Env()
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(r.o.runDir, "gen.log"), out, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wismo gen: %v: %s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "raw.*.ndjson"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("wismo gen wrote no raw.*.ndjson in %s", dir)
	}
	prefix := fmt.Sprintf("chaos.%d.", r.unix)
	var recs []rawRecord
	for _, path := range files {
		topic := prefix + strings.TrimSuffix(filepath.Base(path), ".ndjson")
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		line := 0
		for sc.Scan() {
			line++
			var l gen.FileLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			v, err := l.Payload()
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			recs = append(recs, rawRecord{topic: topic, key: []byte(l.Key), value: v, time: l.Time})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	// Each file is in poll order; merge them by poll time.
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].time.Before(recs[j].time) })
	logf("generated %d raw records of %d shipments (seed %d): %s", len(recs), r.o.shipments, r.o.seed, strings.TrimSpace(lastLines(filepath.Join(r.o.runDir, "gen.log"), 1)))
	return recs, nil
}

func (r *runner) admin() (*kadm.Client, *kgo.Client, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.o.brokers...), kgo.RequestTimeoutOverhead(5*time.Second))
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

func (r *runner) createTopics(ctx context.Context, adm *kadm.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t := r.topics
	parts := int32(r.o.partitions)
	plain := append([]string{t.events, t.notifications, t.deadletter}, t.rawSorted...)
	// The sizes wismo gives the topics it creates itself, so that the
	// oversized poison record's dead letter fits as it would in production.
	sizes := pipeline.Limits{}.TopicConfig()
	res, err := adm.CreateTopics(ctx, parts, 1, sizes, plain...)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	compact := "compact"
	sizes["cleanup.policy"] = &compact
	res, err = adm.CreateTopics(ctx, parts, 1, sizes, t.state)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", t.state, err)
	}
	logf("created %d topics with %d partitions under prefix %s (state compacted)", len(plain)+1, parts, t.prefix)
	// Wait until every partition has a leader that answers: an instance
	// started at once may otherwise find no end offset to restore to.
	for {
		ends, err := adm.ListEndOffsets(ctx, t.all()...)
		if err == nil && ends.Error() == nil {
			n := 0
			ends.Each(func(kadm.ListedOffset) { n++ })
			if n == len(t.all())*int(parts) {
				return nil
			}
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return fmt.Errorf("the run's topics have no leaders after 30 s: %v", err)
		}
	}
}

func (r *runner) deleteTopics(ctx context.Context, adm *kadm.Client) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := adm.DeleteTopics(ctx, r.topics.all()...); err != nil {
		logf("deleting the run's topics: %v", err)
		return
	}
	logf("deleted the run's topics")
	if r.sink {
		if _, err := r.chQuery(ctx, "DROP DATABASE IF EXISTS "+r.chDB); err != nil {
			logf("dropping ClickHouse database %s: %v", r.chDB, err)
			return
		}
		logf("dropped ClickHouse database %s", r.chDB)
	}
}

type progress struct {
	start    time.Time
	sent     atomic.Int64
	acked    atomic.Int64
	retried  atomic.Int64
	total    int
	finished atomic.Bool
}

// produce sends the records at the rate that spreads them over -duration.
// The producer never gives up on a record (a broker restart is part of the
// run); a record that fails all the same is sent again: the raw topics read
// back are what the checks account for, so a copy that did land twice is
// just one more raw record.
func (r *runner) produce(ctx context.Context, recs []rawRecord, p *progress) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.o.brokers...), kgo.UnknownTopicRetries(-1), // retries are unbounded by default
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(20_000), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return err
	}
	defer cl.Close()
	p.total = len(recs)
	p.start = time.Now()
	rate := float64(len(recs)) / r.o.duration.Seconds()
	logf("producing %d records at %.0f/s (lag below counts a transaction marker at the end of a partition as 1)", len(recs), rate)
	var (
		wg      sync.WaitGroup
		retryMu sync.Mutex
		retry   []*kgo.Record
	)
	promise := func(rec *kgo.Record, err error) {
		if err != nil {
			if n := p.retried.Add(1); n <= 3 || n%1000 == 0 {
				logf("producing to %s failed (%d so far), sending it again: %v", rec.Topic, n, err)
			}
			retryMu.Lock()
			retry = append(retry, rec)
			retryMu.Unlock()
			return
		}
		p.acked.Add(1)
		wg.Done()
	}
	for i := range recs {
		due := p.start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			if !sleepCtx(ctx, d) {
				return ctx.Err()
			}
		}
		rc := &recs[i]
		wg.Add(1)
		p.sent.Add(1)
		cl.Produce(ctx, &kgo.Record{Topic: rc.topic, Key: rc.key, Value: rc.value,
			Headers: []kgo.RecordHeader{{Key: "wismo-gen-time", Value: []byte(rc.time.Format(time.RFC3339))}}}, promise)
		retryMu.Lock()
		again := retry
		retry = nil
		retryMu.Unlock()
		for _, rec := range again {
			cl.Produce(ctx, rec, promise)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			p.finished.Store(true)
			return nil
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		retryMu.Lock()
		again := retry
		retry = nil
		retryMu.Unlock()
		for _, rec := range again {
			cl.Produce(ctx, rec, promise)
		}
	}
}

// reportProgress prints a line every -progress until ctx ends.
func (r *runner) reportProgress(ctx context.Context, adm *kadm.Client, p *progress) {
	for sleepCtx(ctx, r.o.progress) {
		lag := r.lagLine(ctx, adm)
		kills, starts, unexpected, running := r.counts()
		logf("produced %d/%d (acked %d, resent %d), kills %d, starts %d, exits by themselves %d, running %d/%d, lag %s",
			p.sent.Load(), p.total, p.acked.Load(), p.retried.Load(), kills, starts, unexpected, running, len(r.insts), lag)
	}
}

// lagResult is a group's lag summed over the run's topics.
type lagResult struct {
	sum        int64
	partitions int
}

func (r *runner) groups() map[string][]string {
	g := map[string][]string{
		names.Group(names.GroupPrefix, "normalize"): r.topics.rawSorted,
		names.Group(names.GroupPrefix, "detect"):    {r.topics.events},
	}
	if r.sink {
		g[r.o.sinkGroup] = []string{r.topics.events, r.topics.notifications}
	}
	return g
}

// lag measures each group's lag over the run's topics only (the group
// names are wismo's fixed ones and may hold offsets of other runs). A
// partition with records and no commit counts its whole length.
func (r *runner) lag(ctx context.Context, adm *kadm.Client) (map[string]lagResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	groups := r.groups()
	var names []string
	topicSet := map[string]bool{}
	for g, ts := range groups {
		names = append(names, g)
		for _, t := range ts {
			topicSet[t] = true
		}
	}
	var topics []string
	for t := range topicSet {
		topics = append(topics, t)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	if err := ends.Error(); err != nil {
		return nil, err
	}
	out := map[string]lagResult{}
	for _, g := range names {
		committed, err := adm.FetchOffsets(ctx, g)
		if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("offsets of %s: %w", g, err)
		}
		var res lagResult
		for _, t := range groups[g] {
			for p, end := range ends[t] {
				res.partitions++
				var at int64
				if c, ok := committed.Lookup(t, p); ok && c.Err == nil {
					at = c.At
				}
				if l := end.Offset - at; l > 0 {
					res.sum += l
				}
			}
		}
		out[g] = res
	}
	return out, nil
}

func (r *runner) lagLine(ctx context.Context, adm *kadm.Client) string {
	lags, err := r.lag(ctx, adm)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var parts []string
	for _, g := range sortedKeys(lags) {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(g, names.Group(names.GroupPrefix, "")), lags[g].sum))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// drain waits until the pipeline has nothing left to do, for
// -drain-stable in a row: every instance runs, the topics' ends stay put,
// and every group's committed offsets are followed by nothing but
// transaction markers (see tailClean).
func (r *runner) drain(ctx context.Context, adm *kadm.Client) error {
	// Leave enough of the deadline for stopping and checking.
	limit := t0.Add(r.o.deadline - 3*time.Minute)
	var (
		stableSince time.Time
		lastEnds    string
		lastReport  time.Time
		why         string
		memKills    = r.memoryKills()
	)
	for {
		if n := r.memoryKills() - memKills; n >= 3 {
			return fmt.Errorf("%w: instances were killed %d times for memory while draining; the pipeline cannot finish", errNotDrained, n)
		}
		if time.Now().After(limit) {
			return fmt.Errorf("%w: %s at %s, the latest the deadline allows (lag %s)", errNotDrained, why, time.Since(t0).Round(time.Second), r.lagLine(ctx, adm))
		}
		ends := r.endsFingerprint(ctx, adm)
		_, _, _, running := r.counts()
		why = ""
		switch {
		case running != len(r.insts):
			why = fmt.Sprintf("%d of %d instances running", running, len(r.insts))
		case ends == "":
			why = "end offsets unknown"
		case ends != lastEnds:
			why = "topics still growing"
		default:
			why = r.pending(ctx, adm)
		}
		switch {
		case why != "":
			stableSince = time.Time{}
		case stableSince.IsZero():
			stableSince = time.Now()
		case time.Since(stableSince) >= r.o.drainStable:
			logf("drained: nothing left to consume and nothing new for %s", r.o.drainStable)
			return nil
		}
		lastEnds = ends
		if time.Since(lastReport) >= r.o.progress {
			lastReport = time.Now()
			kills, starts, unexpected, _ := r.counts()
			state := why
			if state == "" {
				state = "quiet for " + time.Since(stableSince).Round(time.Second).String()
			}
			logf("draining (%s): lag %s, running %d/%d, kills %d, starts %d, exits by themselves %d", state, r.lagLine(ctx, adm), running, len(r.insts), kills, starts, unexpected)
		}
		time.Sleep(time.Second)
	}
}

// pending says what some group still has to consume, "" when nothing.
// Under transactions a group's committed offset stops before the commit
// marker that ends a partition (and before aborted records), so lag is not
// zero when all is done: what follows the committed offsets is read,
// read_committed, and only data records count.
func (r *runner) pending(ctx context.Context, adm *kadm.Client) string {
	lags, err := r.lag(ctx, adm)
	if err != nil {
		return "lag unknown: " + err.Error()
	}
	for _, g := range sortedKeys(lags) {
		l := lags[g]
		if l.sum == 0 {
			continue
		}
		if l.sum > 100*int64(l.partitions) {
			return fmt.Sprintf("%s lag %d", g, l.sum)
		}
		n, err := r.tailRecords(ctx, adm, g, r.groups()[g])
		if err != nil {
			return fmt.Sprintf("%s: %v", g, err)
		}
		if n > 0 {
			return fmt.Sprintf("%s has %d records to consume", g, n)
		}
	}
	return ""
}

// tailRecords counts the committed data records after group's committed
// offsets on topics.
func (r *runner) tailRecords(ctx context.Context, adm *kadm.Client, group string, topics []string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, err
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return 0, err
	}
	type tp struct {
		t string
		p int32
	}
	remaining := map[tp]int64{}
	assign := map[string]map[int32]kgo.Offset{}
	ends.Each(func(e kadm.ListedOffset) {
		at := kgo.NewOffset().AtStart()
		var from int64
		if c, ok := committed.Lookup(e.Topic, e.Partition); ok && c.Err == nil && c.At >= 0 {
			at, from = kgo.NewOffset().At(c.At), c.At
		}
		if e.Offset <= from {
			return
		}
		remaining[tp{e.Topic, e.Partition}] = e.Offset
		if assign[e.Topic] == nil {
			assign[e.Topic] = map[int32]kgo.Offset{}
		}
		assign[e.Topic][e.Partition] = at
	})
	if len(remaining) == 0 {
		return 0, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.o.brokers...), kgo.ConsumePartitions(assign),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	n := 0
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			// An open transaction holds the rest back: not drained.
			return max(n, 1), nil
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if !rec.Attrs.IsControl() {
				n++
			}
			k := tp{rec.Topic, rec.Partition}
			if end, ok := remaining[k]; ok && rec.Offset+1 >= end {
				delete(remaining, k)
			}
		})
	}
	return n, nil
}

// endsFingerprint names the end offsets of every topic of the run, so that
// "nothing new" can be told.
func (r *runner) endsFingerprint(ctx context.Context, adm *kadm.Client) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, r.topics.all()...)
	if err != nil || ends.Error() != nil {
		return ""
	}
	var b strings.Builder
	ends.Each(func(o kadm.ListedOffset) { fmt.Fprintf(&b, "%s/%d=%d;", o.Topic, o.Partition, o.Offset) })
	parts := strings.Split(b.String(), ";")
	sort.Strings(parts)
	return strings.Join(parts, ";")
}
