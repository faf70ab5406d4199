package normalizers

import (
	"bytes"
	"unsafe"
)

// arena hands out immutable strings carved from large byte chunks, so that a
// payload's field values cost one allocation per chunk instead of one per
// string. A chunk is never written again once a string points into it: when
// it fills up, a new one is allocated and the old one lives on for as long
// as any event refers to it.
type arena struct {
	buf []byte
}

const arenaChunk = 64 << 10

// rewind makes the current chunk's memory available again. Only for
// callers that no longer hold any string handed out (Batch.ReuseStrings).
func (a *arena) rewind() { a.buf = a.buf[:0] }

// String returns an immutable copy of b.
func (a *arena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.buf)-len(a.buf) {
		if len(b) > arenaChunk/4 {
			return string(b) // a large value gets its own allocation
		}
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// Upper returns an immutable upper-cased (ASCII) copy of b, trimmed of
// spaces; tracking numbers and codes arrive in either case.
func (a *arena) Upper(b []byte) string {
	b = trimSpace(b)
	clean := true
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			clean = false
			break
		}
	}
	if clean {
		return a.String(b)
	}
	if len(b) > arenaChunk/4 {
		return string(bytes.ToUpper(b))
	}
	s := a.String(b)
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	for i, c := range p { // still ours: nobody has seen s yet
		if c >= 'a' && c <= 'z' {
			p[i] = c - 'a' + 'A'
		}
	}
	return s
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
