package feeds

import (
	_ "embed"
	"hash/maphash"
	"sync/atomic"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/taxonomy"
)

// Default is the substatus of a status's fallback row in a feed's
// codes.tsv. It is never a real substatus, so Status reaches those rows
// only after every other row had its chance.
const Default = "default"

// NoStatus is the code of a feed table's rows for events that carry no
// status of the feed's own (karrio passes none for most carriers): their
// wording decides, in rows that no status'd event reaches.
const NoStatus = "-"

// Status maps a feed's own status and substatus, with the event's text,
// through the feed's table (its codes.tsv: code = status, subcode =
// substatus, text = a lower-case substring of the event's description).
// The rows are tried in three rounds, first match winning:
//
//  1. the status's own rows (a named substatus, or "*" with a keyword);
//  2. the rows of code "*": a substatus that means the same under any
//     status (EasyPost's weather_delay), or the feed's own keywords;
//  3. the wording shared by every feed (keywords.tsv);
//  4. the status's "default" row.
//
// A status that decides on its own (delivered) has a "*" row in round 1;
// a vague one (in_transit, unknown) keeps its catch-all in round 4 so that
// a substatus or the wording can say more. A row of unknown.unmapped
// (a substatus the feed documents as "not recognised") gives way to the
// later rounds but to no default row. nil means unmapped.
func Status(t *normalizers.Table, status, sub, text string) *normalizers.Mapping {
	if sub == Default {
		sub = ""
	}
	if status == "" {
		status = NoStatus
	}
	own := t.LookupCode(status, sub, text)
	if own != nil && own.Type != taxonomy.Unmapped {
		return own
	}
	if m := t.Fallback(sub, text); m != nil {
		return m
	}
	if m := keyword(text); m != nil {
		return m
	}
	if own != nil {
		return own
	}
	return t.LookupCode(status, Default, text)
}

//go:embed keywords.tsv
var keywordsTSV []byte

// Keywords is the wording shared by the feeds (keywords.tsv), round 3 of
// Status.
var Keywords = normalizers.MustLoadTable("feeds/keywords.tsv", keywordsTSV)

// keywords are the rows of Keywords.
var keywords = Keywords.Fallbacks()

// The rows of keywords by the hash of their first four bytes (gram):
// kwHead holds 1 + the first row of a bucket, kwNext 1 + the next row of
// the same bucket, in row order (0 ends a chain), kwGram each row's first
// four bytes. A description is then
// read once, each position trying only the rows whose first four bytes
// hash as the four bytes there, instead of one substring search of the
// whole description per row.
const kwBuckets = 1 << 10

var kwHead, kwNext, kwGram = func() (head [kwBuckets]uint8, next []uint8, grams []uint32) {
	if len(keywords) > 254 {
		panic("normalizers/feeds: keywords.tsv has more than 254 rows")
	}
	next, grams = make([]uint8, len(keywords)), make([]uint32, len(keywords))
	tail := [kwBuckets]uint8{}
	for i := range keywords {
		kw := keywords[i].Text
		if len(kw) < 4 {
			panic("normalizers/feeds: keywords.tsv: keyword " + kw + " is shorter than 4 bytes")
		}
		grams[i] = uint32(kw[0])<<24 | uint32(kw[1])<<16 | uint32(kw[2])<<8 | uint32(kw[3])
		h := gram(grams[i])
		if head[h] == 0 {
			head[h] = uint8(i + 1)
		} else {
			next[tail[h]-1] = uint8(i + 1)
		}
		tail[h] = uint8(i + 1)
	}
	return head, next, grams
}()

// gram is the bucket of four bytes.
func gram(w uint32) uint32 { return (w * 0x9E3779B1) >> 22 }

// keyword returns the first row of Keywords whose text the description
// holds, ignoring ASCII case (Keywords.Fallback's answer): the description
// is read once, and the earliest row found anywhere in it
// wins.
func keyword(text string) *normalizers.Mapping {
	best := len(keywords)
	var w uint32
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if w = w<<8 | uint32(c); i < 3 {
			continue
		}
		for k := kwHead[gram(w)]; k != 0 && int(k) <= best; k = kwNext[k-1] {
			start := i - 3
			kw := keywords[k-1].Text
			if kwGram[k-1] != w || len(kw) > len(text)-start {
				continue
			}
			j := 4
			for j < len(kw) && lowerASCII(text[start+j]) == kw[j] {
				j++
			}
			if j == len(kw) {
				best = int(k) - 1
				break
			}
		}
	}
	if best == len(keywords) {
		return nil
	}
	return &keywords[best]
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Mapper returns the code table of the carrier with wismo id carrier, for
// Classify; nil when wismo has no normalizer for that carrier, or one that
// cannot map codes arriving in another container. Look it up once per
// tracker, not per event.
func Mapper(carrier string) normalizers.CodeMapper {
	if carrier == "" {
		return nil
	}
	n, ok := normalizers.Registered(carrier)
	if !ok {
		return nil
	}
	m, _ := n.(normalizers.CodeMapper)
	return m
}

// Event is what a feed says about one event of a parcel's history.
type Event struct {
	// Mapper is the parcel's carrier's table (Mapper), or nil.
	Mapper normalizers.CodeMapper
	// Code and CodeSub are the carrier's own scan code and sub-code, as
	// the feed passes them through ("" when it does not).
	Code, CodeSub string
	// Status and Sub are the feed's status and substatus of the event.
	Status, Sub string
	// Text is the event's description.
	Text string
}

// Classify decides the canonical type of one feed event with the best
// information present:
//
//   - where the feed passes the carrier's own code and wismo has that
//     carrier's table, the carrier's table decides;
//   - refined by the feed's status: when the carrier's table does not know
//     the code, or names only a generic exception that the feed's status
//     names (an address problem, a failed attempt), or says delivered while
//     the feed's status says otherwise, the feed's status decides (a false
//     delivery cannot be taken back downstream);
//   - otherwise the feed's status and substatus decide (Status, through
//     the feed's table t).
//
// nil means unmapped (the event becomes unknown.unmapped).
//
// The answer is remembered (classified): feeds repeat a small vocabulary
// of codes, statuses and wordings, and the tables' row-by-row searches
// cost more than the look-up of an answer already found.
func Classify(t *normalizers.Table, e *Event) *normalizers.Mapping {
	return classified.get(t, e)
}

// classify is Classify without its memory.
func classify(t *normalizers.Table, e *Event) *normalizers.Mapping {
	if e.Mapper == nil || e.Code == "" {
		return Status(t, e.Status, e.Sub, e.Text)
	}
	m := e.Mapper.MapCode(e.Code, e.CodeSub, e.Text)
	if unmapped(m) {
		if uc := upper(e.Code); uc != e.Code {
			// Tables hold codes as the carriers' APIs spell them, mostly
			// in capitals; a feed may have lower-cased them.
			m = e.Mapper.MapCode(uc, upper(e.CodeSub), e.Text)
		}
	}
	if unmapped(m) {
		return Status(t, e.Status, e.Sub, e.Text)
	}
	// The feed's status is looked up only where it may refine the
	// carrier's answer: most events are settled by the carrier's code.
	generic := m.Type == genericException
	delivered := m.Type.Milestone == "delivered" && e.Status != ""
	if !generic && !delivered {
		return m
	}
	feed := Status(t, e.Status, e.Sub, e.Text)
	switch {
	case feed == nil:
	case generic && feed.Type != genericException && names(feed.Type):
		return feed
	case delivered && feed.Type.Milestone != "delivered":
		return feed
	}
	return m
}

func unmapped(m *normalizers.Mapping) bool {
	return m == nil || m.Type == nil || m.Type == taxonomy.Unmapped
}

var genericException = mustType("exception.generic")

// names reports whether a feed's type says which problem a carrier's
// generic exception is: an exception, a failed attempt, a hold for pickup
// or a return. A feed's vague in_transit does not.
func names(t *taxonomy.Type) bool {
	switch t.Milestone {
	case "exception", "attempt_failed", "available_for_pickup", "returned":
		return true
	}
	return false
}

func mustType(name string) *taxonomy.Type {
	t, ok := taxonomy.Lookup(name)
	if !ok {
		panic("normalizers/feeds: taxonomy has no " + name)
	}
	return t
}

// Raw is what an event keeps of a feed's codes, with its text: the
// carrier's own code in Code with the feed's status (and substatus, after
// a "/") in Type when the feed passes a carrier code; else the feed's
// status in Code and its substatus in Type. Both are kept either way, so
// the table that decided can be told afterwards.
func Raw(b *normalizers.Batch, e *Event) event.Raw {
	if e.Code == "" {
		return event.Raw{Code: e.Status, Type: e.Sub, Description: e.Text}
	}
	typ := e.Status
	if e.Sub != "" {
		var buf [96]byte
		typ = b.Str(append(append(append(buf[:0], e.Status...), '/'), e.Sub...))
	}
	return event.Raw{Code: e.Code, Type: typ, Description: e.Text}
}

// upper returns s in ASCII capitals; s itself when it has no small letter.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'a' && c <= 'z' {
					b[j] = c - 'a' + 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// classified remembers the answers of Classify. Concurrent decoders share
// it.
var classified = &answers{seed: maphash.MakeSeed()}

// answers is a memory of Classify's answers: a slot holds one event's
// table, carrier table, codes, statuses and text with the row they gave
// (or none); a miss overwrites it. Only a miss allocates (the entry, and
// one copy of its strings: an event's strings live in its batch's arena,
// which the next payload reuses).
type answers struct {
	seed  maphash.Seed
	slots [1 << 12]atomic.Pointer[answer]
}

type answer struct {
	t                                *normalizers.Table
	mapper                           normalizers.CodeMapper
	code, codeSub, status, sub, text string
	m                                *normalizers.Mapping
}

func (a *answers) get(t *normalizers.Table, e *Event) *normalizers.Mapping {
	// The text by the runtime's hash; the codes and statuses, a few bytes
	// each, folded in byte by byte (FNV-1a), cheaper than a call each.
	h := maphash.String(a.seed, e.Text)
	for _, s := range [...]string{e.Code, e.CodeSub, e.Status, e.Sub} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 0x100000001b3
		}
		h = (h ^ 0xff) * 0x100000001b3 // ends a string: "ab"+"c" is not "a"+"bc"
	}
	slot := &a.slots[h&(uint64(len(a.slots))-1)]
	if x := slot.Load(); x != nil && x.t == t && x.mapper == e.Mapper && x.text == e.Text &&
		x.code == e.Code && x.codeSub == e.CodeSub && x.status == e.Status && x.sub == e.Sub {
		return x.m
	}
	m := classify(t, e)
	all := e.Code + e.CodeSub + e.Status + e.Sub + e.Text
	x := &answer{t: t, mapper: e.Mapper, m: m}
	x.code, all = all[:len(e.Code)], all[len(e.Code):]
	x.codeSub, all = all[:len(e.CodeSub)], all[len(e.CodeSub):]
	x.status, all = all[:len(e.Status)], all[len(e.Status):]
	x.sub, x.text = all[:len(e.Sub)], all[len(e.Sub):]
	slot.Store(x)
	return m
}
