package ship24

import (
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// place splits a location text at white space as bytes.Fields does, ASCII
// or not: tabs and line ends between words, a no-break space, a word of
// one byte at the end.
func TestPlaceFields(t *testing.T) {
	var b normalizers.Batch
	s := &normalizers.Scan{Destination: event.Location{Country: "US"}}
	for _, c := range []struct {
		loc  string
		want event.Location
	}{
		{"SAN RAFAEL, CA 94901", event.Location{City: "SAN RAFAEL", Region: "CA", Country: "US", PostalCode: "94901"}},
		{"SAN RAFAEL,\tCA\r\n94901 ", event.Location{City: "SAN RAFAEL", Region: "CA", Country: "US", PostalCode: "94901"}},
		{"SAN RAFAEL,\u00a0CA\u00a094901", event.Location{City: "SAN RAFAEL", Region: "CA", Country: "US", PostalCode: "94901"}},
		{"LOS ANGELES CA INTERNATIONAL DISTRIBUTION CENTER", event.Location{City: "LOS ANGELES CA INTERNATIONAL DISTRIBUTION CENTER", Region: "CA", Country: "US"}},
		{"Paris, 7", event.Location{City: "Paris", PostalCode: "7"}},
		{"", event.Location{}},
	} {
		if got := place([]byte(c.loc), s, &b); got != c.want {
			t.Errorf("place(%q) = %+v, want %+v", c.loc, got, c.want)
		}
	}
}
