package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A line too long for backtest names the file and line and says what the
// input should be, instead of bufio's "token too long".
func TestBacktestLongLine(t *testing.T) {
	f := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(f, append(bytes.Repeat([]byte(" "), 17<<20), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := backtestCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{f})
	err := cmd.Execute()
	if err == nil || strings.Contains(err.Error(), "token too long") || !strings.Contains(err.Error(), f+":1: a line longer than") ||
		!strings.Contains(err.Error(), "NDJSON") {
		t.Errorf("err = %v, want the file, line and what backtest reads", err)
	}
}

// An error that quotes a whole payload is cut to a readable size.
func TestClipError(t *testing.T) {
	long := "decode: unexpected " + strings.Repeat("é", 7000)
	got := clipError(long + "\n" + strings.Repeat("line\n", 100))
	lines := strings.Split(got, "\n")
	if len(lines[0]) > maxErrLine+40 || !strings.Contains(lines[0], "bytes more)") || !strings.HasPrefix(lines[0], "decode: unexpected") {
		t.Errorf("first line %d bytes: %.80q", len(lines[0]), lines[0])
	}
	if len(lines) > maxErrLines+1 || !strings.Contains(got, "more lines") {
		t.Errorf("%d lines kept", len(lines))
	}
	if !strings.Contains(lines[0], "é...") {
		t.Errorf("cut inside a character: %q", lines[0][maxErrLine-10:])
	}
	if clipError("short") != "short" {
		t.Error("a short error changed")
	}
}

// replay against a port where no broker listens fails within
// kafka.connect_timeout, naming the address, and refuses nonsense flags.
func TestReplayNoBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("WISMO_KAFKA_CONNECT_TIMEOUT", "1s")
	payload := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(payload, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--topic", "raw.x", "--brokers", addr, payload}, "kafka.brokers " + addr + ": no broker answered within 1s (kafka.connect_timeout)"},
		{[]string{"--topic", "raw.x", "--brokers", addr, "--repeat", "0", payload}, "--repeat 0"},
		{[]string{"--topic", "raw.x", "--brokers", addr, "--rate", "-5", payload}, "--rate -5"},
	} {
		cmd := replayCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to say %q", c.args, err, c.want)
		}
	}
}
