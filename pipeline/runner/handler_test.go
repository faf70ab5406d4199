package runner

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The profiles are served only when asked for, and then on a listener of
// their own, never the /metrics one (they once shared it, cmdline and heap
// included); a profile longer than a minute is refused.
func TestPProfOwnListener(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := &config.Config{HTTP: config.HTTP{Addr: "127.0.0.1:0", PProf: on, PProfAddr: "127.0.0.1:0"}}
		r := &Runner{cfg: cfg, metrics: pipeline.NewMetrics(), log: zap.NewNop()}
		addr, err := r.Serve()
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := HTTPGet(t, "http://"+addr+"/debug/pprof/heap?debug=1"); code != http.StatusNotFound {
			t.Errorf("pprof %v: /debug/pprof/heap on the metrics listener: status %d, want 404", on, code)
		}
		if on {
			code, body := HTTPGet(t, "http://"+r.pprofAddr+"/debug/pprof/heap?debug=1")
			if code != http.StatusOK || !strings.Contains(body, "heap profile") {
				t.Errorf("pprof listener: %d %.80s", code, body)
			}
			if code, body := HTTPGet(t, "http://"+r.pprofAddr+"/debug/pprof/profile?seconds=3600"); code != http.StatusBadRequest {
				t.Errorf("an hour's CPU profile: %d %.80s, want 400", code, body)
			}
		} else if r.pprof != nil {
			t.Error("pprof off, yet a pprof listener")
		}
		for _, s := range []*http.Server{r.srv, r.pprof} {
			if s != nil {
				s.Close()
			}
		}
	}
}

// HTTPGet returns a GET's status and body (exported for the package's
// external tests too).
func HTTPGet(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
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
