package normalizers

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// XMLScanner is a streaming XML tokenizer for carrier decoders. It reads
// the payload in place and hands out slices of it, so a decoder keeps only
// the values it wants and a payload costs no allocation (encoding/xml into
// structs costs about 160 per event). It reads the XML that carriers send
// and refuses the rest with an error that names the line:
//
//   - no DOCTYPE, hence no entity definitions and no external entities: only
//     the five predefined entities and character references are expanded;
//   - at most MaxXMLDepth open elements and MaxXMLText bytes of text in one
//     token;
//   - end tags must match their start tags, and the text must be UTF-8 (a
//     payload declared as ISO-8859-1 or windows-1252 is converted first).
//
// Namespaces are not resolved: Name is the local name, without its prefix,
// which is what carrier schemas tell their elements apart by. Attributes are
// checked for shape and skipped unless a decoder asks for one (Attr), for
// the few APIs that put their data in attributes. Text that is only white
// space is skipped.
//
// It is not safe for concurrent use; use one per payload.
type XMLScanner struct {
	data  []byte
	pos   int
	stack [MaxXMLDepth][]byte
	depth int
	kind  XMLKind
	name  []byte // local name of the current start or end element
	text  []byte // the current text token
	buf   []byte // scratch for text with entities or CDATA
	self  bool   // the current start element is self-closing
	attrs [2]int // the current start tag's attributes: data[attrs[0]:attrs[1]]
	err   error
}

// XMLKind is the kind of token XMLScanner.Next returned.
type XMLKind uint8

const (
	XMLEOF XMLKind = iota
	XMLStart
	XMLEnd
	XMLText
)

// Bounds of XMLScanner. Carrier answers nest less than 20 deep and their
// longest texts are a few hundred bytes.
const (
	MaxXMLDepth = 64
	MaxXMLText  = 64 << 10
	maxXMLName  = 256
	maxXMLAttrs = 64
)

// NewXMLScanner starts scanning data. A byte order mark and an XML
// declaration are read here; a declared single-byte charset is converted to
// UTF-8 (allocating once), any other non-UTF-8 charset is an error at the
// first Next.
func NewXMLScanner(data []byte) *XMLScanner {
	s := &XMLScanner{}
	s.Reset(data)
	return s
}

// XMLScanners keeps a decoder's scanners for reuse from payload to payload
// (their buffers survive), as many as payloads are decoded at once. The
// zero value is ready.
type XMLScanners struct{ pool sync.Pool }

// Get returns a scanner reset to data; give it back with Put once the
// payload's texts are no longer needed.
func (p *XMLScanners) Get(data []byte) *XMLScanner {
	s, _ := p.pool.Get().(*XMLScanner)
	if s == nil {
		s = &XMLScanner{}
	}
	s.Reset(data)
	return s
}

// Put returns a scanner to the pool.
func (p *XMLScanners) Put(s *XMLScanner) { p.pool.Put(s) }

// Reset starts scanning data, keeping the scanner's buffer.
func (s *XMLScanner) Reset(data []byte) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	*s = XMLScanner{data: data, buf: s.buf[:0]}
	if enc := declaredEncoding(data); enc != "" {
		switch strings.ToLower(enc) {
		case "utf-8", "utf8", "us-ascii", "ascii":
		case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			out := make([]byte, 0, len(data)+len(data)/8)
			for _, c := range data {
				out = utf8.AppendRune(out, rune(c))
			}
			s.data = out
		default:
			s.err = s.errorf("unsupported charset " + strconv.Quote(clip(enc, 40)) + " (UTF-8 and ISO-8859-1 are read)")
			return
		}
	}
	if !utf8.Valid(s.data) {
		s.err = s.errorf("not valid UTF-8")
	}
}

// declaredEncoding is the encoding="..." of an XML declaration, or "".
func declaredEncoding(data []byte) string {
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := data[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n=")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// Name is the local name of the current start or end element. It is only
// valid until the next call to Next.
func (s *XMLScanner) Name() []byte { return s.name }

// Text is the current text token, entities expanded. It stays valid until
// the next Reset: a text is a slice of the payload, or of a buffer the
// scanner only appends to, so a decoder may keep the texts of a whole record
// without copying them.
func (s *XMLScanner) Text() []byte { return s.text }

// Depth is the number of open elements; after a start token it counts the
// new element.
func (s *XMLScanner) Depth() int { return s.depth }

// Parent is the local name of the element enclosing the current one by up
// levels (0: the current element itself), or nil.
func (s *XMLScanner) Parent(up int) []byte {
	if up < 0 || up >= s.depth {
		return nil
	}
	return s.stack[s.depth-1-up]
}

// Next reads the next token. At the end of a well-formed document it
// returns XMLEOF and a nil error; a document that ends with elements open,
// or has none, is an error.
func (s *XMLScanner) Next() (XMLKind, error) {
	if s.err != nil {
		return XMLEOF, s.err
	}
	if s.self { // the end of <x/>
		s.self = false
		s.depth--
		s.kind = XMLEnd
		return XMLEnd, nil
	}
	for {
		if s.pos >= len(s.data) {
			if s.depth > 0 {
				return s.fail("the document ends inside <" + string(s.stack[s.depth-1]) + ">")
			}
			if s.kind == XMLEOF {
				return s.fail("no root element")
			}
			return XMLEOF, nil
		}
		if s.data[s.pos] != '<' {
			k, err := s.chardata()
			if err != nil || k == XMLText {
				return k, err
			}
			continue
		}
		rest := s.data[s.pos:]
		switch {
		case len(rest) > 1 && rest[1] != '!' && rest[1] != '?':
			// The common case, told by one byte: a start or an end tag.
			if rest[1] == '/' {
				return s.endTag()
			}
			return s.startTag()
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return s.fail("unterminated comment")
			}
			s.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if s.depth == 0 {
				return s.fail("CDATA outside the root element")
			}
			k, err := s.chardata()
			if err != nil || k == XMLText {
				return k, err
			}
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return s.fail("unterminated processing instruction")
			}
			s.pos += end + 2
		case bytes.HasPrefix(rest, []byte("<!")):
			// DOCTYPE and its entity definitions: refused, so no entity
			// expansion (billion laughs) or external entity is possible.
			return s.fail("DOCTYPE and other declarations are not accepted")
		case len(rest) > 1 && rest[1] == '/':
			return s.endTag()
		default:
			return s.startTag()
		}
	}
}

// Attr is the value of the current start element's attribute whose local
// name is name, entities expanded, or nil when it has none. The start tag
// was checked when it was read, so this only finds the value. Like Text,
// the value stays valid until the next Reset.
func (s *XMLScanner) Attr(name string) []byte {
	if s.kind != XMLStart {
		return nil
	}
	tag := s.data[:s.attrs[1]]
	for p := s.attrs[0]; p < len(tag); {
		for p < len(tag) && isSpace(tag[p]) {
			p++
		}
		start := p
		for p < len(tag) && tag[p] != '=' && !isSpace(tag[p]) && tag[p] != '>' && tag[p] != '/' {
			p++
		}
		key := localName(tag[start:p])
		for p < len(tag) && tag[p] != '"' && tag[p] != '\'' {
			p++
		}
		if p >= len(tag) {
			return nil
		}
		end := p + 1 + bytes.IndexByte(tag[p+1:], tag[p])
		if string(key) == name {
			return s.attrValue(p+1, end)
		}
		p = end + 1
	}
	return nil
}

// attrValue is data[from:to] with its entities expanded.
func (s *XMLScanner) attrValue(from, to int) []byte {
	raw := s.data[from:to]
	if bytes.IndexByte(raw, '&') < 0 {
		return raw
	}
	mark, saved := len(s.buf), s.pos
	defer func() { s.pos = saved }()
	for s.pos = from; s.pos < to; {
		if c := s.data[s.pos]; c != '&' {
			s.buf = append(s.buf, c)
			s.pos++
			continue
		}
		if s.entity() != nil {
			s.err = nil // the value is given up, not the document
			s.buf = s.buf[:mark]
			return nil
		}
	}
	return s.buf[mark:len(s.buf):len(s.buf)]
}

// Skip reads past the end of the element just started.
func (s *XMLScanner) Skip() error {
	for d := s.depth; ; {
		k, err := s.Next()
		if err != nil {
			return err
		}
		if k == XMLEnd && s.depth < d || k == XMLEOF {
			return nil
		}
	}
}

func (s *XMLScanner) startTag() (XMLKind, error) {
	p := s.pos + 1
	name, p, err := s.readName(p)
	if err != nil {
		return XMLEOF, err
	}
	if s.depth == 0 && s.kind != XMLEOF {
		return s.fail("a second root element <" + string(name) + ">")
	}
	attrs := 0
	for {
		for p < len(s.data) && isSpace(s.data[p]) {
			p++
		}
		if p >= len(s.data) {
			return s.fail("unterminated start tag <" + string(name) + ">")
		}
		switch c := s.data[p]; {
		case c == '>':
			p++
		case c == '/' && p+1 < len(s.data) && s.data[p+1] == '>':
			p += 2
			s.self = true
		default:
			if attrs++; attrs > maxXMLAttrs {
				return s.fail("more than " + strconv.Itoa(maxXMLAttrs) + " attributes on <" + string(name) + ">")
			}
			var err error
			if _, p, err = s.readName(p); err != nil {
				return XMLEOF, err
			}
			for p < len(s.data) && isSpace(s.data[p]) {
				p++
			}
			if p >= len(s.data) || s.data[p] != '=' {
				return s.fail("attribute without a value in <" + string(name) + ">")
			}
			p++
			for p < len(s.data) && isSpace(s.data[p]) {
				p++
			}
			if p >= len(s.data) || (s.data[p] != '"' && s.data[p] != '\'') {
				return s.fail("unquoted attribute value in <" + string(name) + ">")
			}
			end := bytes.IndexByte(s.data[p+1:], s.data[p])
			if end < 0 || end > MaxXMLText || bytes.IndexByte(s.data[p+1:p+1+end], '<') >= 0 {
				return s.fail("bad attribute value in <" + string(name) + ">")
			}
			p += 1 + end + 1
			continue
		}
		break
	}
	if s.depth >= MaxXMLDepth {
		return s.fail("elements nested deeper than " + strconv.Itoa(MaxXMLDepth))
	}
	s.attrs = [2]int{s.pos + 1 + len(name), p}
	s.name = localName(name)
	s.stack[s.depth] = s.name
	s.depth++
	s.pos = p
	s.kind = XMLStart
	return XMLStart, nil
}

func (s *XMLScanner) endTag() (XMLKind, error) {
	// Most end tags are the open element's name without a prefix, right
	// before '>': compare it in place.
	if s.depth > 0 {
		top := s.stack[s.depth-1]
		if p := s.pos + 2 + len(top); p < len(s.data) && s.data[p] == '>' && bytes.Equal(s.data[s.pos+2:p], top) {
			s.depth--
			s.name = top
			s.pos = p + 1
			s.kind = XMLEnd
			return XMLEnd, nil
		}
	}
	name, p, err := s.readName(s.pos + 2)
	if err != nil {
		return XMLEOF, err
	}
	for p < len(s.data) && isSpace(s.data[p]) {
		p++
	}
	if p >= len(s.data) || s.data[p] != '>' {
		return s.fail("unterminated end tag </" + string(name) + ">")
	}
	local := localName(name)
	if s.depth == 0 || !bytes.Equal(s.stack[s.depth-1], local) {
		return s.fail("end tag </" + string(name) + "> does not match the open element")
	}
	s.depth--
	s.name = local
	s.pos = p + 1
	s.kind = XMLEnd
	return XMLEnd, nil
}

// readName reads an XML name at p.
func (s *XMLScanner) readName(p int) ([]byte, int, error) {
	start := p
	for end := min(len(s.data), start+maxXMLName+1); p < end && nameBytes[s.data[p]] == nameByte; {
		p++
	}
	if p-start > maxXMLName {
		_, err := s.fail("a name longer than " + strconv.Itoa(maxXMLName) + " bytes")
		return nil, p, err
	}
	if p < len(s.data) && nameBytes[s.data[p]] == badNameByte {
		_, err := s.fail("bad character " + strconv.QuoteRune(rune(s.data[p])) + " in a name")
		return nil, p, err
	}
	if p == start {
		_, err := s.fail("a tag without a name")
		return nil, p, err
	}
	return s.data[start:p], p, nil
}

// nameBytes classes the bytes readName meets: those that end a name (white
// space, '>', '/', '='), those that may not be in one, and the others.
var nameBytes = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n>/=") {
		t[c] = endNameByte
	}
	for _, c := range []byte("<\"'&") {
		t[c] = badNameByte
	}
	return t
}()

const (
	nameByte uint8 = iota
	endNameByte
	badNameByte
)

func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// chardata reads text and CDATA sections up to the next tag. It returns
// XMLText, or XMLEOF with no error when the text was only white space.
func (s *XMLScanner) chardata() (XMLKind, error) {
	start := s.pos
	// Most texts are plain (no entity, no CDATA): find their end with one
	// IndexByte instead of looking at every byte.
	if end := bytes.IndexByte(s.data[start:], '<'); end >= 0 && end <= MaxXMLText {
		text, next := s.data[start:start+end], s.data[start+end:]
		cdata := len(next) > 1 && next[1] == '!' && bytes.HasPrefix(next, []byte("<![CDATA["))
		if !cdata && blank(text) {
			s.pos = start + end
			return XMLEOF, nil
		}
		if !cdata && bytes.IndexByte(text, '&') < 0 {
			s.pos = start + end
			if s.depth == 0 {
				return s.fail("text outside the root element")
			}
			s.text = text
			s.kind = XMLText
			return XMLText, nil
		}
	}
	plain := true // no entity and no CDATA: the text is a slice of the input
	mark := len(s.buf)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '<' && bytes.HasPrefix(s.data[s.pos:], []byte("<![CDATA[")):
			if plain {
				s.buf = append(s.buf, s.data[start:s.pos]...)
				plain = false
			}
			end := bytes.Index(s.data[s.pos+9:], []byte("]]>"))
			if end < 0 {
				return s.fail("unterminated CDATA section")
			}
			s.buf = append(s.buf, s.data[s.pos+9:s.pos+9+end]...)
			s.pos += 9 + end + 3
		case c == '<':
			goto done
		case c == '&':
			if plain {
				s.buf = append(s.buf, s.data[start:s.pos]...)
				plain = false
			}
			if err := s.entity(); err != nil {
				return XMLEOF, err
			}
		default:
			if !plain {
				s.buf = append(s.buf, c)
			}
			s.pos++
		}
		if s.pos-start > MaxXMLText {
			return s.fail("a text longer than " + strconv.Itoa(MaxXMLText) + " bytes")
		}
	}
done:
	text := s.data[start:s.pos]
	if !plain {
		text = s.buf[mark:len(s.buf):len(s.buf)]
	}
	if len(trimSpace(text)) == 0 && plain {
		return XMLEOF, nil
	}
	if s.depth == 0 {
		return s.fail("text outside the root element")
	}
	s.text = text
	s.kind = XMLText
	return XMLText, nil
}

// blank reports whether b is only XML white space. Indentation is mostly
// spaces, so eight at a time are compared where they can be.
func blank(b []byte) bool {
	const spaces = 0x2020202020202020
	for i := 0; i < len(b); {
		if i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:]) == spaces {
			i += 8
			continue
		}
		if !isSpace(b[i]) {
			return false
		}
		i++
	}
	return true
}

// entity expands the reference at s.pos into s.buf.
func (s *XMLScanner) entity() error {
	end := bytes.IndexByte(s.data[s.pos:min(len(s.data), s.pos+12)], ';')
	if end < 0 {
		_, err := s.fail("unterminated or unknown entity reference")
		return err
	}
	ref := s.data[s.pos+1 : s.pos+end]
	switch string(ref) {
	case "lt":
		s.buf = append(s.buf, '<')
	case "gt":
		s.buf = append(s.buf, '>')
	case "amp":
		s.buf = append(s.buf, '&')
	case "apos":
		s.buf = append(s.buf, '\'')
	case "quot":
		s.buf = append(s.buf, '"')
	default:
		if len(ref) < 2 || ref[0] != '#' {
			_, err := s.fail("undefined entity &" + string(ref) + "; (only the predefined ones are read)")
			return err
		}
		base, digits := 10, ref[1:]
		if digits[0] == 'x' {
			base, digits = 16, digits[1:]
		}
		n, err := strconv.ParseUint(string(digits), base, 32)
		r := rune(n)
		if err != nil || r == 0 || !utf8.ValidRune(r) || (r < ' ' && r != '\t' && r != '\n' && r != '\r') {
			_, err := s.fail("bad character reference &" + string(ref) + ";")
			return err
		}
		s.buf = utf8.AppendRune(s.buf, r)
	}
	s.pos += end + 1
	return nil
}

// fail records and returns an error that names the line.
func (s *XMLScanner) fail(msg string) (XMLKind, error) {
	s.err = s.errorf(msg)
	return XMLEOF, s.err
}

func (s *XMLScanner) errorf(msg string) error {
	line := 1 + bytes.Count(s.data[:min(s.pos, len(s.data))], []byte("\n"))
	return &XMLSyntaxError{Line: line, Msg: msg}
}

// XMLSyntaxError is what XMLScanner refuses a payload with.
type XMLSyntaxError struct {
	Line int
	Msg  string
}

func (e *XMLSyntaxError) Error() string { return "XML line " + strconv.Itoa(e.Line) + ": " + e.Msg }
