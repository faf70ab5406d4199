// Package feedstest checks a feed's status table against the feed's
// documented vocabulary, for the feeds' table tests.
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
}

// Check enumerates the whole vocabulary through feeds.Status: every status
// alone, every status with every substatus, and every substatus under its
// own status maps to a canonical type, and every substatus that is not
// generic has a row of its own in the table.
func Check(t *testing.T, table *normalizers.Table, v Vocabulary) {
	t.Helper()
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
		m := feeds.Status(table, status, sub, "")
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
			if m := feeds.Status(table, s, sub, ""); m != nil && m.Subcode == sub {
				named = true
				break
			}
		}
		if !named && !generic[sub] {
			t.Errorf("substatus %s (under %q) has no row of its own: its status decides alone", sub, parent)
		}
	}
	t.Logf("%d statuses, %d substatuses, %d combinations mapped", len(v.Statuses), len(v.Subs), n)
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
	now := normalizertest.Now
	ea, eb := Events(t, n, a, now), Events(t, n, b, now)
	if strings.Join(ea, "\n") != strings.Join(eb, "\n") {
		t.Errorf("different events:\n%s\n--- and ---\n%s", strings.Join(ea, "\n"), strings.Join(eb, "\n"))
	}
	if len(ea) == 0 {
		t.Error("no events")
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
