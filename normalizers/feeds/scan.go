package feeds

import (
	"sync"

	"github.com/wismo/wismo/normalizers"
)

// ScanNormalizer is New's decoder for a feed whose decoder reads with a
// JSONScanner (one pass, no tree): it accepts the same shapes (one object,
// a JSON array of them, or an object listing them under the list key) and
// reports nothing until the payload proved well-formed. E is what the feed
// collects of one object (a tracker, or a webhook wrapping one).
type ScanNormalizer[E any, P ScanEntry[E]] struct {
	normalizers.Spec
	what, list string
	scratch    sync.Pool // of *ScanState[E]
}

// ScanEntry is what a feed collects of one object of a payload.
type ScanEntry[E any] interface {
	*E
	// Read reads the value next in st.Scanner, whatever it is, into the
	// entry, resetting what it held; at the root, the list key's value
	// is read with ReadList.
	Read(st *ScanState[E], root bool)
	// Item adds the entry's events to b, as New's Item; an entry that is
	// not an object is refused (ListEntry).
	Item(in *normalizers.Input, b *normalizers.Batch) error
}

// ScanState is one payload's scanner, its root object and the entries of
// its list (the root array, or the root's list key).
type ScanState[E any] struct {
	Scanner  normalizers.JSONScanner
	root     E
	hasList  bool
	listKind normalizers.JSONKind
	list     []E
}

// NewScan returns the decoder of a feed, as New: what names its payloads
// in errors, list is the key under which an object lists several.
func NewScan[E any, P ScanEntry[E]](spec normalizers.Spec, what, list string) *ScanNormalizer[E, P] {
	return &ScanNormalizer[E, P]{Spec: spec, what: what, list: list}
}

// Feed implements normalizers.Feeder: the events come through the feed, and
// name the carriers of its parcels.
func (n *ScanNormalizer[E, P]) Feed() string { return n.Spec.ID }

// Normalize implements normalizers.Normalizer.
func (n *ScanNormalizer[E, P]) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[ScanState[E]](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.Scanner
	sc.Reset(in.Payload)
	kind := sc.Kind()
	st.list, st.hasList = st.list[:0], false
	switch kind {
	case normalizers.JSONArray:
		ReadList[E, P](st)
	case normalizers.JSONObject:
		P(&st.root).Read(st, true)
	default:
		sc.Skip()
	}
	if err := sc.Finish(n.ID); err != nil {
		return err
	}
	switch {
	case kind == normalizers.JSONArray:
	case kind != normalizers.JSONObject:
		return normalizers.Errorf(normalizers.KindDecode, n.ID, "not %s: the payload is a JSON %s", n.what, kind)
	case !st.hasList:
		return P(&st.root).Item(in, b)
	case st.listKind != normalizers.JSONArray:
		return normalizers.Errorf(normalizers.KindDecode, n.ID, "%s is a JSON %s, not an array", n.list, st.listKind)
	}
	return EachOf(n.ID, "an empty list: no "+n.what, len(st.list), b, func(i int) error { return P(&st.list[i]).Item(in, b) })
}

// ReadList reads the list next in st.Scanner (the root array, or the
// value of the root's list key) into st's entries.
func ReadList[E any, P ScanEntry[E]](st *ScanState[E]) {
	sc := &st.Scanner
	st.hasList, st.listKind = true, sc.Kind()
	Elems(sc, func() { P(Next(&st.list)).Read(st, false) })
}

// Elems calls read for each element of the array next in sc (read must
// read it whole); anything but an array is skipped, as a list of none.
func Elems(sc *normalizers.JSONScanner, read func()) {
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Elem() {
		read()
	}
}

// ListEntry is the error of an entry of a list that is a JSON kind, not
// an object, as New's decoder gives it.
func ListEntry(feed, what string, kind normalizers.JSONKind) error {
	return normalizers.Errorf(normalizers.KindDecode, feed, "a list entry that is a JSON %s, not %s", kind, what)
}

// ReadPlace reads a place's fields (city, state, zip as Text gives it,
// country: PlaceText's) with a switch on the key.
func ReadPlace(sc *normalizers.JSONScanner, f *[4][]byte) {
	Members(sc, placeKey, 0, 4, func(i int) {
		if i == 2 {
			f[i] = ScanText(sc)
			return
		}
		f[i] = sc.Str()
	})
}

// placeKey is the index of k among a place's fields, -1 if none.
func placeKey(k []byte) int {
	switch string(k) {
	case "city":
		return 0
	case "state":
		return 1
	case "zip":
		return 2
	case "country":
		return 3
	}
	return -1
}
