package runner_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/runner"
	"github.com/wismo/wismo/sinks/chsink"
	"go.uber.org/zap"
)

// The serve stage refuses a database the sink has not migrated, naming
// what to run, and once migrated serves the page on serve.addr.
func TestServeStage(t *testing.T) {
	srv := chtest.New(t)
	cfg := &config.Config{
		ClickHouse: config.ClickHouse{Addr: srv.Addr, Database: srv.Database, ConnectTimeout: 5 * time.Second},
		Links:      config.Links{Keys: "k1:" + strings.Repeat("A", 43), SignKey: "k1", AfterEnd: links.DefaultAfterEnd, OpenTTL: links.DefaultOpen},
		Serve:      config.Serve{Addr: "127.0.0.1:0", RatePerIP: 600, RatePerToken: 60, Burst: 20, RequestTimeout: 5 * time.Second},
	}
	b, err := runner.NewBuilder(t.Context(), cfg, zap.NewNop(), pipeline.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Serve(t.Context()); err == nil || !strings.Contains(err.Error(), "wismo migrate") {
		t.Fatalf("an unmigrated database: %v", err)
	}
	if _, err := chsink.Migrate(t.Context(), srv.Conn, chsink.Options{Database: srv.Database}); err != nil {
		t.Fatal(err)
	}
	st, err := b.Serve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !st.Ready() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !st.Ready() {
		t.Fatal("the serve stage did not listen")
	}
	ring, _ := cfg.Links.Keyring()
	tok, _ := ring.Sign("ups:1ZNOTHERE", time.Now().Add(time.Hour))
	bad := tok[:len(tok)-1] + map[bool]string{true: "y", false: "x"}[strings.HasSuffix(tok, "x")]
	for path, want := range map[string]int{"/healthz": 200, "/t/" + tok: 404, "/t/" + bad: 401, "/v1/shipments/ups:1Z": 401} {
		resp, err := http.Get("http://" + st.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
