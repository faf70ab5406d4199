package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/ingest"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/internal/wismoproc"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

// e2eRoute is one source of the end-to-end test: its route, its keys (the
// first current, a second the one being retired), and the i-th webhook it
// sends. carrier, when set, binds the raw topic to the normalize stage and
// shipment names the event each webhook must end as.
type e2eRoute struct {
	source, topic, auth string
	keys                []string
	body                func(i int) []byte
	carrier             string
	shipment            func(i int) string
	count               int
}

func e2eRoutes(t *testing.T) []e2eRoute {
	ups, err := os.ReadFile("../../testdata/carriers/ups/track-v1-ground-delivered-photo.json")
	if err != nil {
		t.Fatal(err)
	}
	upsNumber := func(i int) string { return fmt.Sprintf("1ZE2E%013d", i) }
	return []e2eRoute{
		// A carrier's own push (UPS signs nothing): a path token, and
		// its normalizer on this branch, so the events are checked too.
		{source: "ups", topic: "raw.ups", auth: "token", keys: []string{"ups-token-current-0123", "ups-token-previous-0123"},
			body:    func(i int) []byte { return bytes.ReplaceAll(ups, []byte("1Z81WV380316886897"), []byte(upsNumber(i))) },
			carrier: "ups", shipment: func(i int) string { return "ups:" + upsNumber(i) }, count: 150},
		// Signing aggregators, each bound to its feed's normalizer: the
		// events name the parcel's carrier (ups, fedex), not the feed.
		{source: "aftership", topic: "raw.aftership", keys: []string{"as-current", "as-previous"},
			body: func(i int) []byte {
				return []byte(fmt.Sprintf(`{"event":"tracking_update","msg":{"tracking_number":"1ZE2EAS%011d","slug":"ups","tag":"InTransit",`+
					`"checkpoints":[{"slug":"ups","checkpoint_time":"2026-11-20T10:04:05+00:00","tag":"InTransit","subtag":"InTransit_001","message":"Departed facility","city":"Louisville","country_iso3":"USA"}]}}`, i))
			}, carrier: "aftership", shipment: func(i int) string { return fmt.Sprintf("ups:1ZE2EAS%011d", i) }, count: 60},
		{source: "easypost", topic: "raw.easypost", keys: []string{"ep-current", "ep-previous"},
			body: func(i int) []byte {
				return []byte(fmt.Sprintf(`{"object":"Event","description":"tracker.updated","result":{"object":"Tracker","tracking_code":"EPE2E%09d","carrier":"FedEx","status":"in_transit",`+
					`"tracking_details":[{"object":"TrackingDetail","message":"Arrived at FedEx location","status":"in_transit","datetime":"2026-11-20T15:04:05Z","tracking_location":{"city":"MEMPHIS","state":"TN","country":"US"}}]}}`, i))
			}, carrier: "easypost", shipment: func(i int) string { return fmt.Sprintf("fedex:EPE2E%09d", i) }, count: 60},
	}
}

// webhook is one request of the run and how it ended.
type webhook struct {
	route  *e2eRoute
	i      int
	path   string
	header http.Header
	body   []byte
	status int // the last answer; 0: none
	tries  int // 503s and failed connections before it
	want4  int // the 4xx it must get, or 0 for a genuine webhook
}

// TestEndToEndThroughARestartedBroker posts signed webhooks concurrently,
// with forged, oversized and malformed ones among them, and restarts the
// broker during the run. Every webhook answered 2xx is then in its raw
// topic, no 4xx one is, and the events of the bound carriers are in the
// events topic.
func TestEndToEndThroughARestartedBroker(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("starts and restarts a broker of its own")
	}
	began := time.Now()
	b := kafkatest.StartBroker(t)
	phase := func(what string) { t.Logf("%s at %s", what, time.Since(began).Round(100*time.Millisecond)) }
	phase("broker up")
	routes := e2eRoutes(t)
	dir := t.TempDir()
	args := []string{"--stages", "ingest,normalize", "--brokers", b.Addr, "--instance-id", "e2e", "--encoding", "json", "--http-addr", "off"}
	for _, r := range routes {
		spec := r.source + "=" + r.topic
		if r.auth != "" {
			spec += ":" + r.auth
		}
		args = append(args, "--route", spec)
		if r.carrier != "" {
			args = append(args, "--raw", r.topic+"="+r.carrier+":json")
		}
		if err := os.WriteFile(filepath.Join(dir, r.source), []byte(r.keys[0]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, r.source+".previous"), []byte(r.keys[1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr, err := wismoproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	const maxBody = 64 << 10
	env := []string{"WISMO_INGEST_SECRETS_DIR=" + dir, "WISMO_INGEST_ADDR=" + addr, fmt.Sprintf("WISMO_INGEST_MAX_BODY_BYTES=%d", maxBody),
		"WISMO_INGEST_ACK_TIMEOUT=2s", "WISMO_TOPICS_PARTITIONS=3", "WISMO_TOPICS_REPLICATION_FACTOR=1", "WISMO_LOG_LEVEL=warn"}
	cfg := runConfig(t, args, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := runner.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	base := "http://" + addr
	kafkatest.WaitFor(t, "the gateway's /readyz", time.Minute, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	phase("gateway ready")
	hooks := buildWebhooks(routes, maxBody)
	// Three phases, so that the restart is mid-run whatever the speed:
	// the first third before the broker stops, the second while it is
	// down, the last once it is back.
	work := make(chan *webhook)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range work {
				send(client, base, h)
			}
		}()
	}
	third := len(hooks) / 3
	feed := func(hs []*webhook) {
		for _, h := range hs {
			work <- h
		}
	}
	feed(hooks[:third])
	phase("first third answered; broker stopped")
	b.Stop()
	down := make(chan struct{})
	go func() { feed(hooks[third : 2*third]); close(down) }()
	time.Sleep(2 * time.Second)
	b.Start()
	phase("broker restarted")
	<-down
	feed(hooks[2*third:])
	close(work)
	wg.Wait()
	phase("every webhook answered")

	// The answers: genuine webhooks end 2xx (their senders retry 503s),
	// the others with the 4xx they deserve.
	for _, h := range hooks {
		switch {
		case h.want4 != 0 && h.status != h.want4:
			t.Errorf("%s webhook %d (want %d): answered %d", h.route.source, h.i, h.want4, h.status)
		case h.want4 == 0 && (h.status < 200 || h.status > 299):
			t.Errorf("%s webhook %d: answered %d after its retries", h.route.source, h.i, h.status)
		}
	}
	retried := 0
	for _, h := range hooks {
		retried += h.tries - 1
	}
	t.Logf("%d webhooks, %d retries of a 503 or failed connection", len(hooks), retried)
	// The raw topics: every 2xx body, no 4xx one.
	for ri := range routes {
		rt := &routes[ri]
		held := map[string]bool{}
		for _, rec := range kafkatest.ReadAll(t, []string{b.Addr}, rt.topic) {
			held[string(rec.Value)] = true
		}
		for _, h := range hooks {
			if h.route != rt {
				continue
			}
			in := held[string(h.body)]
			if h.status/100 == 2 && !in {
				t.Errorf("%s webhook %d was answered %d but is not in %s", rt.source, h.i, h.status, rt.topic)
			}
			if h.status/100 == 4 && in {
				t.Errorf("%s webhook %d was answered %d but is in %s", rt.source, h.i, h.status, rt.topic)
			}
		}
	}
	// The events: each accepted webhook of a bound carrier as its shipment.
	want := map[string]bool{}
	for _, h := range hooks {
		if h.route.carrier != "" && h.want4 == 0 && h.status/100 == 2 {
			want[h.route.shipment(h.i)] = true
		}
	}
	missing := eventsMissing(t, b.Addr, cfg.Topics.Events, want, 90*time.Second)
	phase("events read")
	if len(missing) > 0 {
		t.Errorf("%d accepted webhooks have no event in %s, e.g. %s", len(missing), cfg.Topics.Events, missing[0])
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("runner: %v", err)
	}
}

// buildWebhooks makes every route's genuine webhooks (half signed with
// the key being retired) and, among them, forged, oversized and malformed
// ones, interleaved.
func buildWebhooks(routes []e2eRoute, maxBody int) []*webhook {
	var out []*webhook
	for ri := range routes {
		rt := &routes[ri]
		scheme := ingest.DefaultScheme(rt.source)
		if rt.auth != "" {
			scheme = ingest.Scheme(rt.auth)
		}
		signed := func(key string, body []byte) (string, http.Header) {
			path := ingest.PathPrefix + rt.source
			h := http.Header{"Content-Type": {"application/json"}}
			name, value := ingest.Sign(scheme, key, body)
			if name == "" {
				path += "/" + value
			} else {
				h.Set(name, value)
			}
			return path, h
		}
		for i := range rt.count {
			body := rt.body(i)
			w := &webhook{route: rt, i: i, body: body}
			w.path, w.header = signed(rt.keys[i%2], body)
			switch i % 12 {
			case 5: // forged: signed with a key nobody configured
				w.path, w.header = signed("forged-key-0123456789", body)
				w.want4 = http.StatusUnauthorized
			case 7: // oversized, and validly signed
				w.body = append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), maxBody)...), `"}`...)
				w.path, w.header = signed(rt.keys[0], w.body)
				w.want4 = http.StatusRequestEntityTooLarge
			case 11: // not JSON, validly signed
				w.body = []byte(strings.Replace(string(body), "{", "<", 1))
				w.path, w.header = signed(rt.keys[0], w.body)
				w.want4 = http.StatusBadRequest
			}
			out = append(out, w)
		}
	}
	// Interleave the routes: webhook i of each in turn.
	for k := range out {
		j := (k * 7919) % len(out)
		out[k], out[j] = out[j], out[k]
	}
	return out
}

// send posts h as a sender would: a 503 or a failed connection is tried
// again, for at most a minute.
func send(client *http.Client, base string, h *webhook) {
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequest(http.MethodPost, base+h.path, bytes.NewReader(h.body))
		if err != nil {
			panic(err)
		}
		req.Header = h.header.Clone()
		resp, err := client.Do(req)
		h.tries++
		if err == nil {
			resp.Body.Close()
			h.status = resp.StatusCode
			if resp.StatusCode != http.StatusServiceUnavailable {
				return
			}
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// eventsMissing reads the events topic until every shipment of want has
// an event, or timeout; it returns those without.
func eventsMissing(t *testing.T, broker, topic string, want map[string]bool, timeout time.Duration) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	left := len(want)
	seen := map[string]bool{}
	for left > 0 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			var e struct {
				ShipmentID string `json:"shipment_id"`
			}
			if json.Unmarshal(rec.Value, &e) == nil && want[e.ShipmentID] && !seen[e.ShipmentID] {
				seen[e.ShipmentID] = true
				left--
			}
		})
	}
	var out []string
	for s := range want {
		if !seen[s] {
			out = append(out, s)
		}
	}
	return out
}
