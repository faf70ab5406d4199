// Package ingest is the webhook gateway (`wismo ingest`, or the ingest
// stage of `wismo run`): it receives the webhooks of aggregators and
// carriers over HTTP, checks each the way its source signs it, and writes
// the body, unchanged, to the raw topic bound to its source. It answers 2xx
// only once the broker has acknowledged the record, so a sender retries
// whatever was not written.
package ingest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
	"go.uber.org/zap"
)

// PathPrefix is where the routes are served: PathPrefix + source (and, for
// Token, "/" + token).
const PathPrefix = "/webhooks/"

// Route binds a source's webhooks to a raw topic.
type Route struct {
	Source   string
	Topic    string
	Verifier *Verifier
}

// Producer is what the gateway needs of a Kafka client (kgo.Client).
type Producer interface {
	TryProduce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// Config is a gateway's settings.
type Config struct {
	// Addr is the listener's host:port.
	Addr   string
	Routes []Route
	// MaxBody: a larger body gets 413.
	MaxBody int
	// AckTimeout bounds the wait for the broker's acknowledgement: a
	// request not acknowledged by then gets 503 and is retried by its
	// sender.
	AckTimeout time.Duration
	// ShutdownGrace bounds the drain: requests in flight finish within it.
	ShutdownGrace time.Duration
	// TLS, when set, serves HTTPS with it.
	TLS *tls.Config
	// Producer writes the records; Close is called at the end when it has
	// one (kgo.Client).
	Producer Producer
	// Reachable says why the brokers are not reachable, or "" when they
	// are; /readyz answers 503 meanwhile.
	Reachable  func() string
	Registerer prometheus.Registerer
	Logger     *zap.Logger
}

// Reasons a request is rejected: the reason label of
// wismo_ingest_rejected_total.
const (
	ReasonUnauthorized = "unauthorized"
	ReasonTooLarge     = "too_large"
	ReasonNotJSON      = "not_json"
	ReasonUnavailable  = "unavailable"
	ReasonMethod       = "method"
	ReasonNotFound     = "not_found"
	ReasonRead         = "read_error"
)

// route is a Route with its source's metrics, looked up once rather than
// per request.
type route struct {
	*Route
	accepted prometheus.Counter
	latency  prometheus.Observer
}

// unknownSource labels requests to a path no route serves, so that
// made-up paths make no series of their own.
const unknownSource = "_unknown"

// Gateway is the webhook gateway.
type Gateway struct {
	cfg      Config
	routes   map[string]*route
	parsers  fastjson.ParserPool
	waiters  sync.Pool
	accepted *prometheus.CounterVec
	rejected *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	buffers  sync.Pool
	ln       net.Listener
	srv      *fasthttp.Server
	draining atomic.Bool
	serving  atomic.Bool
}

// New builds a gateway and registers its metrics.
func New(cfg Config) (*Gateway, error) {
	if cfg.Producer == nil {
		return nil, errors.New("ingest: no producer")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Reachable == nil {
		cfg.Reachable = func() string { return "" }
	}
	g := &Gateway{cfg: cfg, routes: map[string]*route{}}
	g.accepted = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "wismo", Name: "ingest_accepted_total",
		Help: "Webhooks written to their raw topic and acknowledged by the broker, by source."}, []string{"source"})
	g.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "wismo", Name: "ingest_rejected_total",
		Help: "Webhooks not written, by source and reason (unauthorized, too_large, not_json, unavailable, method, not_found, read_error)."}, []string{"source", "reason"})
	g.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "wismo", Name: "ingest_request_seconds",
		Help: "Time from a webhook's headers to its answer, by source.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"source"})
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if _, dup := g.routes[r.Source]; dup {
			return nil, fmt.Errorf("ingest: source %q is routed twice", r.Source)
		}
		g.routes[r.Source] = &route{Route: r, accepted: g.accepted.WithLabelValues(r.Source), latency: g.latency.WithLabelValues(r.Source)}
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{g.accepted, g.rejected, g.latency} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("ingest: metrics: %w", err)
			}
		}
	}
	return g, nil
}

// Name is the stage's name.
func (g *Gateway) Name() string { return "ingest" }

// Ready reports whether the gateway listens and its brokers answer.
func (g *Gateway) Ready() bool {
	ok, _ := g.ready()
	return ok
}

func (g *Gateway) ready() (bool, string) {
	switch {
	case g.draining.Load():
		return false, "draining"
	case !g.serving.Load():
		return false, "not listening yet"
	}
	if p := g.cfg.Reachable(); p != "" {
		return false, "cannot reach Kafka: " + p
	}
	return true, "ready"
}

// Listen binds the listener (Run does it when it has not been done), and
// returns its address.
func (g *Gateway) Listen() (string, error) {
	if g.ln == nil {
		ln, err := net.Listen("tcp", g.cfg.Addr)
		if err != nil {
			return "", fmt.Errorf("ingest.addr: %w", err)
		}
		if g.cfg.TLS != nil {
			ln = tls.NewListener(ln, g.cfg.TLS)
		}
		g.ln = ln
	}
	return g.ln.Addr().String(), nil
}

// The listener's timeouts: the headers of a request arrive within
// headerTimeout of its first byte, its body within bodyTimeout of the
// headers, or the request fails (a slow sender cannot hold a connection
// for ever); the answer is written within writeTimeout. maxHeaderBytes
// bounds a request's line and headers (431 past it).
const (
	headerTimeout  = 5 * time.Second
	bodyTimeout    = 30 * time.Second
	writeTimeout   = 30 * time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 16 << 10
)

// server is the listener's HTTP server. It is fasthttp rather than
// net/http: it makes no goroutine, request objects or header maps per
// request, which cut the gateway's CPU per webhook by a third
// (BENCHMARKS.md). The body is streamed to the handler, which enforces
// the limit while reading it.
func (g *Gateway) server() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:      g.handle,
		ErrorHandler: g.requestError,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
		},
		ReadTimeout:        headerTimeout,
		WriteTimeout:       writeTimeout,
		IdleTimeout:        idleTimeout,
		ReadBufferSize:     maxHeaderBytes,
		MaxRequestBodySize: g.cfg.MaxBody,
		StreamRequestBody:  true,
		// Webhooks are JSON: a multipart body is not spooled to files.
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		// The clock is read once per request, for its latency.
		LazyRequestTime: true,
		// fasthttp's error lines leave the request out: a token
		// route's path is its secret.
		SecureErrorLogMessage: true,
		Logger:                zap.NewStdLog(g.cfg.Logger.Named("http")),
	}
}

// Run serves until ctx ends, then drains: the listener closes, and the
// requests in flight finish (each within AckTimeout) before it returns.
func (g *Gateway) Run(ctx context.Context) error {
	if _, err := g.Listen(); err != nil {
		return err
	}
	g.srv = g.server()
	errc := make(chan error, 1)
	g.serving.Store(true)
	go func() { errc <- g.srv.Serve(g.ln) }()
	g.cfg.Logger.Info("ingest listening", zap.String("addr", g.ln.Addr().String()), zap.Bool("tls", g.cfg.TLS != nil), zap.Int("routes", len(g.routes)))
	select {
	case err := <-errc:
		g.closeProducer()
		return fmt.Errorf("ingest: serving on %s: %w", g.ln.Addr(), err)
	case <-ctx.Done():
	}
	g.draining.Store(true)
	grace := g.cfg.ShutdownGrace
	if grace <= 0 {
		grace = 25 * time.Second
	}
	shut, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := g.srv.ShutdownWithContext(shut)
	// Shutdown closes nothing when Serve had not yet taken the listener.
	_ = g.ln.Close()
	if err == nil {
		select {
		case <-errc:
		case <-shut.Done():
			err = shut.Err()
		}
	}
	g.closeProducer()
	if err != nil {
		return fmt.Errorf("ingest: requests still in flight after the shutdown grace (%v): %w", grace, err)
	}
	return nil
}

func (g *Gateway) closeProducer() {
	if c, ok := g.cfg.Producer.(interface{ Close() }); ok {
		c.Close()
	}
}

// handle answers /healthz, /readyz and the routes.
func (g *Gateway) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch string(path) {
	case "/healthz":
		ctx.Response.Header.SetContentTypeBytes(textPlain)
		ctx.SetBodyString("ok\n")
		return
	case "/readyz":
		ok, why := g.ready()
		if !ok {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
		ctx.Response.Header.SetContentTypeBytes(textPlain)
		ctx.SetBodyString(why + "\n")
		return
	}
	start := ctx.Time()
	r, source, status, reason := g.serve(ctx, path)
	g.count(r, source, status, reason, start)
}

// count records a webhook's outcome in the metrics and the debug log.
func (g *Gateway) count(r *route, source string, status int, reason string, start time.Time) {
	switch {
	case reason == "":
		r.accepted.Inc()
	default:
		g.rejected.WithLabelValues(source, reason).Inc()
	}
	if r != nil {
		r.latency.Observe(time.Since(start).Seconds())
	} else {
		g.latency.WithLabelValues(source).Observe(time.Since(start).Seconds())
	}
	if ce := g.cfg.Logger.Check(zap.DebugLevel, "webhook"); ce != nil {
		// The path is left out: a token source's path holds its secret.
		ce.Write(zap.String("source", source), zap.Int("status", status), zap.String("reason", reason))
	}
}

// route is the route of path and the token in it ("" for none), or nil.
func (g *Gateway) route(path []byte) (*route, []byte) {
	rest, ok := bytes.CutPrefix(path, pathPrefix)
	name, token, _ := bytes.Cut(rest, slash)
	r := g.routes[string(name)]
	if !ok || r == nil || (len(token) != 0) != r.Verifier.InPath() || bytes.IndexByte(token, '/') >= 0 {
		return nil, nil
	}
	return r, token
}

var pathPrefix, slash = []byte(PathPrefix), []byte("/")

// requestError answers a request that could not be read (broken
// chunks, headers too large, a timeout), counted as read_error of its
// route's source when its path names one.
func (g *Gateway) requestError(ctx *fasthttp.RequestCtx, err error) {
	start := time.Now()
	status, msg := unread(err)
	r, _ := g.route(ctx.Path())
	source := unknownSource
	if r != nil {
		source = r.Source
	}
	ctx.Error(msg+"\n", status)
	g.count(r, source, status, ReasonRead, start)
}

// unread is the answer to a request that could not be read for err.
func unread(err error) (status int, msg string) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return fasthttp.StatusRequestHeaderFieldsTooLarge, "request headers over " + strconv.Itoa(maxHeaderBytes) + " bytes"
	case errors.As(err, &ne) && ne.Timeout():
		return fasthttp.StatusRequestTimeout, "request not read in time"
	}
	return fasthttp.StatusBadRequest, "request could not be read"
}

// serve handles one webhook; it returns its route (nil for none), the
// source label, the status sent and the reason of a rejection ("" when
// accepted).
func (g *Gateway) serve(ctx *fasthttp.RequestCtx, path []byte) (r *route, source string, status int, reason string) {
	answer := func(code int, reason, msg string) (*route, string, int, string) {
		ctx.Error(msg+"\n", code)
		ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
		switch code {
		case fasthttp.StatusServiceUnavailable:
			ctx.Response.Header.Set("Retry-After", "5")
		case fasthttp.StatusMethodNotAllowed:
			ctx.Response.Header.Set("Allow", fasthttp.MethodPost)
		}
		return r, source, code, reason
	}
	r, token := g.route(path)
	if r == nil {
		source = unknownSource
		return answer(fasthttp.StatusNotFound, ReasonNotFound, "no such webhook route")
	}
	source = r.Source
	if !ctx.IsPost() {
		return answer(fasthttp.StatusMethodNotAllowed, ReasonMethod, "webhooks are POSTed")
	}
	tooLarge := func() (*route, string, int, string) {
		return answer(fasthttp.StatusRequestEntityTooLarge, ReasonTooLarge, "body over "+strconv.Itoa(g.cfg.MaxBody)+" bytes")
	}
	if ctx.Request.Header.ContentLength() > g.cfg.MaxBody {
		return tooLarge()
	}
	buf := g.buffer()
	body, err := readBody(ctx, (*buf)[:0], g.cfg.MaxBody)
	// The buffer goes back to the pool unless the producer may still hold
	// it (no acknowledgement in time).
	keep := false
	defer func() {
		if !keep && cap(body) <= maxPooled {
			*buf = body[:0]
			g.buffers.Put(buf)
		}
	}()
	switch {
	case errors.Is(err, errTooLarge):
		return tooLarge()
	case err != nil:
		code, msg := unread(err)
		return answer(code, ReasonRead, msg)
	}
	proof := token
	if !r.Verifier.InPath() {
		proof = ctx.Request.Header.Peek(r.Verifier.Header())
	}
	if r.Verifier.Verify(proof, body) != nil {
		return answer(fasthttp.StatusUnauthorized, ReasonUnauthorized, "signature or token does not match")
	}
	// Validate is strict (RFC 8259); the parser alone lets through numbers
	// such as 00 that other readers of the raw topic would refuse.
	if fastjson.ValidateBytes(body) != nil {
		return answer(fasthttp.StatusBadRequest, ReasonNotJSON, "body is not JSON")
	}
	value, key := body, []byte(nil)
	if paths := keyPaths[r.Source]; paths != nil {
		// The key is kept after the body in the same buffer.
		body = trackingKey(body, value, paths, &g.parsers)
		value, key = body[:len(value):len(value)], body[len(value):]
		if len(key) == 0 {
			key = nil
		}
	}
	if err := g.produce(&kgo.Record{Topic: r.Topic, Key: key, Value: value}); err != nil {
		keep = errors.Is(err, errNoAck)
		if errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge) {
			return answer(fasthttp.StatusRequestEntityTooLarge, ReasonTooLarge, "the raw topic refuses a record this large")
		}
		return answer(fasthttp.StatusServiceUnavailable, ReasonUnavailable, "not written; retry later")
	}
	ctx.Response.Header.SetContentTypeBytes(textPlain)
	ctx.Response.SetBodyRaw(acceptedBody)
	return r, source, fasthttp.StatusOK, ""
}

// buffer is a buffer for a body (and its key), from the pool.
func (g *Gateway) buffer() *[]byte {
	if b, ok := g.buffers.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

var acceptedBody = []byte("accepted\n")

// maxPooled is the largest buffer kept for reuse: a rare large body
// does not stay in memory.
const maxPooled = 64 << 10

// textPlain is the Content-Type of an acceptance (never modified).
var textPlain = []byte("text/plain; charset=utf-8")

// ProducerOpts are the options of the gateway's Kafka client, after the
// connection's: every record is acknowledged by all in-sync replicas and
// written once (idempotent producer), and one not written within
// deliveryTimeout fails (the sender has had its 503 by then). The buffer
// is bounded: past it a webhook gets 503 at once.
func ProducerOpts(deliveryTimeout time.Duration, maxRecord int) []kgo.Opt {
	return []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// 10 ms rather than 2: batches five times larger cost the broker
		// about a third less CPU per webhook (BENCHMARKS.md), well within
		// the 50 ms a sender may wait.
		kgo.ProducerLinger(10 * time.Millisecond),
		kgo.RecordDeliveryTimeout(deliveryTimeout),
		kgo.ProducerBatchMaxBytes(int32(maxRecord)),
		kgo.MaxBufferedBytes(max(256<<20, 4*maxRecord)),
		kgo.MaxBufferedRecords(100_000),
	}
}

// errNoAck is a record the broker did not acknowledge within AckTimeout.
var errNoAck = errors.New("no acknowledgement within ingest.ack_timeout")

// produce writes rec and waits, at most AckTimeout, for the broker's
// acknowledgement. The record's own context is not the request's: a
// batch is cancelled by its first record's context, which would fail
// other senders' records with it.
func (g *Gateway) produce(rec *kgo.Record) error {
	w, _ := g.waiters.Get().(*waiter)
	if w == nil {
		w = &waiter{done: make(chan error, 1), t: time.NewTimer(g.cfg.AckTimeout)}
	} else {
		w.t.Reset(g.cfg.AckTimeout)
	}
	done := w.done
	g.cfg.Producer.TryProduce(context.Background(), rec, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err := <-done:
		w.t.Stop()
		g.waiters.Put(w)
		return err
	case <-w.t.C:
		// An ack that came with the deadline still counts (select
		// picks at random among ready cases). Either way the waiter is
		// not reused: a late ack may still land in its channel.
		select {
		case err := <-done:
			return err
		default:
			return errNoAck
		}
	}
}

// waiter is what a request waits on for its acknowledgement, reused
// across requests (a channel and a timer each are a good part of a
// webhook's allocations).
type waiter struct {
	done chan error
	t    *time.Timer
}

// errTooLarge is a body over the limit.
var errTooLarge = errors.New("body over ingest.max_body_bytes")

// readBody appends the body of ctx's request to dst, reading at most
// limit bytes of it: a longer body fails with errTooLarge as soon as it
// passes the limit, whether its length was declared or not.
func readBody(ctx *fasthttp.RequestCtx, dst []byte, limit int) ([]byte, error) {
	rd := ctx.RequestBodyStream()
	if rd == nil {
		b := ctx.Request.Body()
		if len(b) > limit {
			return dst, errTooLarge
		}
		return append(dst, b...), nil
	}
	if n := ctx.Request.Header.ContentLength(); n >= 0 {
		// Checked against the limit before.
		dst = slices.Grow(dst, n)[:n]
		_, err := io.ReadFull(rd, dst)
		return dst, err
	}
	for {
		if len(dst) == cap(dst) {
			// Doubling, and never by nothing (the read is bounded below).
			dst = slices.Grow(dst, max(cap(dst), 4096))
		}
		n, err := rd.Read(dst[len(dst):min(cap(dst), limit+1)])
		dst = dst[:len(dst)+n]
		if len(dst) > limit {
			return dst, errTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}
