package all_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/taxonomy"
)

// expectedScanRejections lists, per sample, the scans the core must refuse
// one by one, each by a substring of its rejection. Any other scan
// rejection still fails the test, and so does a listed one that does not
// happen.
var expectedScanRejections = map[string][]string{
	// The UPS sandbox answers with a KB scan dated 1998-08-30 among its 2010
	// scans: before 2000, so the core's absurd-time check refuses it while
	// the file's other scans count. It is UPS's data, kept as captured.
	"xml-track-delivery-attempts-then-delivered-sandbox.xml": {"timestamp: scan KB at 1998-08-30T"},
	// The mixed feed ends with three broken records (an impossible date, no
	// tracking number, no carrier), refused one by one beside the others.
	"ocf-3pl-mixed-carriers.avro": {"timestamp: record 9:", "validate: record 10:", "validate: record 11:"},
}

// carrierAnswers are the kinds a sample named "*error*" (a carrier's error
// body) may be rejected with; any other sample must normalize.
var carrierAnswers = map[normalizers.Kind]bool{normalizers.KindInvalidTracking: true, normalizers.KindCarrierError: true}

// TestCarrierConformance is what every registered carrier and feed must
// have: a complete spec, sample payloads in testdata/carriers/<id>/ for
// every format it reads, a golden beside each, and output that matches
// it. Every sample normalizes (one named "*error*" may be rejected as the
// carrier's answer; "not found" is a notice), and unmapped scans stay at
// or below 2% of all events. `-update` rewrites the goldens.
func TestCarrierConformance(t *testing.T) {
	for _, s := range normalizers.Specs() {
		var missing []string
		if s.Name == "" {
			missing = append(missing, "a display name (Spec.Name)")
		}
		if len(s.Reads) == 0 {
			missing = append(missing, "the formats it reads (Spec.Reads)")
		}
		if s.Table == nil {
			missing = append(missing, "a code table (Spec.Table, loaded from its codes.tsv)")
		}
		if len(missing) > 0 {
			t.Errorf("carrier %s: its normalizers.Spec lacks %s", s.ID, strings.Join(missing, ", "))
		}
	}
	events, unmapped := 0, 0
	for _, src := range normalizers.Sources() {
		t.Run(src.Name(), func(t *testing.T) {
			e, u := conform(t, src)
			events, unmapped = events+e, unmapped+u
		})
	}
	if events == 0 {
		t.Fatal("no sample normalized to an event")
	}
	share := float64(unmapped) / float64(events)
	t.Logf("unmapped: %d of %d events (%.2f%%)", unmapped, events, 100*share)
	if share > 0.02 {
		t.Errorf("unmapped share %.2f%% is over 2%%", 100*share)
	}
}

// conform checks one source's samples and goldens and counts its events.
func conform(t *testing.T, src normalizers.Source) (events, unmapped int) {
	n, err := normalizers.Lookup(src.Carrier, src.Format)
	if err != nil {
		t.Fatal(err)
	}
	files := normalizertest.SampleFiles(t, src)
	if len(files) == 0 {
		t.Fatalf("carrier %s: no sample payloads: want at least one *%s file in %s/, and its golden (*%s.golden) beside it; "+
			"add captured or synthetic %s payloads there, then run `go test ./normalizers/all -run TestCarrierConformance -update` and review the goldens",
			src.Carrier, src.Ext(), src.Dir, src.Ext(), src.Format)
	}
	if !normalizertest.Updating() {
		var noGolden []string
		for _, f := range files {
			if _, err := os.Stat(f + ".golden"); err != nil {
				noGolden = append(noGolden, filepath.Base(f)+".golden")
			}
		}
		if len(noGolden) > 0 {
			t.Fatalf("carrier %s: %d of %d samples in %s/ have no golden: %s; run `go test ./normalizers/all -run TestCarrierConformance -update` and review them",
				src.Carrier, len(noGolden), len(files), src.Dir, strings.Join(noGolden, ", "))
		}
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			hint := normalizertest.Hint(t, file)
			normalizertest.CheckGolden(t, file, normalizertest.Run(n, src.Format, data, hint))
			b, err := normalizertest.Normalize(n, src.Format, data, hint)
			checkAccepted(t, name, b, err)
			for i := range b.Events {
				events++
				if b.Events[i].Type == taxonomy.Unmapped {
					unmapped++
					t.Logf("unmapped %s/%s %q", b.Events[i].Raw.Code, b.Events[i].Raw.Type, b.Events[i].Raw.Description)
				}
			}
		})
	}
	return events, unmapped
}

// checkAccepted fails a sample that was rejected, or had a scan rejected,
// other than as expected.
func checkAccepted(t *testing.T, name string, b *normalizers.Batch, err error) {
	t.Helper()
	switch k := normalizers.KindOf(err); {
	case err == nil, k == normalizers.KindNotFound:
	case carrierAnswers[k] && strings.Contains(name, "error"):
		if strings.TrimSpace(err.Error()) == "" {
			t.Errorf("rejected without a message")
		}
	default:
		t.Errorf("rejected: %v (only a sample named *error* may be a carrier's error body)", err)
	}
	expected := expectedScanRejections[name]
	matched := make([]bool, len(expected))
rejections:
	for _, r := range b.Rejected {
		for i, want := range expected {
			if !matched[i] && strings.Contains(r.Error(), want) {
				matched[i] = true
				continue rejections
			}
		}
		t.Errorf("scan rejected: %v", r)
	}
	for i, ok := range matched {
		if !ok {
			t.Errorf("expected the scan rejection %q, which did not happen", expected[i])
		}
	}
}

// samplePayloads returns the samples of src that normalize (scans may be
// rejected one by one, the payload is not), as the carriers' APIs send
// them (JSON compacted), and the tracking hint of each (its key file).
func samplePayloads(tb testing.TB, src normalizers.Source, only []string) ([][]byte, []string) {
	tb.Helper()
	n, err := normalizers.Lookup(src.Carrier, src.Format)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	var hints []string
	for _, file := range normalizertest.SampleFiles(tb, src) {
		if len(only) > 0 && !matchesAny(filepath.Base(file), only) {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		hint := normalizertest.Hint(tb, file)
		if _, err := normalizertest.Normalize(n, src.Format, data, hint); err != nil {
			continue
		}
		if src.Format == normalizers.JSON {
			data = normalizertest.CompactJSON(tb, file, data)
		}
		out, hints = append(out, data), append(hints, hint)
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no sample in %s/ normalizes (see TestCarrierConformance)", src.Name(), src.Dir)
	}
	return out, hints
}

func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, err := filepath.Match(p, name); err != nil {
			panic(fmt.Sprintf("bad sample pattern %q: %v", p, err))
		} else if ok {
			return true
		}
	}
	return false
}
