package config

import (
	"strings"
	"testing"
	"time"
)

const testLinkSecret = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=" // 32 times 'a'

// The link keys are a secret: from a file or the environment, never a
// flag, masked by --print-config; the signing key must be one of them.
func TestLinks(t *testing.T) {
	keys := writeFile(t, "keys", "k1:"+testLinkSecret+"\nk2:"+testLinkSecret+"\n")
	c, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_LINKS_BASE_URL=https://shop.example/track",
		"WISMO_LINKS_KEYS_FILE=" + keys, "WISMO_LINKS_SIGN_KEY=k2", "WISMO_LINKS_REVOKED_KEYS=k0"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Links.AfterEnd != 90*24*time.Hour || c.Links.SignKey != "k2" || len(c.Links.RevokedKeys) != 1 {
		t.Errorf("links: %+v", c.Links)
	}
	m, err := c.Links.Maker()
	if err != nil || m == nil {
		t.Fatalf("maker: %v", err)
	}
	out, _ := c.Print()
	if strings.Contains(string(out), testLinkSecret) {
		t.Errorf("--print-config shows the link keys:\n%s", out)
	}
	if fs := flags(t); fs.Lookup("links-keys") != nil || fs.Lookup("keys") != nil {
		t.Error("a flag carries the link keys")
	}
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_LINKS_BASE_URL=https://shop.example/track"})
	wantErr(t, err, "links.keys: no keys", "WISMO_LINKS_KEYS_FILE")
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_LINKS_BASE_URL=https://shop.example/track",
		"WISMO_LINKS_KEYS=k1:" + testLinkSecret, "WISMO_LINKS_SIGN_KEY=k9"})
	wantErr(t, err, "links.sign_key", "k9")
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_LINKS_BASE_URL=shop.example",
		"WISMO_LINKS_KEYS=k1:" + testLinkSecret, "WISMO_LINKS_SIGN_KEY=k1"})
	wantErr(t, err, "links.base_url")
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_LINKS_BASE_URL=https://shop.example",
		"WISMO_LINKS_KEYS=k1:c2hvcnQ=", "WISMO_LINKS_SIGN_KEY=k1"})
	wantErr(t, err, "links.keys", "at least 32 bytes")
	if err != nil && strings.Contains(err.Error(), "c2hvcnQ") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

func TestServeSettings(t *testing.T) {
	env := []string{"WISMO_STAGES=serve", "WISMO_LINKS_KEYS=k1:" + testLinkSecret,
		"WISMO_SERVE_API_KEYS=bot:" + strings.Repeat("ab", 32), "WISMO_SERVE_ADDR=127.0.0.1:0"}
	c, err := Load(flags(t), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.RatePerIP != 120 || c.Serve.RequestTimeout != 10*time.Second || len(c.Serve.APIKeys) != 1 {
		t.Errorf("serve: %+v", c.Serve)
	}
	_, err = Load(flags(t), []string{"WISMO_STAGES=serve", "WISMO_LINKS_KEYS=k1:" + testLinkSecret, "WISMO_SERVE_API_KEYS=bot:plainkey"})
	wantErr(t, err, "serve.api_keys[0]", "not the key itself")
	_, err = Load(flags(t), []string{"WISMO_STAGES=serve"})
	wantErr(t, err, "links.keys: no keys")
}
