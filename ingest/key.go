package ingest

import (
	"bytes"
	"strconv"

	"github.com/valyala/fastjson"
)

// keyPaths are, per source, where its bodies give the tracking number, in
// the order tried: the record key, so that one parcel's webhooks land in
// one partition and stay in order. A source not listed, or a body without
// any of them, gives records without a key.
var keyPaths = map[string][][]string{
	"easypost":     {{"result", "tracking_code"}, {"tracking_code"}},                                           // Event, Tracker
	"shippo":       {{"data", "tracking_number"}, {"tracking_number"}},                                         // track_updated, Track
	"aftership":    {{"msg", "tracking_number"}, {"data", "tracking", "tracking_number"}, {"tracking_number"}}, // webhook msg, v4 tracking
	"17track":      {{"data", "number"}},                                                                       // TRACKING_UPDATED push
	"karrio":       {{"data", "tracking_number"}, {"tracking_number"}},                                         // tracker_updated, tracker
	"ship24":       {{"trackings", "0", "tracker", "trackingNumber"}, {"tracker", "trackingNumber"}},           // webhook, tracking result
	"trackingmore": {{"data", "tracking_number"}, {"tracking_number"}},                                         // webhook and tracking (v4)
	"ups":          {{"trackResponse", "shipment", "0", "package", "0", "trackingNumber"}},
	"fedex":        {{"output", "completeTrackResults", "0", "trackingNumber"}},
}

// maxKey bounds a key taken from a body (the longest real tracking
// numbers have 34 characters; normalize refuses more than 64).
const maxKey = 64

// trackingKey appends to dst the tracking number in body, which is valid
// JSON, at the first of paths that has a string there (nothing when none
// has). Most bodies are read by a walk along each path that skips what is
// off it (no tree built); a body whose walk meets an escape on the way is
// parsed instead, with the parser's reading of escapes.
func trackingKey(dst, body []byte, paths [][]string, parsers *fastjson.ParserPool) []byte {
	for _, p := range paths {
		s, ok := stringAt(body, p)
		if !ok {
			return parsedKey(dst, body, paths, parsers)
		}
		if len(s) > 0 && len(s) <= maxKey {
			return append(dst, s...)
		}
	}
	return dst
}

// parsedKey is trackingKey through fastjson's parser.
func parsedKey(dst, body []byte, paths [][]string, parsers *fastjson.ParserPool) []byte {
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return dst
	}
	for _, path := range paths {
		s := v.GetStringBytes(path...)
		if len(s) > 0 && len(s) <= maxKey {
			return append(dst, s...)
		}
	}
	return dst
}

// stringAt is the string at path in b (valid JSON), nil when there is
// none, as fastjson's GetStringBytes finds it: the first key written as
// the path's name, array elements by decimal index. ok is false when the
// walk cannot say without unescaping: the string, or a key of an object
// on the way that has no plain match, holds an escape.
func stringAt(b []byte, path []string) (s []byte, ok bool) {
	i := skipSpace(b, 0)
	for _, name := range path {
		if i >= len(b) {
			return nil, true
		}
		switch b[i] {
		case '{':
			var found bool
			if i, found, ok = member(b, i, name); !ok || !found {
				return nil, ok
			}
		case '[':
			n, err := strconv.Atoi(name)
			if err != nil || n < 0 {
				return nil, true
			}
			i = skipSpace(b, i+1)
			for k := 0; ; k++ {
				if i >= len(b) || b[i] == ']' {
					return nil, true
				}
				if k == n {
					break
				}
				i = skipSpace(b, skipValue(b, i))
				if i < len(b) && b[i] == ',' {
					i = skipSpace(b, i+1)
				}
			}
		default:
			return nil, true
		}
	}
	if i >= len(b) || b[i] != '"' {
		return nil, true
	}
	end := stringEnd(b, i)
	s = b[i+1 : end-1]
	return s, bytes.IndexByte(s, '\\') < 0
}

// member finds name among the members of the object at b[i], and returns
// where its value starts.
func member(b []byte, i int, name string) (at int, found, ok bool) {
	escaped := false
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		end := stringEnd(b, i)
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ':' {
			i = skipSpace(b, i+1)
		}
		if string(key) == name {
			return i, true, true
		}
		escaped = escaped || bytes.IndexByte(key, '\\') >= 0
		i = skipSpace(b, skipValue(b, i))
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return i, false, !escaped
}

// skipValue is where the value at b[i] ends.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// stringEnd is where the string whose quote is at b[i] ends (after its
// closing quote).
func stringEnd(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		i++
		if (i-1-k)%2 == 0 {
			return i
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}
