package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
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
	var ctx fasthttp.RequestCtx
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod(fasthttp.MethodPost)
		ctx.Request.SetRequestURI(PathPrefix + "easypost")
		ctx.Request.Header.Set(name, value)
		ctx.Request.SetBodyRaw(body)
		g.handle(&ctx)
		if code := ctx.Response.StatusCode(); code != fasthttp.StatusOK {
			b.Fatalf("status %d: %s", code, ctx.Response.Body())
		}
	}
}
