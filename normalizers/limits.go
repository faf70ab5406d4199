package normalizers

import (
	"strconv"
	"unicode/utf8"

	"github.com/wismo/wismo/event"
)

// MaxTrackingLen bounds a tracking number (see event.MaxTrackingLen).
const MaxTrackingLen = event.MaxTrackingLen

// ValidTracking reports whether s can be a tracking number (see
// event.ValidTrackingNumber). Decoders trim and upper-case before; this
// only refuses.
func ValidTracking(s string) bool { return event.ValidTrackingNumber(s) }

// badTracking is the rejection message of a tracking number that is not
// one; it quotes a bounded, escaped prefix of the value.
func badTracking(s string) string {
	return "tracking number " + Quote(s) + " (" + strconv.Itoa(len(s)) + " bytes) is not 1 to " +
		strconv.Itoa(MaxTrackingLen) + " printable ASCII characters without spaces"
}

// Quote bounds and escapes what a message repeats of a value from a
// payload: at most 40 bytes, control characters and invalid UTF-8 escaped.
func Quote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(clip(s, 40)) + "..."
	}
	return strconv.Quote(s)
}

// Shown is s as a message may repeat it: as it is when short and printable
// ASCII, else Quote(s).
func Shown(s string) string {
	if len(s) > 40 {
		return Quote(s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return Quote(s)
		}
	}
	return s
}

// Bounds on the text an event keeps of a scan, in bytes. Real values are
// far shorter (codes have 2 to 32 characters, the longest descriptions a
// few hundred); the bounds keep one absurd field from making an event
// megabytes long in the events topic and in ClickHouse. The event id is
// computed before, from the whole values, so two scans that differ only
// past a bound stay two events.
const (
	maxCodeLen        = 64
	maxDescriptionLen = 1024
	maxPlaceLen       = 128 // city, facility
	maxShortLen       = 32  // region, postal code, country, service
	// clipEvent's quick check needs each bound to be a power of two.
)

// clipEvent bounds the carrier texts of e.
func clipEvent(e *event.Event) {
	// The bounds are powers of two, so an OR of lengths under one has every
	// length under it: one comparison per bound for the usual event.
	l, o, d := &e.Location, &e.Origin, &e.Destination
	short := len(e.Service) | len(e.EstimatedDelivery) | len(l.Region) | len(l.PostalCode) | len(l.Country) |
		len(o.Region) | len(o.PostalCode) | len(o.Country) | len(d.Region) | len(d.PostalCode) | len(d.Country)
	places := len(l.City) | len(l.Facility) | len(o.City) | len(o.Facility) | len(d.City) | len(d.Facility)
	if short < maxShortLen && places < maxPlaceLen && len(e.Raw.Code)|len(e.Raw.Type) < maxCodeLen &&
		len(e.Raw.Description) < maxDescriptionLen {
		return
	}
	e.Raw.Code = clip(e.Raw.Code, maxCodeLen)
	e.Raw.Type = clip(e.Raw.Type, maxCodeLen)
	e.Raw.Description = clip(e.Raw.Description, maxDescriptionLen)
	e.Service = clip(e.Service, maxShortLen)
	e.EstimatedDelivery = clip(e.EstimatedDelivery, maxShortLen)
	clipLocation(&e.Location)
	clipLocation(&e.Origin)
	clipLocation(&e.Destination)
}

func clipLocation(l *event.Location) {
	l.City = clip(l.City, maxPlaceLen)
	l.Facility = clip(l.Facility, maxPlaceLen)
	l.Region = clip(l.Region, maxShortLen)
	l.PostalCode = clip(l.PostalCode, maxShortLen)
	l.Country = clip(l.Country, maxShortLen)
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
