package ingest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkServeWebhook is the gateway's own work on one 2 KB EasyPost
// webhook (signature, JSON check, key, record), the broker's ack
// immediate and the network left out: wismo-bench -mode ingest measures
// the whole.
func BenchmarkServeWebhook(b *testing.B) {
	g := newTestGateway(&testing.T{}, &fakeProducer{ack: func(*kgo.Record) (error, bool) { return nil, true }, discard: true})
	g.cfg.MaxBody = 1 << 20
	g.cfg.AckTimeout = time.Minute
	head := `{"object":"Event","description":"tracker.updated","result":{"object":"Tracker","tracking_code":"EZBENCH00000001","status":"in_transit","pad":"`
	body := []byte(head + strings.Repeat("x", 2048-len(head)-3) + `"}}`)
	name, value := Sign(EasyPost, "ep-secret", body)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, PathPrefix+"easypost", rd)
	req.Header.Set(name, value)
	w := &discardWriter{h: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = readCloser{rd}
		clear(w.h)
		w.code = 0
		g.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d: %v", w.code, w.h)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }
