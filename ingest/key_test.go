package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// keySeeds are the real payloads of every source with key paths, and
// bodies whose keys or strings hold escapes, duplicates or odd spacing.
func keySeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for source := range keyPaths {
		files, _ := filepath.Glob(filepath.Join("../testdata/carriers", source, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	for _, s := range []string{
		`{"result":{"tracking_code":"EZ1"}}`, `{"result":{"tracking_code":"E\"Z\\1"}}`, `{"result":{"tracking\u005fcode":"EZ1"}}`,
		`{"result":{"tracking\u005fcode":"EZ1","tracking_code":"EZ2"}}`, `{"result":{"a\\":1,"tracking_code":"EZ3"}}`,
		`{"result":{"tracking_code":"EZ1","tracking_code":"EZ2"}}`, ` { "result" : { "x" : [ 1 , { "y" : "}" } ] , "tracking_code" : "EZ4" } } `,
		`{"trackings":[{"tracker":{"trackingNumber":"A"}},{"tracker":{"trackingNumber":"B"}}]}`, `{"trackings":[]}`, `{"trackings":{"0":{"tracker":{"trackingNumber":"C"}}}}`,
		`{"result":{"tracking_code":12}}`, `{"result":null,"tracking_code":"EZ5"}`, `[{"tracking_code":"EZ6"}]`, `"EZ7"`, `{"data":{"number":"x\\\\"}}`,
		`{"data":{"tracking_number":"` + strings.Repeat("9", 65) + `"},"tracking_number":"EZ8"}`, `{"msg":{"tracking_number":"\\u0041"}}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzTrackingKey: the walk finds the key fastjson's parser finds, in
// every valid JSON body, for every source's paths.
func FuzzTrackingKey(f *testing.F) {
	for _, s := range keySeeds(f) {
		f.Add(s)
	}
	sources := slices.Sorted(func(yield func(string) bool) {
		for s := range keyPaths {
			if !yield(s) {
				return
			}
		}
	})
	var parsers fastjson.ParserPool
	f.Fuzz(func(t *testing.T, body []byte) {
		if fastjson.ValidateBytes(body) != nil {
			return
		}
		for _, source := range sources {
			paths := keyPaths[source]
			got, want := trackingKey(nil, body, paths, &parsers), parsedKey(nil, body, paths, &parsers)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: key %q, the parser's %q", source, got, want)
			}
		}
	})
}
