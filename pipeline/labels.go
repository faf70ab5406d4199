package pipeline

import (
	"strings"
	"unicode/utf8"
)

// Label values fed from input data (the codes carriers send, the carriers a
// generic feed names, the carrier of an event read from a topic) are
// bounded: every distinct value is a Prometheus series that lives as long
// as the process, so a payload of 5,000 made-up codes must not make 5,000
// series. The full detail stays in the events and in ClickHouse
// (unmapped_codes).
const (
	// OtherLabel is the value past a cap: the codes or carriers seen after
	// the first ones are counted together under it.
	OtherLabel = "_other"
	// MaxLabelLen bounds one label value, in bytes; carrier codes have 2
	// to 32 characters.
	MaxLabelLen = 32
	// MaxCarrierLabels is how many distinct carriers a stage labels.
	MaxCarrierLabels = 64
	// DefaultCodeLabels is how many distinct unmapped codes of one carrier
	// get their own label (normalize.unmapped_code_labels).
	DefaultCodeLabels = 100
)

// LabelCap hands out at most Max distinct label values, the first ones
// seen; later values share OtherLabel. It is not safe for concurrent use.
type LabelCap struct {
	max  int
	seen map[string]struct{}
}

// NewLabelCap returns a cap of max distinct values (at least 1).
func NewLabelCap(max int) *LabelCap {
	return &LabelCap{max: max, seen: map[string]struct{}{}}
}

// Value returns v as a label value: valid UTF-8, at most MaxLabelLen bytes,
// and one of the first max distinct values, else OtherLabel. The value
// returned does not alias v.
func (c *LabelCap) Value(v string) string {
	v = LabelValue(v)
	if _, ok := c.seen[v]; ok {
		return v
	}
	if len(c.seen) >= c.max {
		return OtherLabel
	}
	v = strings.Clone(v)
	c.seen[v] = struct{}{}
	return v
}

// LabelValue makes v a valid label value of at most MaxLabelLen bytes:
// invalid UTF-8 (which makes the Prometheus client panic) becomes U+FFFD,
// and a longer value is cut at a character boundary.
func LabelValue(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if len(v) <= MaxLabelLen {
		return v
	}
	n := MaxLabelLen
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}
