package serve

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is the browser the test drives: Debian's package
// (scripts/services.sh up chromium installs it), or WISMO_CHROMIUM.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("WISMO_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is missing at %s (CI=true: run scripts/services.sh up chromium, or set WISMO_CHROMIUM)", path)
		}
		t.Skipf("Chromium is missing at %s; scripts/services.sh up chromium installs it", path)
	}
	return path
}

// A real browser loads the page of a delivered shipment, one in transit with
// an open exception and a stalled one, at phone and desktop widths: the
// headline, the next step (before the timeline) and the timeline's order are
// read from the DOM it built, and a screenshot of each is saved in the
// test's artifact directory (go test -artifacts keeps them).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	h := newHarness(t, nil)
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()

	actx, cancel := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	out := t.ArtifactDir()
	for _, c := range []struct {
		name, ship, headline, next, window string
	}{
		{"delivered", "ups:1ZDELIVERED", "Your parcel was delivered", "", ""},
		{"exception", "fedex:7777", "There is a problem with your parcel", "Correct the address with FedEx", ""},
		{"stalled", "usps:9400", "Your parcel has not moved for a while", "keeping an eye on it", ""},
		{"predicted", "dhl:JD100", "Your parcel is on its way, most likely arriving Wed 25 Nov", "", "between Tue 24 Nov and Fri 27 Nov, most likely Wed 25 Nov"},
	} {
		url := ts.URL + "/t/" + h.token(t, c.ship)
		for _, vp := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(url),
				chromedp.WaitVisible(`[data-testid="headline"]`)); err != nil {
				t.Fatalf("%s %s: %v", c.name, vp.name, err)
			}
			headline, err := chromedp.Run(ctx, chromedp.Text(`[data-testid="headline"]`))
			if err != nil || strings.TrimSpace(headline) != c.headline {
				t.Errorf("%s %s: headline %q (%v), want %q", c.name, vp.name, headline, err, c.headline)
			}
			// the DOM's order: next step (when open) before the timeline
			got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
				Next     string   `json:"next"`
				NextTop  float64  `json:"nextTop"`
				TimeTop  float64  `json:"timeTop"`
				Times    []string `json:"times"`
				Overflow bool     `json:"overflow"`
				Window   string   `json:"window"`
			}](`(() => {
				const n = document.querySelector('[data-testid="next-step"]');
				const tl = document.querySelector('[data-testid="timeline"]');
				return {
					next: n ? n.innerText : "",
					nextTop: n ? n.getBoundingClientRect().top : -1,
					timeTop: tl ? tl.getBoundingClientRect().top : -1,
					times: Array.from(document.querySelectorAll('[data-testid="timeline"] li')).map(li => li.dataset.occurredAt),
					overflow: document.documentElement.scrollWidth > window.innerWidth,
					window: (document.querySelector('[data-testid="predicted"] p') || {}).innerText || "",
				};
			})()`))
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, vp.name, err)
			}
			if c.next == "" && got.Next != "" {
				t.Errorf("%s %s: a next step on a delivered parcel: %q", c.name, vp.name, got.Next)
			}
			if c.next != "" && (!strings.Contains(got.Next, c.next) || got.NextTop < 0 || got.NextTop > got.TimeTop) {
				t.Errorf("%s %s: next step %q at %v, timeline at %v; want %q above the timeline", c.name, vp.name, got.Next, got.NextTop, got.TimeTop, c.next)
			}
			if len(got.Times) < 2 || !slices.IsSortedFunc(got.Times, func(a, b string) int { return strings.Compare(b, a) }) {
				t.Errorf("%s %s: timeline not newest first: %v", c.name, vp.name, got.Times)
			}
			if got.Window != c.window {
				t.Errorf("%s %s: predicted window %q, want %q", c.name, vp.name, got.Window, c.window)
			}
			if got.Overflow {
				t.Errorf("%s %s: the page is wider than the screen", c.name, vp.name)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s %s: screenshot: %v", c.name, vp.name, err)
			}
			if err := os.WriteFile(filepath.Join(out, c.name+"-"+vp.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// a tampered link shows the refusal, not the shipment
	bad := h.token(t, "fedex:7777")
	bad = bad[:10] + string(rune('A'+('B'-bad[10])%2)) + bad[11:]
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/t/"+bad), chromedp.WaitVisible(`[data-testid="headline"]`)); err != nil {
		t.Fatal(err)
	}
	if s, _ := chromedp.Run(ctx, chromedp.Text(`[data-testid="headline"]`)); !strings.Contains(s, "not valid") {
		t.Errorf("tampered link: headline %q", s)
	}
	t.Logf("screenshots in %s", out)
}
