package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/rules"
)

// lineage names one raw record.
type lineage struct {
	topic  string
	part   int32
	offset int64
}

func (l lineage) String() string { return fmt.Sprintf("%s/%d@%d", l.topic, l.part, l.offset) }

type deadCount struct{ full, partial int }

// results are what the checks found.
type results struct {
	records int // raw records in the raw topics

	events, synthetic   int
	rawDead, rawPartial int
	stageDead           map[string]int // dead letters of the pipeline's own topics, by source topic and error_kind
	otherDead           int
	lost                []string
	dupEvents           []string // raw records with duplicated outputs, and orphan outputs
	commands            int
	dupCommands         int
	dupCommandIDs       []string
	refCommands         int
	missingCmds         []string // in the reference, not on the topic
	extraCmds           []string // on the topic, not in the reference
	contentDiffs        []string // same id, different decision
	refSynthetic        int
	synMismatch         []string
	engineLoops         []string // partitions on which the reference engine does not return
	poisons             int
	poisonBad           []string // poison records that did not end as they must
	notDrained          bool
	chChecked           bool
	chSkip              string
	chMismatch          int
	laneObservations    int // records on the lane observations topic
	laneModels          int // records on the lanes topic
	chNotes             []string
}

func (res *results) ok() bool {
	return len(res.lost) == 0 && len(res.dupEvents) == 0 && res.dupCommands == 0 &&
		len(res.missingCmds)+len(res.extraCmds) == 0 && len(res.synMismatch) == 0 && len(res.engineLoops) == 0 && res.chMismatch == 0 &&
		len(res.poisonBad) == 0 && res.laneObservations > 0 && res.laneModels > 0
}

func (res *results) summary() string {
	return fmt.Sprintf("chaos: records=%d lost=%d duplicate_events=%d duplicate_commands=%d command_mismatch=%d synthetic_mismatch=%d engine_loops=%d clickhouse_mismatch=%d poison=%d poison_mismatch=%d lane_observations=%d lane_models=%d",
		res.records, len(res.lost), len(res.dupEvents), res.dupCommands, len(res.missingCmds)+len(res.extraCmds), len(res.synMismatch), len(res.engineLoops), res.chMismatch,
		res.poisons, len(res.poisonBad), res.laneObservations, res.laneModels)
}

// print writes the details on stderr.
func (res *results) print() {
	logf("raw records %d: %d canonical events, %d dead letters (%d more partial ones); synthetic events %d; commands %d (reference %d, synthetic events in the reference %d)",
		res.records, res.events, res.rawDead, res.rawPartial, res.synthetic, res.commands, res.refCommands, res.refSynthetic)
	if len(res.stageDead) > 0 {
		logf("dead letters of records of the pipeline's own topics (detect or sink stage could not take them): %v", res.stageDead)
	}
	if res.otherDead > 0 {
		logf("dead letters from no topic of the run: %d", res.otherDead)
	}
	show := func(what string, list []string) {
		if len(list) == 0 {
			return
		}
		logf("%s: %d", what, len(list))
		for i, s := range list {
			if i == 10 {
				logf("  ... and %d more", len(list)-10)
				break
			}
			logf("  %s", s)
		}
	}
	show("ENGINE LOOPS: the reference engine (detect.New(rules.Default()), event-time clock) does not return; these partitions are left out of the command comparison", res.engineLoops)
	show("LOST raw records (no event, no dead letter)", res.lost)
	show("POISON records that did not end as they must", res.poisonBad)
	show("DUPLICATED outputs", res.dupEvents)
	show("DUPLICATE command ids", res.dupCommandIDs)
	if res.notDrained && len(res.missingCmds) > 0 {
		logf("note: the pipeline was not drained, so the missing commands include those of events the detect stage never got to")
	}
	show("commands MISSING (the reference decided them, the pipeline did not)", res.missingCmds)
	show("commands EXTRA (the pipeline decided them, the reference did not)", res.extraCmds)
	show("synthetic events that differ from the reference", res.synMismatch)
	show("commands with the same id but a different decision than the reference (not counted in the summary)", res.contentDiffs)
	if res.chChecked {
		logf("ClickHouse: %d mismatches", res.chMismatch)
		for _, n := range res.chNotes {
			logf("  %s", n)
		}
	} else {
		logf("ClickHouse check skipped: %s; clickhouse_mismatch=0 means not checked", res.chSkip)
	}
}

// waitTransactions waits until no transaction is open on the run's topics
// (last stable offset = end offset): a killed instance that was not
// restarted leaves its transaction open until the transaction timeout
// (60 s), and read_committed readers cannot read past it.
func (r *runner) waitTransactions(ctx context.Context, adm *kadm.Client) {
	limit := time.Now().Add(100 * time.Second)
	said := false
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		stable, err1 := adm.ListCommittedOffsets(lctx, r.topics.all()...)
		ends, err2 := adm.ListEndOffsets(lctx, r.topics.all()...)
		cancel()
		var open []string
		if err2 == nil && ends.Error() != nil {
			logf("cannot tell whether transactions are open: %v", ends.Error())
			return // reading will say what is wrong
		}
		if err1 == nil && err2 == nil {
			ends.Each(func(e kadm.ListedOffset) {
				if st, ok := stable.Lookup(e.Topic, e.Partition); !ok || st.Err != nil || st.Offset < e.Offset {
					open = append(open, fmt.Sprintf("%s/%d", strings.TrimPrefix(e.Topic, r.topics.prefix), e.Partition))
				}
			})
		} else {
			open = append(open, fmt.Sprint(errors.Join(err1, err2)))
		}
		if len(open) == 0 {
			return
		}
		if time.Now().After(limit) {
			logf("transactions still open on %v after 100 s; reading anyway", open)
			return
		}
		if !said {
			said = true
			logf("waiting for open transactions to end on %v (a killed instance that is not restarted holds them until the 60 s transaction timeout)", open)
		}
		time.Sleep(time.Second)
	}
}

// readTopics reads every partition of topics from its start to its end,
// read_committed, calling fn for each data record in offset order per
// partition. Control records (transaction markers) are read too, so that
// the end of a partition whose last record is a marker is reached.
func readTopics(ctx context.Context, brokers []string, adm *kadm.Client, topics []string, fn func(*kgo.Record) error) error {
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ends, err := adm.ListEndOffsets(lctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	var starts kadm.ListedOffsets
	if err == nil {
		starts, err = adm.ListStartOffsets(lctx, topics...)
		if err == nil {
			err = starts.Error()
		}
	}
	cancel()
	if err != nil {
		return fmt.Errorf("list offsets of %v: %w", topics, err)
	}
	type tp struct {
		t string
		p int32
	}
	remaining := map[tp]int64{}
	assign := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		start := int64(0)
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok {
			start = s.Offset
		}
		if o.Offset <= start {
			return
		}
		remaining[tp{o.Topic, o.Partition}] = o.Offset
		if assign[o.Topic] == nil {
			assign[o.Topic] = map[int32]kgo.Offset{}
		}
		assign[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
	})
	if len(remaining) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(assign),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return err
	}
	defer cl.Close()
	lastProgress := time.Now()
	var ferr error
	for len(remaining) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fs.EachError(func(t string, p int32, err error) {
			if pctx.Err() == nil {
				logf("reading %s/%d: %v", t, p, err)
			}
		})
		n := 0
		fs.EachRecord(func(rec *kgo.Record) {
			n++
			k := tp{rec.Topic, rec.Partition}
			if end, ok := remaining[k]; ok && rec.Offset+1 >= end {
				delete(remaining, k)
			}
			if rec.Attrs.IsControl() || ferr != nil {
				return
			}
			ferr = fn(rec)
		})
		if ferr != nil {
			return ferr
		}
		if n > 0 {
			lastProgress = time.Now()
		} else if time.Since(lastProgress) > 30*time.Second {
			var left []string
			for k, end := range remaining {
				left = append(left, fmt.Sprintf("%s/%d (end %d)", k.t, k.p, end))
			}
			sort.Strings(left)
			return fmt.Errorf("reading %v: no progress for 30 s; partitions not read to their end: %s", topics, strings.Join(left, ", "))
		}
	}
	return nil
}

func header(rec *kgo.Record, key string) string {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// refSink collects what the reference engine decides, with the events
// partition it was decided on.
type refSink struct {
	part    int32
	cmds    map[string]detect.Command
	cmdPart map[string]int32
	syn     map[event.ID]int
	synPart map[event.ID]int32
	dup     int
	// synthetic events made by the Apply in progress, to catch a deadline
	// that keeps firing (the engine would never return)
	burst int
}

// loopLimit is how many synthetic events one Apply may make before the
// reference gives the partition up: a shipment has a handful of deadlines.
const loopLimit = 10_000

type engineLoop struct{ what string }

func (s *refSink) Command(c *detect.Command) {
	if _, ok := s.cmds[c.CommandID]; ok {
		s.dup++
	}
	s.cmds[c.CommandID] = *c
	s.cmdPart[c.CommandID] = s.part
}

func (s *refSink) Event(e *event.Event) {
	s.syn[e.ID]++
	s.synPart[e.ID] = s.part
	if s.burst++; s.burst > loopLimit {
		panic(engineLoop{fmt.Sprintf("shipment %s: %s at %s fired %d times within one event's Apply",
			e.ShipmentID(), e.Type.Name, e.OccurredAt.UTC().Format(time.RFC3339), s.burst)})
	}
}

// apply runs the reference engine on one event; it returns what looped
// when the engine does not come back.
func (s *refSink) apply(en *detect.Engine, ev *event.Event) (loop string) {
	s.burst = 0
	defer func() {
		if r := recover(); r != nil {
			l, ok := r.(engineLoop)
			if !ok {
				panic(r)
			}
			loop = l.what
		}
	}()
	en.Apply(ev, s)
	return ""
}

// check reads the run's topics back and compares.
func (r *runner) check(ctx context.Context, adm *kadm.Client) (*results, error) {
	res := &results{stageDead: map[string]int{}, chSkip: r.chSkip, notDrained: r.notDrained}
	brokers := r.o.brokers

	// Raw records, and the scans each holds (normalized here, on its own,
	// as the stage would): the stage sends a scan that a poller resends
	// only once, so "every raw record has an event" alone would not show a
	// scan that never went out.
	rawKeys := map[lineage]string{}
	scans := map[event.ID]lineage{} // every scan, at the first record that holds it
	batch := normalizers.NewBatch()
	err := readTopics(ctx, brokers, adm, r.topics.rawSorted, func(rec *kgo.Record) error {
		l := lineage{rec.Topic, rec.Partition, rec.Offset}
		rawKeys[l] = string(rec.Key)
		carrier := r.topics.raw[rec.Topic]
		format := gen.Format(carrier)
		n, err := normalizers.Lookup(carrier, format)
		if err != nil {
			return err
		}
		in := normalizers.Input{Payload: rec.Value, Format: format, TrackingHint: string(rec.Key), Now: time.Now()}
		if normalizers.Normalize(n, &in, batch, normalizers.DefaultMaxPayload) == nil {
			for i := range batch.Events {
				if _, ok := scans[batch.Events[i].ID]; !ok {
					scans[batch.Events[i].ID] = l
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.records = len(rawKeys)
	logf("read %d raw records", res.records)

	// Canonical events: per raw record, how many; per (raw record, event
	// id), how often. The reference engine runs over each partition as it
	// is read.
	evCount := map[lineage]int{}
	type evKey struct {
		l  lineage
		id event.ID
	}
	evSeen := map[evKey]int{}
	liveSyn := map[event.ID]int{}
	liveSynPart := map[event.ID]int32{}
	allEventIDs := map[string]bool{}
	engines := map[int32]*detect.Engine{}
	looped := map[int32]string{} // partitions on which the reference engine loops
	ref := &refSink{cmds: map[string]detect.Command{}, cmdPart: map[string]int32{}, syn: map[event.ID]int{}, synPart: map[event.ID]int32{}}
	rl := rules.Default()
	dec, err := codec.NewEvents()
	if err != nil {
		return nil, err
	}
	decodeErrs := 0
	err = readTopics(ctx, brokers, adm, []string{r.topics.events}, func(rec *kgo.Record) error {
		var ev event.Event
		if err := dec.Decode(rec.Value, &ev); err != nil {
			decodeErrs++
			if decodeErrs <= 5 {
				logf("events %d@%d: undecodable: %v", rec.Partition, rec.Offset, err)
			}
			return nil
		}
		allEventIDs[ev.ID.String()] = true
		if ev.Source == event.FromPipeline {
			res.synthetic++
			liveSyn[ev.ID]++
			liveSynPart[ev.ID] = rec.Partition
			return nil
		}
		res.events++
		l := lineage{ev.Lineage.Topic, ev.Lineage.Partition, ev.Lineage.Offset}
		evCount[l]++
		evSeen[evKey{l, ev.ID}]++
		if _, ok := looped[rec.Partition]; ok {
			return nil
		}
		en := engines[rec.Partition]
		if en == nil {
			en = detect.New(rl)
			engines[rec.Partition] = en
		}
		ref.part = rec.Partition
		if loop := ref.apply(en, &ev); loop != "" {
			looped[rec.Partition] = fmt.Sprintf("events partition %d, applying offset %d (%s %s at %s): %s",
				rec.Partition, rec.Offset, ev.ShipmentID(), ev.Type.Name, ev.OccurredAt.UTC().Format(time.RFC3339), loop)
			delete(engines, rec.Partition)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if decodeErrs > 0 {
		logf("%d events could not be decoded", decodeErrs)
	}
	missing := 0
	for id, l := range scans {
		if !allEventIDs[id.String()] {
			missing++
			res.lost = append(res.lost, fmt.Sprintf("scan %s of %s key %s never went out", id, l, rawKeys[l]))
		}
	}
	logf("%d distinct scans in the raw records, %d of them not in the events topic", len(scans), missing)
	for _, p := range sortedKeys32(looped) {
		res.engineLoops = append(res.engineLoops, looped[p])
	}
	// A partition the reference could not finish is left out of the
	// command and synthetic event comparisons.
	for id, p := range ref.cmdPart {
		if _, ok := looped[p]; ok {
			delete(ref.cmds, id)
		}
	}
	for id, p := range ref.synPart {
		if _, ok := looped[p]; ok {
			delete(ref.syn, id)
		}
	}
	for id, p := range liveSynPart {
		if _, ok := looped[p]; ok {
			delete(liveSyn, id)
		}
	}
	res.refCommands, res.refSynthetic = len(ref.cmds), 0
	for _, n := range ref.syn {
		res.refSynthetic += n
	}
	logf("read %d events (%d synthetic)", res.events+res.synthetic, res.synthetic)

	// Dead letters.
	poisonSeen := map[string]*poisonOutcome{}
	for l, key := range rawKeys {
		for _, p := range r.poison {
			if key == string(p.rec.key) {
				poisonSeen[key] = &poisonOutcome{events: evCount[l]}
			}
		}
	}
	dead := map[lineage]deadCount{}
	err = readTopics(ctx, brokers, adm, []string{r.topics.deadletter}, func(rec *kgo.Record) error {
		st := header(rec, "source_topic")
		p, _ := strconv.ParseInt(header(rec, "source_partition"), 10, 32)
		off, _ := strconv.ParseInt(header(rec, "source_offset"), 10, 64)
		switch {
		case r.topics.raw[st] != "":
			// A batch that could not be read at all is one dead letter
			// for its whole offset range.
			last := off
			if v, err := strconv.ParseInt(header(rec, "source_offset_last"), 10, 64); err == nil && v >= off && v-off < 1<<20 {
				last = v
			}
			for o := off; o <= last; o++ {
				l := lineage{st, int32(p), o}
				d := dead[l]
				if header(rec, "partial") == "true" {
					d.partial++
					res.rawPartial++
				} else {
					d.full++
					res.rawDead++
				}
				dead[l] = d
				if po := poisonSeen[rawKeys[l]]; po != nil {
					h := map[string]string{}
					for _, x := range rec.Headers {
						h[x.Key] = string(x.Value)
					}
					po.dead = append(po.dead, h)
				}
			}
		case st == r.topics.events || st == r.topics.notifications:
			res.stageDead[strings.TrimPrefix(st, r.topics.prefix)+" "+header(rec, "error_kind")]++
		default:
			res.otherDead++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	res.poisons = len(r.poison)
	res.poisonBad = checkPoison(r.poison, poisonSeen)

	// Every raw record exactly once.
	for l, key := range rawKeys {
		n, d := evCount[l], dead[l]
		switch {
		case n == 0 && d.full == 0:
			res.lost = append(res.lost, fmt.Sprintf("%s key %s (partial dead letters: %d)", l, key, d.partial))
		case n > 0 && d.full > 0:
			res.dupEvents = append(res.dupEvents, fmt.Sprintf("%s key %s: %d events and %d dead letters", l, key, n, d.full))
		case d.full > 1:
			res.dupEvents = append(res.dupEvents, fmt.Sprintf("%s key %s: dead-lettered %d times", l, key, d.full))
		}
	}
	for k, n := range evSeen {
		if n > 1 {
			res.dupEvents = append(res.dupEvents, fmt.Sprintf("%s key %s: event %s written %d times", k.l, rawKeys[k.l], k.id, n))
		}
	}
	for l, n := range evCount {
		if _, ok := rawKeys[l]; !ok {
			res.dupEvents = append(res.dupEvents, fmt.Sprintf("%d events point at %s, which is no raw record", n, l))
		}
	}
	for l, d := range dead {
		if _, ok := rawKeys[l]; !ok {
			res.dupEvents = append(res.dupEvents, fmt.Sprintf("%d dead letters point at %s, which is no raw record", d.full+d.partial, l))
		}
	}
	sort.Strings(res.lost)
	sort.Strings(res.dupEvents)

	// Commands.
	cc, err := codec.NewCommands()
	if err != nil {
		return nil, err
	}
	// The lane stage ran under the same faults: its topics must have
	// been written (the model decides nothing here; see instances.go).
	lanesTopic, obsTopic := r.topics.prefix+names.LanesTopic, r.topics.prefix+names.LaneObservationsTopic
	err = readTopics(ctx, brokers, adm, []string{obsTopic, lanesTopic}, func(rec *kgo.Record) error {
		if rec.Topic == lanesTopic {
			res.laneModels++
		} else {
			res.laneObservations++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	logf("lane topics: %d observations, %d lane models published", res.laneObservations, res.laneModels)
	live := map[string]detect.Command{}
	livePart := map[string]int32{} // notifications are keyed by shipment like events: same partition
	liveN := map[string]int{}
	err = readTopics(ctx, brokers, adm, []string{r.topics.notifications}, func(rec *kgo.Record) error {
		var c detect.Command
		if err := cc.Decode(rec.Value, &c); err != nil {
			logf("notifications %d@%d: undecodable: %v", rec.Partition, rec.Offset, err)
			return nil
		}
		res.commands++
		liveN[c.CommandID]++
		if _, ok := live[c.CommandID]; !ok {
			live[c.CommandID] = c
			livePart[c.CommandID] = rec.Partition
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, n := range liveN {
		if n > 1 {
			res.dupCommands += n - 1
			c := live[id]
			res.dupCommandIDs = append(res.dupCommandIDs, fmt.Sprintf("%s (%s %s, episode %d) %d times", id, c.ShipmentID, c.Trigger, c.Episode, n))
		}
	}
	if ref.dup > 0 {
		logf("note: the reference itself decided %d command ids twice", ref.dup)
	}
	for id, c := range ref.cmds {
		lc, ok := live[id]
		if !ok {
			res.missingCmds = append(res.missingCmds, describeCmd(&c))
			continue
		}
		if d := cmdDiff(&c, &lc); d != "" {
			res.contentDiffs = append(res.contentDiffs, fmt.Sprintf("%s %s %s: %s", id, c.ShipmentID, c.Trigger, d))
		}
	}
	for id, c := range live {
		if _, ok := looped[livePart[id]]; ok {
			continue
		}
		if _, ok := ref.cmds[id]; !ok {
			res.extraCmds = append(res.extraCmds, describeCmd(&c))
		}
	}
	for id, n := range ref.syn {
		if m := liveSyn[id]; m != n {
			res.synMismatch = append(res.synMismatch, fmt.Sprintf("synthetic event %s: reference %d, topic %d", id, n, m))
		}
	}
	for id, m := range liveSyn {
		if _, ok := ref.syn[id]; !ok {
			res.synMismatch = append(res.synMismatch, fmt.Sprintf("synthetic event %s: reference 0, topic %d", id, m))
		}
	}
	sort.Strings(res.dupCommandIDs)
	sort.Strings(res.missingCmds)
	sort.Strings(res.extraCmds)
	sort.Strings(res.contentDiffs)
	sort.Strings(res.synMismatch)

	if r.sink {
		commandIDs := map[string]bool{}
		for id := range liveN {
			commandIDs[id] = true
		}
		r.checkClickHouse(ctx, res, allEventIDs, commandIDs)
	}
	return res, nil
}

func describeCmd(c *detect.Command) string {
	return fmt.Sprintf("%s %s %s (%s, episode %d, decided %s)", c.CommandID, c.ShipmentID, c.Trigger, c.EventType, c.Episode, c.DecidedAt.UTC().Format(time.RFC3339))
}

// cmdDiff names the decision fields in which two commands of one id differ.
func cmdDiff(a, b *detect.Command) string {
	var d []string
	add := func(name, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %q vs %q", name, x, y))
		}
	}
	add("event_id", a.EventID, b.EventID)
	add("event_type", a.EventType, b.EventType)
	add("priority", a.Priority, b.Priority)
	add("supersedes", a.Supersedes, b.Supersedes)
	ts := func(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
	add("decided_at", ts(a.DecidedAt), ts(b.DecidedAt))
	add("not_before", ts(a.NotBefore), ts(b.NotBefore))
	return strings.Join(d, ", ")
}

func sortedKeys32[V any](m map[int32]V) []int32 {
	var ks []int32
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}
