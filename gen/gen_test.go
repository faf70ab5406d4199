package gen_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/rules"
	"github.com/wismo/wismo/taxonomy"
	"github.com/wismo/wismo/tz"
)

var defaultRules = rules.Default()

// allOn turns every injection on, at rates high enough that a couple of
// thousand shipments meet every story many times.
func allOn(seed uint64, n int) gen.Options {
	return gen.Options{Seed: seed, Shipments: n, International: 0.15,
		StallRate: 0.25, ExceptionRate: 0.35, NoiseRate: 0.3, ResendRate: 0.3, OutOfOrderRate: 0.3, MalformedRate: 0.2}
}

type generated struct {
	recs []gen.Record
	exps []*gen.Expected
}

func generate(t testing.TB, o gen.Options) *generated {
	t.Helper()
	g := &generated{}
	_, err := gen.Generate(o, func(r *gen.Record) error {
		c := *r
		c.Value = bytes.Clone(r.Value)
		g.recs = append(g.recs, c)
		return nil
	}, func(e *gen.Expected) error {
		g.exps = append(g.exps, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// outcome is what the pipeline made of one shipment.
type outcome struct {
	cmds   []*detect.Command
	events map[event.ID]*event.Event
	// onResent marks the commands decided on a resent scan (one applied
	// in an earlier record already), by index in cmds.
	onResent []bool
	// fresh holds the ids of the events of the record being applied.
	fresh map[event.ID]bool
	dead  []string // error kinds of its dead-lettered records, in record order
	notes []string // anything else wrong
	// timeline, for failure reports: every record's events, as applied
	applied []string
}

type sink struct {
	out map[string]*outcome
	// the event being applied, and whether it is a resent scan
	cur       string
	curResent bool
}

func (s *sink) get(id string) *outcome {
	o := s.out[id]
	if o == nil {
		o = &outcome{events: map[event.ID]*event.Event{}}
		s.out[id] = o
	}
	return o
}
func (s *sink) Command(c *detect.Command) {
	o := s.get(c.ShipmentID)
	o.cmds = append(o.cmds, c)
	o.onResent = append(o.onResent, s.curResent && c.EventID == s.cur)
	o.applied = append(o.applied, fmt.Sprintf("    -> command %s (%s) decided %s", c.Trigger, c.EventType, c.DecidedAt.Format(time.RFC3339)))
}
func (s *sink) Event(e *event.Event) {
	o := s.get(e.ShipmentID())
	o.applied = append(o.applied, fmt.Sprintf("    -> synthetic %s at %s", e.Type.Name, e.OccurredAt.Format(time.RFC3339)))
}

// runPipeline feeds the records, in order, through the real normalizers
// (each raw topic bound to its carrier's normalizer for the format gen
// writes, as wismo run binds them) and the real detection engine with the event-time clock that
// wismo backtest uses, then advances the clock past every expectation.
//
// With dedup, a scan applied in an earlier record is not applied again: the
// engine then sees each scan once, as if its duplicate detection had no
// limit.
func runPipeline(t testing.TB, g *generated, dedup bool) map[string]*outcome {
	t.Helper()
	en := detect.New(defaultRules)
	s := &sink{out: map[string]*outcome{}}
	bound := map[string]normalizers.Normalizer{}
	b := normalizers.NewBatch()
	var until time.Time
	for _, e := range g.exps {
		if e.SettleBy.After(until) {
			until = e.SettleBy
		}
	}
	for i := range g.recs {
		r := &g.recs[i]
		exp := g.exps[r.Shipment]
		o := s.get(exp.ShipmentID)
		n := bound[r.Topic]
		if n == nil {
			var err error
			if n, err = normalizers.Lookup(strings.TrimPrefix(r.Topic, "raw."), topicFormat(t, r.Topic)); err != nil {
				t.Fatal(err)
			}
			bound[r.Topic] = n
		}
		in := normalizers.Input{Payload: r.Value, Format: topicFormat(t, r.Topic), TrackingHint: r.Key, Now: r.Time,
			Lineage: event.Lineage{Topic: r.Topic, Offset: int64(i)}}
		err := normalizers.Normalize(n, &in, b, 0)
		kind := ""
		switch {
		case err != nil:
			kind = string(normalizers.KindOf(err))
			if err.Error() == "" {
				o.notes = append(o.notes, "rejection without a message")
			}
		case len(b.Events) == 0 && len(b.Rejected) > 0:
			kind = string(b.Rejected[0].Kind)
		case len(b.Rejected) > 0:
			o.notes = append(o.notes, fmt.Sprintf("record %s: scan rejected: %v", r.Time.Format(time.RFC3339), b.Rejected[0]))
		}
		if kind != "" {
			o.dead = append(o.dead, kind)
			o.applied = append(o.applied, fmt.Sprintf("  record %s: dead letter %s (%s)", r.Time.Format(time.RFC3339), kind, r.Bad))
			if r.ErrorKind == "" {
				o.notes = append(o.notes, fmt.Sprintf("good record at %s rejected: %v", r.Time.Format(time.RFC3339), err))
			}
			continue
		}
		if r.ErrorKind != "" {
			o.notes = append(o.notes, fmt.Sprintf("%s record at %s was accepted", r.Bad, r.Time.Format(time.RFC3339)))
		}
		o.applied = append(o.applied, fmt.Sprintf("  record %s: %d events", r.Time.Format(time.RFC3339), len(b.Events)))
		o.fresh = map[event.ID]bool{}
		for j := range b.Events {
			if _, ok := o.events[b.Events[j].ID]; !ok {
				o.fresh[b.Events[j].ID] = true
			}
		}
		for j := range b.Events {
			ev := &b.Events[j]
			if ev.ShipmentID() != exp.ShipmentID {
				o.notes = append(o.notes, "event of another shipment: "+ev.ShipmentID())
				continue
			}
			if _, ok := o.events[ev.ID]; !ok {
				c := *ev
				o.events[ev.ID] = &c
				o.applied = append(o.applied, fmt.Sprintf("    %s %s", ev.OccurredAt.Format(time.RFC3339), ev.Type.Name))
			}
			if dedup && !o.fresh[ev.ID] {
				continue
			}
			s.cur, s.curResent = ev.ID.String(), !o.fresh[ev.ID]
			en.Apply(ev, s)
			s.cur, s.curResent = "", false
		}
	}
	en.Advance(until.Add(time.Hour), s)
	return s.out
}

// topicFormat is the format of a raw topic gen writes: the registry's
// binding of the topic, which must be the format gen writes for it.
func topicFormat(t testing.TB, topic string) normalizers.Format {
	t.Helper()
	carrier := strings.TrimPrefix(topic, "raw.")
	for _, src := range normalizers.Sources() {
		if src.Topic == topic {
			if src.Carrier != carrier || src.Format != gen.Format(carrier) {
				t.Fatalf("raw topic %s is bound to %s %s, gen writes %s %s", topic, src.Carrier, src.Format, carrier, gen.Format(carrier))
			}
			return src.Format
		}
	}
	t.Fatalf("no source is bound to gen's raw topic %s", topic)
	return ""
}

// noDestination are the carriers whose answers do not name the
// destination, so that detection keeps their quiet hours in UTC, and why.
var noDestination = map[string]string{"dpd": "the ParcelLifeCycle answer never names the consignee's address"}

// Every carrier gen writes, on its own and without broken records: each
// payload normalizes, through the normalizer its topic is bound to, with no
// scan rejected and none unmapped.
func TestEveryWriterNormalizes(t *testing.T) {
	for _, c := range gen.CarrierNames() {
		t.Run(c, func(t *testing.T) {
			o := allOn(7, 150)
			o.Carriers, o.MalformedRate = map[string]float64{c: 1}, 0
			g := generate(t, o)
			n, err := normalizers.Lookup(c, topicFormat(t, gen.Topic(c)))
			if err != nil {
				t.Fatal(err)
			}
			b := normalizers.NewBatch()
			events := 0
			for _, r := range g.recs {
				in := normalizers.Input{Payload: r.Value, Format: gen.Format(c), TrackingHint: r.Key, Now: r.Time}
				if err := normalizers.Normalize(n, &in, b, 0); err != nil {
					t.Fatalf("%s: %v\n%s", r.Key, err, r.Value)
				}
				if len(b.Rejected) > 0 {
					t.Fatalf("%s: %d scans rejected, the first: %v\n%s", r.Key, len(b.Rejected), b.Rejected[0], r.Value)
				}
				for i := range b.Events {
					if b.Events[i].Type == taxonomy.Unmapped {
						t.Fatalf("%s: unmapped %q %q", r.Key, b.Events[i].Raw.Code, b.Events[i].Raw.Description)
					}
					if _, no := noDestination[c]; no != (b.Events[i].Destination.Country == "") {
						t.Fatalf("%s: destination %q, and %s is listed in noDestination: %v", r.Key, b.Events[i].Destination.Country, c, no)
					}
				}
				events += len(b.Events)
			}
			if len(g.recs) == 0 || events == 0 {
				t.Fatalf("%d records, %d events", len(g.recs), events)
			}
		})
	}
}

// check compares one shipment's outcome with its expectation and returns
// what differs.
func check(e *gen.Expected, o *outcome) []string {
	var diffs []string
	if o == nil {
		return []string{"no outcome at all"}
	}
	diffs = append(diffs, o.notes...)
	var got []string
	for _, c := range o.cmds {
		got = append(got, c.Trigger)
	}
	if !slices.Equal(got, e.Triggers) {
		diffs = append(diffs, fmt.Sprintf("triggers %v, want %v", got, e.Triggers))
	}
	var wantDead []string
	for _, d := range e.DeadLetters {
		wantDead = append(wantDead, d.ErrorKind)
	}
	if !slices.Equal(o.dead, wantDead) {
		diffs = append(diffs, fmt.Sprintf("dead letters %v, want %v", o.dead, wantDead))
	}
	var gotEv, wantEv []string
	for _, ev := range o.events {
		gotEv = append(gotEv, ev.OccurredAt.UTC().Format(time.RFC3339)+" "+ev.Type.Name)
		if ev.Service != e.Service {
			diffs = append(diffs, fmt.Sprintf("event %s: service %q, want %q", ev.Type.Name, ev.Service, e.Service))
		}
		if ev.TZSource == event.TZAssumedUTC {
			diffs = append(diffs, fmt.Sprintf("event %s: time zone assumed UTC", ev.Type.Name))
		}
		if ev.Type == taxonomy.Unmapped {
			diffs = append(diffs, fmt.Sprintf("event code %s/%s %q unmapped", ev.Raw.Code, ev.Raw.Type, ev.Raw.Description))
		}
	}
	for _, ev := range e.Events {
		wantEv = append(wantEv, ev.At.UTC().Format(time.RFC3339)+" "+ev.Type)
	}
	sort.Strings(gotEv)
	sort.Strings(wantEv)
	if !slices.Equal(gotEv, wantEv) {
		diffs = append(diffs, fmt.Sprintf("events differ:\n      got  %v\n      want %v", gotEv, wantEv))
	}
	// Quiet hours (destination time): a command decided in them waits for
	// their end; one decided outside them goes at once. The engine knows
	// the destination from the events; a carrier whose answers never name
	// it (noDestination) has its quiet hours in UTC.
	r := defaultRules
	country, region, _ := strings.Cut(e.Destination, "-")
	z := tz.ForLocation(country, region)
	if _, ok := noDestination[e.Carrier]; ok {
		z = time.UTC
	}
	quiet := func(t time.Time) bool {
		lt := t.In(z)
		m := rules.Clock(lt.Hour()*60 + lt.Minute())
		if r.QuietStart > r.QuietEnd {
			return m >= r.QuietStart || m < r.QuietEnd
		}
		return m >= r.QuietStart && m < r.QuietEnd
	}
	for _, c := range o.cmds {
		if c.CommandID == "" || c.Message == "" {
			diffs = append(diffs, fmt.Sprintf("command %s without id or message", c.Trigger))
		}
		want := c.DecidedAt
		if quiet(c.DecidedAt) { // the next end of quiet hours
			lt := c.DecidedAt.In(z)
			want = time.Date(lt.Year(), lt.Month(), lt.Day(), int(r.QuietEnd)/60, int(r.QuietEnd)%60, 0, 0, z)
			if !want.After(lt) {
				want = want.AddDate(0, 0, 1)
			}
		}
		if !c.NotBefore.Equal(want) || quiet(c.NotBefore) {
			diffs = append(diffs, fmt.Sprintf("command %s: decided %s, not_before %s, want %s", c.Trigger,
				c.DecidedAt.In(z), c.NotBefore.In(z), want.In(z)))
		}
	}
	return diffs
}

// TestPipelineMatchesExpectations is the generator's acceptance test: 2,000
// shipments with every injection on go through the real normalizers and the
// real detection engine, and each shipment must get exactly the commands
// (in order), events and dead letters its expectation lists.
//
// It runs twice. First each scan reaches the engine once (a scan applied in
// an earlier record is not applied again): every shipment must match.
// Then every event of every payload reaches the engine, as the normalize
// stage emits them (each poll carries the history so far); there a
// shipment may only differ when the engine decided a command on a resent
// scan, the known issue TestEngineIgnoresResentHistory shows, and such
// shipments are counted.
func TestPipelineMatchesExpectations(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 500
	}
	// The default start: the first week of March, across the US change to
	// daylight-saving time and Cuba's, which skips midnight (a UPS parcel
	// to Havana picked up that Friday once froze detection).
	o := allOn(42, n)
	g := generate(t, o)
	cuba := 0
	for _, r := range g.recs {
		if bytes.Contains(r.Value, []byte(`"countryCode":"CU"`)) {
			cuba++
		}
	}
	if cuba == 0 {
		t.Error("the default load has no shipment to Cuba: no midnight-gap zone")
	}
	pipelineMatches(t, o)
}

// TestPipelineAcrossFallBack runs a smaller mix across the end of
// daylight-saving time in Europe and the US, where a wall clock without an
// offset names two instants.
func TestPipelineAcrossFallBack(t *testing.T) {
	o := allOn(43, 800)
	o.Start = time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)
	o.Window = 14 * 24 * time.Hour
	o.International = 0.4
	pipelineMatches(t, o)
}

func pipelineMatches(t *testing.T, o gen.Options) {
	t.Helper()
	g := generate(t, o)
	scenarios := map[string]int{}
	for _, e := range g.exps {
		for _, s := range e.Scenario {
			scenarios[s]++
		}
	}
	t.Logf("%d shipments, %d records; scenarios: %v", len(g.exps), len(g.recs), scenarios)
	// Every injection must have happened, or the test proves little.
	for _, s := range []string{"stall_pre_transit", "stall_in_transit", "stall_out_for_delivery", "lost", "delay",
		"customs_hold", "customs_payment", "address_problem", "failed_attempt", "held_for_pickup",
		"held_for_pickup_reminder", "return_to_sender", "noise", "resent", "payloads_out_of_order",
		"delivered_before_out_for_delivery", "history_unsorted", "malformed"} {
		if scenarios[s] < min(5, len(g.exps)/400) {
			t.Errorf("only %d shipments with %s", scenarios[s], s)
		}
	}

	report := func(mode string, e *gen.Expected, o *outcome, diffs []string) {
		t.Errorf("%s: %s (%s, %s -> %s, scenario %v):\n    %s\n  timeline:\n%s", mode, e.ShipmentID, e.Service, e.Origin,
			e.Destination, e.Scenario, strings.Join(diffs, "\n    "), strings.Join(o.applied, "\n"))
	}
	out := runPipeline(t, g, true)
	failed := 0
	for _, e := range g.exps {
		if diffs := check(e, out[e.ShipmentID]); len(diffs) > 0 {
			if failed++; failed <= 5 {
				report("each scan once", e, out[e.ShipmentID], diffs)
			}
		}
	}
	if failed > 0 {
		t.Errorf("each scan once: %d of %d shipments differ from their expectations", failed, len(g.exps))
	}

	out = runPipeline(t, g, false)
	failed = 0
	for _, e := range g.exps {
		o := out[e.ShipmentID]
		if diffs := check(e, o); len(diffs) > 0 {
			if failed++; failed <= 5 {
				report("as the pipeline feeds it", e, o, diffs)
			}
		}
	}
	if failed > 0 {
		t.Errorf("as the pipeline feeds it: %d of %d shipments differ from their expectations", failed, len(g.exps))
	}
}

// TestEngineIgnoresResentHistory is the smallest story that shows the
// engine once decided commands again on scans a poll resends: a pickup,
// seven facility scans, a weather delay and the next arrival, each poll
// carrying the history so far. The engine remembers only a few recent event
// ids, so the pickup and the delay fall out of its memory; they must count
// as late. Before the fix the pickup was not "late" (it was the last
// customer-visible scan) and the delay was newer than it, and the episode
// the arrival began had no command
// yet: "shipped" and "delayed" go out a second time.
//
// While the engine has the issue, the test is skipped with the timeline;
// any other outcome than the right one or the known wrong one fails.
func TestEngineIgnoresResentHistory(t *testing.T) {
	base := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
	mk := func(typ string, h int) *event.Event {
		e := &event.Event{Carrier: "dhl", TrackingNumber: "T1", Type: taxonomy.MustLookup(typ),
			OccurredAt: base.Add(time.Duration(h) * time.Hour), Source: event.FromCarrier,
			Destination: event.Location{Country: "DE"}, Origin: event.Location{Country: "DE"},
			Location: event.Location{City: "Leipzig", Country: "DE"}}
		sum := sha256.Sum256([]byte(fmt.Sprint(typ, h)))
		e.ID = event.ID(sum[:16])
		return e
	}
	history := []*event.Event{
		mk("in_transit.picked_up", 0),
		mk("in_transit.departed_facility", 1), mk("in_transit.arrived_at_facility", 5),
		mk("in_transit.departed_facility", 6), mk("in_transit.arrived_at_facility", 10),
		mk("in_transit.departed_facility", 11), mk("in_transit.arrived_at_facility", 15),
		mk("in_transit.departed_facility", 16),
		mk("exception.delayed_weather", 17),
		mk("in_transit.arrived_at_facility", 20),
	}
	en := detect.New(rules.Default())
	s := &sink{out: map[string]*outcome{}}
	var timeline []string
	for i := 0; i <= len(history); i++ { // a poll per scan, then one that finds nothing new
		poll := history[:min(i+1, len(history))]
		timeline = append(timeline, fmt.Sprintf("  poll %d: %d scans", i+1, len(poll)))
		before := len(s.get("dhl:T1").cmds)
		for _, e := range poll {
			en.Apply(e, s)
		}
		for _, c := range s.get("dhl:T1").cmds[before:] {
			timeline = append(timeline, fmt.Sprintf("    -> %s on %s at %s", c.Trigger, c.EventType, c.OccurredAt.Format("15:04")))
		}
	}
	var got []string
	for _, c := range s.get("dhl:T1").cmds {
		got = append(got, c.Trigger)
	}
	want := []string{"shipped", "delayed", "exception_resolved"}
	if !slices.Equal(got, want) {
		t.Errorf("triggers %v, want %v:\n%s", got, want, strings.Join(timeline, "\n"))
	}
}

// TestDeterministic: the same seed gives the same bytes; another seed does
// not.
func TestDeterministic(t *testing.T) {
	sum := func(seed uint64) [32]byte {
		h := sha256.New()
		_, err := gen.Generate(allOn(seed, 300), func(r *gen.Record) error {
			fmt.Fprintf(h, "%s|%s|%s|%d|%s\n", r.Topic, r.Key, r.Time.Format(time.RFC3339), r.Shipment, r.Bad)
			h.Write(r.Value)
			return nil
		}, func(e *gen.Expected) error {
			fmt.Fprintf(h, "%+v\n", *e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return [32]byte(h.Sum(nil))
	}
	if a, b := sum(7), sum(7); a != b {
		t.Error("same seed, different output")
	}
	if a, b := sum(7), sum(8); a == b {
		t.Error("different seeds, same output")
	}
}

// A start outside the supported range of event times is refused up front,
// with the range in the error, instead of generating scans nothing accepts.
func TestStartOutsideTheSupportedRange(t *testing.T) {
	for _, start := range []time.Time{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC)} {
		err := gen.Options{Shipments: 1, Start: start}.Validate()
		if err == nil || !strings.Contains(err.Error(), "outside the supported range") {
			t.Errorf("start %s: %v", start, err)
		}
	}
}

// genCarrier is a registered carrier gen has no writer for.
type genCarrier struct{}

func (genCarrier) Carrier() string                                        { return "gentoy" }
func (genCarrier) DisplayName() string                                    { return "Gen Toy" }
func (genCarrier) Formats() []normalizers.Format                          { return []normalizers.Format{normalizers.JSON} }
func (genCarrier) Normalize(*normalizers.Input, *normalizers.Batch) error { return nil }

// Every carrier gen writes is a registered carrier, and a registered carrier
// gen cannot write is refused by name, with what gen can write, rather than
// as unknown.
func TestCarriersAreRegistered(t *testing.T) {
	for _, c := range gen.CarrierNames() {
		if _, ok := normalizers.Registered(c); !ok {
			t.Errorf("gen writes %s, which no normalizer registers", c)
		}
	}
	if got := strings.Join(gen.CarrierNames(), ","); !strings.Contains(gen.DefaultCarriers, "ups=0.3") || strings.Count(gen.DefaultCarriers, "=") != len(gen.CarrierNames()) {
		t.Errorf("DefaultCarriers %q does not weigh every carrier gen writes (%s)", gen.DefaultCarriers, got)
	}
	normalizers.Register(genCarrier{})
	_, err := gen.ParseCarriers("ups=1,gentoy=1")
	if err == nil || !strings.Contains(err.Error(), `no payload writer for carrier "gentoy", which is registered`) || !strings.Contains(err.Error(), "ups") {
		t.Errorf("ParseCarriers with a registered carrier gen cannot write: %v", err)
	}
	if _, err := gen.ParseCarriers("pony=1"); err == nil || !strings.Contains(err.Error(), `unknown carrier "pony"`) {
		t.Errorf("ParseCarriers with an unknown carrier: %v", err)
	}
}
