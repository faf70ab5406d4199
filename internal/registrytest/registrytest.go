// Package registrytest is a Confluent Schema Registry stub for tests: an
// httptest server with the two endpoints wismo and its tests call,
//
//   - POST /subjects/{subject}/versions {"schema": "..."} -> {"id": N}
//   - GET /schemas/ids/{id} -> {"schema": "..."}
//
// As in the real registry, ids are global: the same schema text gets the
// same id under every subject, another schema a new id. A schema that is
// not valid Avro is refused with 422, as the registry does.
package registrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// FirstID is the id of the first schema registered. It is above 255 so
// that a test sees all four bytes of the id in the wire format.
const FirstID = 1001

// Registry is a running stub.
type Registry struct {
	URL string

	mu       sync.Mutex
	next     int32
	byID     map[int32]string
	bySchema map[string]int32
	subjects map[string]int32 // subject -> id of its latest version
	user     string
	pass     string
}

// New starts a stub, stopped when the test ends.
func New(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{next: FirstID, byID: map[int32]string{}, bySchema: map[string]int32{}, subjects: map[string]int32{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// RequireAuth makes every request need HTTP basic auth with these
// credentials.
func (r *Registry) RequireAuth(user, pass string) {
	r.mu.Lock()
	r.user, r.pass = user, pass
	r.mu.Unlock()
}

// ID returns the id registered last under subject.
func (r *Registry) ID(subject string) (int32, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.subjects[subject]
	return id, ok
}

// Subjects lists the subjects registered, sorted.
func (r *Registry) Subjects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.subjects))
	for s := range r.subjects {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.user != "" {
		if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.pass {
			fail(w, http.StatusUnauthorized, 40101, "Unauthorized")
			return
		}
	}
	path := req.URL.EscapedPath()
	switch {
	case req.Method == http.MethodPost && strings.HasPrefix(path, "/subjects/") && strings.HasSuffix(path, "/versions"):
		subject := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/subjects/"), "/versions")
		var body struct {
			Schema string `json:"schema"`
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			fail(w, http.StatusBadRequest, 400, "body: "+err.Error())
			return
		}
		if _, err := goavro.NewCodec(body.Schema); err != nil {
			fail(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: "+err.Error())
			return
		}
		id, ok := r.bySchema[body.Schema]
		if !ok {
			id = r.next
			r.next++
			r.bySchema[body.Schema] = id
			r.byID[id] = body.Schema
		}
		r.subjects[subject] = id
		reply(w, map[string]any{"id": id})
	case req.Method == http.MethodGet && strings.HasPrefix(path, "/schemas/ids/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(path, "/schemas/ids/"), 10, 32)
		s, ok := r.byID[int32(id)]
		if err != nil || !ok {
			fail(w, http.StatusNotFound, 40403, "Schema not found")
			return
		}
		reply(w, map[string]any{"schema": s})
	default:
		fail(w, http.StatusNotFound, 404, fmt.Sprintf("the stub has no %s %s", req.Method, path))
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": code, "message": msg})
}

// Codec fetches schema id the way a consumer does (GET /schemas/ids/{id})
// and compiles it.
func (r *Registry) Codec(t testing.TB, id int32) *goavro.Codec {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.URL+"/schemas/ids/"+strconv.Itoa(int(id)), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	r.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("schema registry stub: schema id %d: %s %v", id, resp.Status, err)
	}
	c, err := goavro.NewCodec(body.Schema)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
