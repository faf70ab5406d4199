package serve

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wismo/wismo/links"
	"go.uber.org/zap"
)

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed assets
var assetsFS embed.FS

// Config configures a Server.
type Config struct {
	Lookup Lookup
	// Ring verifies the links' tokens; Policy refuses the links of a
	// shipment that ended longer than its AfterEnd ago.
	Ring   *links.Keyring
	Policy links.Policy
	// APIKeys may call /v1/; none means the API answers 401 to everyone.
	APIKeys *APIKeys
	// TemplatesDir overrides the embedded templates of the same name and
	// adds files under assets/ (branding); "" for the embedded ones only.
	TemplatesDir string
	// Requests per minute per client address and per token, and the burst.
	RatePerIP, RatePerToken, Burst int
	// RequestTimeout bounds a request, its lookup included.
	RequestTimeout time.Duration
	// TrustProxy takes the client's address from the last hop of
	// X-Forwarded-For.
	TrustProxy bool
	Logger     *zap.Logger
	Now        func() time.Time
}

// Server serves the tracking page and the lookup API.
type Server struct {
	cfg      Config
	catalog  *Catalog
	tracking *template.Template
	errPage  *template.Template
	assets   http.Handler
	perIP    *limiters
	perToken *limiters
	log      *zap.Logger
}

// Limits of a request: wismo's pages take no body, and a URL longer than a
// token's longest is refused before it is parsed further.
const (
	maxHeaderBytes = 16 << 10
	maxBodyBytes   = 1 << 10
	maxPathLen     = 512
)

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Lookup == nil || cfg.Ring == nil {
		return nil, errors.New("serve: a lookup and a keyring are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Policy.AfterEnd <= 0 {
		cfg.Policy.AfterEnd = links.DefaultAfterEnd
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 20
	}
	if cfg.RatePerIP <= 0 {
		cfg.RatePerIP = 120
	}
	if cfg.RatePerToken <= 0 {
		cfg.RatePerToken = 60
	}
	cat, err := LoadCatalog()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, catalog: cat, log: cfg.Logger,
		perIP: newLimiters(cfg.RatePerIP, cfg.Burst, 100_000), perToken: newLimiters(cfg.RatePerToken, cfg.Burst, 100_000)}
	if s.tracking, s.errPage, err = loadTemplates(cfg.TemplatesDir); err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(assetsFS, "assets")
	var user fs.FS
	if cfg.TemplatesDir != "" {
		if st, err := os.Stat(filepath.Join(cfg.TemplatesDir, "assets")); err == nil && st.IsDir() {
			user = os.DirFS(filepath.Join(cfg.TemplatesDir, "assets"))
		}
	}
	s.assets = http.StripPrefix("/assets/", http.FileServerFS(overlay{user, sub}))
	return s, nil
}

// overlay serves a file from top when it has it, else from base.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if o.top != nil {
		if f, err := o.top.Open(name); err == nil {
			return f, nil
		}
	}
	return o.base.Open(name)
}

// loadTemplates parses the layout and the two pages, the user's files of
// the same names (and any other *.html of the folder, for the layout's
// head, brand and footer blocks) after the embedded ones, so theirs win.
func loadTemplates(dir string) (tracking, errPage *template.Template, err error) {
	base := template.New("layout")
	if base, err = base.ParseFS(templatesFS, "templates/layout.html"); err != nil {
		return nil, nil, err
	}
	user := map[string]string{}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.html"))
		if err != nil {
			return nil, nil, fmt.Errorf("serve.templates_dir: %w", err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("serve.templates_dir: %s is not a folder", dir)
		}
		for _, f := range files {
			user[filepath.Base(f)] = f
		}
	}
	for name, f := range user {
		if name == "tracking.html" || name == "error.html" {
			continue
		}
		if base, err = base.ParseFiles(f); err != nil {
			return nil, nil, fmt.Errorf("serve.templates_dir: %w", err)
		}
	}
	page := func(name string) (*template.Template, error) {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templatesFS, "templates/"+name); err != nil {
			return nil, err
		}
		if f, ok := user[name]; ok {
			if t, err = t.ParseFiles(f); err != nil {
				return nil, fmt.Errorf("serve.templates_dir: %w", err)
			}
		}
		return t.Lookup("layout"), nil
	}
	if tracking, err = page("tracking.html"); err != nil {
		return nil, nil, err
	}
	if errPage, err = page("error.html"); err != nil {
		return nil, nil, err
	}
	return tracking, errPage, nil
}

// Handler is the server's routes behind its limits and headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/{token}", s.page)
	mux.Handle("GET /assets/", s.assets)
	mux.HandleFunc("GET /v1/shipments/{shipment_id}", s.apiShipment)
	mux.HandleFunc("GET /v1/orders/{order_id}", s.apiOrder)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	// The request's time is bounded by its context (the lookup, the only
	// wait of a handler, ends with it and the answer is a 503) and by the
	// server's read and write timeouts, rather than by http.TimeoutHandler,
	// which runs every request on a goroutine of its own (its stack grown
	// anew each time by the template) and copies its answer.
	timeout := s.cfg.RequestTimeout
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
	return s.guard(h)
}

// HTTPServer is an http.Server for the handler with the connection limits.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr: addr, Handler: s.Handler(),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: s.cfg.RequestTimeout,
		WriteTimeout: s.cfg.RequestTimeout + 2*time.Second, IdleTimeout: 60 * time.Second,
		MaxHeaderBytes: maxHeaderBytes,
		// The standard library's own messages (TLS handshakes, panics) do
		// not show request paths, so they may go to the log as they are.
		ErrorLog: zap.NewStdLog(s.log.Named("http")),
	}
}

// securityHeaders go on every answer: no scripts, styles and images only
// from here, no framing, no referrer (the token is in the URL).
var securityHeaders = map[string]string{
	"Content-Security-Policy":    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"Referrer-Policy":            "no-referrer",
	"X-Content-Type-Options":     "nosniff",
	"X-Frame-Options":            "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Permissions-Policy":         "geolocation=(), camera=(), microphone=()",
}

// guard sets the headers, refuses what no route takes, limits each client
// address and logs the request without its path (which holds the token or
// the shipment id).
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		h := w.Header()
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		h.Set("Cache-Control", "no-store")
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.log.Info("request", zap.String("method", r.Method), zap.String("route", route(r.URL.Path)),
				zap.Int("status", rw.status), zap.Duration("took", s.cfg.Now().Sub(start)))
		}()
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			s.fail(rw, r, http.StatusMethodNotAllowed)
			return
		case len(r.URL.RawPath) > maxPathLen || len(r.URL.Path) > maxPathLen || len(r.URL.RawQuery) > maxPathLen:
			s.fail(rw, r, http.StatusRequestURITooLong)
			return
		case r.ContentLength > maxBodyBytes:
			s.fail(rw, r, http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(rw, r.Body, maxBodyBytes)
		if !s.perIP.allow(s.clientIP(r), s.cfg.Now()) {
			h.Set("Retry-After", "60")
			s.fail(rw, r, http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// route names a path for the log without its variable part.
func route(p string) string {
	for _, pre := range []string{"/t/", "/v1/shipments/", "/v1/orders/", "/assets/"} {
		if strings.HasPrefix(p, pre) {
			return pre + "{...}"
		}
	}
	if p == "/healthz" {
		return p
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// page is data for the templates.
type page struct {
	*Messages
	// Text is Messages.Text again, as a field of page itself: text/template
	// finds a promoted field by a breadth-first search over the embedded
	// structs on every use, a direct one at once.
	Text                map[string]string
	Lang, Title, Assets string
	Shipment            *Shipment
	ErrorTitle          string
	ErrorBody           string
}

// Local formats a local time for the page.
func (m *Messages) Local(t time.Time) string { return localTime(t) }

// Between words a predicted window.
func (m *Messages) Between(w *Window) string {
	return strings.NewReplacer("{earliest}", dayText(w.Earliest), "{latest}", dayText(w.Latest), "{likely}", dayText(w.Likely)).Replace(m.T("predicted_between"))
}

// assetsFrom is the assets' path relative to a page at /t/{token}, so the
// page works behind a prefix (links.base_url with a path).
const assetsFrom = "../assets"

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	now := s.cfg.Now()
	claims, err := s.cfg.Ring.Verify(tok, now)
	switch {
	case errors.Is(err, links.ErrExpired):
		s.fail(w, r, http.StatusGone)
		return
	case err != nil:
		s.fail(w, r, http.StatusUnauthorized)
		return
	}
	sum := sha256.Sum256([]byte(tok))
	if !s.perToken.allow(string(sum[:16]), now) {
		w.Header().Set("Retry-After", "60")
		s.fail(w, r, http.StatusTooManyRequests)
		return
	}
	rec, err := s.cfg.Lookup.Shipment(r.Context(), claims.ShipmentID)
	switch {
	case errors.Is(err, ErrNotFound):
		s.fail(w, r, http.StatusNotFound)
		return
	case err != nil:
		// ClickHouse down, slow or out of connections: the customer should
		// come back, not read "error"
		s.log.Error("lookup failed", zap.Error(err))
		w.Header().Set("Retry-After", "30")
		s.fail(w, r, http.StatusServiceUnavailable)
		return
	}
	if s.cfg.Policy.Ended(rec.EndedAt(), now) {
		s.fail(w, r, http.StatusGone)
		return
	}
	m := s.catalog.For(r.Header.Get("Accept-Language"))
	sh := m.Summarize(rec)
	sh.pageTimes()
	p := &page{Messages: m, Text: m.Text, Lang: m.Tag.String(), Title: m.T("title"), Assets: assetsFrom, Shipment: sh}
	s.render(w, s.tracking, http.StatusOK, p)
}

func (s *Server) render(w http.ResponseWriter, t *template.Template, status int, p *page) {
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		s.log.Error("template failed", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail answers with the error page of status (JSON under /v1/), never with
// data.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		s.jsonError(w, status, http.StatusText(status))
		return
	}
	m := s.catalog.For(r.Header.Get("Accept-Language"))
	code := fmt.Sprint(status)
	switch status {
	case 401, 404, 405, 410, 429, 503:
	default:
		code = "500"
	}
	s.render(w, s.errPage, status, &page{Messages: m, Text: m.Text, Lang: m.Tag.String(), Title: m.T("error_title_" + code),
		Assets: assetsFor(r.URL.Path), ErrorTitle: "error_title_" + code, ErrorBody: "error_body_" + code})
}

// assetsFor is the assets' relative path from p.
func assetsFor(p string) string {
	if strings.HasPrefix(p, "/t/") {
		return assetsFrom
	}
	return "/assets"
}

func (s *Server) jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) apiShipment(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	id := r.PathValue("shipment_id")
	if len(id) > links.MaxShipmentID {
		s.jsonError(w, http.StatusBadRequest, "shipment_id: too long; want <carrier>:<tracking number>")
		return
	}
	rec, err := s.cfg.Lookup.Shipment(r.Context(), id)
	if !s.found(w, err, "no events for shipment "+id+" (a shipment id is <carrier>:<tracking number>, e.g. ups:1Z999AA10123456784)") {
		return
	}
	m := s.catalog.For(r.Header.Get("Accept-Language"))
	s.writeJSON(w, m, m.Summarize(rec))
}

// found answers a failed lookup of the API: 404 with notFound, or 503 to
// come back later; true when err is nil.
func (s *Server) found(w http.ResponseWriter, err error, notFound string) bool {
	switch {
	case errors.Is(err, ErrNotFound):
		s.jsonError(w, http.StatusNotFound, notFound)
		return false
	case err != nil:
		s.log.Error("lookup failed", zap.Error(err))
		w.Header().Set("Retry-After", "30")
		s.jsonError(w, http.StatusServiceUnavailable, "the lookup failed (ClickHouse unavailable or busy); try again in 30 seconds")
		return false
	}
	return true
}

func (s *Server) writeJSON(w http.ResponseWriter, m *Messages, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Language", m.Tag.String())
	_ = json.NewEncoder(w).Encode(v)
}

// apiOrder lists an order's shipments, each as /v1/shipments/{id} gives
// it, when the lookup knows orders (Orders); 404 for an order it does not
// know. A shipment of the order with no events yet is not listed.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	id := r.PathValue("order_id")
	ol, ok := s.cfg.Lookup.(Orders)
	if !ok {
		s.jsonError(w, http.StatusNotFound, "orders are not known here: this lookup has no order context; look shipments up by /v1/shipments/{shipment_id}")
		return
	}
	if len(id) > links.MaxShipmentID {
		s.jsonError(w, http.StatusBadRequest, "order_id: too long")
		return
	}
	ids, err := ol.Order(r.Context(), id)
	if err == nil && len(ids) > MaxOrderShipments {
		ids = ids[:MaxOrderShipments]
	}
	// the shipments at once: the lookup reads them together (chlookup
	// batches concurrent lookups)
	recs := make([]*Record, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, sid := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i], errs[i] = s.cfg.Lookup.Shipment(r.Context(), sid)
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil && !errors.Is(e, ErrNotFound) && err == nil {
			err = e
		}
	}
	if !s.found(w, err, "no shipments known for order "+id+" (orders come from the order context topic, orders.context.v1)") {
		return
	}
	m := s.catalog.For(r.Header.Get("Accept-Language"))
	out := struct {
		OrderID   string      `json:"order_id"`
		Shipments []*Shipment `json:"shipments"`
	}{OrderID: id, Shipments: []*Shipment{}}
	for _, rec := range recs {
		if rec != nil {
			out.Shipments = append(out.Shipments, m.Summarize(rec))
		}
	}
	s.writeJSON(w, m, &out)
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && s.cfg.APIKeys.Check(key) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="wismo"`)
	s.jsonError(w, http.StatusUnauthorized, "missing or unknown API key: send Authorization: Bearer <key> with a key listed (hashed) in serve.api_keys")
	return false
}

// Run serves on ln until ctx ends, then shuts down within 5 seconds.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	}
}
