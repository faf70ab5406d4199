// Package feedstest is what the aggregator feeds' tests share: they check
// the same things of every feed (its vocabulary, that each shape of a
// payload gives the same events, that a resent one gives the same ids, how
// its error answers are rejected, its fuzz target).
package feedstest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/taxonomy"
)

// Vocabulary is a feed's documented statuses and substatuses.
type Vocabulary struct {
	// Statuses is every status value.
	Statuses []string
	// Subs maps each substatus value to the status the feed documents it
	// under ("" where the feed documents it under none, as EasyPost's
	// status_detail, which any status may carry).
	Subs map[string]string
	// Generic lists the substatuses that name nothing more than their
	// status (EasyPost's status_update): the table need not list them.
	Generic []string
	// Unmapped lists the values the feed documents as "not recognised",
	// which may map to unknown.unmapped: "STATUS" or "STATUS/sub".
	Unmapped []string
	// Milestones are the milestones values must map to, each "STATUS" or
	// "STATUS/sub" (the status may be "": a substatus, or a stage, alone).
	Milestones map[string]string
}

// Mapper maps a feed's status and substatus to its row.
type Mapper func(status, sub string) *normalizers.Mapping

// Statuses is the Mapper of a feed whose codes.tsv is read through
// feeds.Status.
func Statuses(table *normalizers.Table) Mapper {
	return func(status, sub string) *normalizers.Mapping { return feeds.Status(table, status, sub, "") }
}

// Codes is the Mapper of a feed's own MapCode (code, subcode).
func Codes(n normalizers.CodeMapper) Mapper {
	return func(status, sub string) *normalizers.Mapping { return n.MapCode(status, sub, "") }
}

// Check enumerates the whole vocabulary through the feed's mapper: every
// status alone, every status with every substatus, and every substatus
// under its own status maps to a canonical type, every substatus that is
// not generic has a row of its own in the table, and every value of
// Milestones maps to a type of its milestone, neither unknown.unmapped nor
// one only the pipeline makes.
func Check(t *testing.T, mapper Mapper, v Vocabulary) {
	t.Helper()
	for key, milestone := range v.Milestones {
		status, sub, _ := strings.Cut(key, "/")
		m := mapper(status, sub)
		switch {
		case m == nil:
			t.Errorf("%s: no row", key)
		case m.Type == taxonomy.Unmapped || m.Type.Pipeline:
			t.Errorf("%s: %s", key, m.Type.Name)
		case m.Type.Milestone != milestone:
			t.Errorf("%s: %s, want a type of %s", key, m.Type.Name, milestone)
		}
	}
	unmapped := map[string]bool{}
	for _, u := range v.Unmapped {
		unmapped[u] = true
	}
	generic := map[string]bool{}
	for _, g := range v.Generic {
		generic[g] = true
	}
	check := func(status, sub string) *normalizers.Mapping {
		t.Helper()
		m := mapper(status, sub)
		key := status
		if sub != "" {
			key += "/" + sub
		}
		switch {
		case m == nil && !unmapped[key] && !unmapped[status]:
			t.Errorf("%s maps to nothing", key)
		case m != nil && m.Type == taxonomy.Unmapped && !unmapped[key] && !unmapped[status]:
			t.Errorf("%s maps to unknown.unmapped", key)
		}
		return m
	}
	n := 0
	for _, s := range v.Statuses {
		check(s, "")
		n++
		for sub := range v.Subs {
			check(s, sub)
			n++
		}
	}
	for sub, parent := range v.Subs {
		named := false
		for _, s := range append([]string{parent}, v.Statuses...) {
			if m := mapper(s, sub); m != nil && m.Subcode == sub {
				named = true
				break
			}
		}
		if !named && !generic[sub] {
			t.Errorf("substatus %s (under %q) has no row of its own: its status decides alone", sub, parent)
		}
	}
	t.Logf("%d statuses, %d substatuses, %d combinations mapped, %d milestones checked", len(v.Statuses), len(v.Subs), n, len(v.Milestones))
}

// Events normalizes payload with n at processing time now and returns its
// events as JSON lines, failing the test on a rejection.
func Events(t *testing.T, n normalizers.Normalizer, payload []byte, now time.Time) []string {
	t.Helper()
	b := normalizers.NewBatch()
	in := normalizers.Input{Payload: payload, Format: normalizers.JSON, Now: now}
	if err := normalizers.Normalize(n, &in, b, 0); err != nil {
		t.Fatalf("rejected: %v\n%s", err, payload)
	}
	for _, r := range b.Rejected {
		t.Errorf("scan rejected: %v", r)
	}
	out := make([]string, len(b.Events))
	for i := range b.Events {
		out[i] = string(event.AppendJSON(nil, &b.Events[i]))
	}
	return out
}

// Same checks that two payloads (a tracker, and the same tracker in a
// webhook, a response or a list) give the same events.
func Same(t *testing.T, n normalizers.Normalizer, a, b []byte) {
	t.Helper()
	SameEvents(t, n, -1, map[string]string{"the first": string(a), "the second": string(b)})
}

// SameEvents normalizes the same content in several shapes (a webhook, an
// API answer, ...) and checks that each gives the same events, want of
// them (-1: any number but none), none rejected; it returns the events of
// one.
func SameEvents(t *testing.T, n normalizers.Normalizer, want int, shapes map[string]string) *normalizers.Batch {
	t.Helper()
	var first *normalizers.Batch
	var firstJSON []string
	for name, p := range shapes {
		b := MustNormalize(t, n, p)
		if (want >= 0 && len(b.Events) != want) || (want < 0 && len(b.Events) == 0) || len(b.Rejected) != 0 {
			t.Fatalf("%s: %d events, rejected %v; want %d events", name, len(b.Events), b.Rejected, want)
		}
		js := make([]string, len(b.Events))
		for i := range b.Events {
			js[i] = string(event.AppendJSON(nil, &b.Events[i]))
		}
		if first == nil {
			first, firstJSON = b, js
			continue
		}
		if strings.Join(js, "\n") != strings.Join(firstJSON, "\n") {
			t.Errorf("%s gives other events than another shape:\n%s\n--- and ---\n%s", name, strings.Join(js, "\n"), strings.Join(firstJSON, "\n"))
		}
	}
	return first
}

// MustNormalize is Normalize of a JSON payload that must not be rejected.
func MustNormalize(t *testing.T, n normalizers.Normalizer, payload string) *normalizers.Batch {
	t.Helper()
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Rejection is a payload and the kind it must be rejected with.
type Rejection struct {
	Payload string
	Kind    normalizers.Kind
}

// CheckRejections checks that each payload is rejected with its kind and
// gives no event.
func CheckRejections(t *testing.T, n normalizers.Normalizer, cases []Rejection) {
	t.Helper()
	for _, c := range cases {
		b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(c.Payload), "")
		if k := normalizers.KindOf(err); k != c.Kind || len(b.Events) > 0 {
			t.Errorf("%s: %v (%s), %d events; want %s", c.Payload, err, k, len(b.Events), c.Kind)
		}
	}
}

// Resent checks that a payload sent again later (a webhook resent, a
// tracker polled again) gives the same event ids, pending events too.
func Resent(t *testing.T, n normalizers.Normalizer, payload []byte) {
	t.Helper()
	ids := func(now time.Time) []string {
		var out []string
		b := normalizers.NewBatch()
		in := normalizers.Input{Payload: payload, Format: normalizers.JSON, Now: now}
		if err := normalizers.Normalize(n, &in, b, 0); err != nil {
			t.Fatalf("rejected: %v", err)
		}
		for i := range b.Events {
			out = append(out, b.Events[i].ID.String())
		}
		return out
	}
	first, again := ids(normalizertest.Now), ids(normalizertest.Now.Add(36*time.Hour))
	if strings.Join(first, ",") != strings.Join(again, ",") || len(first) == 0 {
		t.Errorf("event ids %v, sent again %v", first, again)
	}
}

// Fuzz is a feed's fuzz target: seeded with its samples
// (testdata/carriers/<feed>), its bad inputs (testdata/bad/<feed>-*) and
// the hand-made seeds for shapes of its own; whatever the input, the
// decoder must not panic and what it emits must be valid events.
func Fuzz(f *testing.F, n normalizers.Normalizer, seeds ...string) {
	normalizertest.Seeds(f, n.Carrier()+"/*.json")
	normalizertest.Seeds(f, "../bad/"+n.Carrier()+"-*.json")
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// Sample returns a sample payload of testdata/carriers ("easypost/x.json").
func Sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(normalizertest.Fixtures(t, name)[0])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Allocs returns the allocations of normalizing payload once more with a
// batch that reuses its strings, as the normalize stage does.
func Allocs(t *testing.T, n normalizers.Normalizer, payload []byte) float64 {
	t.Helper()
	b := normalizers.NewBatch()
	b.ReuseStrings = true
	in := normalizers.Input{Payload: payload, Format: normalizers.JSON, Now: normalizertest.Now}
	var err error
	allocs := testing.AllocsPerRun(50, func() { err = normalizers.Normalize(n, &in, b, 0) })
	if err != nil {
		t.Fatal(err)
	}
	return allocs
}
