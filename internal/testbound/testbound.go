// Package testbound makes a test fail, instead of hanging the whole suite,
// when the code under test does not return: the regression tests of
// endless loops (over calendar time, on a poison record) use it.
package testbound

import (
	"testing"
	"time"
)

// Within runs f and fails the test when f has not returned after limit.
// The limit is a generous bound, not a timing assertion: f is left
// running, and the test reports the loop instead of waiting for it.
func Within(t testing.TB, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("did not finish within %v: an endless loop", limit)
	}
}
