package ingest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzServeWebhook: whatever the body and signature, the gateway answers
// without panicking, writes a record exactly when it answers 200, and
// answers 200 only to a body that is JSON and signed with the key.
func FuzzServeWebhook(f *testing.F) {
	for _, seed := range []string{
		`{"object":"Event","result":{"tracking_code":"EZ4000000004"}}`, `{"tracking_code":"EZ1"}`, `[]`, `{"result":{"tracking_code":12}}`,
		`{"result":{"tracking_code":"` + string(bytes.Repeat([]byte("9"), 70)) + `"}}`, `{`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		p := &fakeProducer{ack: acked}
		g := newTestGateway(t, p)
		req := httptest.NewRequest(http.MethodPost, PathPrefix+"easypost", bytes.NewReader(body))
		name, value := Sign(EasyPost, "ep-secret", body)
		if !signed {
			value = "hmac-sha256-hex=" + string(body)
		}
		req.Header.Set(name, value)
		w := do(g, req)
		written := len(p.records())
		if (w.Code == http.StatusOK) != (written == 1) {
			t.Fatalf("status %d with %d records", w.Code, written)
		}
		if w.Code != http.StatusOK {
			return
		}
		if _, want := Sign(EasyPost, "ep-secret", body); value != want {
			t.Fatal("a body without its signature was accepted")
		}
		if len(body) > g.cfg.MaxBody || fastjson.ValidateBytes(body) != nil {
			t.Fatalf("accepted %d bytes that are not JSON within the limit", len(body))
		}
		if !bytes.Equal(p.records()[0].Value, body) {
			t.Fatal("the record is not the body")
		}
	})
}
