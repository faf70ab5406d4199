package normalizers

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/wismo/wismo/event"
)

// Format is the wire format of a raw payload.
type Format string

const (
	JSON Format = "json"
	XML  Format = "xml"
	Avro Format = "avro"
)

// ParseFormat accepts "json", "xml" or "avro".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case JSON, XML, Avro:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want json, xml or avro)", s)
}

// Normalizer decodes one carrier's payloads.
type Normalizer interface {
	// Carrier is the carrier's key, used in shipment ids ("ups").
	Carrier() string
	// DisplayName is how customers know the carrier ("UPS").
	DisplayName() string
	// Formats lists the formats the normalizer reads natively; the first is
	// the default.
	Formats() []Format
	// Normalize decodes in.Payload and adds its scans to b. An error rejects
	// the whole payload; scans rejected one by one go to b.Rejected.
	Normalize(in *Input, b *Batch) error
}

// CodeMapper is implemented by carriers whose code table can map scans that
// arrive in another container, such as the generic Avro feed.
type CodeMapper interface {
	MapCode(code, subcode, description string) *Mapping
}

// GenericFactory makes a normalizer for a format that any carrier's scans can
// arrive in (the generic Avro feed); carrier is the carrier bound to the
// topic, or "generic" when each record names its own.
type GenericFactory func(carrier string) Normalizer

var (
	mu       sync.RWMutex
	registry = map[string]Normalizer{}
	specs    = map[string]*Spec{}
	generic  = map[Format]genericFeed{}
)

type genericFeed struct {
	feed    Feed
	factory GenericFactory
}

// Register adds a carrier. A carrier package registers a decoder that embeds
// its Spec; a decoder without one gets a spec of its names and formats
// alone, which the conformance suite rejects. It panics on a duplicate key:
// two packages claiming one carrier is a build mistake.
func Register(n Normalizer) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[n.Carrier()]; dup {
		panic("normalizers: carrier registered twice: " + n.Carrier())
	}
	s := &Spec{ID: n.Carrier(), Name: n.DisplayName(), Reads: n.Formats()}
	if d, ok := n.(interface{ CarrierSpec() *Spec }); ok {
		s = d.CarrierSpec()
	}
	registry[n.Carrier()] = n
	specs[n.Carrier()] = s
	event.RegisterCarrier(n.Carrier(), n.DisplayName())
}

// RegisterGeneric adds a carrier-independent format.
func RegisterGeneric(feed Feed, factory GenericFactory) {
	mu.Lock()
	defer mu.Unlock()
	generic[feed.Format] = genericFeed{feed, factory}
}

// Carriers lists the registered carrier keys, sorted.
func Carriers() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Registered returns the normalizer registered for carrier.
func Registered(carrier string) (Normalizer, bool) {
	mu.RLock()
	defer mu.RUnlock()
	n, ok := registry[carrier]
	return n, ok
}

// GenericCarrier is the carrier key of a generic feed whose records each
// name their own carrier.
const GenericCarrier = "generic"

// Lookup returns the normalizer for a carrier and format; format "" means
// the carrier's default. The error names what is known, for config
// validation.
func Lookup(carrier string, format Format) (Normalizer, error) {
	mu.RLock()
	n, ok := registry[carrier]
	g := generic[format].factory
	mu.RUnlock()
	if !ok && !(carrier == GenericCarrier && g != nil) {
		return nil, Errorf(KindUnsupportedCarrier, carrier, "unknown carrier %q (known: %s)",
			carrier, strings.Join(append(Carriers(), GenericCarrier+" (avro only)"), ", "))
	}
	if ok && (format == "" || hasFormat(n, format)) {
		return n, nil
	}
	if g != nil {
		return g(carrier), nil
	}
	var fs []string
	for _, f := range n.Formats() {
		fs = append(fs, string(f))
	}
	return nil, Errorf(KindUnsupportedCarrier, carrier, "format %q is not supported for %s (supported: %s, avro)",
		format, carrier, strings.Join(fs, ", "))
}

func hasFormat(n Normalizer, f Format) bool {
	for _, g := range n.Formats() {
		if g == f {
			return true
		}
	}
	return false
}

// DefaultMaxPayload is the default limit on one raw payload.
const DefaultMaxPayload = 4 << 20

// Normalize runs n over one payload into b (which it resets first). It
// enforces the size limit (0 means DefaultMaxPayload), turns a decoder panic
// into a decode error instead of taking the stage down, and rejects a
// payload that yields nothing at all.
func Normalize(n Normalizer, in *Input, b *Batch, maxPayload int) (err error) {
	b.reset(n, in)
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayload
	}
	if len(in.Payload) > maxPayload {
		return Errorf(KindTooLarge, n.Carrier(), "payload is %d bytes, over the %d-byte limit", len(in.Payload), maxPayload)
	}
	defer func() {
		if r := recover(); r != nil {
			b.Events = b.Events[:0]
			err = Errorf(KindDecode, n.Carrier(), "decoder failed on this payload: %v", r)
		}
	}()
	if err := n.Normalize(in, b); err != nil {
		b.Events = b.Events[:0]
		return err
	}
	if len(b.Events) == 0 && len(b.Rejected) == 0 {
		return Errorf(KindEmpty, n.Carrier(), "payload holds no tracking events and no carrier answer")
	}
	b.oldestFirst()
	return nil
}

// oldestFirst puts the payload's events in the order they happened. Carriers
// list history newest first (most of them) or oldest first, and downstream
// a shipment's events are read in topic order: detection treats an older
// scan arriving after a newer one as late, so a history must not reach it
// backwards. The sort is stable, so scans of the same instant keep the
// carrier's order; the common cases (already ascending, strictly
// descending) cost one pass.
func (b *Batch) oldestFirst() {
	ev := b.Events
	switch {
	case b.asc: // Add and Pending kept the order flags
	case b.desc:
		slices.Reverse(ev)
	default:
		sortByTime(ev)
	}
}

// sortByTime sorts events stably by time. An event is 480 bytes: a sort of
// the events themselves copied two into every comparison and swapped each
// one many times, and UPS payloads (scans of the same instant, one listed
// out of place) normalized 25-33% slower for it. This sorts 16-byte keys
// instead, then moves every event once, cycle by cycle.
func sortByTime(ev []event.Event) {
	var buf [64]timeKey // a payload's history fits; a longer one allocates
	keys := buf[:0]
	// Starting from the reverse of a history listed mostly newest first
	// leaves the sort little to do.
	n := len(ev)
	newestFirst := ev[0].OccurredAt.After(ev[n-1].OccurredAt)
	for j := range ev {
		i := j
		if newestFirst {
			i = n - 1 - j
		}
		t := ev[i].OccurredAt
		sec := t.Unix()
		if sec < -1<<33 || sec >= 1<<33 { // 1698-2242: no scan, a pending event at an odd --now
			slices.SortStableFunc(ev, func(a, b event.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
			return
		}
		keys = append(keys, timeKey{sec<<30 | int64(t.Nanosecond()), int32(i)})
	}
	if n <= len(buf) {
		// Insertion sort: a history is short, and after the reversal nearly
		// in order, so this is about one comparison per event.
		for i := 1; i < n; i++ {
			k := keys[i]
			j := i
			for ; j > 0 && k.less(keys[j-1]); j-- {
				keys[j] = keys[j-1]
			}
			keys[j] = k
		}
	} else {
		slices.SortFunc(keys, timeKey.compare) // no two keys are equal, so any sort is stable
	}
	// keys[i].pos is the event that belongs at i. A placed position is
	// marked by pointing at itself, so the loops run len(ev) times in all.
	for start := range keys {
		if int(keys[start].pos) == start {
			continue
		}
		held := ev[start]
		at := start
		for {
			from := int(keys[at].pos)
			keys[at].pos = int32(at)
			if from == start {
				ev[at] = held
				break
			}
			ev[at] = ev[from]
			at = from
		}
	}
}

// timeKey is an event's time and position, for sortByTime: the time as
// seconds << 30 | nanoseconds, which orders as the time does and costs one
// comparison.
type timeKey struct {
	at  int64
	pos int32 // where the event is; equal times keep the carrier's order
}

func (k timeKey) less(l timeKey) bool { return k.at < l.at || k.at == l.at && k.pos < l.pos }

func (k timeKey) compare(l timeKey) int {
	if c := cmp.Compare(k.at, l.at); c != 0 {
		return c
	}
	return cmp.Compare(k.pos, l.pos)
}

// ResetForTest prepares b for a direct call of n.Normalize, as Normalize
// does; fuzz targets use it to call decoders without Normalize's recover.
func ResetForTest(b *Batch, n Normalizer, in *Input) { b.reset(n, in) }

// A Feeder is a normalizer whose events come through an aggregator or a
// generic feed rather than the carrier's own API: Feed names it, for the
// events' feed field. A normalizer without it is its carrier's own API.
type Feeder interface {
	Feed() string
}

// feedOf is the feed the events of n came through.
func feedOf(n Normalizer) string {
	if f, ok := n.(Feeder); ok {
		return f.Feed()
	}
	return n.Carrier()
}
