package feeds

import (
	"sync"

	"golang.org/x/text/language"
)

// countries gives ISO 3166-1 country codes, alpha-3 ("JPN") and alpha-2
// ("JP", and deprecated ones such as "UK"), the alpha-2 code events carry
// ("JP", "GB"). Feeds give alpha-3 (AfterShip's country_iso3), carriers and
// the tz package alpha-2. The codes are CLDR's, through golang.org/x/text;
// the table is built on first use (a few ms), so that a program that never
// reads a feed does not pay for it. A code in capitals is its own index
// (letter values in base 26, after the 26*26 two-letter codes), so that a
// look-up is an array's, not a map's.
var countries = sync.OnceValue(func() *countryTable {
	t := &countryTable{names: []string{""}}
	index := map[string]uint16{}
	add := func(code []byte) {
		r, err := language.ParseRegion(string(code))
		if err != nil || !r.IsCountry() {
			return
		}
		if s := r.Canonicalize().String(); len(s) == 2 && s != "ZZ" {
			if index[s] == 0 {
				index[s] = uint16(len(t.names))
				t.names = append(t.names, s)
			}
			t.codes[countryIndex(code)] = index[s]
		}
	}
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			add([]byte{a, b})
			for c := byte('A'); c <= 'Z'; c++ {
				add([]byte{a, b, c})
			}
		}
	}
	return t
})

// countryTable holds at codes[countryIndex(code)] the index in names of
// the code's alpha-2 code, 0 ("") for none.
type countryTable struct {
	codes [26*26 + 26*26*26]uint16
	names []string
}

// countryIndex is the index of two or three capitals in countryTable.codes.
func countryIndex(up []byte) int {
	i := int(up[0]-'A')*26 + int(up[1]-'A')
	if len(up) == 3 {
		i = 26*26 + i*26 + int(up[2]-'A')
	}
	return i
}

// Country returns the alpha-2 code of an ISO 3166-1 country code given in
// either form, in any case: "JPN" and "jp" give "JP". Anything else (a
// country's name, an unknown code) gives "". It does not allocate.
func Country(code []byte) string {
	var up [3]byte
	if len(code) < 2 || len(code) > 3 {
		return ""
	}
	for i, c := range code {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			return ""
		}
		up[i] = c
	}
	t := countries()
	return t.names[t.codes[countryIndex(up[:len(code)])]]
}
