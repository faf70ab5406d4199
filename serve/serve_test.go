package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/links"
	_ "github.com/wismo/wismo/normalizers/all" // carrier display names
	"github.com/wismo/wismo/taxonomy"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func ev(id byte, carrier, tn, typ string, at time.Duration, city, region string) event.Event {
	e := event.Event{Carrier: carrier, TrackingNumber: tn, Type: taxonomy.MustLookup(typ), OccurredAt: t0.Add(at),
		LocalOffset: -5 * 3600, Location: event.Location{City: city, Region: region, Country: "US", PostalCode: "40201", Facility: "LOUISVILLE HUB 7"}}
	e.ID[0] = id
	if taxonomy.MustLookup(typ).Pipeline {
		e.Source = event.FromPipeline
		e.Location = event.Location{}
	}
	return e
}

// The three shipments of the page tests: delivered, in transit with an
// open exception, stalled.
func fixture() *Memory {
	m := NewMemory()
	m.Add([]event.Event{
		ev(1, "ups", "1ZDELIVERED", "info_received.label_created", 0, "", ""),
		ev(2, "ups", "1ZDELIVERED", "in_transit.picked_up", 2*time.Hour, "Louisville", "KY"),
		ev(3, "ups", "1ZDELIVERED", "in_transit.departed_facility", 5*time.Hour, "Louisville", "KY"),
		ev(4, "ups", "1ZDELIVERED", "out_for_delivery.out_for_delivery", 24*time.Hour, "Chicago", "IL"),
		ev(5, "ups", "1ZDELIVERED", "delivered.delivered", 30*time.Hour, "Chicago", "IL"),
		ev(5, "ups", "1ZDELIVERED", "delivered.delivered", 30*time.Hour, "Chicago", "IL"), // a repeat
		ev(11, "fedex", "7777", "in_transit.picked_up", 0, "Memphis", "TN"),
		ev(12, "fedex", "7777", "exception.address_incorrect", 20*time.Hour, "Memphis", "TN"),
		ev(21, "usps", "9400", "info_received.label_created", 0, "", ""),
		ev(22, "usps", "9400", "in_transit.picked_up", time.Hour, "Denver", "CO"),
		ev(23, "usps", "9400", "exception.stalled_in_transit", 80*time.Hour, "", ""),
		ev(31, "dhl", "JD100", "in_transit.picked_up", 90*time.Hour, "Reno", "NV"),
		ev(32, "dhl", "JD100", "in_transit.arrived_at_delivery_facility", 95*time.Hour, "Reno", "NV"),
	}, []detect.Command{{ShipmentID: "ups:1ZDELIVERED", Trigger: "delivered", EventType: "delivered.delivered", Message: "Delivered", DecidedAt: t0.Add(30 * time.Hour),
		PredictedDelivery: &detect.Prediction{Earliest: "2026-11-21", Likely: "2026-11-21", Latest: "2026-11-22", Confidence: "high"}},
		{ShipmentID: "dhl:JD100", CommandID: "o1", Trigger: "shipped", EventType: "in_transit.picked_up", Message: "Shipped", DecidedAt: t0.Add(90 * time.Hour),
			PredictedDelivery: &detect.Prediction{Earliest: "2026-11-25", Likely: "2026-11-26", Latest: "2026-11-28", Confidence: "low"}},
		{ShipmentID: "dhl:JD100", CommandID: "o2", Trigger: "in_transit", EventType: "in_transit.departed_facility", Message: "Moving", DecidedAt: t0.Add(95 * time.Hour),
			PredictedDelivery: &detect.Prediction{Earliest: "2026-11-24", Likely: "2026-11-25", Latest: "2026-11-27", Confidence: "medium"}}})
	return m
}

type harness struct {
	srv  *Server
	h    http.Handler
	ring *links.Keyring
	logs *observer.ObservedLogs
	now  time.Time
}

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	ring, err := links.NewKeyring([]links.Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}, {ID: "k0", Secret: bytes.Repeat([]byte{2}, 32)}}, "k1", []string{"k0"})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	h := &harness{ring: ring, logs: logs, now: t0.Add(100 * time.Hour)}
	keys, _ := ParseAPIKeys([]string{"bot:" + HashKey("bot-secret"), "old:" + HashKey("old-secret")}, []string{"old"})
	cfg := Config{Lookup: fixture(), Ring: ring, Policy: links.Policy{AfterEnd: 90 * 24 * time.Hour}, APIKeys: keys,
		Logger: zap.New(core), Now: func() time.Time { return h.now }, RatePerIP: 6000, RatePerToken: 6000, Burst: 1000}
	if mod != nil {
		mod(&cfg)
	}
	if h.srv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h.h = h.srv.Handler()
	return h
}

func (h *harness) token(t *testing.T, ship string) string {
	tok, err := h.ring.Sign(ship, h.now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (h *harness) get(path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w
}

func TestTrackingPage(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		ship, headline, next string
		first                string // the timeline's first (newest) entry
	}{
		{"ups:1ZDELIVERED", "Your parcel was delivered", "", "delivered.delivered"},
		{"fedex:7777", "There is a problem with your parcel", "Correct the address with FedEx", "exception.address_incorrect"},
		{"usps:9400", "Your parcel has not moved for a while", "keeping an eye on it", "exception.stalled_in_transit"},
	} {
		w := h.get("/t/"+h.token(t, c.ship), "Accept-Language", "fr-CH, en;q=0.8")
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", c.ship, w.Code, body)
		}
		if !strings.Contains(body, `data-testid="headline">`+c.headline+`<`) {
			t.Errorf("%s: headline %q missing:\n%s", c.ship, c.headline, body)
		}
		if c.next == "" && strings.Contains(body, `data-testid="next-step"`) {
			t.Errorf("%s: a next step shown for a delivered parcel", c.ship)
		}
		if c.next != "" && (!strings.Contains(body, c.next) || strings.Index(body, "next-step") > strings.Index(body, `data-testid="timeline"`)) {
			t.Errorf("%s: next step %q missing or not before the timeline", c.ship, c.next)
		}
		if i := strings.Index(body, "data-event-type="); i < 0 || !strings.HasPrefix(body[i:], `data-event-type="`+c.first+`"`) {
			t.Errorf("%s: timeline does not start with %s", c.ship, c.first)
		}
		if strings.Contains(body, "departed_facility") {
			t.Errorf("%s: noise in the timeline", c.ship)
		}
		for _, fine := range []string{"40201", "HUB 7", "<script"} {
			if strings.Contains(body, fine) {
				t.Errorf("%s: page shows %q", c.ship, fine)
			}
		}
		for k, v := range securityHeaders {
			if w.Header().Get(k) != v {
				t.Errorf("%s: header %s = %q", c.ship, k, w.Header().Get(k))
			}
		}
		if w.Header().Get("Content-Language") != "en" {
			t.Errorf("Content-Language %q", w.Header().Get("Content-Language"))
		}
	}
	// local times: 08:00 UTC + 30h at UTC-5 is 09:00 on Saturday
	w := h.get("/t/" + h.token(t, "ups:1ZDELIVERED"))
	if !strings.Contains(w.Body.String(), "Sat 21 Nov 2026, 09:00") || !strings.Contains(w.Body.String(), `datetime="2026-11-21T09:00:00-05:00"`) {
		t.Errorf("local time missing:\n%s", w.Body.String())
	}
	if !strings.Contains(w.Body.String(), `aria-current="step"`) {
		t.Error("no current step in the progress bar")
	}
}

// A tampered, expired or revoked token gets its page and never data; a
// link of a shipment delivered longer than after_end ago is gone too.
func TestTokensRefused(t *testing.T) {
	h := newHarness(t, nil)
	good := h.token(t, "ups:1ZDELIVERED")
	tampered := []byte(good)
	tampered[5] ^= 1
	expired, _ := h.ring.Sign("ups:1ZDELIVERED", h.now)
	oldRing, _ := links.NewKeyring([]links.Key{{ID: "k0", Secret: bytes.Repeat([]byte{2}, 32)}}, "k0", nil)
	revoked, _ := oldRing.Sign("ups:1ZDELIVERED", h.now.Add(time.Hour))
	for _, c := range []struct {
		name, tok string
		code      int
		says      string
	}{
		{"tampered", string(tampered), 401, "not valid"},
		{"cut", good[:len(good)-2], 401, "not valid"},
		{"expired", expired, 410, "expired"},
		{"revoked", revoked, 401, "not valid"},
		{"garbage", "x", 401, "not valid"},
	} {
		w := h.get("/t/" + c.tok)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.says) {
			t.Errorf("%s: %d, want %d saying %q:\n%s", c.name, w.Code, c.code, c.says, w.Body.String())
		}
		if strings.Contains(w.Body.String(), "1ZDELIVERED") || strings.Contains(w.Body.String(), "Chicago") {
			t.Errorf("%s: the refusal shows data", c.name)
		}
	}
	h.now = t0.Add(30*time.Hour + 90*24*time.Hour)
	if w := h.get("/t/" + h.token(t, "ups:1ZDELIVERED")); w.Code != 410 {
		t.Errorf("90 days after delivery: %d, want 410", w.Code)
	}
	if w := h.get("/t/" + h.token(t, "fedex:7777")); w.Code != 200 {
		t.Errorf("an open shipment's fresh link: %d", w.Code)
	}
	if w := h.get("/t/" + h.token(t, "dhl:none")); w.Code != 404 {
		t.Errorf("unknown shipment: %d", w.Code)
	}
}

func TestLogsHoldNoToken(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.token(t, "ups:1ZDELIVERED")
	h.get("/t/" + tok)
	h.get("/t/" + tok + "x")
	h.get("/v1/shipments/ups:1ZDELIVERED", "Authorization", "Bearer bot-secret")
	if h.logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, e := range h.logs.All() {
		b, _ := json.Marshal(e.ContextMap())
		for _, secret := range []string{tok[:20], "1ZDELIVERED", "bot-secret"} {
			if strings.Contains(e.Message+string(b), secret) {
				t.Errorf("log line holds %q: %s %s", secret, e.Message, b)
			}
		}
	}
}

func TestRateLimits(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RatePerToken, c.RatePerIP, c.Burst = 1, 1000, 3 })
	tok := h.token(t, "ups:1ZDELIVERED")
	codes := []int{}
	for range 5 {
		codes = append(codes, h.get("/t/"+tok).Code)
	}
	if codes[2] != 200 || codes[3] != 429 {
		t.Errorf("per token: %v, want 3 answers then 429", codes)
	}
	r := httptest.NewRequest("GET", "/t/"+h.token(t, "fedex:7777"), nil)
	r.RemoteAddr = "192.0.2.8:1234"
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("another token limited: %d", w.Code)
	}
	h = newHarness(t, func(c *Config) { c.RatePerIP, c.Burst = 1, 2 })
	codes = codes[:0]
	for range 3 {
		codes = append(codes, h.get("/t/x").Code)
	}
	if codes[2] != 429 {
		t.Errorf("per address: %v", codes)
	}
	r = httptest.NewRequest("GET", "/t/x", nil)
	r.RemoteAddr = "192.0.2.9:1234"
	w = httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("another address limited: %d", w.Code)
	}
	ls := newLimiters(60, 1, 3)
	for i := range 10 {
		ls.allow(string(rune('a'+i)), t0)
	}
	if len(ls.m) > 3 {
		t.Errorf("limiters grew to %d, bound 3", len(ls.m))
	}
}

func TestRequestLimits(t *testing.T) {
	h := newHarness(t, nil)
	r := httptest.NewRequest("POST", "/t/x", strings.NewReader("a=b"))
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	if w.Code != 405 || w.Header().Get("Allow") == "" {
		t.Errorf("POST: %d", w.Code)
	}
	if w := h.get("/t/" + strings.Repeat("A", 2000)); w.Code != http.StatusRequestURITooLong {
		t.Errorf("long path: %d", w.Code)
	}
}

func TestAPI(t *testing.T) {
	h := newHarness(t, nil)
	for _, auth := range []string{"", "Bearer wrong", "Bearer old-secret", "bot-secret"} {
		if w := h.get("/v1/shipments/fedex:7777", "Authorization", auth); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("auth %q: %d", auth, w.Code)
		}
	}
	w := h.get("/v1/shipments/fedex:7777", "Authorization", "Bearer bot-secret")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var s map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"carrier", "tracking_number", "milestone", "status", "next_step", "open_exception", "carrier_edd", "predicted_delivery", "last_location", "timeline", "notifications"} {
		if _, ok := s[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, w.Body)
		}
	}
	if s["tracking_number"] != "7777" || s["milestone"] != "exception" || s["open_exception"] == nil {
		t.Errorf("JSON: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "40201") || strings.Contains(w.Body.String(), "HUB") {
		t.Errorf("the API shows an address finer than the city: %s", w.Body)
	}
	// the latest command's prediction, in the API and the headline; none
	// once delivered, though its commands had one
	for id, want := range map[string]string{
		"dhl:JD100":       `"predicted_delivery":{"earliest":"2026-11-24","likely":"2026-11-25","latest":"2026-11-27","confidence":"medium"}`,
		"ups:1ZDELIVERED": `"predicted_delivery":null`,
	} {
		w := h.get("/v1/shipments/"+id, "Authorization", "Bearer bot-secret")
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s: want %s in %s", id, want, w.Body)
		}
	}
	if w := h.get("/v1/shipments/dhl:JD100", "Authorization", "Bearer bot-secret"); !strings.Contains(w.Body.String(), `"headline":"Your parcel is on its way, most likely arriving Wed 25 Nov"`) {
		t.Errorf("headline without the likely date: %s", w.Body)
	}
	if w := h.get("/v1/shipments/ups:nothing", "Authorization", "Bearer bot-secret"); w.Code != 404 {
		t.Errorf("unknown: %d", w.Code)
	}
	w = h.get("/v1/orders/1001", "Authorization", "Bearer bot-secret")
	if w.Code != 404 || !strings.Contains(w.Body.String(), "order context") {
		t.Errorf("orders: %d %s", w.Code, w.Body)
	}
}

func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "brand.html"), []byte(`{{define "brand"}}<img src="{{.Assets}}/logo.svg" alt="Acme Shop">{{end}}{{define "head"}}<link rel="stylesheet" href="{{.Assets}}/brand.css">{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "assets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "brand.css"), []byte("body{color:#123}"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.TemplatesDir = dir })
	body := h.get("/t/" + h.token(t, "fedex:7777")).Body.String()
	if !strings.Contains(body, `alt="Acme Shop"`) || !strings.Contains(body, "brand.css") {
		t.Errorf("brand not applied:\n%s", body)
	}
	if w := h.get("/assets/brand.css"); w.Code != 200 || w.Body.String() != "body{color:#123}" {
		t.Errorf("user asset: %d %q", w.Code, w.Body)
	}
	if w := h.get("/assets/style.css"); w.Code != 200 || !strings.Contains(w.Body.String(), "progress") {
		t.Errorf("embedded asset: %d", w.Code)
	}
	if w := h.get("/assets/../serve_test.go"); w.Code == 200 {
		t.Error("path traversal served a file")
	}
}

// Another language is one file: page texts and taxonomy messages, with
// English filling what it lacks.
func TestAcceptLanguage(t *testing.T) {
	en, _ := messagesFS.ReadFile("messages/en.yaml")
	fsys := fstest.MapFS{
		"m/en.yaml": {Data: en},
		"m/de.yaml": {Data: []byte("tag: de\npage:\n  headline_exception: \"Es gibt ein Problem mit Ihrem Paket\"\ntypes:\n  exception.address_incorrect: {message: \"Die Adresse ist falsch{in_place}.\", next_step: \"Korrigieren Sie die Adresse bei {carrier}.\"}\n")},
	}
	c, err := loadCatalog(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	m := c.For("de-CH,de;q=0.9,en;q=0.5")
	if m.Tag.String() != "de" {
		t.Fatalf("matched %s", m.Tag)
	}
	rec, _ := fixture().Shipment(t.Context(), "fedex:7777")
	s := m.Summarize(rec)
	if s.Headline != "Es gibt ein Problem mit Ihrem Paket" || s.NextStep != "Korrigieren Sie die Adresse bei FedEx." || s.Status != "Die Adresse ist falsch in Memphis, TN." {
		t.Errorf("de: %q / %q / %q", s.Headline, s.NextStep, s.Status)
	}
	if got := m.T("timeline"); got != "What happened" {
		t.Errorf("fallback to English: %q", got)
	}
	if c.For("ja").Tag.String() != "en" || c.For("").Tag.String() != "en" {
		t.Error("no match should give English")
	}
	bad := fstest.MapFS{"m/en.yaml": {Data: en}, "m/de.yaml": {Data: []byte("tag: de\ntypes:\n  no.such: {message: x}\n")}}
	if _, err := loadCatalog(bad, "m"); err == nil {
		t.Error("a type not in the taxonomy was accepted")
	}
	_ = io.Discard
}

type failing struct{}

func (failing) Shipment(context.Context, string) (*Record, error) {
	return nil, errors.New("clickhouse: acquire conn timeout")
}

// A lookup that fails (ClickHouse down or out of connections) is a 503
// with Retry-After, never data or the error's text.
func TestLookupFailure(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Lookup = failing{} })
	w := h.get("/t/" + h.token(t, "ups:1ZDELIVERED"))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "try again") || strings.Contains(w.Body.String(), "acquire") {
		t.Errorf("page: %d %s", w.Code, w.Body)
	}
	w = h.get("/v1/shipments/ups:1ZDELIVERED", "Authorization", "Bearer bot-secret")
	if w.Code != 503 || strings.Contains(w.Body.String(), "acquire") {
		t.Errorf("api: %d %s", w.Code, w.Body)
	}
}

// The embedded templates read the page's words as fields ({{.Text.key}}),
// which show "" for a key en.yaml lacks where T would show the key: every
// key they name must be there.
func TestTemplateTextKeys(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.For("en")
	n := 0
	for _, name := range []string{"layout.html", "tracking.html", "error.html"} {
		b, err := templatesFS.ReadFile("templates/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.Text\.(\w+)`).FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := en.Text[m[1]]; !ok {
				t.Errorf("%s: .Text.%s is not a page key of messages/en.yaml", name, m[1])
			}
		}
	}
	if n == 0 {
		t.Error("no .Text keys in the templates")
	}
}

// stuckLookup answers only when the request's context ends.
type stuckLookup struct{}

func (stuckLookup) Shipment(ctx context.Context, _ string) (*Record, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A lookup that does not answer within serve.request_timeout ends the
// request with a 503 to come back later, on the page and the API, and no
// data.
func TestRequestTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Lookup, c.RequestTimeout = stuckLookup{}, 20*time.Millisecond })
	for _, path := range []string{"/t/" + h.token(t, "ups:1ZDELIVERED"), "/v1/shipments/ups:1ZDELIVERED"} {
		w := h.get(path, "Authorization", "Bearer bot-secret")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "1ZDELIVERED") {
			t.Errorf("%s: %d %q, want 503 with Retry-After and no data", path, w.Code, w.Body)
		}
	}
}
