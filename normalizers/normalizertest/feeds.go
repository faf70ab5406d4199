package normalizertest

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/taxonomy"
)

// Helpers for the aggregator feeds' tests, which check the same things of
// every feed: its vocabulary, that each shape of a payload gives the same
// events, and how its error answers are rejected.

// MustNormalize is Normalize of a JSON payload that must not be rejected.
func MustNormalize(t *testing.T, n normalizers.Normalizer, payload string) *normalizers.Batch {
	t.Helper()
	b, err := Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckMilestone checks that n maps code (and subcode) to a type of
// milestone that is neither unknown.unmapped nor one only the pipeline
// makes: a table test of a feed's documented vocabulary.
func CheckMilestone(t *testing.T, n normalizers.CodeMapper, code, subcode, milestone string) {
	t.Helper()
	m := n.MapCode(code, subcode, "")
	switch {
	case m == nil:
		t.Errorf("%s/%s: no row", code, subcode)
	case m.Type == taxonomy.Unmapped || m.Type.Pipeline:
		t.Errorf("%s/%s: %s", code, subcode, m.Type.Name)
	case m.Type.Milestone != milestone:
		t.Errorf("%s/%s: %s, want a type of %s", code, subcode, m.Type.Name, milestone)
	}
}

// SameEvents normalizes the same content in several shapes (a webhook, an
// API answer, ...) and checks that each gives want events, none rejected,
// with the same ids in the same order; it returns the events of one.
func SameEvents(t *testing.T, n normalizers.Normalizer, want int, shapes map[string]string) *normalizers.Batch {
	t.Helper()
	var first *normalizers.Batch
	for name, p := range shapes {
		b := MustNormalize(t, n, p)
		if len(b.Events) != want || len(b.Rejected) != 0 {
			t.Fatalf("%s: %d events, rejected %v; want %d events", name, len(b.Events), b.Rejected, want)
		}
		if first == nil {
			first = b
			continue
		}
		for i := range first.Events {
			if b.Events[i].ID != first.Events[i].ID {
				t.Errorf("%s: event %d has id %s, another shape %s", name, i, b.Events[i].ID, first.Events[i].ID)
			}
		}
	}
	return first
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
		b, err := Normalize(n, normalizers.JSON, []byte(c.Payload), "")
		if k := normalizers.KindOf(err); k != c.Kind || len(b.Events) > 0 {
			t.Errorf("%s: %v (%s), %d events; want %s", c.Payload, err, k, len(b.Events), c.Kind)
		}
	}
}
