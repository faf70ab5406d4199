package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/ingest"
	"github.com/wismo/wismo/internal/wismoproc"
)

// ingestFlags tune -mode ingest.
type ingestFlags struct {
	conns     int
	bodySize  int
	brokerPID int
}

// ingestResult is one run of `wismo ingest` under load.
type ingestResult struct {
	rate, sent, ok, other int
	abandoned             int
	statuses              map[int]int
	achieved              float64
	p50, p99, p999, max   time.Duration
	measured              int
	inTopic               int64
	cpuPer10k             float64
	// The broker's and the load generator's own CPU per 10,000 (the
	// broker's only with -broker-pid).
	brokerPer10k, loadPer10k float64
	warmup, dur              time.Duration
	conns, bodySize          int
}

// runIngest measures `wismo ingest` (the binary, on loopback): webhooks of
// bodySize bytes, signed as EasyPost signs them, are sent at a fixed rate
// (open loop: each request's latency counts from when it was due, so a
// gateway that falls behind shows it) over conns keep-alive connections,
// at most n of them and for at most dur. Afterwards the raw topic must hold
// at least as many records as were answered 200.
func runIngest(brokers []string, partitions, n, rate int, dur, warmup time.Duration, f e2eFlags, in ingestFlags) error {
	if f.dir == "" {
		d, err := os.MkdirTemp("", "wismo-bench-")
		if err != nil {
			return err
		}
		f.dir = d
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := fmt.Sprintf("bench.%d.raw.easypost", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	res, err := adm.CreateTopics(ctx, int32(partitions), 1, nil, topic)
	cancel()
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", topic, err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopics(ctx, topic)
	}()
	const secret = "bench-webhook-secret"
	if err := os.WriteFile(filepath.Join(f.dir, "easypost"), []byte(secret), 0o600); err != nil {
		return err
	}
	addr, err := wismoproc.FreeAddr()
	if err != nil {
		return err
	}
	httpAddr, err := wismoproc.FreeAddr()
	if err != nil {
		return err
	}
	settings := append([]string{"WISMO_INSTANCE_ID=bench-ingest", "WISMO_KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"WISMO_INGEST_ROUTES=easypost=" + topic, "WISMO_INGEST_SECRETS_DIR=" + f.dir, "WISMO_INGEST_ADDR=" + addr,
		"WISMO_HTTP_ADDR=" + httpAddr, "WISMO_TOPICS_CREATE=false", "WISMO_LOG_LEVEL=info"}, f.set...)
	logf("ingest: %s ingest, with\n  %s", f.wismo, strings.Join(settings, "\n  "))
	logFile, err := os.Create(filepath.Join(f.dir, "ingest.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(f.wismo, "ingest")
	cmd.Env = wismoproc.Env(settings...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			return errors.New("wismo ingest did not stop within a minute of SIGTERM")
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if code, _ := httpGet(context.Background(), "http://"+addr+"/readyz"); code == http.StatusOK {
			break
		}
		select {
		case err := <-exited:
			return fmt.Errorf("wismo ingest exited before it was ready (%v); see %s", err, logFile.Name())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = stop()
			return fmt.Errorf("wismo ingest not ready after 2 minutes; see %s", logFile.Name())
		}
	}
	self := os.Getpid()
	cpu0, broker0, load0 := procCPU(cmd.Process.Pid), procCPU(in.brokerPID), procCPU(self)
	r, err := loadIngest(addr, secret, n, rate, dur, warmup, in)
	cpu1, broker1, load1 := procCPU(cmd.Process.Pid), procCPU(in.brokerPID), procCPU(self)
	if serr := stop(); err == nil && serr != nil {
		err = fmt.Errorf("wismo ingest: %w", serr)
	}
	if err != nil {
		return err
	}
	if r.ok > 0 {
		r.cpuPer10k = (cpu1 - cpu0) / float64(r.ok) * 10_000
		r.loadPer10k = (load1 - load0) / float64(r.ok) * 10_000
		if in.brokerPID > 0 {
			r.brokerPer10k = (broker1 - broker0) / float64(r.ok) * 10_000
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	ends, err := adm.ListEndOffsets(ctx, topic)
	cancel()
	if err != nil {
		return err
	}
	ends.Each(func(o kadm.ListedOffset) { r.inTopic += o.Offset })
	table := r.table()
	fmt.Print("\n" + table)
	if int(r.inTopic) < r.ok {
		return fmt.Errorf("%s holds %d records, fewer than the %d webhooks answered 200", topic, r.inTopic, r.ok)
	}
	if f.write != "" {
		section := fmt.Sprintf("\n## wismo ingest, %s\n\n```\nmake bench   # %s\n```\n\n%s\n%s",
			time.Now().UTC().Format("2006-01-02"), strings.Join(os.Args, " "), machine(), table)
		if err := appendTo(f.write, section); err != nil {
			return err
		}
		logf("ingest: table appended to %s", f.write)
	}
	return nil
}

func (r ingestResult) table() string {
	var b strings.Builder
	row := func(figure, measured, target string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", figure, measured, target) }
	b.WriteString("| figure | measured | target |\n|---|---|---|\n")
	row(fmt.Sprintf("webhooks/s of %d bytes answered 200, sustained (offered %d/s)", r.bodySize, r.rate), fmt.Sprintf("%.0f", r.achieved), "20,000")
	row("latency p50 / p99 / p99.9 / max (from when each request was due)",
		fmt.Sprintf("%s / %s / %s / %s", r.p50, r.p99, r.p999, r.max), "p99 under 50 ms")
	row("CPU of wismo ingest per 10,000 webhooks", fmt.Sprintf("%.2f s", r.cpuPer10k), "—")
	if r.brokerPer10k > 0 {
		row("CPU of the Kafka broker per 10,000 webhooks", fmt.Sprintf("%.2f s", r.brokerPer10k), "—")
	}
	row("CPU of the load generator per 10,000 webhooks", fmt.Sprintf("%.2f s", r.loadPer10k), "—")
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(r.statuses)) {
		codes = append(codes, fmt.Sprintf("%d×%d", r.statuses[c], c))
	}
	fmt.Fprintf(&b, "\n%d webhooks sent over %d keep-alive connections in %s (answers %s; %d not answered; %d due but not sent by the end, counted with their wait); latency over the %d due after a %s warm-up; "+
		"the raw topic holds %d records (at least every 200). Signed as EasyPost signs (HMAC-SHA256, X-Hmac-Signature); loopback; the load generator runs on the same machine.\n",
		r.sent, r.conns, r.dur, strings.Join(codes, ", "), r.other, r.abandoned, r.measured, r.warmup, r.inTopic)
	return b.String()
}

// benchBodies are k distinct EasyPost tracker.updated events of exactly
// size bytes, and their requests, signed.
func benchBodies(k, size int, secret string) [][]byte {
	var reqs [][]byte
	for i := range k {
		head := fmt.Sprintf(`{"object":"Event","description":"tracker.updated","id":"evt_bench%08d","result":{"object":"Tracker","tracking_code":"EZBENCH%08d","status":"in_transit","carrier":"USPS","tracking_details":[{"object":"TrackingDetail","message":"Arrived at facility","status":"in_transit","datetime":"2026-11-20T15:04:05Z","tracking_location":{"city":"LOUISVILLE","state":"KY","zip":"40209","country":"US"}}],"pad":"`, i, i)
		tail := `"}}`
		pad := max(0, size-len(head)-len(tail))
		body := []byte(head + strings.Repeat("x", pad) + tail)
		name, value := ingest.Sign(ingest.EasyPost, secret, body)
		var req bytes.Buffer
		fmt.Fprintf(&req, "POST %seasypost HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n%s: %s\r\nContent-Length: %d\r\n\r\n", ingest.PathPrefix, name, value, len(body))
		req.Write(body)
		reqs = append(reqs, req.Bytes())
	}
	return reqs
}

// loadIngest is the load generator: open loop at rate, bounded by n
// requests and dur, over in.conns connections to addr (loopback).
func loadIngest(addr, secret string, n, rate int, dur, warmup time.Duration, in ingestFlags) (ingestResult, error) {
	if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
		return ingestResult{}, fmt.Errorf("ingest: %s is not loopback; the load generator only targets this machine", addr)
	}
	n = min(n, int(float64(rate)*dur.Seconds()))
	reqs := benchBodies(4096, in.bodySize, secret)
	r := ingestResult{rate: rate, statuses: map[int]int{}, warmup: warmup, conns: in.conns, bodySize: in.bodySize}
	type result struct {
		due, lat time.Duration
		status   int
	}
	due := make(chan int, n)
	results := make([][]result, in.conns)
	var wg sync.WaitGroup
	start := time.Now().Add(100 * time.Millisecond)
	var dialErr error
	var mu sync.Mutex
	// Requests still queued this long after the last one was due are
	// abandoned: the run ends, and each counts with the latency it had by then.
	hardStop := start.Add(dur + 10*time.Second)
	// One deadline per connection bounds every request on it (the run ends
	// by then); a deadline per request cost the generator a timer change
	// per webhook.
	connDeadline := hardStop.Add(10 * time.Second)
	for w := range in.conns {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return r, err
		}
		_ = conn.SetDeadline(connDeadline)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { conn.Close() }()
			rd := bufio.NewReaderSize(conn, 4096)
			for i := range due {
				at := time.Duration(int64(i) * int64(time.Second) / int64(rate))
				if time.Now().After(hardStop) {
					results[w] = append(results[w], result{at, time.Since(start) - at, -1})
					return
				}
				status, err := roundTrip(conn, rd, reqs[i%len(reqs)])
				if err != nil {
					// One reconnect: a closed keep-alive is not the gateway's failure.
					conn.Close()
					if conn, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						mu.Lock()
						dialErr = err
						mu.Unlock()
						results[w] = append(results[w], result{at, time.Since(start) - at, 0})
						return
					}
					rd.Reset(conn)
					_ = conn.SetDeadline(connDeadline)
					status, _ = roundTrip(conn, rd, reqs[i%len(reqs)])
				}
				results[w] = append(results[w], result{at, time.Since(start) - at, status})
			}
		}()
	}
	// The dispatcher hands out each request when it is due, in steps of a
	// millisecond.
	time.Sleep(time.Until(start))
	sent := 0
	for sent < n {
		elapsed := time.Since(start)
		if elapsed > dur {
			break
		}
		for upTo := min(n, int(elapsed.Seconds()*float64(rate))+1); sent < upTo; sent++ {
			due <- sent
		}
		time.Sleep(time.Millisecond)
	}
	close(due)
	wg.Wait()
	end := time.Since(start)
	var abandoned []result
	for i := range due {
		at := time.Duration(int64(i) * int64(time.Second) / int64(rate))
		abandoned = append(abandoned, result{at, end - at, -1})
	}
	results = append(results, abandoned)
	r.dur = end.Round(time.Millisecond)
	var lats []time.Duration
	var last time.Duration
	for _, rs := range results {
		for _, x := range rs {
			r.statuses[x.status]++
			if x.status == http.StatusOK {
				r.ok++
				last = max(last, x.due+x.lat)
			} else if x.status == 0 {
				r.other++
			} else if x.status < 0 {
				r.abandoned++
			}
			if x.due >= warmup {
				lats = append(lats, x.lat)
			}
		}
	}
	delete(r.statuses, 0)
	delete(r.statuses, -1)
	r.sent = sent - r.abandoned
	if last > 0 {
		r.achieved = float64(r.ok) / last.Seconds()
	}
	slices.Sort(lats)
	r.measured = len(lats)
	if len(lats) > 0 {
		q := func(p float64) time.Duration {
			return lats[min(len(lats)-1, int(p*float64(len(lats))))].Round(10 * time.Microsecond)
		}
		r.p50, r.p99, r.p999, r.max = q(0.5), q(0.99), q(0.999), lats[len(lats)-1].Round(10*time.Microsecond)
	}
	if dialErr != nil {
		logf("ingest: reconnecting failed: %v", dialErr)
	}
	return r, nil
}

// roundTrip writes one request and reads its answer's status, discarding
// the rest of the answer (its body by Content-Length).
func roundTrip(conn net.Conn, rd *bufio.Reader, req []byte) (int, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// HTTP/1.1 200 OK
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := 0
	for {
		h, err := rd.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(bytes.TrimSpace(h)) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if _, err := rd.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}

// procCPU is the user and system CPU seconds of process pid so far (0
// for pid 0).
func procCPU(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (which may hold spaces) in parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // clock ticks (USER_HZ, 100 on Linux)
}
