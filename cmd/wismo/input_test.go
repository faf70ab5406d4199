package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEachLine(t *testing.T) {
	long := strings.Repeat("L", 100_000) // longer than the reader's 64 KiB buffer, under the limit
	in := "short\n" + strings.Repeat("x", 200_001) + "\nok\r\n  \n" + long + "\n" + "after\n" + strings.Repeat("y", 300_000)
	var got []string
	err := eachLine(strings.NewReader(in), 200_000, func(n int, line []byte, tooLong bool) error {
		if tooLong {
			got = append(got, fmt.Sprintf("%d:too long", n))
			return nil
		}
		got = append(got, fmt.Sprintf("%d:%s", n, line))
		return nil
	})
	want := []string{"1:short", "2:too long", "3:ok", "5:" + long, "6:after", "7:too long"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("err %v, lines %.200q", err, got)
	}
	// A line with no end is refused as soon as it passes the limit, and fn
	// can stop there.
	stop := errors.New("stop")
	calls := 0
	err = eachLine(endless{}, 1000, func(int, []byte, bool) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("endless line: err %v after %d calls", err, calls)
	}
}

// endless reads like /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// normalize reads files and standard input through the payload limit: a
// file such as /dev/zero, or a line over the limit, is one refused payload
// named with the limit, and the others still count.
func TestNormalizeReadsThroughTheLimit(t *testing.T) {
	good := `{"trackResponse":{"shipment":[{"warnings":[{"code":"TW0001","message":"Tracking Information Not Found"}]}]}}`
	_, errs, err := runNormalize(t, "", "--carrier", "ups", "--max-payload-bytes", "1000", "/dev/zero")
	if !errors.Is(err, errRejected) || !strings.Contains(errs, "/dev/zero: rejected: longer than the 1000-byte limit (raise --max-payload-bytes") {
		t.Errorf("/dev/zero: err %v, stderr %s", err, errs)
	}
	stdin := good + "\n" + strings.Repeat("{", 5000) + "\n" + good + "\n"
	_, errs, err = runNormalize(t, stdin, "--carrier", "ups", "--max-payload-bytes", "1000", "--stats")
	if !errors.Is(err, errRejected) || !strings.Contains(errs, "stdin:2: rejected: longer than the 1000-byte limit") ||
		!strings.Contains(errs, "payloads=3") || strings.Contains(errs, "token too long") {
		t.Errorf("stdin: err %v, stderr %s", err, errs)
	}
	_, errs, err = runNormalize(t, strings.Repeat("x", 2000), "--carrier", "generic", "--format", "avro", "--max-payload-bytes", "1000")
	if !errors.Is(err, errRejected) || !strings.Contains(errs, "stdin: rejected: longer than the 1000-byte limit") {
		t.Errorf("Avro stdin: err %v, stderr %s", err, errs)
	}
	if _, _, err = runNormalize(t, "", "--carrier", "ups", "--max-payload-bytes", "-1"); err == nil {
		t.Error("a negative --max-payload-bytes was accepted")
	}
}

// backtest reads NDJSON of events: a line far longer than any event stops
// that input with its name and line number, not "token too long".
func TestBacktestLineLimit(t *testing.T) {
	cmd := backtestCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader("{}\n" + strings.Repeat("x", 17<<20) + "\n{}\n"))
	cmd.SetArgs([]string{})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "stdin:2: a line longer than") || strings.Contains(err.Error(), "token too long") {
		t.Errorf("err %v", err)
	}
	cmd = backtestCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs([]string{"/dev/zero"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "/dev/zero:1:") {
		t.Errorf("/dev/zero: %v", err)
	}
}

// demo --samples reads any folder: a sample that is /dev/zero is refused.
func TestDemoSampleLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "ups"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "ups", "zero.json")); err != nil {
		t.Fatal(err)
	}
	err := runDemo(t.Context(), io.Discard, dir, demoOutput{dir: t.TempDir()}, &demoServe{port: 8080})
	if err == nil || !strings.Contains(err.Error(), "zero.json") || !strings.Contains(err.Error(), "limit") {
		t.Errorf("err %v", err)
	}
}

// What normalize prints of a payload (a carrier's message, an unmapped
// code) reaches a terminal: its control characters are shown, not obeyed.
func TestNormalizeEscapesControlCharacters(t *testing.T) {
	stdin := `{"response":{"errors":[{"code":"X1","message":"boom\u001b]0;owned\u0007\u001b[2J"}]}}` + "\n" +
		`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1Z81WV380316886897","activity":[{"status":{"type":"Q","code":"Z\u001b[31m","description":"?"},"date":"20240202","time":"120435","gmtOffset":"-08:00"}]}]}]}}` + "\n"
	_, errs, _ := runNormalize(t, stdin, "--carrier", "ups", "--stats", "--now", "2026-11-21T00:00:00Z")
	if strings.ContainsAny(errs, "\x1b\a") || !strings.Contains(errs, `\x1b]0;owned\x07`) || !strings.Contains(errs, `unmapped ups Z\x1b[31M/Q: 1`) {
		t.Errorf("stderr %q", errs)
	}
}
