package feeds

import (
	"testing"

	"github.com/wismo/wismo/event"
)

func TestCarrier(t *testing.T) {
	for _, c := range []struct{ feed, name, want string }{
		{"easypost", "UPS", "ups"},
		{"easypost", "DHLExpress", "dhl"},
		{"shippo", "dhl_express", "dhl"},
		{"shippo", "USPS", "usps"}, // case does not matter
		{"aftership", "royal-mail", "royalmail"},
		{"17track", "100002", "ups"},
		{"karrio", "canadapost", "canadapost"},
		{"aftership", "la-poste-colissimo", "laposte"}, // Colissimo is La Poste's
		// Not in the table: a normalized id.
		{"easypost", "Purolator", "purolator"},
		{"aftership", "poste-italiane", "posteitaliane"},
		{"shippo", "Aramex Ltd.", "aramexltd"},
		{"easypost", "--", ""},
	} {
		if got := Carrier(c.feed, c.name); got != c.want {
			t.Errorf("Carrier(%q, %q) = %q, want %q", c.feed, c.name, got, c.want)
		}
	}
}

// Every id in the table is a valid carrier key; a malformed or duplicated
// line is an error that names the line.
func TestTable(t *testing.T) {
	for feed, names := range carriers {
		for name, id := range names {
			if !event.ValidCarrierKey(id) {
				t.Errorf("%s %q -> %q is not a carrier key", feed, name, id)
			}
		}
	}
	for _, bad := range []string{"easypost\tUPS", "easypost\tUPS\tU P S", "easypost\tUPS\tups\neasypost\tups\tups"} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) accepted it", bad)
		}
	}
}
