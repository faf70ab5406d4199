package feeds_test

import (
	"testing"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/fedex"
	"github.com/wismo/wismo/normalizers/feeds"
)

// A feed's table for these tests, in the codes.tsv layout feeds.Status
// reads: a vague status with a default row, a status that decides alone,
// a substatus under any status, and an unmapped-on-purpose row.
var table = normalizers.MustLoadTable("test", []byte(""+
	"in_transit\tdefault\t*\tin_transit.in_transit\n"+
	"in_transit\tarrived_at_facility\t*\tin_transit.arrived_at_facility\n"+
	"delivered\t*\t*\tdelivered.delivered\n"+
	"unknown\tother\t*\tunknown.unmapped\n"+
	"unknown\tdefault\t*\tpending.tracking_registered\n"+
	"-\t*\tdelivered\tdelivered.delivered\n"+
	"*\tweather_delay\t*\texception.delayed_weather\tweather_delay\n"+
	"*\taddress_issue\t*\texception.address_incorrect\n"))

func TestStatus(t *testing.T) {
	for _, c := range []struct{ status, sub, text, want string }{
		{"delivered", "weather_delay", "", "delivered.delivered"},                     // a status that decides alone
		{"in_transit", "arrived_at_facility", "", "in_transit.arrived_at_facility"},   // the status's own row
		{"in_transit", "weather_delay", "Departed", "exception.delayed_weather"},      // a substatus under any status
		{"in_transit", "", "Departed FedEx location", "in_transit.departed_facility"}, // the shared wording
		{"in_transit", "", "Moving on", "in_transit.in_transit"},                      // the default row
		{"in_transit", "default", "", "in_transit.in_transit"},                        // "default" is no substatus
		{"unknown", "other", "", "unknown.unmapped"},                                  // documented as unrecognised
		{"unknown", "other", "Arrived at hub", "in_transit.arrived_at_facility"},      // ... which the wording beats
		{"unknown", "", "", "pending.tracking_registered"},
		{"", "", "Delivered", "delivered.delivered"}, // no status: rows of code "-"
		{"", "", "Out for delivery", "out_for_delivery.out_for_delivery"},
		{"", "", "Something", ""},
		{"no_such_status", "", "", ""},
	} {
		got := ""
		if m := feeds.Status(table, c.status, c.sub, c.text); m != nil {
			got = m.Type.Name
		}
		if got != c.want {
			t.Errorf("Status(%q, %q, %q) = %q, want %q", c.status, c.sub, c.text, got, c.want)
		}
	}
}

// The carrier's table decides where the feed passes the carrier's code,
// refined by the feed's status; without a code or a table the feed's
// status decides.
func TestClassify(t *testing.T) {
	fedex := feeds.Mapper("fedex")
	if fedex == nil {
		t.Fatal("no code table for fedex in the registry")
	}
	if feeds.Mapper("purolator") != nil || feeds.Mapper("") != nil {
		t.Fatal("a code table for a carrier wismo has no normalizer for")
	}
	for _, c := range []struct {
		name string
		e    feeds.Event
		want string
	}{
		{"carrier code decides", feeds.Event{Mapper: fedex, Code: "PU", Status: "in_transit", Sub: "arrived_at_facility", Text: "Picked up"}, "in_transit.picked_up"},
		{"code in small letters", feeds.Event{Mapper: fedex, Code: "pu", Status: "in_transit", Text: "Picked up"}, "in_transit.picked_up"},
		{"code unknown to the carrier's table", feeds.Event{Mapper: fedex, Code: "Q9", Status: "in_transit", Sub: "arrived_at_facility"}, "in_transit.arrived_at_facility"},
		{"carrier's generic exception, feed's specific one", feeds.Event{Mapper: fedex, Code: "SE", Status: "in_transit", Sub: "address_issue", Text: "Shipment exception"}, "exception.address_incorrect"},
		{"carrier's generic exception, feed knows no more", feeds.Event{Mapper: fedex, Code: "SE", Status: "in_transit", Text: "Shipment exception"}, "exception.generic"},
		{"carrier says delivered, feed's status does not", feeds.Event{Mapper: fedex, Code: "DL", Status: "in_transit"}, "in_transit.in_transit"},
		{"carrier says delivered, feed gives no status", feeds.Event{Mapper: fedex, Code: "DL", Text: "Delivered"}, "delivered.delivered"},
		{"carrier says delivered, feed agrees", feeds.Event{Mapper: fedex, Code: "DL", Status: "delivered"}, "delivered.delivered"},
		{"no carrier table", feeds.Event{Code: "PU", Status: "in_transit", Sub: "arrived_at_facility"}, "in_transit.arrived_at_facility"},
		{"no carrier code", feeds.Event{Mapper: fedex, Status: "delivered"}, "delivered.delivered"},
	} {
		got := ""
		if m := feeds.Classify(table, &c.e); m != nil {
			got = m.Type.Name
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Raw keeps the carrier's code and the feed's status both.
func TestRaw(t *testing.T) {
	b := normalizers.NewBatch()
	for _, c := range []struct {
		e              feeds.Event
		code, typ, txt string
	}{
		{feeds.Event{Code: "PU", Status: "in_transit", Sub: "arrived_at_facility", Text: "Picked up"}, "PU", "in_transit/arrived_at_facility", "Picked up"},
		{feeds.Event{Code: "PU", Status: "in_transit"}, "PU", "in_transit", ""},
		{feeds.Event{Status: "TRANSIT", Sub: "package_departed", Text: "Departed"}, "TRANSIT", "package_departed", "Departed"},
	} {
		r := feeds.Raw(b, &c.e)
		if r.Code != c.code || r.Type != c.typ || r.Description != c.txt {
			t.Errorf("Raw(%+v) = %+v, want %q %q %q", c.e, r, c.code, c.typ, c.txt)
		}
	}
}

// A tracking number comes out as the carrier's own API spells it: in
// capitals, without spaces, whether the feed sent a string or a number.
func TestTracking(t *testing.T) {
	b := normalizers.NewBatch()
	for in, want := range map[string]string{
		`{"n":"1z999aa1 0123 456784"}`: "1Z999AA10123456784",
		`{"n":397538144353}`:           "397538144353",
		`{"n":" EZ4000000004 "}`:       "EZ4000000004",
	} {
		v := fastjson.MustParse(in)
		got, err := feeds.Tracking(b, &normalizers.Input{}, "test", v, "n")
		if err != nil || got != want {
			t.Errorf("Tracking(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := feeds.Tracking(b, &normalizers.Input{TrackingHint: "HINT1"}, "test", fastjson.MustParse(`{}`), "n"); got != "HINT1" || err != nil {
		t.Errorf("no number, a hint: %q, %v", got, err)
	}
	if _, err := feeds.Tracking(b, &normalizers.Input{}, "test", fastjson.MustParse(`{"n":null}`), "n"); normalizers.KindOf(err) != normalizers.KindValidate {
		t.Errorf("no number, no hint: %v", err)
	}
}
