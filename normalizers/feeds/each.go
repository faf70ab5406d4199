package feeds

import (
	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/normalizers"
)

// Each runs one over every tracking of a feed's list and returns the
// payload's error: none when any tracking gave an event or a refused scan
// (one unusable tracking does not reject the others), else the first
// tracking's error, else empty, an error of kind empty naming what.
//
// one is a plain function, not a closure, so that calling Each allocates
// nothing.
func Each(feed string, list []*fastjson.Value, b *normalizers.Batch, empty string, one func(*fastjson.Value, *normalizers.Batch) error) error {
	var first error
	for _, t := range list {
		if err := one(t, b); err != nil && first == nil {
			first = err
		}
	}
	switch {
	case len(b.Events) > 0 || len(b.Rejected) > 0:
		return nil
	case first != nil:
		return first
	}
	return normalizers.Errorf(normalizers.KindEmpty, feed, "%s", empty)
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
