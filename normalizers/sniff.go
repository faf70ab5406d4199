package normalizers

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DetectFormat returns the format a payload's first byte shows, after white
// space and a UTF-8 byte order mark: XML for '<', JSON for '{' or '['.
// Anything else keeps configured. Carriers with both a JSON and an XML API
// use it so that a topic bound to the wrong format, or fed by pollers of
// both APIs while a shipper migrates, still normalizes.
func DetectFormat(payload []byte, configured Format) Format {
	p := payload
	for len(p) > 0 {
		switch {
		case p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n':
			p = p[1:]
		case len(p) >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf:
			p = p[3:]
		case p[0] == '<':
			return XML
		case p[0] == '{' || p[0] == '[':
			return JSON
		default:
			return configured
		}
	}
	return configured
}

// XMLCharsetReader is an encoding/xml CharsetReader for the single-byte
// encodings older carrier gateways declare; encoding/xml itself reads only
// UTF-8. Latin-1 bytes are their own code points (windows-1252 is read as
// Latin-1: its extra characters are punctuation that only matters in free
// text).
func XMLCharsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "windows-1252", "cp1252", "us-ascii", "ascii":
	default:
		return nil, fmt.Errorf("unsupported charset %q (UTF-8 and ISO-8859-1 are read)", label)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(data)/8)
	for _, c := range data {
		out = utf8.AppendRune(out, rune(c))
	}
	return bytes.NewReader(out), nil
}
