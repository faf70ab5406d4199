package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/internal/testpki"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fakeProducer records what it is given and answers each record with ack
// (nil: never).
type fakeProducer struct {
	mu      sync.Mutex
	recs    []*kgo.Record
	ack     func(*kgo.Record) (error, bool)
	discard bool // keeps no records (the benchmark)
}

func (f *fakeProducer) TryProduce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	if !f.discard {
		f.mu.Lock()
		f.recs = append(f.recs, r)
		f.mu.Unlock()
	}
	if err, answer := f.ack(r); answer {
		promise(r, err)
	}
}

func (f *fakeProducer) records() []*kgo.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*kgo.Record(nil), f.recs...)
}

func acked(*kgo.Record) (error, bool) { return nil, true }

const testToken = "tok-0123456789abcdef"

func newTestGateway(t *testing.T, p *fakeProducer) *Gateway {
	t.Helper()
	mk := func(s Scheme, key string) *Verifier {
		v, err := NewVerifier(s, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	g, err := New(Config{
		Routes: []Route{
			{Source: "easypost", Topic: "raw.easypost", Verifier: mk(EasyPost, "ep-secret")},
			{Source: "shippo", Topic: "raw.shippo", Verifier: mk(Token, testToken)},
			{Source: "aftership", Topic: "raw.aftership", Verifier: mk(AfterShip, "as-secret")},
			{Source: "17track", Topic: "raw.17track", Verifier: mk(SeventeenTrack, "17-key")},
			{Source: "karrio", Topic: "raw.karrio", Verifier: mk(Karrio, "karrio-secret")},
			{Source: "ups", Topic: "raw.ups", Verifier: mk(Token, testToken)},
			{Source: "ship24", Topic: "raw.ship24", Verifier: mk(Token, testToken)},
			{Source: "trackingmore", Topic: "raw.trackingmore", Verifier: mk(Token, testToken)},
		},
		MaxBody: 4096, AckTimeout: 50 * time.Millisecond, Producer: p, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// post sends body to source, signed with key (or with the path token).
func post(g *Gateway, source, key string, body []byte) *httptest.ResponseRecorder {
	scheme := Token
	if r := g.routes[source]; r != nil {
		scheme = r.Verifier.Scheme()
	}
	path := PathPrefix + source
	name, value := Sign(scheme, key, body)
	if name == "" {
		path += "/" + value
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if name != "" {
		req.Header.Set(name, value)
	}
	return do(g, req)
}

// do sends req to g's HTTP server, as it serves on its listener, over a
// connection of its own, and returns the answer.
func do(g *Gateway, req *http.Request) *httptest.ResponseRecorder {
	client, conn := net.Pipe()
	defer client.Close()
	go func() { _ = g.server().ServeConn(conn) }()
	// Written aside: the gateway may answer before it has read the body.
	go func() { _ = req.Write(client) }()
	w := httptest.NewRecorder()
	resp, err := http.ReadResponse(bufio.NewReader(client), req)
	if err != nil {
		w.Code = 0
		fmt.Fprintf(w.Body, "no answer: %v", err)
		return w
	}
	defer resp.Body.Close()
	maps.Copy(w.Header(), resp.Header)
	w.Code = resp.StatusCode
	_, _ = io.Copy(w.Body, resp.Body)
	return w
}

func TestAcceptedOnlyOnceAcknowledged(t *testing.T) {
	body := []byte(`{"description":"tracker.updated","result":{"tracking_code":"EZ4000000004"}}`)
	for _, tc := range []struct {
		name   string
		ack    func(*kgo.Record) (error, bool)
		status int
	}{
		{"acknowledged", acked, http.StatusOK},
		{"never acknowledged", func(*kgo.Record) (error, bool) { return nil, false }, http.StatusServiceUnavailable},
		{"broker error", func(*kgo.Record) (error, bool) { return kerr.NotEnoughReplicas, true }, http.StatusServiceUnavailable},
		{"buffer full", func(*kgo.Record) (error, bool) { return kgo.ErrMaxBuffered, true }, http.StatusServiceUnavailable},
		{"topic refuses the size", func(*kgo.Record) (error, bool) { return kerr.MessageTooLarge, true }, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProducer{ack: tc.ack}
			g := newTestGateway(t, p)
			w := post(g, "easypost", "ep-secret", body)
			if w.Code != tc.status {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tc.status)
			}
			recs := p.records()
			if len(recs) != 1 || recs[0].Topic != "raw.easypost" || !bytes.Equal(recs[0].Value, body) || string(recs[0].Key) != "EZ4000000004" {
				t.Fatalf("records %+v: want the body unchanged on raw.easypost keyed by its tracking code", recs)
			}
			if tc.status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			accepted := testutil.ToFloat64(g.accepted.WithLabelValues("easypost"))
			if (accepted == 1) != (tc.status == http.StatusOK) {
				t.Errorf("accepted count %v for status %d", accepted, w.Code)
			}
		})
	}
}

func TestRejectedNeverWritten(t *testing.T) {
	p := &fakeProducer{ack: acked}
	g := newTestGateway(t, p)
	ok := []byte(`{"data":{"tracking_number":"9205590164917312751089"}}`)
	big := []byte(`{"pad":"` + strings.Repeat("x", 5000) + `"}`)
	cases := []struct {
		name   string
		do     func() *httptest.ResponseRecorder
		status int
		source string
		reason string
	}{
		{"forged signature", func() *httptest.ResponseRecorder { return post(g, "easypost", "not-the-secret", ok) }, 401, "easypost", ReasonUnauthorized},
		{"wrong token", func() *httptest.ResponseRecorder { return post(g, "shippo", "tok-0123456789abcdeX", ok) }, 401, "shippo", ReasonUnauthorized},
		{"unsigned", func() *httptest.ResponseRecorder {
			return do(g, httptest.NewRequest(http.MethodPost, "/webhooks/aftership", bytes.NewReader(ok)))
		}, 401, "aftership", ReasonUnauthorized},
		{"oversized", func() *httptest.ResponseRecorder { return post(g, "aftership", "as-secret", big) }, 413, "aftership", ReasonTooLarge},
		{"oversized without length", func() *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shippo/"+testToken, io.MultiReader(bytes.NewReader(big)))
			req.ContentLength = -1
			return do(g, req)
		}, 413, "shippo", ReasonTooLarge},
		{"not JSON", func() *httptest.ResponseRecorder { return post(g, "17track", "17-key", []byte("tracking=1Z")) }, 400, "17track", ReasonNotJSON},
		{"empty", func() *httptest.ResponseRecorder { return post(g, "karrio", "karrio-secret", nil) }, 400, "karrio", ReasonNotJSON},
		{"truncated JSON", func() *httptest.ResponseRecorder { return post(g, "karrio", "karrio-secret", ok[:20]) }, 400, "karrio", ReasonNotJSON},
		{"GET", func() *httptest.ResponseRecorder {
			return do(g, httptest.NewRequest(http.MethodGet, "/webhooks/shippo/"+testToken, nil))
		}, 405, "shippo", ReasonMethod},
		{"unknown source", func() *httptest.ResponseRecorder { return post(g, "nobody", "k", ok) }, 404, unknownSource, ReasonNotFound},
		{"token route without token", func() *httptest.ResponseRecorder {
			return do(g, httptest.NewRequest(http.MethodPost, "/webhooks/shippo", bytes.NewReader(ok)))
		}, 404, unknownSource, ReasonNotFound},
		{"signed route with a path", func() *httptest.ResponseRecorder {
			return do(g, httptest.NewRequest(http.MethodPost, "/webhooks/easypost/x", bytes.NewReader(ok)))
		}, 404, unknownSource, ReasonNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := testutil.ToFloat64(g.rejected.WithLabelValues(tc.source, tc.reason))
			w := tc.do()
			if w.Code != tc.status {
				t.Errorf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.status)
			}
			if got := testutil.ToFloat64(g.rejected.WithLabelValues(tc.source, tc.reason)) - before; got != 1 {
				t.Errorf("rejected{source=%q,reason=%q} grew by %v, want 1", tc.source, tc.reason, got)
			}
			if strings.Contains(w.Body.String(), testToken) {
				t.Error("the answer repeats the token")
			}
		})
	}
	if recs := p.records(); len(recs) != 0 {
		t.Errorf("%d rejected requests were written", len(recs))
	}
}

func TestRecordKeyIsTheTrackingNumber(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile("../testdata/carriers/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	ups := read("ups/track-v1-ground-delivered-photo.json")
	for _, tc := range []struct {
		source, key, body, want string
	}{
		{"easypost", "ep-secret", `{"object":"Tracker","tracking_code":"EZ2000000002"}`, "EZ2000000002"},
		{"easypost", "ep-secret", `{"object":"Event","result":{"tracking_code":"9400100000000000000000"}}`, "9400100000000000000000"},
		{"shippo", testToken, `{"event":"track_updated","data":{"tracking_number":"9205590164917312751089"}}`, "9205590164917312751089"},
		{"aftership", "as-secret", `{"event":"tracking_update","msg":{"tracking_number":"3SKAAG5995399"}}`, "3SKAAG5995399"},
		{"aftership", "as-secret", `{"meta":{"code":200},"data":{"tracking":{"tracking_number":"3SKAAG5995399"}}}`, "3SKAAG5995399"},
		{"17track", "17-key", `{"event":"TRACKING_UPDATED","data":{"number":"RR123456789CN"}}`, "RR123456789CN"},
		{"karrio", "karrio-secret", `{"event":"tracker_updated","data":{"tracking_number":"397538144353"}}`, "397538144353"},
		{"ups", testToken, ups, "1Z81WV380316886897"},
		{"ship24", testToken, read("ship24/webhook-tracking-events-delivered-doc-example.json"), "9400115901047177598206"},
		{"trackingmore", testToken, read("trackingmore/tracking-v4-delivered-abridged-unverified.json"), "RR050349575PH"},
		{"shippo", testToken, `{"event":"track_updated","data":{"tracking_number":12345}}`, ""},
		{"shippo", testToken, `[1,2,3]`, ""},
		{"shippo", testToken, `{"data":{"tracking_number":"` + strings.Repeat("9", 65) + `"}}`, ""},
	} {
		p := &fakeProducer{ack: acked}
		g := newTestGateway(t, p)
		g.cfg.MaxBody = 1 << 20
		if w := post(g, tc.source, tc.key, []byte(tc.body)); w.Code != http.StatusOK {
			t.Fatalf("%s %.40s: status %d (%s)", tc.source, tc.body, w.Code, w.Body)
		}
		if got := string(p.records()[0].Key); got != tc.want {
			t.Errorf("%s %.60s: key %q, want %q", tc.source, tc.body, got, tc.want)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	g := newTestGateway(t, &fakeProducer{ack: acked})
	problem := "127.0.0.1:9 (connection refused)"
	g.cfg.Reachable = func() string { return problem }
	get := func(path string) (int, string) {
		w := do(g, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d", code)
	}
	if code, why := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(why, "not listening") {
		t.Errorf("/readyz before listening: %d %s", code, why)
	}
	g.serving.Store(true)
	if code, why := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(why, problem) {
		t.Errorf("/readyz without Kafka: %d %s", code, why)
	}
	problem = ""
	if code, why := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, why)
	}
	g.draining.Store(true)
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d", code)
	}
}

// TestDrainFinishesRequestsInFlight: a request whose acknowledgement is
// still to come when the gateway is told to stop is answered 200 once it
// comes, and Run returns only after that.
func TestDrainFinishesRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	g := newTestGateway(t, &fakeProducer{ack: acked})
	g.cfg.AckTimeout = time.Minute
	g.cfg.Producer = producerFunc(func(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
		close(arrived)
		go func() { <-release; promise(r, nil) }()
	})
	addr, cancel, ran := serve(t, g)
	got := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/webhooks/shippo/"+testToken, "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-arrived
	cancel()
	select {
	case err := <-ran:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	case code := <-got:
		t.Fatalf("answered %d before the acknowledgement", code)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if code := <-got; code != http.StatusOK {
		t.Errorf("the request in flight got %d, want 200", code)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// serve runs g on a loopback port until cancel; ran has Run's result.
func serve(t *testing.T, g *Gateway) (addr string, cancel func(), ran <-chan error) {
	t.Helper()
	g.cfg.Addr = "127.0.0.1:0"
	addr, err := g.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	return addr, cancel, done
}

type producerFunc func(context.Context, *kgo.Record, func(*kgo.Record, error))

func (f producerFunc) TryProduce(ctx context.Context, r *kgo.Record, p func(*kgo.Record, error)) {
	f(ctx, r, p)
}

// TestAckAtTheDeadlineCounts: a record acknowledged by the time the wait
// ends is answered 200, never 503 (a select between a ready ack and a
// fired timer picks either).
func TestAckAtTheDeadlineCounts(t *testing.T) {
	g := newTestGateway(t, &fakeProducer{ack: acked, discard: true})
	g.cfg.AckTimeout = time.Nanosecond // the timer has fired by the time the wait begins
	body := []byte(`{"data":{"tracking_number":"9205590164917312751089"}}`)
	for i := range 200 {
		if w := post(g, "shippo", testToken, body); w.Code != http.StatusOK {
			t.Fatalf("request %d, acknowledged at once: status %d", i, w.Code)
		}
	}
}

// TestLateAckAnswersNoOtherRequest: an acknowledgement that comes after
// its request got 503 is not taken for the next request's (the gateway
// reuses what requests wait on).
func TestLateAckAnswersNoOtherRequest(t *testing.T) {
	var late func()
	g := newTestGateway(t, &fakeProducer{ack: acked})
	g.cfg.Producer = producerFunc(func(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
		if late == nil {
			late = func() { promise(r, nil) } // held, acknowledged after its 503
			return
		}
		// Each later record fails, answered from elsewhere as the
		// client does.
		go promise(r, kerr.NotEnoughReplicas)
	})
	body := []byte(`{"data":{"tracking_number":"9205590164917312751089"}}`)
	if w := post(g, "shippo", testToken, body); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("first request, never acknowledged in time: status %d, want 503", w.Code)
	}
	late()
	for i := range 3 {
		if w := post(g, "shippo", testToken, body); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("request %d after a late ack, its own failing: status %d, want 503", i+2, w.Code)
		}
	}
}

// TestServesTLS: with a certificate the gateway answers HTTPS, and plain
// HTTP on its port gets nothing.
func TestServesTLS(t *testing.T) {
	certFile, keyFile := testpki.ServerFiles(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProducer{ack: acked}
	g := newTestGateway(t, p)
	g.cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	addr, cancel, ran := serve(t, g)
	defer func() { cancel(); <-ran }()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 10 * time.Second}
	resp, err := client.Post("https://"+addr+"/webhooks/shippo/"+testToken, "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(p.records()) != 1 {
		t.Errorf("over HTTPS: status %d, %d records", resp.StatusCode, len(p.records()))
	}
	plain := &http.Client{Timeout: 10 * time.Second}
	if resp, err := plain.Post("http://"+addr+"/webhooks/shippo/"+testToken, "application/json", strings.NewReader(`{"a":2}`)); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP to the TLS listener was accepted")
		}
	}
	if n := len(p.records()); n != 1 {
		t.Errorf("%d records after the plain request, want 1", n)
	}
}

// TestLogsHoldNoSecrets: at debug level, the log lines of accepted and
// refused webhooks name no token, signature or key.
func TestLogsHoldNoSecrets(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	g := newTestGateway(t, &fakeProducer{ack: acked})
	g.cfg.Logger = zap.New(core)
	body := []byte(`{"data":{"tracking_number":"9205590164917312751089"}}`)
	post(g, "shippo", testToken, body)
	post(g, "shippo", "tok-0123456789abcdeX", body)
	post(g, "easypost", "ep-secret", body)
	_, sig := Sign(EasyPost, "ep-secret", body)
	if logs.Len() != 3 {
		t.Fatalf("%d log lines, want one per webhook at debug level", logs.Len())
	}
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		for _, secret := range []string{testToken, "tok-0123456789abcdeX", "ep-secret", strings.TrimPrefix(sig, "hmac-sha256-hex=")} {
			if strings.Contains(line, secret) {
				t.Errorf("log line %q holds a secret", line)
			}
		}
	}
}

// TestUnreadableRequestsCounted: a request whose headers are over the
// limit (its path unread, so of no source), or whose chunked body is
// broken (of its route's source), is answered, counted as a read error,
// and never written.
func TestUnreadableRequestsCounted(t *testing.T) {
	p := &fakeProducer{ack: acked}
	g := newTestGateway(t, p)
	big := httptest.NewRequest(http.MethodPost, "/webhooks/shippo/"+testToken, strings.NewReader(`{"a":1}`))
	big.Header.Set("X-Pad", strings.Repeat("x", maxHeaderBytes))
	if w := do(g, big); w.Code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("headers over the limit: status %d, want 431", w.Code)
	}
	if got := testutil.ToFloat64(g.rejected.WithLabelValues(unknownSource, ReasonRead)); got != 1 {
		t.Errorf("rejected{_unknown,read_error} = %v, want 1", got)
	}
	client, conn := net.Pipe()
	defer client.Close()
	go func() { _ = g.server().ServeConn(conn) }()
	go func() {
		_, _ = io.WriteString(client, "POST /webhooks/shippo/"+testToken+" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("broken chunk: status %d, want 400", resp.StatusCode)
	}
	if got := testutil.ToFloat64(g.rejected.WithLabelValues("shippo", ReasonRead)); got != 1 {
		t.Errorf("rejected{shippo,read_error} = %v after the broken chunk, want 1", got)
	}
	if n := len(p.records()); n != 0 {
		t.Errorf("%d records written", n)
	}
}

// TestChunkedBodyUpToTheLimit: a body of unknown length is read whole up
// to the limit, and refused one byte past it.
func TestChunkedBodyUpToTheLimit(t *testing.T) {
	p := &fakeProducer{ack: acked}
	g := newTestGateway(t, p)
	for _, tc := range []struct {
		size, status int
	}{{g.cfg.MaxBody, http.StatusOK}, {g.cfg.MaxBody + 1, http.StatusRequestEntityTooLarge}, {2, http.StatusOK}} {
		body := []byte(`{}`)
		if tc.size > len(body) {
			body = []byte(`{"p":"` + strings.Repeat("x", tc.size-len(`{"p":""}`)) + `"}`)
		}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/shippo/"+testToken, io.MultiReader(bytes.NewReader(body)))
		req.ContentLength = -1
		if w := do(g, req); w.Code != tc.status {
			t.Errorf("%d bytes, chunked: status %d, want %d", len(body), w.Code, tc.status)
		}
	}
	recs := p.records()
	if len(recs) != 2 || len(recs[0].Value) != g.cfg.MaxBody || string(recs[1].Value) != "{}" {
		t.Errorf("%d records; want the body at the limit and the small one, whole", len(recs))
	}
}
