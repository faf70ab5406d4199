package detectstage

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/links"
)

func TestAddLink(t *testing.T) {
	ring, err := links.NewKeyring([]links.Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}}, "k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &links.Maker{Base: "https://shop.example/track", Ring: ring, Policy: links.Policy{AfterEnd: 90 * 24 * time.Hour, Open: 180 * 24 * time.Hour}}
	at := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		typ  string
		want time.Time
	}{
		{"delivered.delivered", at.Add(90 * 24 * time.Hour)},
		{"expired.no_updates_timeout", at.Add(90 * 24 * time.Hour)},
		{"attempt_failed.business_closed", at.Add(time.Hour + 180*24*time.Hour)},
	} {
		cmd := &detect.Command{ShipmentID: "ups:1Z1", EventType: c.typ, OccurredAt: at, DecidedAt: at.Add(time.Hour)}
		if err := addLink(m, cmd); err != nil {
			t.Fatal(err)
		}
		tok, ok := strings.CutPrefix(cmd.TrackingURL, "https://shop.example/track/t/")
		if !ok {
			t.Fatalf("%s: url %q", c.typ, cmd.TrackingURL)
		}
		cl, err := ring.Verify(tok, at)
		if err != nil || cl.ShipmentID != "ups:1Z1" || !cl.Expires.Equal(c.want) {
			t.Errorf("%s: claims %+v %v, want expiry %v", c.typ, cl, err, c.want)
		}
	}
	cmd := &detect.Command{ShipmentID: "ups:1Z1"}
	if err := addLink(nil, cmd); err != nil || cmd.TrackingURL != "" {
		t.Errorf("links off: %q %v", cmd.TrackingURL, err)
	}
}
