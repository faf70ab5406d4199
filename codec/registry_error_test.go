package codec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A registry that answers with a big error page gives a short error that
// names the setting, not a 14 KB line.
func TestRegistryErrorIsShort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, strings.Repeat("<html>proxy error</html>", 600), http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := (&Registry{URL: srv.URL}).Register(t.Context(), "s", "{}")
	if err == nil || len(err.Error()) > 500 || !strings.Contains(err.Error(), "schema_registry.url") || !strings.Contains(err.Error(), "502") {
		t.Errorf("err (%d bytes) = %.200v", len(err.Error()), err)
	}
}
