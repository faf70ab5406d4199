package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `wismo demo --serve` prints three full links of its shipments and serves
// them from memory; a link with one character changed is refused. The
// commands of the run carry links to the same page.
func TestDemoServe(t *testing.T) {
	var out bytes.Buffer
	ds := &demoServe{serve: true}
	if err := runDemo(t.Context(), &out, "../../testdata/carriers", demoOutput{dir: t.TempDir(), generated: 400}, ds); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	urls := regexp.MustCompile(`(?m)^  (delivered|exception|stalled) +\S+ +(http://127\.0\.0\.1:\d+/t/[A-Za-z0-9_-]+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(urls) != 3 {
		t.Fatalf("want three links, got %d:\n%s", len(urls), out.String())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ds.run(ctx, io.Discard) }()
	defer func() { cancel(); <-done }()
	cl := &http.Client{Timeout: 10 * time.Second}
	get := func(u string) (int, string) {
		resp, err := cl.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, m := range urls {
		code, body := get(m[2])
		if code != 200 || !strings.Contains(body, `data-testid="headline"`) {
			t.Errorf("%s %s: %d\n%s", m[1], m[2], code, body)
		}
		b := []byte(m[2])
		i := len(b) - 5
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if code, body := get(string(b)); code != 401 || strings.Contains(body, "timeline") {
			t.Errorf("%s with a character changed: %d", m[1], code)
		}
	}
	// the commands' tracking_url are links to the same server
	var withURL int
	for _, c := range ds.cmds {
		if strings.HasPrefix(c.TrackingURL, ds.links().BaseURL+"/t/") {
			withURL++
		}
	}
	if withURL == 0 || withURL != len(ds.cmds) {
		t.Errorf("%d of %d commands carry a tracking_url", withURL, len(ds.cmds))
	}
}
