package normalize_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
)

// upsPoll is a UPS Track API answer holding the first n scans of one
// shipment's history, newest first as UPS lists them; scan i is at
// 10:0i:00.
func upsPoll(n int) []byte {
	var acts []string
	for i := n - 1; i >= 0; i-- {
		acts = append(acts, fmt.Sprintf(`{"location":{"address":{"city":"Louisville","stateProvince":"KY","postalCode":"40209","countryCode":"US"}},`+
			`"status":{"type":"I","description":"Arrived at Facility","code":"AR","statusCode":"005"},"date":"20261120","time":"10%02d00","gmtOffset":"-05:00"}`, i))
	}
	return []byte(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1ZRESENT0000000001","activity":[` + strings.Join(acts, ",") + `]}]}]}}`)
}

// times lists the local scan times of the events a record became.
func times(t *testing.T, out *pipeline.Output) []string {
	t.Helper()
	var got []string
	for _, r := range out.Records {
		var e struct {
			OccurredAtLocal string `json:"occurred_at_local"`
		}
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.OccurredAtLocal[11:16])
	}
	return got
}

// A poller sends the whole history with every poll; each scan goes out
// once, the newest scan of a poll with nothing new goes out again (every
// record shows in the events topic), and the scans of an aborted batch
// were never sent, so they go out when the batch is read again.
func TestResentScansGoOutOnce(t *testing.T) {
	p, err := normalize.New(normalize.Config{Events: encoder(t, "events", codec.JSON), RememberScans: 100,
		Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups"}}})
	if err != nil {
		t.Fatal(err)
	}
	process := func(n int) []string {
		var out pipeline.Output
		p.Process(&kgo.Record{Topic: "raw.ups", Value: upsPoll(n)}, &out)
		if out.Dead {
			t.Fatalf("poll of %d scans dead-lettered", n)
		}
		return times(t, &out)
	}
	steps := []struct {
		scans     int
		commit    bool
		want      string
		situation string
	}{
		{2, true, "10:00 10:01", "first poll: the whole history"},
		{3, true, "10:02", "second poll: the new scan only"},
		{3, true, "10:02", "same poll again: its newest scan, so that the record shows"},
		{5, false, "10:03 10:04", "two new scans, in a batch that aborts"},
		{5, true, "10:03 10:04", "the aborted batch read again: its scans were never sent"},
		{4, true, "10:03", "an older poll after a newer one: its newest scan"},
	}
	for _, s := range steps {
		if got := strings.Join(process(s.scans), " "); got != s.want {
			t.Errorf("%s: got %q, want %q", s.situation, got, s.want)
		}
		p.EndBatch(s.commit)
	}
	// Within one batch too.
	if got := strings.Join(append(process(6), process(7)...), " "); got != "10:05 10:06" {
		t.Errorf("two polls in one batch: got %q, want %q", got, "10:05 10:06")
	}
	p.EndBatch(true)
}

// With RememberScans 0 every scan of every payload goes out.
func TestRememberScansOff(t *testing.T) {
	p, err := normalize.New(normalize.Config{Events: encoder(t, "events", codec.JSON),
		Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups"}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var out pipeline.Output
		p.Process(&kgo.Record{Topic: "raw.ups", Value: upsPoll(3)}, &out)
		p.EndBatch(true)
		if got := strings.Join(times(t, &out), " "); got != "10:00 10:01 10:02" {
			t.Errorf("got %q, want every scan", got)
		}
	}
}

// A full memory starts over: forgotten scans go out again (consumers drop
// them by event id), none is held back.
func TestResentMemoryStartsOver(t *testing.T) {
	p, err := normalize.New(normalize.Config{Events: encoder(t, "events", codec.JSON), RememberScans: 2,
		Bindings: []normalize.Binding{{Topic: "raw.ups", Carrier: "ups"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		scans int
		want  string
	}{
		{2, "10:00 10:01"},
		{3, "10:02"},       // a third id: the memory starts over with it
		{3, "10:00 10:01"}, // forgotten, so sent again
	} {
		var out pipeline.Output
		p.Process(&kgo.Record{Topic: "raw.ups", Value: upsPoll(step.scans)}, &out)
		p.EndBatch(true)
		if got := strings.Join(times(t, &out), " "); got != step.want {
			t.Errorf("poll %d: got %q, want %q", i+1, got, step.want)
		}
	}
}
