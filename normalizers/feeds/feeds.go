// Package feeds knows what the aggregator feeds (EasyPost, Shippo,
// AfterShip, 17TRACK, karrio) call each carrier, so that an event seen
// through a feed names the company that carries the parcel with wismo's own
// carrier id: an EasyPost tracker on UPS is ups:1Z..., the same shipment as
// UPS's own API gives. The names are data, in carriers.tsv.
package feeds

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/wismo/wismo/event"
)

//go:embed carriers.tsv
var carriersTSV string

// carriers maps feed, then the feed's carrier name in lower case, to a
// wismo carrier id.
var carriers = mustParse(carriersTSV)

func mustParse(tsv string) map[string]map[string]string {
	m, err := parse(tsv)
	if err != nil {
		panic(err)
	}
	return m
}

func parse(tsv string) (map[string]map[string]string, error) {
	m := map[string]map[string]string{}
	for i, line := range strings.Split(tsv, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || !event.ValidCarrierKey(f[2]) {
			return nil, fmt.Errorf("normalizers/feeds: carriers.tsv line %d: want feed<TAB>name<TAB>wismo id (a carrier key), got %q", i+1, line)
		}
		if m[f[0]] == nil {
			m[f[0]] = map[string]string{}
		}
		name := strings.ToLower(f[1])
		if _, dup := m[f[0]][name]; dup {
			return nil, fmt.Errorf("normalizers/feeds: carriers.tsv line %d: %s %q is listed twice", i+1, f[0], f[1])
		}
		m[f[0]][name] = f[2]
	}
	return m, nil
}

// Carrier returns wismo's id for the carrier that feed calls name. A name
// the table does not list gets a normalized id: lower case, letters and
// digits only ("Purolator" -> "purolator", "la-poste" -> "laposte"); ""
// when nothing is left, or more than a carrier key may hold.
func Carrier(feed, name string) string {
	names := carriers[feed]
	if id, ok := names[name]; ok {
		return id
	}
	var buf [64]byte // lower-cased on the stack: a look-up per tracker allocates nothing
	if len(name) <= len(buf) {
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if id, ok := names[string(buf[:len(name)])]; ok {
			return id
		}
	} else if id, ok := names[strings.ToLower(name)]; ok {
		return id
	}
	return Normalize(name)
}

// IsFeed reports whether id is an aggregator feed that carriers.tsv has
// names for, rather than a carrier: a feed's events name the carriers of
// its parcels, never the feed.
func IsFeed(id string) bool {
	_, ok := carriers[id]
	return ok
}

// Normalize is the id of a carrier wismo has no table entry for.
func Normalize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if s := b.String(); event.ValidCarrierKey(s) {
		return s
	}
	return ""
}
