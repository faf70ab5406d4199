package usps

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed countries.tsv
var countriesTSV []byte

// countries maps the country names USPS writes in EventCountry ("CHINA",
// "GREAT BRITAIN AND NORTHERN IRELAND") to ISO codes.
var countries = loadCountries(countriesTSV)

func loadCountries(data []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		code, name, ok := strings.Cut(line, "\t")
		if !ok || len(code) != 2 || name == "" {
			panic("usps: countries.tsv: bad line " + line) // checked by tests
		}
		m[name] = code
	}
	return m
}

// usRegions are the two-letter codes USPS uses for states, territories,
// freely associated states and military post offices.
var usRegions = func() (set [26 * 26]bool) {
	for _, c := range strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN
		MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
		PR VI GU AS MP FM MH PW AA AE AP`) {
		set[int(c[0]-'A')*26+int(c[1]-'A')] = true
	}
	return set
}()

func isUSRegion(b []byte) bool {
	return len(b) == 2 && b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z' &&
		usRegions[int(b[0]-'A')*26+int(b[1]-'A')]
}

// countryCode turns EventCountry (a name, sometimes an ISO code) into an
// ISO code; ok is false for a value it does not know. It does not allocate.
func countryCode(v []byte) (code string, ok bool) {
	v = trim(v)
	if len(v) == 0 {
		return "", false
	}
	var buf [64]byte
	if len(v) > len(buf) {
		return "", false
	}
	up := buf[:len(v)]
	for i, c := range v {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up[i] = c
	}
	if c, ok := countries[string(up)]; ok {
		return c, true
	}
	if len(up) == 2 && up[0] >= 'A' && up[0] <= 'Z' && up[1] >= 'A' && up[1] <= 'Z' {
		if c, ok := countries[string(up)]; ok { // "UK"
			return c, true
		}
		return isoCode(up), true
	}
	return "", false
}

// isoCode returns the interned string of a two-letter code, so that codes
// sent as codes cost no allocation either.
func isoCode(up []byte) string {
	i := int(up[0]-'A')*26 + int(up[1]-'A')
	return isoCodes[i]
}

var isoCodes = func() (s [26 * 26]string) {
	for i := range s {
		s[i] = string([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	return s
}()

// setLocation fills l from a scan's city, state, ZIP and country. USPS
// leaves the country empty for domestic scans, and leaves the state empty
// for its processing plants, whose names carry it instead ("JACKSONVILLE FL
// DISTRIBUTION CENTER", "ISC NEW YORK NY(USPS)").
func setLocation(l *event.Location, city, state, zip, country []byte, b *normalizers.Batch) {
	*l = event.Location{}
	city, state, zip = trim(city), trim(state), trim(zip)
	cc, known := countryCode(country)
	if len(trim(country)) > 0 && !known {
		// A country USPS names in a way we do not know: keep the place, but
		// do not guess the country.
		l.City, l.Region, l.PostalCode = b.Str(city), b.Upper(state), b.Str(zip)
		return
	}
	if len(state) == 0 && len(city) > 0 {
		if cc == "" || cc == "US" {
			if name, st, ok := splitFacility(city); ok {
				l.Facility = b.Str(city)
				city, state = name, st
			}
		}
		if cc == "" && len(state) == 0 {
			// International scans often name the country after the city
			// ("TOKYO INT V BAG 2, JAPAN") or instead of it ("CHINA").
			if c, ok := countryCode(city); ok && len(city) > 2 {
				cc, city = c, nil
			} else if i := bytes.LastIndexByte(city, ','); i > 0 {
				if c, ok := countryCode(city[i+1:]); ok && len(trim(city[i+1:])) > 2 {
					cc, city = c, trim(city[:i])
				}
			}
		}
	}
	l.City = b.Str(city)
	l.Region = b.Upper(state)
	l.PostalCode = b.Str(zip)
	if cc == "" && (len(city) > 0 || len(state) > 0 || len(zip) > 0) {
		cc = "US" // USPS leaves the country empty at home
	}
	l.Country = cc
}

// splitFacility finds the state code inside a plant name: the last token
// that is a US state code, with the city before it and the plant's kind (or
// a "(USPS)" tag) after it.
func splitFacility(name []byte) (city, state []byte, ok bool) {
	end := len(name)
	for end > 0 {
		start := bytes.LastIndexByte(name[:end], ' ') + 1
		tok := name[start:end]
		tagged := false
		if i := bytes.IndexByte(tok, '('); i > 0 {
			tok, tagged = tok[:i], true
		}
		if start > 0 && (end < len(name) || tagged) && isUSRegion(tok) {
			return trim(name[:start]), tok, true
		}
		end = start - 1
	}
	return nil, nil, false
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
