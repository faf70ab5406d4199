package feeds

import (
	"sync"

	"golang.org/x/text/language"
)

// countries maps ISO 3166-1 country codes, alpha-3 ("JPN") and alpha-2
// ("JP", and deprecated ones such as "UK"), to the alpha-2 code events carry
// ("JP", "GB"). Feeds give alpha-3 (AfterShip's country_iso3), carriers and
// the tz package alpha-2. The codes are CLDR's, through golang.org/x/text;
// the map is built on first use (a few ms), so that a program that never
// reads a feed does not pay for it.
var countries = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 600)
	add := func(code []byte) {
		r, err := language.ParseRegion(string(code))
		if err != nil || !r.IsCountry() {
			return
		}
		if s := r.Canonicalize().String(); len(s) == 2 && s != "ZZ" {
			m[string(code)] = s
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
	return m
})

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
	return countries()[string(up[:len(code)])]
}
