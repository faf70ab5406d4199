package all_test

import (
	"os"
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// FuzzCarriers fuzzes every registered carrier in every format it reads,
// and every generic feed, seeded with their samples: the first argument
// picks the source, so the fuzzer mutates each decoder's own payloads.
func FuzzCarriers(f *testing.F) {
	sources := normalizers.Sources()
	type target struct {
		n      normalizers.Normalizer
		format normalizers.Format
	}
	targets := make([]target, len(sources))
	for i, src := range sources {
		n, err := normalizers.Lookup(src.Carrier, src.Format)
		if err != nil {
			f.Fatal(err)
		}
		targets[i] = target{n, src.Format}
		for _, file := range normalizertest.SampleFiles(f, src) {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), data)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tg := targets[int(which)%len(targets)]
		normalizertest.FuzzNormalizer(t, tg.n, tg.format, data)
	})
}
