package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/serve/chlookup"
	"github.com/wismo/wismo/sinks/chsink"
)

// `wismo demo --serve` prints three full links of its shipments and serves
// them from memory; a link with one character changed is refused. The
// commands of the run carry links to the same page.
func TestDemoServe(t *testing.T) {
	var out bytes.Buffer
	ds := &demoServe{serve: true}
	if err := runDemo(t.Context(), &out, "../../testdata/carriers", demoOutput{dir: t.TempDir(), generated: 400}, ds); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	urls := regexp.MustCompile(`(?m)^  (delivered|exception|stalled) +\S+ +(http://127\.0\.0\.1:\d+/t/[A-Za-z0-9_-]+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(urls) != 3 {
		t.Fatalf("want three links, got %d:\n%s", len(urls), out.String())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ds.run(ctx, io.Discard) }()
	defer func() { cancel(); <-done }()
	cl := &http.Client{Timeout: 10 * time.Second}
	get := func(u string) (int, string) {
		resp, err := cl.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, m := range urls {
		code, body := get(m[2])
		if code != 200 || !strings.Contains(body, `data-testid="headline"`) {
			t.Errorf("%s %s: %d\n%s", m[1], m[2], code, body)
		}
		b := []byte(m[2])
		i := len(b) - 5
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if code, body := get(string(b)); code != 401 || strings.Contains(body, "timeline") {
			t.Errorf("%s with a character changed: %d", m[1], code)
		}
	}
	// the commands' tracking_url are links to the same server
	var withURL int
	for _, c := range ds.cmds {
		if strings.HasPrefix(c.TrackingURL, ds.links().BaseURL+"/t/") {
			withURL++
		}
	}
	if withURL == 0 || withURL != len(ds.cmds) {
		t.Errorf("%d of %d commands carry a tracking_url", withURL, len(ds.cmds))
	}
}

// The ClickHouse lookup, over the sink's tables loaded with the demo's data
// (wismo demo --clickhouse), shows every shipment as the in-memory lookup
// does, and the API and the page answer from it.
func TestClickHouseLookupDemoData(t *testing.T) {
	srv := chtest.New(t)
	var out bytes.Buffer
	ds := &demoServe{port: 8080}
	if err := runDemo(t.Context(), &out, "../../testdata/carriers", demoOutput{clickhouse: srv.Addr, database: srv.Database, generated: 400}, ds); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	conn, err := chsink.OpenDatabase(chsink.Options{Addrs: []string{srv.Addr}, Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lk := chlookup.New(conn, chlookup.Options{})
	defer lk.Close()
	cat, err := serve.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.For("en")
	ids := ds.mem.IDs()
	if len(ids) < 100 {
		t.Fatalf("only %d demo shipments", len(ids))
	}
	for _, id := range ids {
		want, _ := ds.mem.Shipment(t.Context(), id)
		got, err := lk.Shipment(t.Context(), id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		a, _ := json.Marshal(en.Summarize(want))
		b, _ := json.Marshal(en.Summarize(got))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: ClickHouse and memory differ:\nmemory     %s\nclickhouse %s", id, a, b)
		}
	}
	if _, err := lk.Shipment(t.Context(), "ups:NOSUCHPARCEL"); !errors.Is(err, serve.ErrNotFound) {
		t.Errorf("unknown shipment: %v", err)
	}
	if _, err := lk.Shipment(t.Context(), "ups' OR 1=1 --:x"); !errors.Is(err, serve.ErrNotFound) {
		t.Errorf("a malformed id: %v", err)
	}
	// the API and the page over ClickHouse
	ring, _ := ds.links().Keyring()
	keys, _ := serve.ParseAPIKeys([]string{"bot:" + serve.HashKey("k")}, nil)
	s, err := serve.New(serve.Config{Lookup: lk, Ring: ring, Policy: ds.links().Policy(), APIKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, p := range ds.picked {
		r := httptest.NewRequest("GET", "/v1/shipments/"+p.shipment, nil)
		r.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || got["shipment_id"] != p.shipment {
			t.Errorf("API %s: %d %s", p.shipment, w.Code, w.Body)
		}
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", strings.TrimPrefix(p.url, ds.links().BaseURL), nil))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `data-testid="timeline"`) {
			t.Errorf("page %s (%s): %d", p.shipment, p.kind, w.Code)
		}
	}
}
