package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/normalizers"
)

func runGen(t *testing.T, args ...string) (stderr string, err error) {
	t.Helper()
	cmd := genCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return errb.String(), err
}

// genFiles are the files wismo gen writes: one per carrier it writes, then
// the expectations.
var genFiles = func() []string {
	var out []string
	for _, c := range gen.CarrierNames() {
		out = append(out, gen.Topic(c)+".ndjson")
	}
	return append(out, "expected.ndjson")
}()

func readGenDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

// TestGenFilesAndDeterminism runs wismo gen into temporary folders: the
// files are there and well-formed, the expectations account for every
// record, and the same seed gives identical bytes while another does not.
func TestGenFilesAndDeterminism(t *testing.T) {
	args := func(dir, seed string) []string {
		return []string{"--seed", seed, "--shipments", "400", "--out", dir, "--stall-rate", "0.2",
			"--exception-rate", "0.3", "--noise-rate", "0.2", "--resend-rate", "0.2", "--out-of-order-rate", "0.2",
			"--malformed-rate", "0.2"}
	}
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	stderr, err := runGen(t, args(dirA, "11")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "400 shipments") || !strings.Contains(stderr, "records/s") {
		t.Errorf("no summary on stderr:\n%s", stderr)
	}
	a := readGenDir(t, dirA)
	if len(a) != len(genFiles) {
		t.Errorf("files %v, want %v", keys(a), genFiles)
	}
	records := map[string]int{} // by tracking number
	bad := 0
	for _, name := range genFiles[:len(genFiles)-1] {
		sc := bufio.NewScanner(bytes.NewReader(a[name]))
		sc.Buffer(nil, 16<<20)
		n := 0
		for sc.Scan() {
			n++
			var line gen.FileLine
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			if line.Time.IsZero() || line.Key == "" || (len(line.Value) == 0) == (line.ValueBase64 == "") {
				t.Fatalf("%s:%d: incomplete record %s", name, n, sc.Bytes()[:min(200, len(sc.Bytes()))])
			}
			if _, err := line.Payload(); err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			// A JSON carrier's payload is written as base64 only when it
			// is broken; an XML carrier's always is.
			if line.ValueBase64 != "" && gen.Format(strings.TrimSuffix(strings.TrimPrefix(name, "raw."), ".ndjson")) == normalizers.JSON {
				bad++
			}
			records[line.Key]++
		}
		if n == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(a["expected.ndjson"]))
	sc.Buffer(nil, 16<<20)
	shipments, deadLetters := 0, 0
	for sc.Scan() {
		shipments++
		var e struct {
			Carrier        string   `json:"carrier"`
			TrackingNumber string   `json:"tracking_number"`
			Triggers       []string `json:"triggers"`
			Records        int      `json:"records"`
			DeadLetters    []struct {
				ErrorKind string `json:"error_kind"`
			} `json:"dead_letters"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if records[e.TrackingNumber] != e.Records {
			t.Errorf("%s %s: %d records in the files, expected.ndjson says %d", e.Carrier, e.TrackingNumber, records[e.TrackingNumber], e.Records)
		}
		if len(e.Triggers) == 0 || e.DeadLetters == nil {
			t.Errorf("%s %s: incomplete expectation %s", e.Carrier, e.TrackingNumber, sc.Bytes())
		}
		deadLetters += len(e.DeadLetters)
	}
	if shipments != 400 {
		t.Errorf("%d expectations, want 400", shipments)
	}
	if bad == 0 || bad > deadLetters {
		t.Errorf("%d payloads that are not JSON, %d expected dead letters", bad, deadLetters)
	}

	if _, err := runGen(t, args(dirB, "11")...); err != nil {
		t.Fatal(err)
	}
	for name, data := range readGenDir(t, dirB) {
		if !bytes.Equal(data, a[name]) {
			t.Errorf("same seed, %s differs", name)
		}
	}
	if _, err := runGen(t, args(dirC, "12")...); err != nil {
		t.Fatal(err)
	}
	for name, data := range readGenDir(t, dirC) {
		if bytes.Equal(data, a[name]) {
			t.Errorf("another seed, %s is the same", name)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestGenFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--carriers", "pony=1"},
		{"--carriers", "ups=-1"},
		{"--stall-rate", "1.5"},
		{"--shipments", "0"},
		{"--brokers", "127.0.0.1:1"},
		{"--start", "yesterday"},
		{"--days", "0"},
	} {
		dir := t.TempDir()
		if _, err := runGen(t, append([]string{"--out", dir}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
		if got := keys(readGenDir(t, dir)); len(got) > 0 {
			t.Errorf("%v: files %v written before the flags were checked", args, got)
		}
	}
	dir := t.TempDir()
	// One carrier only: only its file (and the expectations) are written.
	if _, err := runGen(t, "--out", dir, "--shipments", "20", "--carriers", "dhl=1"); err != nil {
		t.Fatal(err)
	}
	got := keys(readGenDir(t, dir))
	if len(got) != 2 {
		t.Errorf("files %v, want raw.dhl.ndjson and expected.ndjson", got)
	}
}

// TestGenToKafka produces to an in-process broker: every record lands on
// its raw topic, keyed by tracking number, with the poll time in a header.
func TestGenToKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	expected := filepath.Join(t.TempDir(), "expected.ndjson")
	stderr, err := runGen(t, "--brokers", strings.Join(cluster.ListenAddrs(), ","), "--shipments", "60",
		"--expected", expected, "--rate", "5000", "--malformed-rate", "0.3", "--topic-prefix", "t1.")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var want int
	data, err := os.ReadFile(expected)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct {
			Records int `json:"records"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		want += e.Records
	}
	var topics []string
	for _, c := range gen.CarrierNames() {
		topics = append(topics, "t1."+gen.Topic(c))
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got := 0
	for got < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			got++
			if len(r.Key) == 0 || len(r.Headers) == 0 || r.Headers[0].Key != "wismo-gen-time" {
				t.Errorf("record without key or time header: %+v", r)
			}
		})
	}
	if got != want {
		t.Errorf("%d records on the raw topics, expected.ndjson accounts for %d", got, want)
	}
	if !strings.Contains(stderr, "t1.raw.ups=") {
		t.Errorf("summary does not name the prefixed topics:\n%s", stderr)
	}
}
