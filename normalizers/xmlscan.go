package normalizers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
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
// which is what carrier schemas tell their elements apart by; so is the
// name Attr looks an attribute up by. Text that is only white space is
// skipped. As the XML specification asks, a line end (CR LF or a lone CR)
// in text or an attribute reads as LF, and the text of an element is one
// token however many comments, processing instructions and CDATA sections
// it is cut into (a child element still cuts it in two).
//
// It is not safe for concurrent use; use one per payload.
type XMLScanner struct {
	data  []byte
	pos   int
	stack [MaxXMLDepth][]byte // local names of the open elements
	raw   [MaxXMLDepth][]byte // their names as written, prefix and all
	depth int
	kind  XMLKind
	name  []byte // local name of the current start or end element
	text  []byte // the current text token
	buf   []byte // scratch for text with entities or CDATA
	self  bool   // the current start element is self-closing
	err   error
	// attrs are the attributes of the current start element: local name
	// and value, entities expanded.
	attrs  [maxXMLAttrs]xmlAttr
	nattrs int
}

type xmlAttr struct{ name, value []byte }

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
	if enc := declaredEncoding(data); enc != nil {
		var low [16]byte // the name in lower case, without allocating
		n := copy(low[:], enc)
		for i, c := range low[:n] {
			if c >= 'A' && c <= 'Z' {
				low[i] = c + 'a' - 'A'
			}
		}
		if len(enc) > len(low) {
			n = 0 // no name that long is read
		}
		switch string(low[:n]) {
		case "utf-8", "utf8", "us-ascii", "ascii":
		case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			out := make([]byte, 0, len(data)+len(data)/8)
			for _, c := range data {
				out = utf8.AppendRune(out, rune(c))
			}
			s.data = out
		default:
			s.err = s.errorf("unsupported charset " + strconv.Quote(clip(string(enc), 40)) + " (UTF-8 and ISO-8859-1 are read)")
			return
		}
	}
	if !utf8.Valid(s.data) {
		s.err = s.errorf("not valid UTF-8")
	}
}

// declaredEncoding is the encoding="..." of an XML declaration, or nil.
func declaredEncoding(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return nil
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return nil
	}
	decl := data[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n=")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return nil
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return nil
	}
	return rest[1 : 1+j]
}

// Name is the local name of the current start or end element. It is only
// valid until the next call to Next.
func (s *XMLScanner) Name() []byte { return s.name }

// Text is the current text token, entities expanded. It stays valid until
// the next Reset: a text is a slice of the payload, or of a buffer the
// scanner only appends to, so a decoder may keep the texts of a whole record
// without copying them.
func (s *XMLScanner) Text() []byte { return s.text }

// Attr is the value of the current start element's attribute of local name
// name, entities expanded, or nil. Like Text, the value stays valid until
// the next Reset.
func (s *XMLScanner) Attr(name string) []byte {
	if s.kind != XMLStart {
		return nil
	}
	for i := range s.nattrs {
		if string(s.attrs[i].name) == name {
			return s.attrs[i].value
		}
	}
	return nil
}

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

// Within reports whether the elements enclosing the current one (the
// element just started, or the one a text is in) are names, the nearest
// first: Within("Package", "Shipment") is true in Shipment/Package/X.
func (s *XMLScanner) Within(names ...string) bool {
	if len(names) >= s.depth {
		return false
	}
	for i, name := range names {
		if string(s.stack[s.depth-2-i]) != name {
			return false
		}
	}
	return true
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
				s.err = &XMLSyntaxError{Line: s.line(), Msg: "no root element", NoRoot: true}
				return XMLEOF, s.err
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
		if len(rest) < 2 {
			return s.startTag() // refused: a tag without a name
		}
		switch rest[1] {
		case '/':
			return s.endTag()
		case '!', '?':
			if !bytes.HasPrefix(rest, []byte("<!--")) && !bytes.HasPrefix(rest, []byte("<![CDATA[")) && rest[1] == '!' {
				// DOCTYPE and its entity definitions: refused, so no entity
				// expansion (billion laughs) or external entity is possible.
				return s.fail("DOCTYPE and other declarations are not accepted")
			}
			k, err := s.chardata()
			if err != nil || k == XMLText {
				return k, err
			}
		default:
			return s.startTag()
		}
	}
}

// XMLHandler receives the tokens of a document from XMLScanner.Walk. The
// scanner's Name, Depth, Parent, Within and Attr describe each token.
type XMLHandler interface {
	Start(s *XMLScanner)
	End(s *XMLScanner)
	Text(s *XMLScanner, text []byte)
}

// Walk reads the rest of the document, handing each token to h. It
// returns the first error, or nil at the end of a well-formed document:
// a decoder that walks the whole payload before answering refuses broken
// XML whatever it read before the break.
func (s *XMLScanner) Walk(h XMLHandler) error {
	for {
		k, err := s.Next()
		if err != nil {
			return err
		}
		switch k {
		case XMLEOF:
			return nil
		case XMLStart:
			h.Start(s)
		case XMLEnd:
			h.End(s)
		case XMLText:
			h.Text(s, s.text)
		}
	}
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
	name, local, p, err := s.readName(s.pos + 1)
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
			_, attr, q, err := s.readName(p)
			if err != nil {
				return XMLEOF, err
			}
			p = q
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
			value := s.data[p+1 : p+1+end]
			if bytes.IndexByte(value, '&') >= 0 || bytes.IndexByte(value, '\r') >= 0 {
				mark := len(s.buf)
				for i := 0; i < len(value); {
					n, err := s.appendChar(value, i)
					if err != nil {
						return XMLEOF, err
					}
					i += n
				}
				value = s.buf[mark:len(s.buf):len(s.buf)]
			}
			s.attrs[attrs-1] = xmlAttr{attr, value}
			p += 1 + end + 1
			continue
		}
		break
	}
	if s.depth >= MaxXMLDepth {
		return s.fail("elements nested deeper than " + strconv.Itoa(MaxXMLDepth))
	}
	s.nattrs = attrs
	s.name = local
	s.stack[s.depth] = s.name
	s.raw[s.depth] = name
	s.depth++
	s.pos = p
	s.kind = XMLStart
	return XMLStart, nil
}

func (s *XMLScanner) endTag() (XMLKind, error) {
	// Mostly, the end tag spells the open element's name as its start
	// tag did: one comparison instead of reading the name.
	if s.depth > 0 {
		raw, p := s.raw[s.depth-1], s.pos+2
		if end := p + len(raw); end < len(s.data) && s.data[end] == '>' && string(s.data[p:end]) == string(raw) {
			s.depth--
			s.name = s.stack[s.depth]
			s.pos = end + 1
			s.kind = XMLEnd
			return XMLEnd, nil
		}
	}
	name, local, p, err := s.readName(s.pos + 2)
	if err != nil {
		return XMLEOF, err
	}
	for p < len(s.data) && isSpace(s.data[p]) {
		p++
	}
	if p >= len(s.data) || s.data[p] != '>' {
		return s.fail("unterminated end tag </" + string(name) + ">")
	}
	if s.depth == 0 || string(s.stack[s.depth-1]) != string(local) {
		return s.fail("end tag </" + string(name) + "> does not match the open element")
	}
	s.depth--
	s.name = local
	s.pos = p + 1
	s.kind = XMLEnd
	return XMLEnd, nil
}

// nameBytes classifies the bytes of a name: nameEnd ends it, nameBad is
// refused in it, nameColon ends a namespace prefix.
var nameBytes = [256]uint8{' ': nameEnd, '\t': nameEnd, '\n': nameEnd, '\r': nameEnd, '>': nameEnd, '/': nameEnd, '=': nameEnd,
	'<': nameBad, '"': nameBad, '\'': nameBad, '&': nameBad, ':': nameColon}

const (
	nameEnd = 1 + iota
	nameBad
	nameColon
)

// readName reads an XML name at p; local is the name without its prefix.
func (s *XMLScanner) readName(p int) (name, local []byte, next int, err error) {
	start, colon := p, -1
	end := min(len(s.data), p+maxXMLName+1)
	for {
		for p < end && nameBytes[s.data[p]] == 0 {
			p++
		}
		if p == end || nameBytes[s.data[p]] != nameColon {
			break
		}
		if colon < 0 {
			colon = p
		}
		p++
	}
	if p < end && nameBytes[s.data[p]] == nameBad {
		_, err := s.fail("bad character " + strconv.QuoteRune(rune(s.data[p])) + " in a name")
		return nil, nil, p, err
	}
	switch {
	case p-start > maxXMLName:
		_, err := s.fail("a name longer than " + strconv.Itoa(maxXMLName) + " bytes")
		return nil, nil, p, err
	case p == start:
		_, err := s.fail("a tag without a name")
		return nil, nil, p, err
	}
	if colon < 0 {
		colon = start - 1
	}
	return s.data[start:p], s.data[colon+1 : p], p, nil
}

// textBytes marks the bytes that end plain text.
var textBytes = [256]bool{'<': true, '&': true, '\r': true}

// spaces8 is eight spaces, read as one little-endian word.
const spaces8 = 0x2020202020202020

// chardata reads text, CDATA sections, comments and processing
// instructions up to the next tag. It returns XMLText, or XMLEOF with no
// error when the text was only white space (outside entities and CDATA).
func (s *XMLScanner) chardata() (XMLKind, error) {
	start := s.pos
	// Most texts run plain up to a tag. Indentation is skipped eight
	// spaces at a time, other text read with a byte table; either is done
	// here when nothing in it needs expanding or converting and no
	// comment, processing instruction or CDATA section continues it.
	p := start
	for p < len(s.data) && (s.data[p] == ' ' || s.data[p] == '\n' || s.data[p] == '\t') {
		if p+8 <= len(s.data) && binary.LittleEndian.Uint64(s.data[p:]) == spaces8 {
			p += 8
		} else {
			p++
		}
	}
	blank := p // data[start:blank] is white space, and data[blank] is not
	for p < len(s.data) && !textBytes[s.data[p]] {
		p++
	}
	if p-start <= MaxXMLText && (p == len(s.data) ||
		s.data[p] == '<' && (p+1 == len(s.data) || s.data[p+1] != '!' && s.data[p+1] != '?')) {
		s.pos = p
		if blank == p {
			return XMLEOF, nil
		}
		return s.textToken(s.data[start:p])
	}
	if blank == p && p < len(s.data) && s.data[p] == '\r' {
		// Indentation with CR LF line ends: dropped here too when only
		// white space runs up to the tag.
		if i := bytes.IndexByte(s.data[p:], '<'); i >= 0 && p+i-start <= MaxXMLText &&
			(p+i+1 == len(s.data) || s.data[p+i+1] != '!' && s.data[p+i+1] != '?') && len(trimSpace(s.data[p:p+i])) == 0 {
			s.pos = p + i
			return XMLEOF, nil
		}
	}
	plain := true        // the text is a slice of the input: nothing to expand, skip or convert
	significant := false // an entity or CDATA: kept even when it is white space
	mark := len(s.buf)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c != '<' && c != '&' && c != '\r' {
			if !plain {
				s.buf = append(s.buf, c)
			}
			s.pos++
			if s.pos-start > MaxXMLText {
				return s.fail("a text longer than " + strconv.Itoa(MaxXMLText) + " bytes")
			}
			continue
		}
		rest := s.data[s.pos:]
		var skip int // bytes read without appending
		switch {
		case c == '<' && bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if s.depth == 0 {
				return s.fail("CDATA outside the root element")
			}
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return s.fail("unterminated CDATA section")
			}
			if plain {
				s.buf, plain = append(s.buf, s.data[start:s.pos]...), false
			}
			s.appendText(rest[9 : 9+end])
			significant = true
			skip = 9 + end + 3
		case c == '<' && bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return s.fail("unterminated comment")
			}
			skip = 4 + end + 3
		case c == '<' && bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return s.fail("unterminated processing instruction")
			}
			skip = end + 2
		case c == '<':
			goto done
		default: // an entity or a line end
			if plain {
				s.buf, plain = append(s.buf, s.data[start:s.pos]...), false
			}
			significant = significant || c == '&'
			n, err := s.appendChar(s.data, s.pos)
			if err != nil {
				return XMLEOF, err
			}
			s.pos += n
		}
		if skip > 0 {
			if plain {
				s.buf, plain = append(s.buf, s.data[start:s.pos]...), false
			}
			s.pos += skip
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
	if !significant && len(trimSpace(text)) == 0 {
		s.buf = s.buf[:mark] // nobody holds what was copied
		return XMLEOF, nil
	}
	return s.textToken(text)
}

func (s *XMLScanner) textToken(text []byte) (XMLKind, error) {
	if s.depth == 0 {
		s.err = &XMLSyntaxError{Line: s.line(), Msg: "text outside the root element", NoRoot: s.kind == XMLEOF}
		return XMLEOF, s.err
	}
	s.text = text
	s.kind = XMLText
	return XMLText, nil
}

// appendText appends v to s.buf, a line end read as LF.
func (s *XMLScanner) appendText(v []byte) {
	for {
		i := bytes.IndexByte(v, '\r')
		if i < 0 {
			s.buf = append(s.buf, v...)
			return
		}
		s.buf = append(append(s.buf, v[:i]...), '\n')
		if v = v[i+1:]; len(v) > 0 && v[0] == '\n' {
			v = v[1:]
		}
	}
}

// appendChar appends the character at data[i] to s.buf, an entity or
// character reference expanded and a line end read as LF, and returns the
// number of bytes it read.
func (s *XMLScanner) appendChar(data []byte, i int) (int, error) {
	switch data[i] {
	case '&':
		return s.appendEntity(data, i)
	case '\r':
		s.buf = append(s.buf, '\n')
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2, nil
		}
		return 1, nil
	}
	s.buf = append(s.buf, data[i])
	return 1, nil
}

// appendEntity expands the reference at data[i] into s.buf.
func (s *XMLScanner) appendEntity(data []byte, i int) (int, error) {
	end := bytes.IndexByte(data[i:min(len(data), i+12)], ';')
	if end < 0 {
		_, err := s.fail("unterminated or unknown entity reference")
		return 0, err
	}
	ref := data[i+1 : i+end]
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
			return 0, err
		}
		base, digits := 10, ref[1:]
		if digits[0] == 'x' {
			base, digits = 16, digits[1:]
		}
		n, err := strconv.ParseUint(string(digits), base, 32)
		r := rune(n)
		if err != nil || r == 0 || !utf8.ValidRune(r) || (r < ' ' && r != '\t' && r != '\n' && r != '\r') {
			_, err := s.fail("bad character reference &" + string(ref) + ";")
			return 0, err
		}
		s.buf = utf8.AppendRune(s.buf, r)
	}
	return end + 1, nil
}

// fail records and returns an error that names the line.
func (s *XMLScanner) fail(msg string) (XMLKind, error) {
	s.err = s.errorf(msg)
	return XMLEOF, s.err
}

func (s *XMLScanner) errorf(msg string) error {
	return &XMLSyntaxError{Line: s.line(), Msg: msg}
}

func (s *XMLScanner) line() int {
	return 1 + bytes.Count(s.data[:min(s.pos, len(s.data))], []byte("\n"))
}

// XMLSyntaxError is what XMLScanner refuses a payload with.
type XMLSyntaxError struct {
	Line int
	Msg  string
	// NoRoot: the payload holds no element at all (it is empty, or only
	// a declaration and comments, or starts with text), so it is not the
	// XML of any API, rather than broken XML.
	NoRoot bool
}

// XMLNoRoot reports whether err is XMLScanner's refusal of a payload that
// holds no element at all.
func XMLNoRoot(err error) bool {
	var se *XMLSyntaxError
	return errors.As(err, &se) && se.NoRoot
}

func (e *XMLSyntaxError) Error() string { return "XML line " + strconv.Itoa(e.Line) + ": " + e.Msg }
