package pipeline

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLabelCap(t *testing.T) {
	c := NewLabelCap(2)
	if a, b, x := c.Value("a"), c.Value("b"), c.Value("c"); a != "a" || b != "b" || x != OtherLabel {
		t.Errorf("values %q %q %q", a, b, x)
	}
	if c.Value("a") != "a" {
		t.Error("a value seen before lost its label")
	}
	for _, v := range []string{strings.Repeat("é", 100), "Q\xff\xfe", strings.Repeat("x", 1000) + "\xff"} {
		if l := LabelValue(v); len(l) > MaxLabelLen || !utf8.ValidString(l) {
			t.Errorf("LabelValue(%.20q) = %q", v, l)
		}
	}
}

// The detect stage labels its counts with the carrier of the events it
// reads; events naming a thousand carriers make at most MaxCarrierLabels+1
// label values, and the counts still add up.
func TestStatsCarrierLabelsAreBounded(t *testing.T) {
	m := NewMetrics()
	s := newStats()
	for i := 0; i < 1000; i++ {
		out := &Output{Carrier: fmt.Sprintf("c%04d", i)}
		if i%2 == 0 {
			out.Dead, out.deadKind = true, "decode"
		}
		s.record(out, 1)
	}
	s.record(&Output{Carrier: "\xff\xfe"}, 1)
	s.settle(true, "detect", m) // invalid UTF-8 made the Prometheus client panic
	byLabel, total := s.Snapshot()
	if len(byLabel) > MaxCarrierLabels+1 || total.In != 1001 || total.In != total.Out+total.Dead {
		t.Errorf("%d labels, in %d out %d dead %d", len(byLabel), total.In, total.Out, total.Dead)
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if n := len(f.GetMetric()); strings.HasPrefix(f.GetName(), "wismo_records_") && n > MaxCarrierLabels+1 {
			t.Errorf("%s: %d series", f.GetName(), n)
		}
	}
}
