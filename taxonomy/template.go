package taxonomy

import (
	"fmt"
	"strings"
)

// Template is a parsed message with {placeholders}. It is rendered by
// appending to a caller's buffer, so that encoding an event allocates nothing.
type Template struct {
	parts []part
	src   string
}

type part struct {
	lit string
	v   Var
}

// Var names a placeholder.
type Var uint8

const (
	varNone Var = iota
	// VarCarrier is the carrier's display name.
	VarCarrier
	// VarInPlace is " in <place>" or "".
	VarInPlace
	// VarAtPlace is " at <place>" or "".
	VarAtPlace
)

var varNames = map[string]Var{"carrier": VarCarrier, "in_place": VarInPlace, "at_place": VarAtPlace}

// ParseTemplate parses s. Unknown placeholders are an error, so a typo in
// the taxonomy file fails the build's tests instead of reaching a customer.
func ParseTemplate(s string) (Template, error) {
	t := Template{src: s}
	rest := s
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return Template{}, fmt.Errorf("unclosed placeholder in %q", s)
		}
		name := rest[i+1 : i+j]
		v, ok := varNames[name]
		if !ok {
			return Template{}, fmt.Errorf("unknown placeholder {%s} in %q", name, s)
		}
		t.parts = append(t.parts, part{v: v})
		rest = rest[i+j+1:]
	}
	return t, nil
}

// IsZero reports whether the template is empty.
func (t Template) IsZero() bool { return t.src == "" }

// String returns the template's source text.
func (t Template) String() string { return t.src }

// Values are what placeholders render to.
type Values struct {
	Carrier string // display name
	// The place is City, then ", " and Area when Area is set ("Louisville,
	// KY"); no place when City is empty. A city in capitals is title-cased.
	City, Area string
}

// Append renders the template into dst.
func (t Template) Append(dst []byte, v *Values) []byte {
	for _, p := range t.parts {
		switch p.v {
		case varNone:
			dst = append(dst, p.lit...)
		case VarCarrier:
			dst = append(anArticle(dst, v.Carrier), v.Carrier...)
		case VarInPlace:
			if v.City != "" {
				dst = v.appendPlace(append(dst, " in "...))
			}
		case VarAtPlace:
			if v.City != "" {
				dst = v.appendPlace(append(dst, " at "...))
			}
		}
	}
	return dst
}

// Render is Append into a new string.
func (t Template) Render(v *Values) string { return string(t.Append(nil, v)) }

func (v *Values) appendPlace(dst []byte) []byte {
	dst = AppendTitleCase(dst, v.City)
	if v.Area != "" {
		dst = append(dst, ", "...)
		dst = append(dst, v.Area...)
	}
	return dst
}

// AppendTitleCase appends s, turning a name in capitals ("NEW YORK") into
// "New York"; names already in mixed case ("McAllen") are kept as they are.
func AppendTitleCase(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return append(dst, s...)
		}
	}
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if !start {
				c += 'a' - 'A'
			}
			start = false
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(':
			start = true
		default:
			start = false
		}
		dst = append(dst, c)
	}
	return dst
}

// anArticle turns the "a " that dst ends with into "an " when name, which
// follows it, starts with a vowel sound: "an Amazon Shipping facility", "an
// Australia Post locker". A name that starts with U keeps "a" ("a UPS
// facility", "a USPS truck": said "you"), as the carriers' names here do.
func anArticle(dst []byte, name string) []byte {
	n := len(dst)
	if name == "" || n < 2 || dst[n-1] != ' ' || dst[n-2] != 'a' || n > 2 && dst[n-3] != ' ' {
		return dst
	}
	switch name[0] {
	case 'A', 'E', 'I', 'O', 'a', 'e', 'i', 'o':
		return append(dst[:n-1], 'n', ' ')
	}
	return dst
}
