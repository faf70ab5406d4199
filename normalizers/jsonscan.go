package normalizers

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONScanner reads a JSON payload in one pass, in place, without building
// a tree: the decoder walks the objects and arrays it wants (Object and Key,
// Array and Elem), takes the strings it wants (Str), and skips the rest
// (Skip), which is checked as it is passed over but costs no allocation.
// Carrier answers are mostly what a decoder never reads (addresses,
// dimensions, customer records), and a tree parse of all of it cost more
// than the rest of normalizing (fastjson's parse was 60% of PostNL's time).
//
// It accepts what fastjson's parser accepted, so that no payload reads
// differently: the same grammar (numbers are runs of digits, signs, points
// and exponents, or inf and nan; strings end at an unescaped quote), the
// same nesting limit (MaxJSONDepth), escapes expanded as fastjson did (an
// invalid one kept as written), and nothing but white space after the top
// value. The first error sticks: every call after it returns nothing, so a
// decoder's loops end, and Err reports it.
//
// A value must be read whole (Str, Skip, Raw, or the Key or Elem loop of an
// Object or Array to its end) before the next Key or Elem; the scanner
// checks the commas and reports a decoder that does not as malformed JSON.
// It is not safe for concurrent use.
type JSONScanner struct {
	data  []byte
	pos   int
	depth int
	// first: the container just entered has not had a member yet, so the
	// next Key or Elem expects no comma.
	first bool
	err   error
	// buf holds unescaped strings. It only grows within a payload, so an
	// unescaped value stays valid until the next Reset.
	buf []byte
	key []byte
}

// MaxJSONDepth is the deepest nesting JSONScanner reads, fastjson's.
const MaxJSONDepth = 300

// JSONKind is the kind of a JSON value.
type JSONKind uint8

const (
	JSONInvalid JSONKind = iota
	JSONObject
	JSONArray
	JSONString
	JSONNumber
	JSONTrue
	JSONFalse
	JSONNull
)

var jsonKindNames = [...]string{"invalid value", "object", "array", "string", "number", "true", "false", "null"}

// String names the kind as fastjson did ("object", "array", ...), for
// messages such as "Events is a JSON string, not an array".
func (k JSONKind) String() string { return jsonKindNames[k] }

// Reset starts scanning data, keeping the scanner's buffer.
func (s *JSONScanner) Reset(data []byte) {
	*s = JSONScanner{data: data, buf: s.buf[:0], key: s.key[:0]}
}

// jsonError is a syntax error at a byte offset.
type jsonError struct {
	msg string
	at  int
}

func (e *jsonError) Error() string { return e.msg + " at byte " + strconv.Itoa(e.at) }

func (s *JSONScanner) fail(msg string) {
	if s.err == nil {
		s.err = &jsonError{msg, s.pos}
	}
	s.pos = len(s.data) // every later call finds nothing
}

// Err is the first syntax error, nil if none.
func (s *JSONScanner) Err() error { return s.err }

// skipWS passes white space: indented payloads are mostly runs of spaces,
// taken eight at a time.
func (s *JSONScanner) skipWS() {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' {
		return
	}
	s.skipWSSlow()
}

func (s *JSONScanner) skipWSSlow() { s.pos = wsEnd(s.data, s.pos) }

// Kind is the kind of the next value, without reading it; JSONInvalid at
// the end of the data, after an error, or before a byte no value starts
// with.
func (s *JSONScanner) Kind() JSONKind {
	s.skipWS()
	if s.pos >= len(s.data) {
		return JSONInvalid
	}
	switch c := s.data[s.pos]; c {
	case '{':
		return JSONObject
	case '[':
		return JSONArray
	case '"':
		return JSONString
	case 't':
		return JSONTrue
	case 'f':
		return JSONFalse
	case 'n':
		if len(s.data)-s.pos >= 3 && (s.data[s.pos+1]|0x20) == 'a' {
			return JSONNumber // nan
		}
		return JSONNull
	default:
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c|0x20 == 'e' || c|0x20 == 'i' || c == 'N' {
			return JSONNumber
		}
	}
	return JSONInvalid
}

// Object enters the next value if it is an object (then loop on Key), and
// reports whether it did; any other value is left unread.
func (s *JSONScanner) Object() bool {
	if s.Kind() != JSONObject {
		return false
	}
	return s.open()
}

// Array enters the next value if it is an array (then loop on Elem).
func (s *JSONScanner) Array() bool {
	if s.Kind() != JSONArray {
		return false
	}
	return s.open()
}

func (s *JSONScanner) open() bool {
	if s.depth >= MaxJSONDepth {
		s.fail("nesting deeper than " + strconv.Itoa(MaxJSONDepth))
		return false
	}
	s.depth++
	s.pos++
	s.first = true
	return true
}

// Key reads the next member's key in the object entered last and moves to
// its value, which the caller must read; false at the object's end (read)
// or on an error. The key is only valid until the next Key. It is one
// function, the scanner's hottest: a decoder calls it for every member.
func (s *JSONScanner) Key() ([]byte, bool) {
	d, i := s.data, s.pos
	if i < len(d) && d[i] <= ' ' {
		i = wsEnd(d, i)
	}
	var msg string
	if i >= len(d) {
		msg = "unexpected end of JSON"
		goto failed
	}
	if d[i] == '}' {
		s.pos, s.first = i+1, false
		s.depth--
		return nil, false
	}
	if s.first {
		s.first = false
	} else {
		if d[i] != ',' {
			msg = "missing comma or }"
			goto failed
		}
		if i++; i < len(d) && d[i] <= ' ' {
			i = wsEnd(d, i)
		}
	}
	if i >= len(d) || d[i] != '"' {
		msg = "missing object key"
		goto failed
	}
	if end := strEnd(d, i+1); end >= 0 {
		k := d[i+1 : end-1]
		if i = end; i < len(d) && d[i] <= ' ' {
			i = wsEnd(d, i)
		}
		if i >= len(d) || d[i] != ':' {
			msg = "missing colon after object key"
			goto failed
		}
		if i++; i < len(d) && d[i] <= ' ' {
			i = wsEnd(d, i)
		}
		s.pos = i
		if bytes.IndexByte(k, '\\') >= 0 {
			s.key = unescapeJSON(s.key[:0], k)
			k = s.key
		}
		return k, true
	}
	msg = "unterminated string"
failed:
	s.pos = i
	s.fail(msg)
	return nil, false
}

// Elem moves to the next element of the array entered last, which the
// caller must read; false at the array's end (read) or on an error.
func (s *JSONScanner) Elem() bool {
	s.skipWS()
	if s.pos >= len(s.data) {
		s.fail("unexpected end of JSON")
		return false
	}
	c := s.data[s.pos]
	if c == ']' {
		s.pos++
		s.depth--
		s.first = false
		return false
	}
	if s.first {
		s.first = false
		return true
	}
	if c != ',' {
		s.fail("missing comma or ]")
		return false
	}
	s.pos++
	return true
}

// str reads the string at pos (its opening quote) and returns its raw
// content and whether it holds a backslash.
func (s *JSONScanner) str() ([]byte, bool) {
	start := s.pos + 1
	end := strEnd(s.data, start)
	if end < 0 {
		s.fail("unterminated string")
		return nil, false
	}
	s.pos = end
	v := s.data[start : end-1]
	return v, bytes.IndexByte(v, '\\') >= 0
}

// Str reads the next value and returns it when it is a string, escapes
// expanded; any other value is skipped and gives nil. The bytes stay valid
// until the next Reset.
func (s *JSONScanner) Str() []byte {
	d, i := s.data, s.pos
	if i < len(d) && d[i] <= ' ' {
		i = wsEnd(d, i)
		s.pos = i
	}
	if i >= len(d) || d[i] != '"' || s.depth >= MaxJSONDepth {
		s.Skip()
		return nil
	}
	end := strEnd(d, i+1)
	if end < 0 {
		s.fail("unterminated string")
		return nil
	}
	s.pos = end
	v := d[i+1 : end-1]
	if bytes.IndexByte(v, '\\') < 0 {
		return v
	}
	start := len(s.buf)
	s.buf = unescapeJSON(s.buf, v)
	return s.buf[start:len(s.buf):len(s.buf)]
}

// Members reads the next value, an object, calling read(i) at the first
// member named names[i] (read must read its value whole); other members
// are skipped, and bit i of the result says names[i] was there. Any other
// value is skipped and gives nothing, as a look-up in it found nothing.
func (s *JSONScanner) Members(read func(i int), names ...string) (present uint32) {
	if !s.Object() {
		s.Skip()
		return 0
	}
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		at := -1
		for i, n := range names {
			if len(n) == len(k) && string(k) == n {
				at = i
				break
			}
		}
		if at < 0 || present&(1<<uint(at&31)) != 0 {
			s.Skip()
			continue
		}
		present |= 1 << uint(at&31)
		read(at)
	}
	return present
}

// Fields is Members for string members: out[i] is the first member named
// names[i], nil when it is not a string.
func (s *JSONScanner) Fields(out [][]byte, names ...string) (present uint32) {
	return s.Members(func(i int) { out[i] = s.Str() }, names...)
}

// Raw skips the next value and returns it as written, for a decoder that
// reads it later (with another JSONScanner) once its siblings are known.
func (s *JSONScanner) Raw() []byte {
	s.skipWS()
	start := s.pos
	s.Skip()
	if s.err != nil {
		return nil
	}
	return s.data[start:s.pos]
}

// Skip reads the next value whole and checks it, keeping nothing.
func (s *JSONScanner) Skip() {
	s.skipWS()
	if s.pos >= len(s.data) {
		s.fail("unexpected end of JSON")
		return
	}
	switch c := s.data[s.pos]; c {
	case '"':
		s.pos = strEnd(s.data, s.pos+1)
		if s.pos < 0 {
			s.pos = 0
			s.fail("unterminated string")
		}
	case '{', '[':
		s.skipContainer()
	default:
		s.scalar(c)
	}
}

// skipContainer skips the object or array at pos in one loop over the
// bytes, without recursion: this is where a decoder spends most of its
// time, on what it does not read.
func (s *JSONScanner) skipContainer() {
	// Bit d of inObj says whether the container d levels below the
	// caller's is an object; depth counts them with the caller's, for the
	// limit.
	var inObj [(MaxJSONDepth + 63) / 64]uint64
	d, i, depth := s.data, s.pos, s.depth
	base := depth
	var c byte
	var msg string
value:
	if i < len(d) && d[i] <= ' ' {
		i = wsEnd(d, i)
	}
	if i >= len(d) {
		goto eof
	}
	c = d[i]
	switch c {
	case '"':
		if i = strEnd(d, i+1); i < 0 {
			i, msg = len(d), "unterminated string"
			goto failed
		}
	case '{', '[':
		if depth >= MaxJSONDepth {
			msg = "nesting deeper than " + strconv.Itoa(MaxJSONDepth)
			goto failed
		}
		l := depth - base
		if c == '{' {
			inObj[l/64] |= 1 << (l % 64)
		} else {
			inObj[l/64] &^= 1 << (l % 64)
		}
		depth++
		i++
		if i < len(d) && d[i] <= ' ' {
			i = wsEnd(d, i)
		}
		if i < len(d) && d[i] == c+2 { // '}' and ']' are two past '{' and '['
			i++
			depth--
			break
		}
		if c == '{' {
			goto key
		}
		goto value
	default:
		s.pos, s.depth = i, depth
		s.scalar(c)
		if s.err != nil {
			return
		}
		i = s.pos
	}
	// After a value: close containers or pass a comma.
	for depth > base {
		if i < len(d) && d[i] <= ' ' {
			i = wsEnd(d, i)
		}
		if i >= len(d) {
			goto eof
		}
		c = d[i]
		l := depth - base - 1
		obj := inObj[l/64]&(1<<(l%64)) != 0
		switch {
		case c == ',':
			i++
			if !obj {
				goto value
			}
			if i < len(d) && d[i] <= ' ' {
				i = wsEnd(d, i)
			}
			goto key
		case obj && c == '}' || !obj && c == ']':
			i++
			depth--
		default:
			msg = "missing comma or closing bracket"
			goto failed
		}
	}
	s.pos, s.depth = i, depth
	return
key:
	if i >= len(d) || d[i] != '"' {
		msg = "missing object key"
		goto failed
	}
	if i = strEnd(d, i+1); i < 0 {
		i, msg = len(d), "unterminated string"
		goto failed
	}
	if i < len(d) && d[i] <= ' ' {
		i = wsEnd(d, i)
	}
	if i >= len(d) || d[i] != ':' {
		msg = "missing colon after object key"
		goto failed
	}
	i++
	goto value
eof:
	msg = "unexpected end of JSON"
failed:
	s.pos, s.depth = i, depth
	s.fail(msg)
}

// strEnd is the index just past the closing quote of the string whose
// content starts at i, or -1 if it has none.
func strEnd(d []byte, i int) int {
	for {
		n := bytes.IndexByte(d[i:], '"')
		if n < 0 {
			return -1
		}
		end := i + n
		if n == 0 || d[end-1] != '\\' {
			return end + 1
		}
		// The quote may be escaped: an odd run of backslashes before it.
		bs := 1
		for j := end - 2; j >= i && d[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return end + 1
		}
		i = end + 1
	}
}

// wsEnd is the index of the first byte from i that is not JSON white
// space. Indented payloads are mostly runs of spaces, taken eight at a
// time.
func wsEnd(d []byte, i int) int {
	for i < len(d) {
		c := d[i]
		if c > ' ' {
			break
		}
		if c == ' ' {
			for i+8 <= len(d) && binary.LittleEndian.Uint64(d[i:]) == 0x2020202020202020 {
				i += 8
			}
			if i < len(d) && d[i] == ' ' {
				i++
			}
			continue
		}
		if c != '\n' && c != '\t' && c != '\r' {
			break
		}
		i++
	}
	return i
}

func (s *JSONScanner) scalar(c byte) {
	if s.depth >= MaxJSONDepth { // fastjson counted a scalar as a level too
		s.fail("nesting deeper than " + strconv.Itoa(MaxJSONDepth))
		return
	}
	d := s.data[s.pos:]
	switch c {
	case '"':
		s.str()
		return
	case 't':
		if bytes.HasPrefix(d, []byte("true")) {
			s.pos += 4
			return
		}
	case 'f':
		if bytes.HasPrefix(d, []byte("false")) {
			s.pos += 5
			return
		}
	case 'n':
		if bytes.HasPrefix(d, []byte("null")) {
			s.pos += 4
			return
		}
	}
	i := 0
	for i < len(d) {
		c := d[i]
		if c >= '0' && c <= '9' || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+' {
			i++
			continue
		}
		break
	}
	if i < len(d) && (i == 0 || i == 1 && (d[0] == '-' || d[0] == '+')) { // as fastjson: a lone sign ending the data passes
		if len(d) >= i+3 && (bytes.EqualFold(d[i:i+3], []byte("inf")) || bytes.EqualFold(d[i:i+3], []byte("nan"))) {
			s.pos += i + 3
			return
		}
		s.fail("unexpected " + strconv.QuoteRune(rune(c)))
		return
	}
	s.pos += i
}

// End checks that nothing but white space follows the value read.
func (s *JSONScanner) End() error {
	s.skipWS()
	if s.err == nil && s.pos < len(s.data) {
		s.fail("unparsed tail")
	}
	return s.err
}

// unescapeJSON appends v with its escapes expanded as fastjson did: an
// invalid escape, or a lone surrogate, is kept as written.
func unescapeJSON(b, v []byte) []byte {
	for len(v) > 0 {
		n := bytes.IndexByte(v, '\\')
		if n < 0 {
			return append(b, v...)
		}
		b = append(b, v[:n]...)
		v = v[n+1:]
		if len(v) == 0 {
			return b // cannot happen: a string's last backslash escapes its quote
		}
		c := v[0]
		v = v[1:]
		switch c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			x, ok := hex4(v)
			if !ok {
				b = append(b, '\\', 'u')
				break
			}
			if !utf16.IsSurrogate(x) {
				b = utf8.AppendRune(b, x)
				v = v[4:]
				break
			}
			var y rune
			if len(v) >= 10 && v[4] == '\\' && v[5] == 'u' {
				y, ok = hex4(v[6:])
			} else {
				ok = false
			}
			if !ok {
				b = append(b, '\\', 'u')
				b = append(b, v[:4]...)
				v = v[4:]
				break
			}
			b = utf8.AppendRune(b, utf16.DecodeRune(x, y))
			v = v[10:]
		default:
			b = append(b, '\\', c)
		}
	}
	return b
}

func hex4(v []byte) (rune, bool) {
	if len(v) < 4 {
		return 0, false
	}
	var x rune
	for _, c := range v[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		x = x<<4 | rune(c)
	}
	return x, true
}

// ScanObject starts s on a payload whose top level must be an object, as
// every JSON carrier API answers, and leaves that object for the decoder to
// read (Members, or Object and Key), which then ends with s.Finish. The
// errors are decode errors that say what was expected, as ParseObject's:
// what names the answer.
func ScanObject(s *JSONScanner, payload []byte, carrier, what string) error {
	s.Reset(payload)
	k := s.Kind()
	if k == JSONObject {
		return nil
	}
	s.Skip()
	if err := s.Finish(carrier); err != nil {
		return err
	}
	return Errorf(KindDecode, carrier, "not %s: the payload is a JSON %s, not an object", what, k)
}

// Finish checks that the payload was well-formed JSON to its end: a
// decoder calls it after reading its top object, before it reports
// anything it found, so that a payload cut short is a decode error
// whatever came before the cut.
func (s *JSONScanner) Finish(carrier string) error {
	if err := s.End(); err != nil {
		return Errorf(KindDecode, carrier, "malformed JSON: %v", err)
	}
	return nil
}

// Scratch is a decoder's per-payload state from its pool (a scanner and the
// fields it collects, kept between payloads so that they allocate nothing),
// or a new one; Put it back when done.
func Scratch[T any](pool *sync.Pool) *T {
	if v, ok := pool.Get().(*T); ok {
		return v
	}
	return new(T)
}
