// Package feeds is what the aggregator feeds (EasyPost, Shippo, AfterShip,
// 17TRACK, karrio) share: each feed is a folder of its own
// (normalizers/<feed>, registered like a carrier, Spec.ID the feed id),
// built from the pieces here.
//
// The parcel, not the feed. An event seen through a feed names the company
// that carries the parcel with wismo's own carrier id: Carrier maps the
// feed's carrier name, slug or code (carriers.tsv, data) to it, so an
// EasyPost tracker on UPS is ups:1Z..., the same shipment as UPS's own API
// gives, and a carrier wismo has no entry for gets a normalized id. Put it
// in Scan.Carrier (and PendingOf); Event.Feed names the feed by itself.
//
// The best information present. Classify decides an event's type:
//
//   - where the feed passes the carrier's own scan code (EasyPost
//     carrier_code, karrio events[].code) and wismo has that carrier's table
//     (Mapper: the registry's normalizer for the carrier id, as a
//     normalizers.CodeMapper), the carrier's table decides;
//   - refined by the feed's status: the feed's status decides when the
//     carrier's table does not know the code, when it names only a generic
//     exception that the feed names, and when it says delivered while the
//     feed's status says otherwise;
//   - otherwise the feed's status and substatus decide, through the feed's
//     codes.tsv (Status): code = status, subcode = substatus, text = a
//     keyword of the description. Status tries the status's own rows, then
//     the code * rows (a substatus that means the same under any status),
//     then the wording every feed shares (keywords.tsv), then the status's
//     "default" row (Default). A status that decides alone ends in a * row;
//     a vague one (in_transit) in a default row, so that its substatus and
//     wording can say more. Events that carry no status of the feed look up
//     code "-" (NoStatus).
//
// A feed that passes no carrier codes (AfterShip, 17TRACK) leaves
// Event.Mapper and Event.Code empty and gets the feed status path alone.
// Raw keeps both the carrier's code and the feed's status in event.Raw.
//
// Decoding. New makes a feed's decoder from its Spec and an Item that reads
// one tracker, or a webhook or response wrapping one (it tells them apart
// by content); its Normalize parses the payload and accepts one object, a
// JSON array of them, or an object listing them, rejecting a bad entry of a
// list alone. Tracking, Text (a string or a number), Date, Country, Place
// and FillCountry read the fields feeds share; Refusal is a feed's error
// answer. History counts a tracker's events: Time parses an event's ISO
// 8601 time (absent: no scan; unreadable: the scan is rejected), and
// Pending gives a tracker with no dated history its one
// pending.tracking_registered event, with an id that does not depend on the
// time. A feed's summary status never makes a scan of its own.
package feeds

import (
	_ "embed"
	"fmt"
	"sort"
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

// Carriers lists, sorted, the wismo ids that feed's rows of carriers.tsv
// map to (the README's table of what wismo reads through each feed).
func Carriers(feed string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range carriers[feed] {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
