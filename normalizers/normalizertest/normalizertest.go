// Package normalizertest holds the shared test harness of the carrier
// normalizers: golden files, fuzz seeds and benchmarks over the real
// carrier payloads in testdata/carriers.
package normalizertest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing")

// Now is the processing time of golden runs, fixed so the files are stable.
var Now = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Root returns the repository root (the folder holding go.mod).
func Root(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("normalizertest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Fixtures returns the fixture files matching pattern under
// testdata/carriers (e.g. "ups/*.json"), golden files excluded. It fails
// the test when none match, so a renamed folder cannot silently test nothing.
func Fixtures(tb testing.TB, pattern string) []string {
	files, err := filepath.Glob(filepath.Join(Root(tb), "testdata", "carriers", pattern))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Ext(f) != ".golden" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		tb.Fatalf("no fixtures match testdata/carriers/%s", pattern)
	}
	return out
}

// Normalize runs n over one payload as the pipeline does, at the fixed
// processing time Now.
func Normalize(n normalizers.Normalizer, format normalizers.Format, payload []byte, hint string) (*normalizers.Batch, error) {
	b := normalizers.NewBatch()
	in := normalizers.Input{Payload: payload, Format: format, TrackingHint: hint, Now: Now}
	return b, normalizers.Normalize(n, &in, b, 0)
}

// Run normalizes one payload the way `wismo normalize` does and renders
// the result as golden text: one JSON event per line, then one
// "# rejected: ..." line per rejection.
func Run(n normalizers.Normalizer, format normalizers.Format, payload []byte, hint string) string {
	b, err := Normalize(n, format, payload, hint)
	var out bytes.Buffer
	for i := range b.Events {
		out.Write(event.AppendJSON(nil, &b.Events[i]))
		out.WriteByte('\n')
	}
	for _, r := range b.Rejected {
		fmt.Fprintf(&out, "# rejected: %v\n", r)
	}
	if err != nil {
		word := "rejected"
		if normalizers.KindOf(err) == normalizers.KindNotFound {
			word = "notice"
		}
		fmt.Fprintf(&out, "# %s: %v\n", word, err)
	}
	return out.String()
}

// SampleFiles returns src's sample payloads: the files in its folder with
// its format's extension, sorted. Unlike Fixtures it does not fail when
// there are none; the conformance suite says what is missing.
func SampleFiles(tb testing.TB, src normalizers.Source) []string {
	files, err := filepath.Glob(filepath.Join(Root(tb), filepath.FromSlash(src.Dir), "*"+src.Ext()))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// Hint is the tracking hint of the sample file: its key file's content
// (normalizers.KeyFileExt), or "" when it has none. A carrier whose answer
// does not repeat the number it was asked for (DPD's ParcelLifeCycle) is
// only understood with it.
func Hint(tb testing.TB, file string) string {
	data, err := os.ReadFile(file + normalizers.KeyFileExt)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return string(bytes.TrimSpace(data))
}

// Updating says whether the run rewrites golden files (-update).
func Updating() bool { return *update }

// CheckGolden compares got with file's golden (file + ".golden"), or, with
// -update, writes it.
func CheckGolden(t *testing.T, file, got string) {
	t.Helper()
	golden := file + ".golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./normalizers/all -run TestCarrierConformance -update to create it, then review it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update and review the diff):\n%s",
			filepath.Base(golden), firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return fmt.Sprintf("line %d\nwant: %s\ngot:  %s", i+1, w, g)
		}
	}
	return ""
}

// Seeds adds every fixture matching pattern to a fuzz corpus.
func Seeds(f *testing.F, pattern string) {
	for _, file := range Fixtures(f, pattern) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzNormalizer is the body of every decoder's fuzz target: whatever the
// input, the decoder must not panic, and what it emits must be a valid
// canonical event that survives a JSON round trip.
func FuzzNormalizer(t *testing.T, n normalizers.Normalizer, format normalizers.Format, data []byte) {
	b := normalizers.NewBatch()
	in := normalizers.Input{Payload: data, Format: format, Now: Now}
	// Call the decoder directly, not through normalizers.Normalize, whose
	// recover would hide a panic from the fuzzer.
	normalizers.ResetForTest(b, n, &in)
	if err := n.Normalize(&in, b); err != nil {
		return
	}
	for i := range b.Events {
		e := &b.Events[i]
		line := event.AppendJSON(nil, e)
		if !json.Valid(line) {
			t.Fatalf("invalid JSON for event: %s", line)
		}
		var back event.Event
		if err := event.UnmarshalJSON(line, &back); err != nil {
			t.Fatalf("event does not decode: %v\n%s", err, line)
		}
		if e.TrackingNumber == "" {
			t.Fatalf("event without tracking number: %s", line)
		}
		if e.OccurredAt.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || e.OccurredAt.After(Now.Add(normalizers.MaxFutureSkew)) {
			t.Fatalf("event time out of bounds: %s", line)
		}
	}
}

// Compact returns the fixtures matching pattern as compact JSON, the way
// carrier APIs send them on the wire; the benchmarks use these.
func Compact(tb testing.TB, pattern string) [][]byte {
	var out [][]byte
	for _, file := range Fixtures(tb, pattern) {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, CompactJSON(tb, file, data))
	}
	return out
}

// CompactJSON returns file's JSON data compacted.
func CompactJSON(tb testing.TB, file string, data []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return buf.Bytes()
}

// Bench normalizes payloads round robin and reports events/s and
// allocations per event. The batch reuses its string memory, as the
// normalize stage's does (it encodes each payload's events at once).
func Bench(b *testing.B, n normalizers.Normalizer, format normalizers.Format, payloads [][]byte) {
	BenchKeyed(b, n, format, payloads, nil)
}

// BenchKeyed is Bench with each payload's tracking hint (hints[i] for
// payloads[i], as Hint reads them); nil means none.
func BenchKeyed(b *testing.B, n normalizers.Normalizer, format normalizers.Format, payloads [][]byte, hints []string) {
	hint := func(i int) string {
		if i < len(hints) {
			return hints[i]
		}
		return ""
	}
	batch := normalizers.NewBatch()
	batch.ReuseStrings = true
	now := Now
	var bytesIn int64
	events := 0
	// Count events per round first, so the metric is exact.
	for i, p := range payloads {
		in := normalizers.Input{Payload: p, Format: format, TrackingHint: hint(i), Now: now}
		if err := normalizers.Normalize(n, &in, batch, 0); err != nil {
			b.Fatalf("bench payload rejected: %v", err)
		}
		events += len(batch.Events)
		bytesIn += int64(len(p))
	}
	if events == 0 {
		b.Fatal("bench payloads yield no events")
	}
	b.SetBytes(bytesIn / int64(len(payloads)))
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		j := i % len(payloads)
		in := normalizers.Input{Payload: payloads[j], Format: format, TrackingHint: hint(j), Now: now}
		if err := normalizers.Normalize(n, &in, batch, 0); err != nil {
			b.Fatal(err)
		}
		total += len(batch.Events)
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(total)/float64(b.N), "events/op")
}
