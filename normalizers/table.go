package normalizers

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/wismo/wismo/taxonomy"
)

// Mapping is one row of a carrier's code table.
type Mapping struct {
	Code    string
	Subcode string // "*" matches any
	Text    string // lower-case substring of the description; "*" matches any
	Type    *taxonomy.Type
	Reason  string
}

// Table maps a carrier's codes to canonical types. It is loaded from an
// embedded TSV file with the columns
//
//	code  subcode  text  event_type  [reason]
//
// where subcode and text may be "*". For a scan, the rows of its code are
// tried in file order and the first whose subcode and text both match wins;
// rows of code "*" are tried last. Put specific rows above general ones.
type Table struct {
	byCode   map[string][]Mapping
	fallback []Mapping
	rows     int
}

// LoadTable parses a code table. name is for error messages.
func LoadTable(name string, data []byte) (*Table, error) {
	t := &Table{byCode: map[string][]Mapping{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 4 || len(cols) > 5 {
			return nil, fmt.Errorf("%s:%d: want 4 or 5 tab-separated columns, got %d", name, n, len(cols))
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		typ, ok := taxonomy.Lookup(cols[3])
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown event type %q", name, n, cols[3])
		}
		m := Mapping{Code: cols[0], Subcode: cols[1], Text: strings.ToLower(cols[2]), Type: typ}
		if len(cols) == 5 {
			m.Reason = cols[4]
		}
		if m.Code == "" || m.Subcode == "" || m.Text == "" {
			return nil, fmt.Errorf("%s:%d: empty column (use * for any)", name, n)
		}
		if m.Code == "*" {
			t.fallback = append(t.fallback, m)
		} else {
			t.byCode[m.Code] = append(t.byCode[m.Code], m)
		}
		t.rows++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// MustLoadTable is LoadTable for embedded tables, which tests check.
func MustLoadTable(name string, data []byte) *Table {
	t, err := LoadTable(name, data)
	if err != nil {
		panic(err)
	}
	return t
}

// Len is the number of rows.
func (t *Table) Len() int { return t.rows }

// Lookup returns the first matching row, or nil. It does not allocate.
func (t *Table) Lookup(code, subcode, text string) *Mapping {
	if m := match(t.byCode[code], subcode, text); m != nil {
		return m
	}
	return match(t.fallback, subcode, text)
}

// LookupCode is Lookup without the code "*" rows: for decoders that try
// more than one code of a scan before falling back.
func (t *Table) LookupCode(code, subcode, text string) *Mapping {
	return match(t.byCode[code], subcode, text)
}

// Fallbacks returns the code "*" rows, in file order; callers must not
// change them.
func (t *Table) Fallbacks() []Mapping { return t.fallback }

// Fallback returns the first matching code "*" row, or nil.
func (t *Table) Fallback(subcode, text string) *Mapping {
	return match(t.fallback, subcode, text)
}

func match(rows []Mapping, subcode, text string) *Mapping {
	for i := range rows {
		m := &rows[i]
		if m.Subcode != "*" && m.Subcode != subcode {
			continue
		}
		if m.Text != "*" && !containsFold(text, m.Text) {
			continue
		}
		return m
	}
	return nil
}

// containsFold reports whether s contains the lower-case pattern p, ignoring
// ASCII case in s.
func containsFold(s, p string) bool {
	if len(p) == 0 {
		return true
	}
	first := p[0]
	for i := 0; i+len(p) <= len(s); i++ {
		if lower(s[i]) != first {
			continue
		}
		j := 1
		for ; j < len(p); j++ {
			if lower(s[i+j]) != p[j] {
				break
			}
		}
		if j == len(p) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
