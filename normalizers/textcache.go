package normalizers

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// TextCache remembers which text row of a table a description matched, for
// carriers that classify by wording: a table's text rows are tried one by
// one, a hundred substring searches for a description that matches late or
// not at all, while carriers repeat a small vocabulary. A text has a set of
// textWays slots, chosen by its hash; a miss takes a free one, or else
// overwrites one. With one slot a text, two words of a carrier's vocabulary
// that hashed alike (in one process in a few, the seed being random) took
// it from each other on every scan, each time searching the table again and
// allocating its copy. Concurrent decoders share a cache. Only a miss
// allocates (the copy of the text).
type TextCache struct {
	seed  maphash.Seed
	slots [1 << 10]atomic.Pointer[textEntry]
}

// textWays is how many slots a text may take.
const textWays = 4

type textEntry struct {
	text string
	row  *Mapping
}

// NewTextCache returns an empty cache.
func NewTextCache() *TextCache { return &TextCache{seed: maphash.MakeSeed()} }

// Fallback is t.Fallback(subcode, text), remembered by text: use one cache
// per table and subcode.
func (c *TextCache) Fallback(t *Table, subcode, text string) *Mapping {
	h := maphash.String(c.seed, text)
	set := c.slots[h&(1<<10-1)&^(textWays-1):][:textWays]
	free := -1
	for i := range set {
		e := set[i].Load()
		if e == nil {
			if free < 0 {
				free = i
			}
			continue
		}
		if e.text == text {
			return e.row
		}
	}
	row := t.Fallback(subcode, text)
	if free < 0 {
		free = int(h>>10) & (textWays - 1) // a full set: the hash picks the slot
	}
	set[free].Store(&textEntry{text: strings.Clone(text), row: row})
	return row
}

// Refine is the row for a scan whose code is coarser than its wording: the
// code's first row whose text matches (text * matches any), refined by the
// wording's row when that stays in the code's milestone (a delivery code,
// worded "delivered to the neighbour"); the wording never moves a scan out
// of its code's milestone, only a row of the code itself can. A code the
// table lacks is placed by its wording alone.
func (c *TextCache) Refine(t *Table, code, subcode, text string) *Mapping {
	m := t.LookupCode(code, subcode, text)
	w := c.Fallback(t, "", text)
	if m == nil || w != nil && w.Type.Milestone == m.Type.Milestone {
		return w
	}
	return m
}
