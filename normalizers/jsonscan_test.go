package normalizers

import (
	"bytes"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// jsonSeeds are inputs fastjson accepts and refuses, at the edges of the
// grammar JSONScanner must read alike.
var jsonSeeds = []string{
	`{}`, `[]`, ` {"a" : [1, 2.5e-3, -0, true, false, null, "x"]} `, `{"a":{"b":{"c":[[],{}]}}}`,
	`"s"`, `12`, `-inf`, `NaN`, `nan`, `1.2.3`, `e5`, `+`, `-`, `tru`, `nul`, `{"a":nope}`,
	`{"a\"b":"c\\"}`, `{"k\u00e9y":"\u00e9\ud83d\ude00\ud83d\u0041\u12"}`, `"\x"`, `"\`, `"a\\\"b"`,
	`{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{"a":1 "b":2}`, `{,}`, `{"a":1}}`, `{"a":1} x`, "\x00{}",
	"{\"a\":\x001}", "{\t\r\n\"a\"\n:\n1\n}", `{"a":[` + strings.Repeat(" ", 37) + `1]}`, ``, `   `, `{`, `[`,
	`{"a"`, `{"a":`, `[{"a":[{"b":"`,
	strings.Repeat("[", 299) + strings.Repeat("]", 299),
	strings.Repeat("[", 300) + strings.Repeat("]", 300),
	strings.Repeat("[", 299) + "1" + strings.Repeat("]", 299),
	strings.Repeat("[", 300) + "1" + strings.Repeat("]", 300),
	strings.Repeat("[", 301) + strings.Repeat("]", 301),
	`{"a":` + strings.Repeat(`{"b":`, 298) + `1` + strings.Repeat("}", 299),
	`{"a":` + strings.Repeat(`{"b":`, 299) + `1` + strings.Repeat("}", 300),
}

// TestJSONScannerAsFastjson reads each seed with both parsers: JSONScanner
// must accept what fastjson's parser accepts, and read the same keys,
// strings and numbers.
func TestJSONScannerAsFastjson(t *testing.T) {
	for _, s := range jsonSeeds {
		if err := sameAsFastjson([]byte(s)); err != "" {
			t.Errorf("%.80q: %s", s, err)
		}
	}
}

func FuzzJSONScanner(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := sameAsFastjson(data); err != "" {
			t.Fatal(err)
		}
	})
}

// sameAsFastjson reads data with both and says how they differ ("" if
// they do not). It reads it twice: once following fastjson's tree, once
// skipping the top value whole.
func sameAsFastjson(data []byte) string {
	var p fastjson.Parser
	v, ferr := p.ParseBytes(data)
	var s JSONScanner
	s.Reset(data)
	s.Skip()
	serr := s.End()
	if (ferr == nil) != (serr == nil) {
		return "fastjson: " + errText(ferr) + "; Skip: " + errText(serr)
	}
	if ferr != nil {
		return ""
	}
	s.Reset(data)
	if d := walk(&s, v); d != "" {
		return d
	}
	if err := s.End(); err != nil {
		return "after the walk: " + err.Error()
	}
	// Raw gives the value as written.
	s.Reset(data)
	raw := s.Raw()
	if !bytes.Equal(raw, bytes.Trim(data, " \t\r\n")) {
		return "Raw: " + string(raw)
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

func walk(s *JSONScanner, v *fastjson.Value) string {
	k := s.Kind()
	switch v.Type() {
	case fastjson.TypeObject:
		if !s.Object() {
			return "not an object: " + k.String()
		}
		o, _ := v.Object()
		diff := ""
		o.Visit(func(key []byte, v *fastjson.Value) {
			if diff != "" {
				return
			}
			got, ok := s.Key()
			if !ok {
				diff = "missing key " + string(key)
				return
			}
			if !bytes.Equal(got, key) {
				diff = "key " + string(got) + ", want " + string(key)
				return
			}
			diff = walk(s, v)
		})
		if diff != "" {
			return diff
		}
		if key, ok := s.Key(); ok {
			return "extra key " + string(key)
		}
	case fastjson.TypeArray:
		if !s.Array() {
			return "not an array: " + k.String()
		}
		a, _ := v.Array()
		for _, e := range a {
			if !s.Elem() {
				return "missing element"
			}
			if d := walk(s, e); d != "" {
				return d
			}
		}
		if s.Elem() {
			return "extra element"
		}
	case fastjson.TypeString:
		want, _ := v.StringBytes()
		if got := s.Str(); !bytes.Equal(got, want) {
			return "string " + string(got) + ", want " + string(want)
		}
	case fastjson.TypeNumber:
		if k != JSONNumber {
			return "not a number: " + k.String()
		}
		if got := s.Raw(); string(got) != v.String() {
			return "number " + string(got) + ", want " + v.String()
		}
	default:
		if k.String() != v.Type().String() {
			return "kind " + k.String() + ", want " + v.Type().String()
		}
		s.Skip()
	}
	if err := s.Err(); err != nil {
		return err.Error()
	}
	return ""
}
