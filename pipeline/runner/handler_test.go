package runner

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline"
)

// The profiling endpoints are there only when asked for.
func TestPProfOnlyWhenEnabled(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := &config.Config{HTTP: config.HTTP{PProf: on}}
		r := &Runner{cfg: cfg, metrics: pipeline.NewMetrics()}
		srv := httptest.NewServer(r.Handler())
		resp, err := http.Get(srv.URL + "/debug/pprof/heap?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			t.Errorf("pprof %v: status %d, want %d", on, resp.StatusCode, want)
		}
		if on && !strings.Contains(string(body), "heap profile") {
			t.Errorf("pprof on: not a heap profile: %.80s", body)
		}
	}
}
