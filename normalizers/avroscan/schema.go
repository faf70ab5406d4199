package avroscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/linkedin/goavro/v2"
)

// A container's writer schema need not be scan.avsc itself: records are
// decoded as native maps and read by field name, so any record whose fields
// of those names have compatible types will do (other field order, extra
// fields, optional fields left out, enums for text).
//
// The check also keeps goavro away from writer schemas it cannot decode
// safely: an array or map makes it preallocate as many items as the data
// claims (up to 2^31, a fatal out-of-memory that recover cannot catch, from
// a few bytes), a recursive record makes it recurse once per input byte (a
// fatal stack overflow), and a decimal's scale makes it compute 10^scale for
// every value. A scan never needs any of these.

// field kinds a known field may have.
const (
	kindText = iota // string or enum, optionally in a union with null
	kindInt         // int or long, optionally in a union with null
)

// knownFields are the scan.avsc fields this package reads.
var knownFields = map[string]struct {
	kind     int
	required bool
}{
	"carrier":            {kindText, false}, // a topic bound to one carrier may leave it out
	"tracking_number":    {kindText, true},
	"service":            {kindText, false},
	"code":               {kindText, true},
	"subcode":            {kindText, false},
	"description":        {kindText, false},
	"event_type":         {kindText, false},
	"occurred_at_local":  {kindText, true},
	"utc_offset_minutes": {kindInt, false},
	"city":               {kindText, false},
	"region":             {kindText, false},
	"postal_code":        {kindText, false},
	"country":            {kindText, false},
	"facility":           {kindText, false},
	"estimated_delivery": {kindText, false},
}

const (
	maxSchemaDepth   = 16
	maxDecimalDigits = 76
)

// schemaChecker walks a parsed writer schema.
type schemaChecker struct {
	done map[string]string // completed named types, full and short name -> "record", "enum" or "fixed"
	open []string          // short names of the records being defined
}

// checkSchema reports why a container's writer schema cannot be read as
// scans, or nil.
func checkSchema(text []byte) error {
	var root any
	if err := json.Unmarshal(text, &root); err != nil {
		return fmt.Errorf("schema is not JSON: %v", err)
	}
	top, ok := root.(map[string]any)
	if !ok || (top["type"] != "record" && top["type"] != "error") {
		return fmt.Errorf("schema is not a record")
	}
	c := schemaChecker{done: map[string]string{}}
	if err := c.walk(top, "", 0); err != nil {
		return err
	}
	_, _, ns := c.names(top, "")
	fields, _ := top["fields"].([]any)
	seen := map[string]bool{}
	for _, f := range fields {
		fm, _ := f.(map[string]any)
		name, _ := fm["name"].(string)
		want, ok := knownFields[name]
		if !ok {
			continue
		}
		seen[name] = true
		if !c.fits(fm["type"], want.kind, ns) {
			what := "a string"
			if want.kind == kindInt {
				what = "an int"
			}
			return fmt.Errorf("field %s is not %s (optionally nullable)", name, what)
		}
	}
	for name, want := range knownFields {
		if want.required && !seen[name] {
			return fmt.Errorf("schema has no field %s", name)
		}
	}
	return nil
}

var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

// walk checks that t holds no array, map, recursive record or huge decimal.
func (c *schemaChecker) walk(t any, ns string, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("schema nests deeper than %d levels", maxSchemaDepth)
	}
	switch t := t.(type) {
	case string:
		if primitives[t] {
			return nil
		}
		if c.isOpen(t) {
			return fmt.Errorf("schema is recursive (type %s refers to itself)", t)
		}
		if _, ok := c.lookup(t, ns); !ok {
			return fmt.Errorf("schema refers to unknown type %q", t)
		}
		return nil
	case []any:
		for _, m := range t {
			if err := c.walk(m, ns, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if lt, _ := t["logicalType"].(string); lt == "decimal" {
			if p, _ := t["precision"].(float64); p > maxDecimalDigits {
				return fmt.Errorf("schema has a decimal of precision %v (limit %d)", p, maxDecimalDigits)
			}
		}
		typ := t["type"]
		s, _ := typ.(string)
		switch s {
		case "array", "map":
			return fmt.Errorf("schema has an %s; a scan record has none", s)
		case "record", "error":
			name, full, inner := c.names(t, ns)
			c.open = append(c.open, name)
			fields, _ := t["fields"].([]any)
			for _, f := range fields {
				fm, _ := f.(map[string]any)
				if err := c.walk(fm["type"], inner, depth+1); err != nil {
					return err
				}
			}
			c.open = c.open[:len(c.open)-1]
			c.done[name], c.done[full] = "record", "record"
			return nil
		case "enum", "fixed":
			name, full, _ := c.names(t, ns)
			c.done[name], c.done[full] = s, s
			return nil
		}
		if primitives[s] {
			return nil
		}
		return c.walk(typ, ns, depth+1)
	}
	return fmt.Errorf("schema has a type of JSON kind %T", t)
}

// names returns a named type's short and full names and the namespace its
// fields resolve names in.
func (c *schemaChecker) names(t map[string]any, ns string) (short, full, inner string) {
	name, _ := t["name"].(string)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:], name, name[:i]
	}
	if n, ok := t["namespace"].(string); ok {
		ns = n
	}
	if ns == "" {
		return name, name, ns
	}
	return name, ns + "." + name, ns
}

// isOpen is deliberately loose: a reference that might resolve to a record
// still being defined, by its short name in any namespace, counts as
// recursive.
func (c *schemaChecker) isOpen(ref string) bool {
	if i := strings.LastIndexByte(ref, '.'); i >= 0 {
		ref = ref[i+1:]
	}
	for _, o := range c.open {
		if o == ref {
			return true
		}
	}
	return false
}

func (c *schemaChecker) lookup(ref, ns string) (string, bool) {
	if k, ok := c.done[ref]; ok {
		return k, true
	}
	if ns != "" {
		k, ok := c.done[ns+"."+ref]
		return k, ok
	}
	return "", false
}

// fits reports whether a known field's type decodes to what the record
// reader expects: text (string, enum) or an integer, alone or in a union
// with null.
func (c *schemaChecker) fits(t any, kind int, ns string) bool {
	if u, ok := t.([]any); ok {
		some := false
		for _, m := range u {
			if m == "null" {
				continue
			}
			if _, nested := m.([]any); nested || !c.fits(m, kind, ns) {
				return false
			}
			some = true
		}
		return some
	}
	if m, ok := t.(map[string]any); ok {
		if _, lt := m["logicalType"]; lt {
			// goavro turns logical types into time.Time, *big.Rat and the
			// like; the reader wants the plain value.
			return false
		}
		if m["type"] == "enum" {
			return kind == kindText
		}
		t = m["type"]
	}
	s, ok := t.(string)
	if !ok {
		return false
	}
	switch kind {
	case kindText:
		if s == "string" {
			return true
		}
		k, _ := c.lookup(s, ns)
		return k == "enum"
	default:
		return s == "int" || s == "long"
	}
}

// Compiled writer schemas, by schema text: a producer writes the same schema
// into every container, and compiling it costs more than decoding a few
// scans. Bounded, so that a stream of distinct schemas cannot grow it.
var (
	codecMu    sync.Mutex
	codecCache = map[string]*goavro.Codec{}
)

const (
	maxCachedCodecs = 32
	maxCachedSchema = 64 << 10
)

// writerCodec checks and compiles a container's writer schema.
func writerCodec(text []byte) (*goavro.Codec, error) {
	codecMu.Lock()
	c, ok := codecCache[string(text)]
	codecMu.Unlock()
	if ok {
		return c, nil
	}
	if err := checkSchema(text); err != nil {
		return nil, err
	}
	c, err := goavro.NewCodec(string(text))
	if err != nil {
		return nil, fmt.Errorf("schema does not compile: %v", err)
	}
	if len(text) <= maxCachedSchema {
		codecMu.Lock()
		if len(codecCache) < maxCachedCodecs {
			codecCache[string(text)] = c
		}
		codecMu.Unlock()
	}
	return c, nil
}
