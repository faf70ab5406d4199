package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/serve"
	"go.uber.org/zap"
)

// demoServe is the demo's tracking page: links signed with a key made for
// the run, served on loopback from the events the demo produced, held in
// memory (no ClickHouse).
type demoServe struct {
	serve bool
	port  int
	ln    net.Listener
	keys  string // the run's link key, as links.keys
	mem   *serve.Memory
	// picked are the three shipments whose links were printed; cmds the
	// run's commands (the tests check their links).
	picked []demoLink
	cmds   []detect.Command
}

type demoLink struct{ kind, shipment, url string }

// setup makes the run's key and, with --serve, binds 127.0.0.1:PORT (so a
// port 0 is known before the detect stage writes links with it).
func (d *demoServe) setup() error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	d.keys = "demo:" + base64.RawURLEncoding.EncodeToString(secret)
	if d.serve {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)))
		if err != nil {
			return fmt.Errorf("demo: --port %d: %w (pick another with --port, or 0 for any free port)", d.port, err)
		}
		d.ln = ln
		d.port = ln.Addr().(*net.TCPAddr).Port
	}
	return nil
}

// links is the links configuration of the run: the detect stage puts the
// same links in its commands.
func (d *demoServe) links() config.Links {
	return config.Links{BaseURL: "http://127.0.0.1:" + strconv.Itoa(d.port), Keys: d.keys, SignKey: "demo",
		AfterEnd: links.DefaultAfterEnd, OpenTTL: links.DefaultOpen}
}

// printLinks keeps evs and cmds in memory and prints the links of a
// delivered shipment, one with an open exception and a stalled one (the
// most recent of each, so that a delivered one is within its links' life).
func (d *demoServe) printLinks(w io.Writer, evs []event.Event, cmds []detect.Command) error {
	lc := d.links()
	maker, err := lc.Maker()
	if err != nil {
		return err
	}
	d.cmds = cmds
	d.mem = serve.NewMemory()
	d.mem.Add(evs, cmds)
	cat, err := serve.LoadCatalog()
	if err != nil {
		return err
	}
	en := cat.For("en")
	ids := map[string]bool{}
	for i := range evs {
		ids[evs[i].ShipmentID()] = true
	}
	type cand struct {
		id      string
		updated time.Time
		end     time.Time
	}
	best := map[string]cand{}
	now := time.Now()
	for id := range ids {
		rec, err := d.mem.Shipment(context.Background(), id)
		if err != nil {
			continue
		}
		s := en.Summarize(rec)
		kind := ""
		switch {
		case s.Stalled:
			kind = "stalled"
		case s.OpenException != nil && s.Milestone == "exception":
			kind = "exception"
		case s.Milestone == "delivered" && s.OpenException == nil:
			kind = "delivered"
		default:
			continue
		}
		if lc.Policy().Ended(s.EndedAt, now) {
			continue
		}
		if b, ok := best[kind]; !ok || s.Updated.After(b.updated) || (s.Updated.Equal(b.updated) && id < b.id) {
			best[kind] = cand{id, s.Updated, s.EndedAt}
		}
	}
	fmt.Fprintf(w, "\ntracking links (signed with a key made for this run; change one character of a token and the page refuses it):\n")
	for _, kind := range []string{"delivered", "exception", "stalled"} {
		c, ok := best[kind]
		if !ok {
			fmt.Fprintf(w, "  %-10s (no such shipment in this run)\n", kind)
			continue
		}
		u, err := maker.URL(c.id, c.end, now)
		if err != nil {
			return err
		}
		d.picked = append(d.picked, demoLink{kind, c.id, u})
		fmt.Fprintf(w, "  %-10s %-32s %s\n", kind, c.id, u)
	}
	if !d.serve {
		fmt.Fprintf(w, "run with --serve to open them (wismo demo --serve keeps serving them on 127.0.0.1)\n")
	}
	return nil
}

// run serves the page until ctx ends.
func (d *demoServe) run(ctx context.Context, w io.Writer) error {
	ring, err := d.links().Keyring()
	if err != nil {
		return err
	}
	srv, err := serve.New(serve.Config{Lookup: d.mem, Ring: ring, Policy: d.links().Policy(), Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "serving the tracking page on http://127.0.0.1:%d (Ctrl-C to stop)\n", d.port)
	return srv.Run(ctx, d.ln)
}
