package all_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/wismo/wismo/normalizers"
)

// derivedBad makes bad inputs from every registered carrier's and feed's
// samples, so a new carrier's decoder meets them without anyone writing
// them: each sample cut in half, each sample's bytes replaced by garbage
// of the same length, and, for JSON, each sample with every string and
// number swapped for the other type. Each must be rejected, without a
// panic, an event or a hang, with a clear message: the cut and the garbage
// as decode errors, the wrong types as whatever the decoder finds wrong
// first (a missing tracking number, a time it cannot read...).
func derivedBad(t *testing.T) []badCase {
	var out []badCase
	for _, src := range normalizers.Sources() {
		payloads, _ := samplePayloads(t, src, nil)
		for i, p := range payloads {
			name := src.Name() + "-sample-" + strconv.Itoa(i)
			cut := bytes.TrimRight(p, " \t\r\n")
			out = append(out, badCase{name: name + "-truncated", carrier: src.Carrier, format: string(src.Format),
				kind: normalizers.KindDecode, payload: cut[:len(cut)/2]})
			r := rand.New(rand.NewPCG(uint64(i), uint64(len(p))))
			g := make([]byte, len(p))
			for j := range g {
				g[j] = byte(r.Uint32())
			}
			out = append(out, badCase{name: name + "-garbage", carrier: src.Carrier, format: string(src.Format),
				kind: normalizers.KindDecode, payload: g})
			if src.Format == normalizers.JSON {
				var v any
				if err := json.Unmarshal(p, &v); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				w, err := json.Marshal(swapTypes(v))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, badCase{name: name + "-wrong-types", carrier: src.Carrier, format: string(src.Format),
					kind: anyKind, payload: w})
			}
		}
	}
	return out
}

// swapTypes turns every string into a number and every number into a
// string.
func swapTypes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = swapTypes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = swapTypes(e)
		}
	case string:
		return len(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return v
}

// TestDerivedBadInputs runs the bad inputs made from every source's
// samples as TestBadInputs runs the hand-made corpus.
func TestDerivedBadInputs(t *testing.T) {
	kinds := map[normalizers.Kind]int{}
	for _, c := range derivedBad(t) {
		t.Run(c.name, func(t *testing.T) {
			checkRejected(t, c)
			kinds[reject(c).kind]++
		})
	}
	t.Logf("derived bad inputs by kind: %v", kinds)
}
