package runner

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
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

// franz-go's lines reach zap: warnings always, its info lines (rebalances,
// transaction decisions) at debug.
func TestKafkaLogger(t *testing.T) {
	for _, c := range []struct {
		level zapcore.Level
		want  kgo.LogLevel
	}{{zapcore.InfoLevel, kgo.LogLevelWarn}, {zapcore.DebugLevel, kgo.LogLevelInfo}} {
		core, logs := observer.New(c.level)
		l := kafkaLogger{zap.New(core)}
		if got := l.Level(); got != c.want {
			t.Errorf("zap %v: franz-go level %v, want %v", c.level, got, c.want)
		}
		l.Log(kgo.LogLevelWarn, "unable to commit", "group", "wismo-detect", "err", "boom")
		e := logs.All()
		if len(e) != 1 || e[0].Message != "unable to commit" || e[0].Level != zapcore.WarnLevel ||
			e[0].ContextMap()["group"] != "wismo-detect" {
			t.Errorf("zap %v: logged %+v", c.level, e)
		}
	}
}
