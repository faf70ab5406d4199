package all_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// xmlNoAlloc are the XML sources read with normalizers.XMLScanner whose
// payloads, once the decoder's buffers are warm, cost no allocation (with
// encoding/xml into structs they cost about 160 per scan; issue 14 item 6).
var xmlNoAlloc = []string{"usps_xml", "ups_xml", "fedex_xml"}

// TestXMLDecodersDoNotAllocate normalizes each of those sources' samples as
// the normalize stage does (a batch reusing its strings) and counts the
// allocations: none per payload in the steady state, for payloads without
// rejected scans.
func TestXMLDecodersDoNotAllocate(t *testing.T) {
	sources := map[string]normalizers.Source{}
	for _, src := range normalizers.Sources() {
		sources[src.Name()] = src
	}
	for _, name := range xmlNoAlloc {
		src, ok := sources[name]
		if !ok {
			t.Errorf("no source %s", name)
			continue
		}
		n, err := normalizers.Lookup(src.Carrier, src.Format)
		if err != nil {
			t.Fatal(err)
		}
		b := normalizers.NewBatch()
		b.ReuseStrings = true
		in := &normalizers.Input{Format: src.Format, Now: normalizertest.Now}
		payloads, hints := samplePayloads(t, src, nil)
		for i, p := range payloads {
			in.Payload, in.TrackingHint = p, hints[i]
			allocs := testing.AllocsPerRun(20, func() {
				if err := normalizers.Normalize(n, in, b, 0); err != nil {
					t.Fatal(err)
				}
			})
			if len(b.Rejected) > 0 {
				continue // a rejected scan's message is made (allocated) by the batch, not the decoder
			}
			if allocs > 0 {
				t.Errorf("%s sample %d: %.1f allocations per payload, want 0", name, i, allocs)
			}
		}
	}
}
