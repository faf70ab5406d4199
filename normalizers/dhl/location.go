package dhl

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed countries.tsv
var countriesTSV []byte

// countryByName maps an ASCII-upper-cased country name to its ISO 3166-1
// alpha-2 code; isoCodes holds the codes themselves.
var countryByName, isoCodes = mustLoadCountries(countriesTSV)

func mustLoadCountries(data []byte) (names, codes map[string]string) {
	names, codes = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		code, list, ok := strings.Cut(line, "\t")
		if !ok || len(code) != 2 || code != strings.ToUpper(code) {
			panic(fmt.Sprintf("dhl/countries.tsv:%d: want CC<TAB>name|name", n))
		}
		codes[code] = code
		for _, name := range strings.Split(list, "|") {
			key := string(upperASCII(nil, []byte(strings.TrimSpace(name))))
			if prev, dup := names[key]; dup && prev != code {
				panic(fmt.Sprintf("dhl/countries.tsv:%d: %q is both %s and %s", n, name, prev, code))
			}
			names[key] = code
		}
	}
	return names, codes
}

func upperASCII(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// countryOf returns the ISO code for a country name (or, when codeOK, for an
// ISO code itself), or "". It does not allocate.
func countryOf(name []byte, codeOK bool) string {
	name = bytes.TrimSpace(name)
	if len(name) == 0 || len(name) > 48 {
		return ""
	}
	var buf [48]byte
	key := upperASCII(buf[:0], name)
	if c := countryByName[string(key)]; c != "" {
		return c
	}
	if codeOK && len(key) == 2 {
		return isoCodes[string(key)]
	}
	return ""
}

// location fills l from a unified-API location ({address: {...},
// servicePoint: {...}}); a bare string is taken as the locality.
func location(v *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if v == nil {
		return
	}
	if v.Type() == fastjson.TypeString {
		locality(v.GetStringBytes(), l, b)
		return
	}
	if a := v.Get("address"); a != nil {
		address(a, l, b)
	}
	l.Facility = b.Str(v.GetStringBytes("servicePoint", "label"))
}

// address fills l from a unified-API address. countryCode, when DHL sends
// it, beats the country named in addressLocality.
func address(a *fastjson.Value, l *event.Location, b *normalizers.Batch) {
	if a == nil {
		return
	}
	locality(a.GetStringBytes("addressLocality"), l, b)
	if cc := bytes.TrimSpace(a.GetStringBytes("countryCode")); len(cc) > 0 {
		if len(cc) == 2 {
			l.Country = b.Upper(cc)
		} else if c := countryOf(cc, true); c != "" {
			l.Country = c
		}
	}
	l.PostalCode = b.Str(a.GetStringBytes("postalCode"))
	if r := bytes.TrimSpace(a.GetStringBytes("addressRegion")); l.Region == "" && isRegionCode(r) {
		l.Region = b.Str(r)
	}
}

// locality splits DHL's free-text addressLocality into city, region and
// country. Seen shapes: "Bonn", "Deutschland", "Bonn, Germany",
// "LEIPZIG - GERMANY", "CINCINNATI HUB, OH - USA", "NEW YORK CITY
// GATEWAY,NY-USA", "SOUTHERN ALBERTA, AB - CALGARY - CANADA" (service area,
// city, country), "Oderweg 2, AMSTERDAM".
func locality(s []byte, l *event.Location, b *normalizers.Batch) {
	s = bytes.TrimSpace(s)
	if len(s) == 0 {
		return
	}
	rest := s
	switch {
	case trySuffix(s, []byte(" - "), true, &rest, l):
	case trySuffix(s, []byte("-"), true, &rest, l):
	case trySuffix(s, []byte(","), false, &rest, l):
	default:
		if c := countryOf(s, false); c != "" {
			l.Country = c
			return
		}
	}
	// What is left is "[service area[, RG] - ]city[, RG]".
	city := rest
	if i := bytes.LastIndex(rest, []byte(" - ")); i >= 0 {
		if r := regionSuffix(rest[:i]); r != nil {
			l.Region = b.Str(r)
		}
		city = rest[i+3:]
	}
	city = bytes.TrimSpace(city)
	if r := regionSuffix(city); r != nil {
		l.Region = b.Str(r)
		city = city[:bytes.LastIndexByte(city, ',')]
	}
	if i := bytes.IndexByte(city, ','); i >= 0 {
		// "street 1, CITY" keeps the city; "City, district" the city too.
		if bytes.ContainsAny(city[:i], "0123456789") {
			city = city[i+1:]
		} else {
			city = city[:i]
		}
	}
	l.City = b.Str(bytes.Trim(city, " ,-"))
}

// trySuffix splits s at the last sep when what follows names a country.
func trySuffix(s, sep []byte, codeOK bool, rest *[]byte, l *event.Location) bool {
	i := bytes.LastIndex(s, sep)
	if i <= 0 {
		return false
	}
	c := countryOf(s[i+len(sep):], codeOK)
	if c == "" {
		return false
	}
	l.Country = c
	*rest = bytes.TrimSpace(s[:i])
	return true
}

// regionSuffix returns the "OH" of "CINCINNATI HUB, OH" or "GATEWAY,NY".
func regionSuffix(s []byte) []byte {
	s = bytes.TrimSpace(s)
	i := bytes.LastIndexByte(s, ',')
	if i < 0 {
		return nil
	}
	r := bytes.TrimSpace(s[i+1:])
	if !isRegionCode(r) {
		return nil
	}
	return r
}

// isRegionCode accepts state and province codes: two or three capitals.
func isRegionCode(r []byte) bool {
	if len(r) < 2 || len(r) > 3 {
		return false
	}
	for _, c := range r {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
