package config

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wismo/wismo/internal/testpki"
)

func inDir(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIngestRoutesFromFile(t *testing.T) {
	dir := t.TempDir()
	ep := inDir(t, dir, "easypost.key", "ep-new\n")
	epOld := inDir(t, dir, "easypost.old", "ep-old\n")
	file := inDir(t, dir, "wismo.yaml", `
stages: [ingest]
ingest:
  routes:
    - {source: easypost, topic: raw.easypost, secret_file: `+ep+`, previous_secret_file: `+epOld+`}
    - {source: shippo, topic: raw.shippo, secret: shippo-token-0123456789}
    - {source: ups, topic: raw.ups, auth: token, secret: ups-token-0123456789}
`)
	c, err := Load(flags(t, "--config", file), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Ingest.Routes
	if len(r) != 3 || r[0].Scheme() != "easypost" || r[1].Scheme() != "token" || r[2].Topic != "raw.ups" {
		t.Fatalf("routes %+v", r)
	}
	if k := r[0].Keys(); len(k) != 2 || k[0] != "ep-new" || k[1] != "ep-old" {
		t.Errorf("easypost keys %q, want the file's current and previous", k)
	}
	out, err := c.Print()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ep-new", "ep-old", "shippo-token", "ups-token"} {
		if strings.Contains(string(out), s) {
			t.Errorf("printed config shows the secret %s:\n%s", s, out)
		}
	}
	if c.Ingest.Routes[1].Secret != "shippo-token-0123456789" {
		t.Error("Print masked the loaded configuration's own secret")
	}
}

func TestIngestRoutesFromFlagsWithSecretsDir(t *testing.T) {
	dir := t.TempDir()
	inDir(t, dir, "aftership", "as-new\n")
	inDir(t, dir, "aftership.previous", "as-old\n")
	inDir(t, dir, "ups", "ups-token-0123456789\n")
	env := []string{"WISMO_INGEST_SECRETS_DIR=" + dir, "WISMO_INGEST_ADDR=127.0.0.1:8081"}
	c, err := Load(flags(t, "--stages", "ingest", "--route", "aftership=raw.aftership", "--route", "ups=raw.ups:token"), env)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Ingest.Routes
	if len(r) != 2 || strings.Join(r[0].Keys(), ",") != "as-new,as-old" || strings.Join(r[1].Keys(), ",") != "ups-token-0123456789" {
		t.Fatalf("routes %+v", r)
	}
	c, err = Load(flags(t, "--stages", "ingest"), append(env, "WISMO_INGEST_ROUTES=ups=raw.ups:token"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Ingest.Routes) != 1 || c.Ingest.Routes[0].Secret != "ups-token-0123456789" {
		t.Fatalf("routes from the environment: %+v", c.Ingest.Routes)
	}
}

func TestIngestSettingsChecked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		yaml, want string
	}{
		{`ingest: {routes: []}`, "ingest.routes: the ingest stage needs at least one route"},
		{`ingest: {routes: [{source: easypost, topic: raw.easypost}]}`, "no secret"},
		{`ingest: {routes: [{source: shippo, topic: raw.shippo, secret: short}]}`, "at least 16 characters"},
		{`ingest: {routes: [{source: shippo, topic: raw.shippo, secret: "0123456789abcdef/x"}]}`, "hold no '/'"},
		{`ingest: {routes: [{source: EasyPost, topic: raw.easypost, secret: s}]}`, `source "EasyPost"`},
		{`ingest: {routes: [{source: easypost, topic: "raw easypost", secret: s}]}`, "topic"},
		{`ingest: {routes: [{source: easypost, topic: raw.e, auth: hmac, secret: s}]}`, `auth "hmac"`},
		{`ingest: {routes: [{source: easypost, topic: raw.e, secret: s}, {source: easypost, topic: raw.f, secret: s}]}`, "routed twice"},
		{`ingest: {routes: [{source: easypost, topic: raw.e, secret: s, secrett: x}]}`, `unknown setting "ingest.routes[0].secrett"`},
		{`ingest: {max_body_bytes: 5000000, routes: [{source: easypost, topic: raw.e, secret: s}]}`, "ingest.max_body_bytes"},
		{`ingest: {ack_timeout: 10ms, routes: [{source: easypost, topic: raw.e, secret: s}]}`, "ingest.ack_timeout"},
		{`ingest: {tls: {cert_file: c.pem}, routes: [{source: easypost, topic: raw.e, secret: s}]}`, "ingest.tls"},
		{`ingest: {addr: ":9464", routes: [{source: easypost, topic: raw.e, secret: s}]}`, "is http.addr too"},
		{`ingest: {routes: [{source: easypost, topic: raw.e, secret: s, secret_file: f}]}`, "both set"},
	} {
		file := inDir(t, dir, "w.yaml", "stages: [ingest]\n"+tc.yaml+"\n")
		_, err := Load(flags(t, "--config", file), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.yaml, err, tc.want)
		}
	}
	// Without the ingest stage, its routes are not required.
	if _, err := Load(flags(t, "--stages", "detect"), nil); err != nil {
		t.Errorf("detect alone: %v", err)
	}
}

func TestIngestTLSFiles(t *testing.T) {
	cert, key := testpki.ServerFiles(t)
	tc, err := IngestTLS{CertFile: cert, KeyFile: key}.Config()
	if err != nil || tc == nil || len(tc.Certificates) != 1 || tc.MinVersion < tls.VersionTLS12 {
		t.Fatalf("Config = %v, %v", tc, err)
	}
	if tc, err := (IngestTLS{}).Config(); tc != nil || err != nil {
		t.Errorf("without files: %v, %v; want plain HTTP", tc, err)
	}
	if _, err := (IngestTLS{CertFile: cert, KeyFile: cert}).Config(); err == nil || !strings.Contains(err.Error(), "ingest.tls.cert_file and key_file") {
		t.Errorf("a certificate as its own key: %v", err)
	}
}
