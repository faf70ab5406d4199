package coalesce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is a Fetch that answers "v:"+key, fails key "bad" alone, and
// holds each batch until release is closed (when set), so tests can make
// calls queue behind it.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	started chan struct{} // one send per batch begun
	release chan struct{}
}

func newRecorder() *recorder {
	return &recorder{started: make(chan struct{}, 1000), release: make(chan struct{})}
}

func (r *recorder) fetch(ctx context.Context, keys []string) ([]Result[string], error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(keys))
	r.mu.Unlock()
	r.started <- struct{}{}
	select {
	case <-r.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := make([]Result[string], len(keys))
	for i, k := range keys {
		if k == "bad" {
			out[i].Err = fmt.Errorf("shipment %s: broken", k)
			continue
		}
		out[i].V = "v:" + k
	}
	return out, nil
}

// queued waits until n calls wait in b's queue, or it is full (it holds
// Workers x MaxBatch).
func queued[K comparable, V any](t *testing.T, b *Batcher[K, V], n int) {
	t.Helper()
	for len(b.calls) < min(n, cap(b.calls)) {
		time.Sleep(time.Millisecond) // the test's timeout bounds this
	}
}

type answer struct {
	key, v string
	err    error
}

func doAll(b *Batcher[string, string], ctx context.Context, keys []string) chan answer {
	out := make(chan answer, len(keys))
	for _, k := range keys {
		go func() {
			v, err := b.Do(ctx, k)
			out <- answer{k, v, err}
		}()
	}
	return out
}

// Calls that wait while a batch runs go together in the next, at most
// MaxBatch of them, each distinct key once; every caller gets its own
// key's answer; the failing key fails alone.
func TestBatchesAnswerEachCaller(t *testing.T) {
	r := newRecorder()
	b := New(r.fetch, Options{Workers: 1, MaxBatch: 4})
	defer b.Close()
	ctx := context.Background()
	first := doAll(b, ctx, []string{"first"})
	<-r.started // the only worker is busy: the next calls queue
	keys := []string{"a", "b", "bad", "a", "c", "d", "e"}
	got := doAll(b, ctx, keys)
	queued(t, b, len(keys))
	close(r.release)
	if a := <-first; a.v != "v:first" || a.err != nil {
		t.Fatalf("first: %+v", a)
	}
	for range keys {
		a := <-got
		switch {
		case a.key == "bad":
			if a.err == nil || a.v != "" {
				t.Errorf("bad: %+v, want its own error", a)
			}
		case a.err != nil || a.v != "v:"+a.key:
			t.Errorf("%s: got %q, %v", a.key, a.v, a.err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var keysSeen int
	for _, bt := range r.batches[1:] {
		if len(bt) > 4 {
			t.Errorf("a batch of %d keys, MaxBatch 4: %v", len(bt), bt)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(bt)))) != len(bt) {
			t.Errorf("a key twice in one batch: %v", bt)
		}
		keysSeen += len(bt)
	}
	// 7 calls, 4 at most per batch, so at least 2 batches; "a" may be
	// fetched once or in two batches
	if n := len(r.batches) - 1; n < 2 || n > 3 || keysSeen < 6 {
		t.Errorf("batches after the first: %v; want the 7 queued calls in 2 or 3 batches", r.batches[1:])
	}
}

// An error of the fetch itself fails every caller of its batch.
func TestFetchErrorFailsItsBatch(t *testing.T) {
	boom := errors.New("clickhouse down")
	b := New(func(_ context.Context, keys []string) ([]Result[string], error) { return nil, boom }, Options{})
	defer b.Close()
	got := doAll(b, context.Background(), []string{"x", "y"})
	for range 2 {
		if a := <-got; !errors.Is(a.err, boom) {
			t.Errorf("%s: %v, want the fetch's error", a.key, a.err)
		}
	}
	short := New(func(_ context.Context, keys []string) ([]Result[string], error) { return nil, nil }, Options{})
	defer short.Close()
	if _, err := short.Do(context.Background(), "x"); err == nil {
		t.Error("a fetch with too few results: no error")
	}
}

// A caller whose context ends gets its error at once, while its batch is
// still under way; the others of the batch get their answers; a fetch all
// of whose callers have gone is cancelled.
func TestCancellation(t *testing.T) {
	r := newRecorder()
	b := New(r.fetch, Options{Workers: 1, MaxBatch: 8})
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	gone := doAll(b, ctx, []string{"x"})
	<-r.started
	cancel()
	if a := <-gone; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("cancelled caller: %+v, want context.Canceled", a)
	}
	// the fetch saw its context end (every caller gone), so the worker is
	// free; a cancelled call still in the queue is not fetched
	dead, kill := context.WithCancel(context.Background())
	kill()
	if _, err := b.Do(dead, "never"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a call with an ended context: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	stay := doAll(b, context.Background(), []string{"stay"})
	<-r.started
	leave := doAll(b, ctx2, []string{"leave"})
	queued(t, b, 1)
	cancel2()
	if a := <-leave; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("leaving caller: %+v", a)
	}
	close(r.release)
	if a := <-stay; a.err != nil || a.v != "v:stay" {
		t.Fatalf("staying caller: %+v", a)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, bt := range r.batches {
		if slices.Contains(bt, "never") || slices.Contains(bt, "leave") {
			t.Errorf("fetched for a caller already gone: %v", r.batches)
		}
	}
}

// After Close, calls fail with ErrClosed rather than wait.
func TestClose(t *testing.T) {
	r := newRecorder()
	close(r.release)
	b := New(r.fetch, Options{})
	if v, err := b.Do(context.Background(), "x"); err != nil || v != "v:x" {
		t.Fatalf("%q %v", v, err)
	}
	b.Close()
	if _, err := b.Do(context.Background(), "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// With Wait, a lone call waits that long for company, and calls arriving
// within it share its batch.
func TestWaitGathers(t *testing.T) {
	r := newRecorder()
	close(r.release)
	b := New(r.fetch, Options{Workers: 1, MaxBatch: 3, Wait: time.Hour})
	defer b.Close()
	got := doAll(b, context.Background(), []string{"a", "b", "c"})
	for range 3 {
		if a := <-got; a.err != nil {
			t.Fatal(a.err)
		}
	}
	if len(r.batches) != 1 || len(r.batches[0]) != 3 {
		t.Errorf("batches %v; want one of 3 (it fills before the hour)", r.batches)
	}
}
