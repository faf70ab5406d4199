package all_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/taxonomy"
)

// fixtureSets are the real carrier payloads in testdata, with the carrier
// and format each is normalized as.
var fixtureSets = []struct {
	carrier string
	format  normalizers.Format
	pattern string
}{
	{"ups", normalizers.JSON, "ups/*.json"},
	{"ups", normalizers.XML, "ups/*.xml"},
	{"fedex", normalizers.JSON, "fedex/*.json"},
	{"fedex", normalizers.XML, "fedex/*.xml"},
	{"usps", normalizers.JSON, "usps/*.json"},
	{"usps", normalizers.XML, "usps/*.xml"},
	{"dhl", normalizers.JSON, "dhl/unified-*.json"},
}

// invalid lists the fixtures that are carrier error bodies for an invalid
// tracking number: those must be rejected, with the carrier's own text.
var invalid = map[string]string{
	"track-v1-error-invalid-inquiry-TV1002.json": "Invalid inquiry number",
}

// expectedScanRejections lists, per fixture, the scans the core must refuse
// one by one, each by a substring of its rejection (all of kind timestamp).
// Any other scan rejection still fails the test, and so does a listed one
// that does not happen.
var expectedScanRejections = map[string][]string{
	// The UPS sandbox answers with a KB scan dated 1998-08-30 among its 2010
	// scans: before 2000, so the core's absurd-time check refuses it while
	// the file's other scans count. It is UPS's data, kept as captured.
	"xml-track-delivery-attempts-then-delivered-sandbox.xml": {"at 1998-08-30T"},
}

// The acceptance bar of the normalizers: every tracking fixture normalizes
// without a rejection, and unmapped scans stay at or below 2% of all events.
func TestFixturesAcceptance(t *testing.T) {
	events, unmapped := 0, 0
	for _, set := range fixtureSets {
		n, err := normalizers.Lookup(set.carrier, set.format)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range normalizertest.Fixtures(t, set.pattern) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b := normalizers.NewBatch()
			err = normalizers.Normalize(n, &normalizers.Input{Payload: data, Format: set.format, Now: normalizertest.Now}, b, 0)
			name := filepath.Base(file)
			if want, ok := invalid[name]; ok {
				if normalizers.KindOf(err) != normalizers.KindInvalidTracking || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v, want an invalid_tracking_number rejection quoting %q", name, err, want)
				}
				continue
			}
			if err != nil && normalizers.KindOf(err) != normalizers.KindNotFound {
				t.Errorf("%s: rejected: %v", name, err)
			}
			expected := expectedScanRejections[name]
			matched := make([]bool, len(expected))
		rejections:
			for _, r := range b.Rejected {
				for i, want := range expected {
					if !matched[i] && r.Kind == normalizers.KindTimestamp && strings.Contains(r.Msg, want) {
						matched[i] = true
						continue rejections
					}
				}
				t.Errorf("%s: scan rejected: %v", name, r)
			}
			for i, ok := range matched {
				if !ok {
					t.Errorf("%s: expected the scan rejection %q, which did not happen", name, expected[i])
				}
			}
			for i := range b.Events {
				events++
				if b.Events[i].Type == taxonomy.Unmapped {
					unmapped++
					t.Logf("%s: unmapped %s/%s %q", name, b.Events[i].Raw.Code, b.Events[i].Raw.Type, b.Events[i].Raw.Description)
				}
			}
		}
	}
	share := float64(unmapped) / float64(events)
	t.Logf("unmapped: %d of %d events (%.2f%%)", unmapped, events, 100*share)
	if share > 0.02 {
		t.Errorf("unmapped share %.2f%% is over 2%%", 100*share)
	}
}
