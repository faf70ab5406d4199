package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers"
)

func runNormalize(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := normalizeCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "carriers", name) }

func TestNormalizeFiles(t *testing.T) {
	out, errs, err := runNormalize(t, "", "--carrier", "ups", "--now", "2026-11-21T00:00:00Z",
		fixture("ups/track-v1-ground-delivered-photo.json"), fixture("ups/track-v1-express-intl-customs-clearance.json"))
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 27 {
		t.Errorf("%d events, want 27", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not NDJSON: %v: %s", err, l)
		}
	}
}

// One bad record among good ones: the good ones still come out, the bad one
// is reported on stderr with the carrier's own error text, and the exit
// status says something was rejected.
func TestNormalizeStdinWithRejections(t *testing.T) {
	good, err := os.ReadFile(fixture("ups/track-v1-ground-delivered-photo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, good); err != nil {
		t.Fatal(err)
	}
	stdin := compact.String() + "\n{broken\n\n" + `{"response":{"errors":[{"code":"TV1002","message":"Invalid inquiry number"}]}}` + "\n"
	out, errs, err := runNormalize(t, stdin, "--carrier", "ups", "--stats")
	if !errors.Is(err, errRejected) {
		t.Fatalf("err = %v, want errRejected", err)
	}
	if n := strings.Count(out, "\n"); n != 10 {
		t.Errorf("%d events, want 10:\n%s", n, out)
	}
	for _, want := range []string{"stdin:2: rejected: ups: decode", "stdin:4: rejected", "Invalid inquiry number", "payloads=3 events=10 rejected=2"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestNormalizeNotFoundIsNotARejection(t *testing.T) {
	_, errs, err := runNormalize(t, "", "--carrier", "ups", fixture("ups/track-v1-warning-not-found-TW0001.json"))
	if err != nil || !strings.Contains(errs, "notice:") {
		t.Errorf("err=%v stderr=%s", err, errs)
	}
	out, _, err := runNormalize(t, "", "--carrier", "ups", "--tracking-number", "1Z999AA10123456784", fixture("ups/track-v1-warning-not-found-TW0001.json"))
	if err != nil || !strings.Contains(out, `"event_type":"pending.tracking_registered"`) || !strings.Contains(out, "ups:1Z999AA10123456784") {
		t.Errorf("err=%v out=%s", err, out)
	}
}

func TestNormalizeUnknownCarrier(t *testing.T) {
	_, _, err := runNormalize(t, "", "--carrier", "pony")
	if err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("err = %v", err)
	}
	_, _, err = runNormalize(t, "", "--carrier", "ups", "--format", "csv")
	if err == nil {
		t.Error("csv accepted")
	}
}

// The demo runs both stages on the in-process broker over the bundled
// samples and reports what detection found.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := runDemo(t.Context(), &out, filepath.Join("..", "..", "testdata", "carriers"), demoOutput{dir: dir}, &demoServe{port: 8080}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"carrier", "ups", "accounting:", "sample events:", "detection:", "stalls found:", "commands by trigger:", "sample commands:", "  delivered ", "  shipped "} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	// Every registered carrier's samples are replayed: each has a row with
	// payloads in the summary. An aggregator feed's events name the
	// carriers of its parcels, so a feed has its row in the feed table.
	for _, c := range normalizers.Specs() {
		row := `(?m)^` + c.ID + ` +[1-9]`
		if n, _ := normalizers.Registered(c.ID); n != nil {
			if _, feed := n.(normalizers.Feeder); feed {
				// An aggregator's events name the parcels' carriers: its row is
				// in the table of what came in.
				row = `(?m)^` + c.ID + ` +raw\.\S+ +[1-9]`
			}
		}
		if !regexp.MustCompile(row).MatchString(s) {
			t.Errorf("the demo's carrier table has no row with payloads for %s:\n%s", c.ID, s)
		}
	}
	// What came in is per feed (the generic Avro feed is a feed, with its
	// topic), what came out per carrier: no carrier row without events, and
	// detect's progress never counts its own events against the carriers'.
	if !regexp.MustCompile(`(?m)^generic +raw\.scans\.avro +[1-9]`).MatchString(s) {
		t.Errorf("the demo's feed table has no row for the generic Avro feed:\n%s", s)
	}
	if out := s[strings.Index(s, "out, per carrier:")+1:]; strings.Contains(s, "out, per carrier:") {
		out = out[:strings.Index(out, "\ntotal")]
		if regexp.MustCompile(`(?m)^\w+ +0 `).MatchString(out) {
			t.Errorf("a carrier row without events:\n%s", out)
		}
	} else {
		t.Errorf("demo output has no per-carrier table:\n%s", s)
	}
	for _, m := range regexp.MustCompile(`(?m)^detect: (\d+)/(\d+) `).FindAllStringSubmatch(s, -1) {
		if len(m[1]) > len(m[2]) || (len(m[1]) == len(m[2]) && m[1] > m[2]) {
			t.Errorf("detect's progress counts past the carriers' events: %s", m[0])
		}
	}
	if strings.Contains(s, "detection: 0 shipments tracked") {
		t.Errorf("detection tracked no shipment:\n%s", s)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if len(files) < 2 {
		t.Errorf("analytics NDJSON files: %v, want events and notifications", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s is empty", f)
		}
	}
}
