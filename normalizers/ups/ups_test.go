package ups_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/normalizers/ups"
)

var n = &ups.Normalizer{}

func TestGolden(t *testing.T) { normalizertest.Golden(t, n, normalizers.JSON, "ups/*.json") }

func FuzzUPS(f *testing.F) {
	normalizertest.Seeds(f, "ups/*.json")
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}
