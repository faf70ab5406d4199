package chlookup

import (
	"strings"
	"testing"
)

// A packed row as migration 0013's views write it reads back field by
// field; one cut short, with a length past its end, a field too many or
// of an unknown kind is an error, never a panic or a partial row.
func TestUnpack(t *testing.T) {
	ev := "e32:0123456789abcdef0123456789abcdef1794852005,20:in_transit.picked_up4:1Z11-18000,8:pipeline7:Chicago2:IL2:US20413,"
	x, err := unpack(ev)
	if err != nil {
		t.Fatal(err)
	}
	if x.kind != kindEvent || x.id != "0123456789abcdef0123456789abcdef" || x.occurredAt != 1794852005 || x.eventType != "in_transit.picked_up" ||
		x.trackingNumber != "1Z11" || x.localOffset != -18000 || x.source != "pipeline" || x.city != "Chicago" || x.region != "IL" || x.country != "US" || x.edd != 20413 {
		t.Fatalf("event %+v", x)
	}
	cmd := "c2:c91794852005,20:in_transit.picked_up4:1Z117:shipped12:a:b,c 12:3 x1794852006,20414,20415,20417,4:high"
	if x, err = unpack(cmd); err != nil {
		t.Fatal(err)
	}
	if x.kind != kindCommand || x.id != "c9" || x.trigger != "shipped" || x.message != "a:b,c 12:3 x" || x.decidedAt != 1794852006 ||
		x.earliest != 20414 || x.likely != 20415 || x.latest != 20417 || x.confidence != "high" {
		t.Fatalf("command %+v", x)
	}
	c := x.command("ups:1Z11", "ups")
	if c.PredictedDelivery == nil || c.PredictedDelivery.Likely != "2025-11-23" || c.DecidedAt.Unix() != 1794852006 {
		t.Fatalf("command %+v", c)
	}
	for _, bad := range []string{"", "x", "e", ev[:len(ev)-1], ev + "1,", strings.Replace(ev, "e32:", "e99:", 1), strings.Replace(ev, "e32:", "e:", 1),
		strings.Replace(ev, "-18000,", "-18x00,", 1), "q" + ev[1:], cmd[:40], "e99999999999999999999999:"} {
		if _, err := unpack(bad); err == nil {
			t.Errorf("unpack(%.50q): no error", bad)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add("e32:0123456789abcdef0123456789abcdef1794852005,20:in_transit.picked_up4:1Z11-18000,7:carrier0:0:0:0,")
	f.Add("c2:c91794852005,20:in_transit.picked_up4:1Z117:shipped0:1794852006,0,0,0,0:")
	f.Fuzz(func(t *testing.T, s string) {
		x, err := unpack(s)
		if err == nil && x.kind != kindEvent && x.kind != kindCommand {
			t.Fatalf("kind %q", x.kind)
		}
	})
}
