package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/internal/kafkatest"
)

func runReplay(t *testing.T, args ...string) (stderr string, err error) {
	t.Helper()
	cmd := replayCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), err
}

// replay reads through the payload limit (4 MiB, normalize.max_payload_bytes)
// and names the file; it sends records over franz-go's default 1 MB batch
// limit and lets the topic decide, and a record the topic refuses is named
// with the topic's max.message.bytes.
func TestReplayLimits(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	oneMB := "1048588"
	topic := kafkatest.TopicsWithConfig(t, brokers, 1, map[string]*string{"max.message.bytes": &oneMB}, "raw")[0]
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noise := make([]byte, 2<<20) // incompressible: the topic must refuse it
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	big := write("big.json", noise)
	// 1.5 MB that compresses well: franz-go refused it before the broker
	// saw it; the topic takes it.
	compressible := write("repetitive.json", bytes.Repeat([]byte(`{"trackResponse":{"shipment":[]}} `), 1_500_000/34))
	ndjson := write("lines.ndjson", append(append([]byte("{}\n"), bytes.Repeat([]byte("x"), 5<<20)...), "\n{}\n"...))

	base := []string{"--brokers", strings.Join(brokers, ","), "--topic", topic}
	if out, err := runReplay(t, append(base, compressible)...); err != nil {
		t.Errorf("a 1.5 MB compressible record: %v\n%s", err, out)
	}

	_, err := runReplay(t, append(base, big)...)
	if err == nil {
		t.Fatal("a 2 MB record the topic cannot take was produced")
	}
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	for _, want := range []string{"big.json", "2097152 bytes", "MESSAGE_TOO_LARGE"} {
		if !strings.Contains(first, want) {
			t.Errorf("first line of the error %q lacks %q", first, want)
		}
	}
	if !strings.Contains(err.Error(), "max.message.bytes, 1048588 bytes") || !strings.Contains(err.Error(), topic) {
		t.Errorf("error does not name the topic's max.message.bytes: %v", err)
	}

	start := time.Now()
	_, err = runReplay(t, append(base, "/dev/zero")...)
	if err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "4194304-byte limit") ||
		!strings.Contains(err.Error(), "normalize.max_payload_bytes") {
		t.Errorf("/dev/zero: %v", err)
	}
	t.Logf("/dev/zero refused after %s", time.Since(start))

	_, err = runReplay(t, append(base, "--ndjson", ndjson)...)
	if err == nil || !strings.Contains(err.Error(), "lines.ndjson:2") || strings.Contains(err.Error(), "token too long") {
		t.Errorf("NDJSON line over the limit: %v", err)
	}
}
