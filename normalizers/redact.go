package normalizers

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"
)

// Events carry no personal data (contracts.md): they reach every consumer
// of the events topic and ClickHouse. Carriers name people in two ways. In
// fields of their own (FedEx receivedByName, UPS SignedForByName, USPS
// Name, DHL details.receiver): the decoders never read those. And inside
// the texts an event keeps ("Delivered - Signed for by: JESSICA"): a
// Redactor takes the name out of those. Each carrier package says which of
// its texts it passes through its Redactor, and with which markers.

// Redacted stands in for a name taken out of a carrier's text.
const Redacted = "[name withheld]"

// NameMarkers are the phrases after which carriers and their resellers
// write the name of the person who signed for, received or collected a
// parcel. Phrases that also start plain wording ("Delivered to a parcel
// locker", "Left with individual", "Picked up by shipping partner",
// "Received by the local post office") count only with their colon.
var NameMarkers = []string{
	"SIGNED FOR BY",
	"SIGNED BY",
	"SIGNATORY",
	"SIGNATURE:",
	"RECEIVED BY:",
	"ACCEPTED BY:",
	"LEFT WITH:",
	"DELIVERED TO:",
	"PICKED UP BY:",
	"COLLECTED BY:",
}

// Redactor replaces what follows a name marker in a text with Redacted.
// Markers are matched as whole words, ignoring ASCII case. It is safe for
// concurrent use.
type Redactor struct {
	// byFirst holds the markers (upper-case) by their first byte, in
	// both cases: a text is looked at further only where a word starts
	// with one of those bytes (first).
	byFirst [256][]string
	first   [256]bool
	// keys are short substrings, one of which every marker holds: its
	// colon, else its second to fourth letters in capitals and in small
	// letters ("IGN", "ign" of "SIGNED BY"). A text holding none of them
	// holds no marker, which a few vectorized searches tell; most texts
	// end there.
	keys []string
	// clean remembers texts seen without a name, by a 64-bit keyed hash
	// (odd, so that an empty slot is 0) in a slot chosen by its top bits:
	// carriers repeat a small vocabulary, and a hash is cheaper than the
	// searches for a long text. Concurrent decoders share it; a slot is
	// one word, so none sees half an entry. A false hit needs two texts
	// to agree on a 64-bit keyed hash.
	seed  maphash.Seed
	clean [1 << 12]atomic.Uint64
}

// wordByte marks the bytes of words: ASCII letters and digits, and every
// byte of a multi-byte character.
var wordByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	return t
}()

// NewRedactor returns a Redactor of the given markers (ASCII phrases).
func NewRedactor(markers ...string) *Redactor {
	r := &Redactor{seed: maphash.MakeSeed()}
	for _, m := range markers {
		m = upperASCII(m)
		keys := []string{":"}
		if strings.IndexByte(m, ':') < 0 {
			k := m[1:min(4, len(m))]
			keys = []string{k, strings.ToLower(k)}
		}
		for _, k := range keys {
			if !slices.Contains(r.keys, k) {
				r.keys = append(r.keys, k)
			}
		}
		r.byFirst[m[0]] = append(r.byFirst[m[0]], m)
		r.first[m[0]] = true
		if l := lowerASCII(m[0]); l != m[0] {
			r.byFirst[l] = append(r.byFirst[l], m)
			r.first[l] = true
		}
	}
	return r
}

// Text returns s with each name that follows a marker replaced by
// Redacted. The marker and a colon, dash or spaces after it are kept; the
// name runs to the end of the text or to the next ';', ':', '|', '(' or
// ')' (FedEx joins its two descriptions with ": "). Names hold dots,
// commas and hyphens ("J. DOE", "DOE, JOHN"), so those do not end one. A
// text without a marker, every text but a few, is returned as it is,
// without copying.
func (r *Redactor) Text(b *Batch, s string) string {
	h := maphash.String(r.seed, s) | 1
	slot := &r.clean[h>>52]
	if slot.Load() == h {
		return s
	}
	if !r.mayHold(s) {
		slot.Store(h)
		return s
	}
	var buf [256]byte
	out, found := buf[:0], false
	last := 0 // s[last:] is not yet in out
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inWord || !r.first[c] {
			inWord = wordByte[c]
			continue
		}
		inWord = true
		for _, m := range r.byFirst[c] {
			start := i + len(m)
			if start > len(s) || !equalFoldASCII(s[i:start], m) || (start < len(s) && wordByte[m[len(m)-1]] && wordByte[s[start]]) {
				continue
			}
			for start < len(s) && (s[start] == ':' || s[start] == ' ' || s[start] == '-') {
				start++
			}
			end := start
			for end < len(s) && !endsName(s[end]) {
				end++
			}
			for end > start && s[end-1] == ' ' {
				end--
			}
			if end == start || s[start:end] == Redacted {
				break // nothing named, or withheld already
			}
			out, found = append(append(out, s[last:start]...), Redacted...), true
			last, i, inWord = end, end-1, false
			break
		}
	}
	if !found {
		slot.Store(h)
		return s
	}
	return b.arena.String(append(out, s[last:]...))
}

func (r *Redactor) mayHold(s string) bool {
	for _, k := range r.keys {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func endsName(c byte) bool {
	return c == ';' || c == ':' || c == '|' || c == '(' || c == ')' || c == '\n'
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// equalFoldASCII reports whether s equals the upper-case m, ignoring ASCII
// case.
func equalFoldASCII(s, m string) bool {
	for i := 0; i < len(m); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != m[i] {
			return false
		}
	}
	return true
}
