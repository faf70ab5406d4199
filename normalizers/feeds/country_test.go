package feeds

import "testing"

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
