package dhl

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/wismo/wismo/normalizers"
)

// textIndex finds the first text row of the table (in file order) whose text
// a description contains, in one pass over the description: an Aho-Corasick
// automaton over all the rows' texts. Table.Lookup would try the rows one by
// one, some 400 substring searches per description, which is far slower than
// the rest of the decoder together. The rows themselves, and so their
// meaning, still come from Table.
type textIndex struct {
	class [256]uint8 // byte -> symbol; 0 for bytes no row text contains
	nsym  int
	// next[state*nsym+symbol] is the next state<<1, plus 1 when some row's
	// text ends there: most steps then touch nothing but this table, which
	// is small enough (uint16) to stay in cache.
	next  []uint16
	first [][nKinds]int32 // state -> first row matched there, by statusCode; -1 none
	rows  []*normalizers.Mapping

	// DHL sends a small vocabulary of sentences over and over, so answers
	// are remembered: each slot holds the 48-bit tag of a (text, statusCode)
	// hash and the row found (+1; 0xffff for none), in one word so that
	// concurrent decoders never see half an entry. A false hit needs two
	// texts to agree on 60 bits of a keyed hash.
	seed  maphash.Seed
	cache [1 << 12]atomic.Uint64
}

// The statusCode kinds a text row's subcode can name.
const nKinds = 5

var kindNames = [nKinds]string{"pre-transit", "transit", "delivered", "failure", "unknown"}

func kindOf(statusCode string) int {
	for i, k := range kindNames {
		if k == statusCode {
			return i
		}
	}
	return nKinds - 1
}

var textRows = mustIndexText(codesTSV, Table)

// mustIndexText builds the index over the text rows (code *) of the table
// file, taking each row's Mapping from t so that both agree.
func mustIndexText(data []byte, t *normalizers.Table) *textIndex {
	type row struct {
		sub, text string
		m         *normalizers.Mapping
	}
	var rows []row
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || strings.TrimSpace(cols[0]) != "*" {
			continue
		}
		sub, text := strings.TrimSpace(cols[1]), strings.ToLower(strings.TrimSpace(cols[2]))
		probe := sub
		if sub == "*" {
			probe = "\x00" // matches only rows for any statusCode
		} else if kindOf(sub) == nKinds-1 && sub != "unknown" {
			panic(fmt.Sprintf("dhl/codes.tsv:%d: subcode %q of a text row is not a statusCode", n, sub))
		}
		m := t.Lookup("", probe, text)
		if m == nil || m.Text != text || m.Subcode != sub {
			panic(fmt.Sprintf("dhl/codes.tsv:%d: text row %q is shadowed by an earlier row", n, text))
		}
		rows = append(rows, row{sub, text, m})
	}

	x := &textIndex{nsym: 1, seed: maphash.MakeSeed()}
	for _, r := range rows {
		for i := 0; i < len(r.text); i++ {
			c := r.text[i]
			if x.class[c] == 0 {
				x.class[c] = uint8(x.nsym)
				x.nsym++
			}
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		x.class[c-'a'+'A'] = x.class[c] // upper-case ASCII reads as lower case
	}

	// The trie, then failure links breadth first, folded into the table.
	next := make([]int32, x.nsym)
	x.first = [][nKinds]int32{none()}
	for i, r := range rows {
		s := int32(0)
		for j := 0; j < len(r.text); j++ {
			k := int(s)*x.nsym + int(x.class[r.text[j]])
			if next[k] == 0 {
				next[k] = int32(len(x.first))
				x.first = append(x.first, none())
				next = append(next, make([]int32, x.nsym)...)
			}
			s = next[k]
		}
		for kind := range kindNames {
			if (r.sub == "*" || r.sub == kindNames[kind]) && x.first[s][kind] < 0 {
				x.first[s][kind] = int32(i)
			}
		}
		x.rows = append(x.rows, r.m)
	}
	if 2*len(x.first) > 1<<16 || len(rows) >= 0xffff {
		panic("dhl/codes.tsv: too many text rows for the text index")
	}
	fail := make([]int32, len(x.first))
	queue := []int32{}
	for sym := 1; sym < x.nsym; sym++ {
		if s := next[sym]; s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		for kind := range kindNames {
			if p := x.first[f][kind]; p >= 0 && (x.first[s][kind] < 0 || p < x.first[s][kind]) {
				x.first[s][kind] = p
			}
		}
		for sym := 1; sym < x.nsym; sym++ {
			k := int(s)*x.nsym + sym
			if t := next[k]; t != 0 {
				fail[t] = next[int(f)*x.nsym+sym]
				queue = append(queue, t)
			} else {
				next[k] = next[int(f)*x.nsym+sym]
			}
		}
	}
	x.next = make([]uint16, len(next))
	for k, t := range next {
		x.next[k] = uint16(t) << 1
		if x.first[t] != none() {
			x.next[k] |= 1
		}
	}
	return x
}

func none() [nKinds]int32 {
	var a [nKinds]int32
	for i := range a {
		a[i] = -1
	}
	return a
}

// lookup returns the first text row, in file order, for statusCode whose
// text s contains (ignoring ASCII case), or nil. It does not allocate.
func (x *textIndex) lookup(s, statusCode string) *normalizers.Mapping {
	kind := kindOf(statusCode)
	h := maphash.String(x.seed, s) ^ uint64(kind+1)*0x9e3779b97f4a7c15
	slot := &x.cache[h&(uint64(len(x.cache))-1)]
	tag := h>>16 | 1
	if w := slot.Load(); w>>16 == tag {
		if v := w & 0xffff; v != 0xffff {
			return x.rows[v-1]
		}
		return nil
	}
	r := x.scan(s, kind)
	v := uint64(0xffff)
	if r >= 0 {
		v = uint64(r) + 1
	}
	slot.Store(tag<<16 | v)
	if r < 0 {
		return nil
	}
	return x.rows[r]
}

// scan runs the automaton over s: the first row matched, or -1.
func (x *textIndex) scan(s string, kind int) int32 {
	best := int32(-1)
	state := 0
	for i := 0; i < len(s); i++ {
		v := x.next[state*x.nsym+int(x.class[s[i]])]
		state = int(v >> 1)
		if v&1 != 0 {
			if r := x.first[state][kind]; r >= 0 && (best < 0 || r < best) {
				best = r
			}
		}
	}
	return best
}
