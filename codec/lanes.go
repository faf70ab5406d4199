package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/schemas"
)

// The lane topics are internal to wismo (the detect stage writes the
// observations, the lane stage the models): plain Avro, whatever
// --encoding says, each with its schema's name in the avro.schema header.

// LaneObservations reads and writes shipments.lane-observations.v1 values.
// It is safe for concurrent use.
type LaneObservations struct{ avro *goavro.Codec }

// NewLaneObservations returns the observation codec.
func NewLaneObservations() (*LaneObservations, error) {
	c, err := goavro.NewCodec(schemas.LaneObservation)
	if err != nil {
		return nil, fmt.Errorf("codec: lane observation schema: %w", err)
	}
	return &LaneObservations{avro: c}, nil
}

// LaneObservationSchema names the schema in the avro.schema header.
const LaneObservationSchema = "io.wismo.v1.LaneObservation"

// LaneModelSchema names the lanes topic's schema in the avro.schema header.
const LaneModelSchema = "io.wismo.v1.LaneModel"

func keyNative(k *lanes.Key) map[string]any {
	place := func(p lanes.Place) map[string]any {
		return map[string]any{"country": p.Country, "region": p.Region, "postal_area": p.Postal}
	}
	return map[string]any{"carrier": k.Carrier, "service": k.Service, "level": k.Level.String(),
		"origin": place(k.From), "destination": place(k.To)}
}

func keyFromNative(m map[string]any, k *lanes.Key) error {
	str := func(m map[string]any, f string) string { s, _ := m[f].(string); return s }
	place := func(f string) lanes.Place {
		p, _ := m[f].(map[string]any)
		return lanes.Place{Country: str(p, "country"), Region: str(p, "region"), Postal: str(p, "postal_area")}
	}
	lv, ok := lanes.LevelOf(str(m, "level"))
	if !ok {
		return fmt.Errorf("level %q unknown", str(m, "level"))
	}
	*k = lanes.Key{Carrier: str(m, "carrier"), Service: str(m, "service"), Level: lv, From: place("origin"), To: place("destination")}
	if k.Carrier == "" {
		return fmt.Errorf("no carrier")
	}
	if len(k.From.Postal) > lanes.PostalArea || len(k.To.Postal) > lanes.PostalArea {
		return fmt.Errorf("postal_area longer than %d characters", lanes.PostalArea)
	}
	return nil
}

// Append appends o's Avro datum to dst. It is written by hand, not by
// goavro: the detect stage writes one for every lane of a shipment's chain
// at nearly every movement scan (TestLaneObservationEncoder checks it
// against the schema).
func (c *LaneObservations) Append(dst []byte, o *lanes.Observation) ([]byte, error) {
	if err := o.Check(); err != nil {
		return dst, fmt.Errorf("codec: %w", err)
	}
	str := func(b []byte, s string) []byte { return append(binary.AppendVarint(b, int64(len(s))), s...) }
	place := func(b []byte, p *lanes.Place) []byte { return str(str(str(b, p.Country), p.Region), p.Postal) }
	k := &o.Key
	dst = binary.AppendVarint(dst, 1) // schema_version
	dst = str(str(dst, k.Carrier), k.Service)
	dst = binary.AppendVarint(dst, int64(k.Level))
	dst = place(place(dst, &k.From), &k.To)
	dst = binary.AppendVarint(dst, int64(o.Kind))
	milestone := ""
	if o.Kind == lanes.KindGap {
		milestone = lanes.GapMilestones[o.Gap]
	}
	dst = str(dst, milestone)
	return binary.AppendVarint(dst, o.Value), nil
}

// Decode decodes one value into o, checked (lanes.Observation.Check).
func (c *LaneObservations) Decode(v []byte, o *lanes.Observation) error {
	*o = lanes.Observation{}
	n, rest, err := c.avro.NativeFromBinary(v)
	if err != nil {
		return fmt.Errorf("codec: lane observation: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("codec: lane observation: %d trailing bytes", len(rest))
	}
	m := n.(map[string]any)
	if err := keyFromNative(m, &o.Key); err != nil {
		return fmt.Errorf("codec: lane observation: %w", err)
	}
	ks, _ := m["kind"].(string)
	if o.Kind, _ = lanes.KindOf(ks); o.Kind == lanes.KindGap {
		ms, _ := m["milestone"].(string)
		g, ok := lanes.GapFor(ms)
		if !ok {
			return fmt.Errorf("codec: lane observation: gap of milestone %q, want one of %v", ms, lanes.GapMilestones)
		}
		o.Gap = g
	}
	o.Value, _ = m["value"].(int64)
	if err := o.Check(); err != nil {
		return fmt.Errorf("codec: %w", err)
	}
	return nil
}

// LaneModels reads and writes shipments.lanes.v1 values. It is safe for
// concurrent use.
type LaneModels struct{ avro *goavro.Codec }

// NewLaneModels returns the lane model codec.
func NewLaneModels() (*LaneModels, error) {
	c, err := goavro.NewCodec(schemas.LaneModel)
	if err != nil {
		return nil, fmt.Errorf("codec: lane model schema: %w", err)
	}
	return &LaneModels{avro: c}, nil
}

// LaneModel is one record of the lanes topic.
type LaneModel struct {
	Key       lanes.Key
	UpdatedAt time.Time
	Summary   lanes.Summary
	State     lanes.State
}

// sketchNames name the sketches of a lanes.State in the record.
func sketchRefs(st *lanes.State) ([]string, []*lanes.SketchState) {
	names := []string{"transit", "outcome", "last_mile"}
	refs := []*lanes.SketchState{&st.Transit, &st.Outcome, &st.LastMile}
	for g := range st.Gaps {
		names = append(names, "gap."+lanes.GapMilestones[g])
		refs = append(refs, &st.Gaps[g])
	}
	return names, refs
}

// Append appends m's Avro datum to dst.
func (c *LaneModels) Append(dst []byte, lm *LaneModel) ([]byte, error) {
	m := keyNative(&lm.Key)
	m["schema_version"] = int32(1)
	m["updated_at"] = stamp(lm.UpdatedAt)
	s := &lm.Summary
	m["transit_p10"], m["transit_p50"], m["transit_p90"], m["outcome_p90_seconds"] = s.TransitP10, s.TransitP50, s.TransitP90, s.OutcomeP90
	stall := make([]any, len(s.StallAfter))
	for i, v := range s.StallAfter {
		stall[i] = v
	}
	m["stall_after_seconds"] = stall
	names, refs := sketchRefs(&lm.State)
	var sks []any
	for i, sk := range refs {
		if sk.N == 0 && sk.Seen == 0 && len(sk.Bins) == 0 {
			continue
		}
		idx, cnt := make([]any, len(sk.Bins)), make([]any, len(sk.Bins))
		for j, b := range sk.Bins {
			idx[j], cnt[j] = b.Index, b.Count
		}
		sks = append(sks, map[string]any{"name": names[i], "count": int64(sk.N), "seen": int64(sk.Seen), "bin_index": idx, "bin_count": cnt})
	}
	if sks == nil {
		sks = []any{}
	}
	m["sketches"] = sks
	b, err := c.avro.BinaryFromNative(dst, m)
	if err != nil {
		return dst, fmt.Errorf("codec: lane model: %w", err)
	}
	return b, nil
}

// maxBins bounds a decoded sketch (lanes.Config allows 4096).
const maxBins = 4096

// Decode decodes one value into lm.
func (c *LaneModels) Decode(v []byte, lm *LaneModel) error {
	*lm = LaneModel{}
	n, rest, err := c.avro.NativeFromBinary(v)
	if err != nil {
		return fmt.Errorf("codec: lane model: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("codec: lane model: %d trailing bytes", len(rest))
	}
	m := n.(map[string]any)
	if err := keyFromNative(m, &lm.Key); err != nil {
		return fmt.Errorf("codec: lane model: %w", err)
	}
	ts, _ := m["updated_at"].(string)
	if lm.UpdatedAt, err = time.Parse(time.RFC3339, ts); err != nil {
		return fmt.Errorf("codec: lane model updated_at: %w", err)
	}
	f := func(k string) float64 { x, _ := m[k].(float64); return x }
	s := &lm.Summary
	s.TransitP10, s.TransitP50, s.TransitP90, s.OutcomeP90 = f("transit_p10"), f("transit_p50"), f("transit_p90"), f("outcome_p90_seconds")
	stall, _ := m["stall_after_seconds"].([]any)
	for i := range s.StallAfter {
		s.StallAfter[i] = -1
		if i < len(stall) {
			s.StallAfter[i], _ = stall[i].(float64)
		}
	}
	names, refs := sketchRefs(&lm.State)
	sks, _ := m["sketches"].([]any)
	for _, x := range sks {
		sk, _ := x.(map[string]any)
		name, _ := sk["name"].(string)
		i := indexOf(names, name)
		if i < 0 {
			return fmt.Errorf("codec: lane model: sketch %q unknown (want one of %v)", name, names)
		}
		idx, _ := sk["bin_index"].([]any)
		cnt, _ := sk["bin_count"].([]any)
		if len(idx) != len(cnt) || len(idx) > maxBins {
			return fmt.Errorf("codec: lane model: sketch %s has %d bin indexes and %d counts (at most %d)", name, len(idx), len(cnt), maxBins)
		}
		count, _ := sk["count"].(int64)
		seen, _ := sk["seen"].(int64)
		if count < 0 || seen < 0 || count > math.MaxUint32 || seen > math.MaxUint32 {
			return fmt.Errorf("codec: lane model: sketch %s count %d, seen %d out of range", name, count, seen)
		}
		st := refs[i]
		st.N, st.Seen = uint32(count), uint32(seen)
		st.Bins = make([]lanes.Bin, len(idx))
		for j := range idx {
			bi, _ := idx[j].(int32)
			bc, _ := cnt[j].(float64)
			if !(bc > 0) || math.IsInf(bc, 0) {
				return fmt.Errorf("codec: lane model: sketch %s bin %d count %v, want a positive number", name, bi, bc)
			}
			st.Bins[j] = lanes.Bin{Index: bi, Count: bc}
		}
	}
	return nil
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}
