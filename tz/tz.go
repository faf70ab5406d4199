// Package tz finds the time zone of a scan's location when the carrier sent
// no UTC offset: from the country for single-zone countries, and from the
// state or province where a country has several zones.
//
// The table is zones.tsv (embedded); the zone rules come from Go's embedded
// tzdata, so results do not depend on the host's zoneinfo and daylight-saving
// time is applied as it was on the scan's date.
package tz

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // zone rules in the binary: containers often lack /usr/share/zoneinfo
)

//go:embed zones.tsv
var zonesTSV []byte

type key struct{ country, region string }

var (
	zones  map[key]*time.Location
	byName map[string]*time.Location
)

func init() {
	z, names, err := parse(zonesTSV)
	if err != nil {
		panic(err) // checked by tests
	}
	zones, byName = z, names
}

// ByName returns a zone of the table by its IANA name ("America/Chicago"),
// the same *time.Location that ForLocation gives, or nil. Restoring saved
// state uses it: a zone is stored by name.
func ByName(name string) *time.Location { return byName[name] }

// Zones returns every zone of the table, once each, sorted by name: the
// zones a shipment's destination can have.
func Zones() []*time.Location {
	out := make([]*time.Location, 0, len(byName))
	for _, l := range byName {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *time.Location) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func parse(data []byte) (map[key]*time.Location, map[string]*time.Location, error) {
	out := map[key]*time.Location{}
	locs := map[string]*time.Location{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, name, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, nil, fmt.Errorf("tz: zones.tsv:%d: want key<TAB>zone", n)
		}
		loc := locs[name]
		if loc == nil {
			var err error
			if loc, err = time.LoadLocation(name); err != nil {
				return nil, nil, fmt.Errorf("tz: zones.tsv:%d: %w", n, err)
			}
			locs[name] = loc
		}
		country, region, _ := strings.Cut(k, "-")
		kk := key{country, region}
		if _, dup := out[kk]; dup {
			return nil, nil, fmt.Errorf("tz: zones.tsv:%d: %s listed twice", n, k)
		}
		out[kk] = loc
	}
	return out, locs, sc.Err()
}

// ForLocation returns the zone of a place given its ISO 3166 country code and,
// for countries with several zones, its region code (state or province). It
// returns nil when the zone is not known. Lookups do not allocate.
func ForLocation(country, region string) *time.Location {
	if country == "" {
		return nil
	}
	if region != "" {
		if loc := zones[key{country, region}]; loc != nil {
			return loc
		}
	}
	return zones[key{country, ""}]
}
