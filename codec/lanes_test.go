package codec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/lanes"
)

func laneKey() lanes.Key {
	return lanes.Key{Carrier: "ups", Service: "ground", Level: lanes.Area,
		From: lanes.AreaOf("US", "CA", "94107"), To: lanes.AreaOf("US", "NY", "10001")}
}

func TestLaneObservationRoundTrip(t *testing.T) {
	c, err := NewLaneObservations()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []lanes.Observation{
		{Key: laneKey(), Kind: lanes.KindGap, Gap: lanes.GapAtDelivery, Value: 3600},
		{Key: laneKey().Coarser().Coarser().Coarser(), Kind: lanes.KindTransit, Value: 3},
		{Key: laneKey(), Kind: lanes.KindLastMile, Value: 0},
		{Key: laneKey(), Kind: lanes.KindOutcome, Value: 1 << 40},
	} {
		b, err := c.Append(nil, &o)
		if err != nil {
			t.Fatal(err)
		}
		var got lanes.Observation
		if err := c.Decode(b, &got); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if got != o {
			t.Errorf("round trip: got %+v, want %+v", got, o)
		}
	}
}

func TestLaneObservationBadInput(t *testing.T) {
	c, _ := NewLaneObservations()
	good, _ := c.Append(nil, &lanes.Observation{Key: laneKey(), Kind: lanes.KindGap, Gap: lanes.GapInTransit, Value: 60})
	neg, _ := c.Append(nil, &lanes.Observation{Key: laneKey(), Kind: lanes.KindGap, Value: -1})
	noCarrier := laneKey()
	noCarrier.Carrier = ""
	empty, _ := c.Append(nil, &lanes.Observation{Key: noCarrier, Kind: lanes.KindOutcome, Value: 1})
	for name, v := range map[string][]byte{
		"empty":      nil,
		"truncated":  good[:len(good)-2],
		"trailing":   append(append([]byte{}, good...), 0),
		"negative":   neg,
		"no carrier": empty,
		"json":       []byte(`{"carrier":"ups"}`),
	} {
		var o lanes.Observation
		if err := c.Decode(v, &o); err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
			t.Errorf("%s: err %v, want a codec error", name, err)
		}
	}
}

func TestLaneModelRoundTrip(t *testing.T) {
	m, _ := lanes.New(lanes.DefaultConfig)
	id := m.Own(laneKey())
	for i := range 200 {
		m.ObserveGap(id, lanes.GapInTransit, int64(3600+i*60))
		m.ObserveTransit(id, 2+i%3)
		m.ObserveOutcome(id, int64(1800+i))
	}
	c, err := NewLaneModels()
	if err != nil {
		t.Fatal(err)
	}
	lm := LaneModel{Key: laneKey(), UpdatedAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), Summary: m.Summary(id), State: m.State(id)}
	b, err := c.Append(nil, &lm)
	if err != nil {
		t.Fatal(err)
	}
	var got LaneModel
	if err := c.Decode(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, lm) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, lm)
	}
	// The decoded state rebuilds the same sketches.
	m2, _ := lanes.New(lanes.DefaultConfig)
	id2 := m2.Own(got.Key)
	m2.SetState(id2, &got.State)
	if !reflect.DeepEqual(m2.State(id2), m.State(id)) || m2.Summary(id2) != m.Summary(id) {
		t.Error("the decoded state does not rebuild the lane")
	}
}

func TestLaneModelBadInput(t *testing.T) {
	c, _ := NewLaneModels()
	good, _ := c.Append(nil, &LaneModel{Key: laneKey(), UpdatedAt: time.Unix(0, 0),
		State: lanes.State{Transit: lanes.SketchState{N: 1, Seen: 1, Bins: []lanes.Bin{{Index: 3, Count: 1}}}}})
	zero, _ := c.Append(nil, &LaneModel{Key: laneKey(), UpdatedAt: time.Unix(0, 0),
		State: lanes.State{Transit: lanes.SketchState{N: 1, Bins: []lanes.Bin{{Index: 3, Count: 0}}}}})
	for name, v := range map[string][]byte{
		"empty":      nil,
		"truncated":  good[:len(good)-3],
		"trailing":   append(append([]byte{}, good...), 0),
		"zero count": zero,
	} {
		var lm LaneModel
		if err := c.Decode(v, &lm); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzLaneObservationDecode(f *testing.F) {
	c, _ := NewLaneObservations()
	good, _ := c.Append(nil, &lanes.Observation{Key: laneKey(), Kind: lanes.KindGap, Gap: lanes.GapInTransit, Value: 60})
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		var o lanes.Observation
		if c.Decode(v, &o) != nil {
			return
		}
		if err := o.Check(); err != nil {
			t.Fatalf("decoded an observation that does not check: %v", err)
		}
		b, err := c.Append(nil, &o)
		if err != nil {
			t.Fatal(err)
		}
		var again lanes.Observation
		if err := c.Decode(b, &again); err != nil || again != o {
			t.Fatalf("re-encoded %+v decodes as %+v, %v", o, again, err)
		}
	})
}

func FuzzLaneModelDecode(f *testing.F) {
	c, _ := NewLaneModels()
	good, _ := c.Append(nil, &LaneModel{Key: laneKey(), UpdatedAt: time.Unix(0, 0),
		State: lanes.State{Transit: lanes.SketchState{N: 1, Seen: 1, Bins: []lanes.Bin{{Index: 3, Count: 1}}}}})
	f.Add(good)
	f.Fuzz(func(t *testing.T, v []byte) {
		var lm LaneModel
		if c.Decode(v, &lm) != nil {
			return
		}
		m, _ := lanes.New(lanes.DefaultConfig)
		m.SetState(m.Own(lm.Key), &lm.State) // must not panic
	})
}

// The hand-written observation encoder writes what goavro writes from the
// schema.
func TestLaneObservationEncoder(t *testing.T) {
	c, _ := NewLaneObservations()
	for _, o := range []lanes.Observation{
		{Key: laneKey(), Kind: lanes.KindGap, Gap: lanes.GapAttemptFailed, Value: 123456789},
		{Key: lanes.Key{Carrier: "dhl", Level: lanes.Any}, Kind: lanes.KindOutcome, Value: 0},
	} {
		got, err := c.Append(nil, &o)
		if err != nil {
			t.Fatal(err)
		}
		m := keyNative(&o.Key)
		m["schema_version"], m["kind"], m["value"] = int32(1), o.Kind.String(), o.Value
		m["milestone"] = ""
		if o.Kind == lanes.KindGap {
			m["milestone"] = lanes.GapMilestones[o.Gap]
		}
		want, err := c.avro.BinaryFromNative(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%+v:\n got % x\nwant % x", o, got, want)
		}
	}
}

func BenchmarkLaneObservationAppend(b *testing.B) {
	c, _ := NewLaneObservations()
	o := lanes.Observation{Key: laneKey(), Kind: lanes.KindGap, Gap: lanes.GapInTransit, Value: 3600}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.Append(buf[:0], &o)
	}
}
