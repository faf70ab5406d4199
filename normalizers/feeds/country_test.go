package feeds

import (
	"strings"
	"testing"
)

func TestCountry(t *testing.T) {
	for in, want := range map[string]string{
		"JPN": "JP", "chn": "CN", "USA": "US", "NLD": "NL", "IND": "IN", "DEU": "DE", "GBR": "GB",
		"JP": "JP", "us": "US", "UK": "GB", // alpha-2 too, deprecated codes canonical
		"": "", "J": "", "ZZZ": "", "EUR": "", "China": "", "Netherlands": "", "J1N": "", "QQ": "",
	} {
		if got := Country([]byte(in)); got != want {
			t.Errorf("Country(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Country([]byte("JPN")) }); n != 0 {
		t.Errorf("Country allocates %v times", n)
	}
}

func TestCarrierBytes(t *testing.T) {
	for _, name := range []string{"Postnl-3S", "100002", "la-poste-colissimo", "", "--", "PHLPost", "phlpost", "Ph-L post",
		"\u212aerry", "Kerry", strings.Repeat("x", 40), strings.Repeat("x", 64), strings.Repeat("y", 65)} {
		for round := 0; round < 2; round++ { // the second time from normalized
			if got, want := CarrierBytes("aftership", []byte(name)), Carrier("aftership", name); got != want {
				t.Errorf("CarrierBytes(%q) = %q, Carrier gives %q", name, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { CarrierBytes("trackingmore", []byte("phlpost")) }); n != 0 {
		t.Errorf("CarrierBytes allocates %v times for a name it normalized before", n)
	}
	if n := testing.AllocsPerRun(100, func() { CarrierBytes("17track", []byte("100002")) }); n != 0 {
		t.Errorf("CarrierBytes allocates %v times for a listed name", n)
	}
}
