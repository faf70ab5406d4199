package feeds

import (
	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/normalizers"
)

// Each runs one over every tracking of a feed's list: the one loop of every
// feed, whether its decoder is New's or its own. One unusable tracking does
// not reject the others: when any tracking gave an event or a refused
// scan, each tracking's error becomes a rejection of its own in b (so
// nothing is dropped unsaid) and Each returns nil; when none did, Each
// returns the first tracking's error, or, for an empty list, an error of
// kind empty saying empty. An error that is not a *normalizers.Error ends
// the loop and is returned.
//
// one is a plain function or a method value made once, not a closure
// made per call, so that calling Each allocates nothing.
func Each(feed, empty string, list []*fastjson.Value, in *normalizers.Input, b *normalizers.Batch, one Item) error {
	return EachOf(feed, empty, len(list), b, func(i int) error { return one(list[i], in, b) })
}

// EachOf is Each for a list of n trackings a decoder holds in its own
// form (a JSONScanner's, read before any is reported): one(i) reads the
// i-th.
func EachOf(feed, empty string, n int, b *normalizers.Batch, one func(i int) error) error {
	if n == 0 {
		return normalizers.Errorf(normalizers.KindEmpty, feed, "%s", empty)
	}
	var first error
	events, before, mine := len(b.Events), len(b.Rejected), 0
	for i := range n {
		err := one(i)
		if err == nil {
			continue
		}
		ne, ok := err.(*normalizers.Error) // not errors.As: its target would escape, an allocation per entry
		if !ok {
			return err
		}
		if first == nil {
			first = err
		}
		b.Reject(ne.Kind, ne.Tracking, ne.Msg)
		mine++
	}
	if first != nil && len(b.Events) == events && len(b.Rejected) == before+mine {
		// Nothing but these errors: the first is the payload's.
		clear(b.Rejected[before:])
		b.Rejected = b.Rejected[:before]
		return first
	}
	return nil
}

// PendingCode is the code of a tracking's pending event: the first of its
// summary status fields keys that is set, else fallback. The summary makes
// no scan; it only names what the feed says of a number without history.
func PendingCode(t *fastjson.Value, fallback string, keys ...[]string) []byte {
	for _, k := range keys {
		if c := t.GetStringBytes(k...); len(c) > 0 {
			return c
		}
	}
	return []byte(fallback)
}

// Next extends l by one element and returns it, holding what the element
// there was held (a decoder's scratch list, kept between payloads, reuses
// the lists inside its elements): the caller resets it.
func Next[T any](l *[]T) *T {
	if len(*l) < cap(*l) {
		*l = (*l)[:len(*l)+1]
	} else {
		var zero T
		*l = append(*l, zero)
	}
	return &(*l)[len(*l)-1]
}
