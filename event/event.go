// Package event defines the canonical shipment event of contracts v1 and its
// encodings (JSON and Avro).
//
// An Event is a plain value. Its strings are immutable and may share memory
// with the normalizer's arena, so copying an Event is cheap and safe. Derived
// fields of the contract (shipment_id, milestone, class, message) are computed
// when the event is encoded instead of being stored, which keeps the hot path
// free of allocations.
package event

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wismo/wismo/taxonomy"
)

// SchemaVersion is the version of the canonical event contract.
const SchemaVersion = 1

// ID is an event's deterministic identity: the same carrier scan gives the
// same ID however often the carrier resends it.
type ID [16]byte

// String returns the ID as 32 lowercase hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// AppendHex appends the ID as 32 lowercase hex digits.
func (id ID) AppendHex(dst []byte) []byte { return hex.AppendEncode(dst, id[:]) }

// IsZero reports whether the ID is unset.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses 32 hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 32 {
		return id, hex.InvalidByteError(0)
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err
}

// TZSource says how the local offset of a scan was known.
type TZSource uint8

const (
	// TZAssumedUTC: nothing was known; counted as a data-quality problem.
	TZAssumedUTC TZSource = iota
	// TZCarrierOffset: the carrier sent the offset.
	TZCarrierOffset
	// TZLocation: derived from the scan's location.
	TZLocation
)

func (s TZSource) String() string {
	switch s {
	case TZCarrierOffset:
		return "carrier_offset"
	case TZLocation:
		return "location"
	default:
		return "assumed_utc"
	}
}

// AssumedUTC says whether the event counts as a scan taken as UTC, the
// data-quality count of the stage, `wismo normalize --stats` and the demo.
// A pending event is not a scan: its time is when the carrier was asked.
func (e *Event) AssumedUTC() bool {
	return e.TZSource == TZAssumedUTC && e.Type != taxonomy.Pending
}

func parseTZSource(s string) TZSource {
	switch s {
	case "carrier_offset":
		return TZCarrierOffset
	case "location":
		return TZLocation
	}
	return TZAssumedUTC
}

// Source says who made the event.
type Source uint8

const (
	// FromCarrier: a carrier scan.
	FromCarrier Source = iota
	// FromPipeline: synthetic, such as a stall.
	FromPipeline
)

func (s Source) String() string {
	if s == FromPipeline {
		return "pipeline"
	}
	return "carrier"
}

// Location is where a scan happened.
type Location struct {
	City       string
	Region     string // state or province code
	PostalCode string
	Country    string // ISO 3166-1 alpha-2
	Facility   string // carrier's facility or location id, when given
}

// IsZero reports whether nothing is known about the location.
func (l *Location) IsZero() bool {
	return l.City == "" && l.Region == "" && l.PostalCode == "" && l.Country == "" && l.Facility == ""
}

// Raw keeps what the carrier said, for audit and for extending the tables.
type Raw struct {
	Code        string
	Type        string // second-level code: UPS status type, FedEx exception code, ...
	Description string
}

// Lineage is where the raw record came from.
type Lineage struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Event is one canonical shipment event.
type Event struct {
	ID             ID
	Carrier        string // "ups"
	CarrierName    string // display name for messages ("UPS"); not encoded
	TrackingNumber string
	Service        string
	Type           *taxonomy.Type
	Reason         string
	OccurredAt     time.Time // UTC
	LocalOffset    int32     // seconds east of UTC in effect at the scan's place and time
	TZSource       TZSource
	Location       Location
	Raw            Raw
	Source         Source
	Lineage        Lineage

	// Extensions beyond contracts v1, for the detect stage and analysts.

	// EstimatedDelivery is the carrier's current estimated delivery date
	// (YYYY-MM-DD), as of this payload; "" when the carrier gave none.
	EstimatedDelivery string
	// Origin and Destination are the shipment's ends, when the payload says.
	Origin      Location
	Destination Location
	// Feed names the API or aggregator the scan came through ("ups",
	// "easypost"); Carrier always names who carries the parcel.
	Feed string
}

// ShipmentID is "<carrier>:<tracking number>".
func (e *Event) ShipmentID() string { return e.Carrier + ":" + e.TrackingNumber }

// MaxTrackingLen bounds a tracking number. The longest real ones have 34
// characters (FedEx Ground's 96... barcodes, USPS IMpb with its ZIP+4
// routing prefix); UPS has 18 (1Z...), DHL Express 10, DHL eCommerce and
// the S10 numbers of posts up to about 30, DPD and PostNL mix letters in.
// Twice the longest leaves room for formats not seen yet, and keeps a
// garbage value from becoming a shipment id, a Kafka key and a ClickHouse
// sort key.
const MaxTrackingLen = 64

// ValidTrackingNumber reports whether s can be a tracking number: 1 to
// MaxTrackingLen printable ASCII characters, no spaces or control
// characters.
func ValidTrackingNumber[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 || len(s) > MaxTrackingLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// MaxCarrierKeyLen bounds a carrier key ("ups", "royalmail").
const MaxCarrierKeyLen = 32

// ValidCarrierKey reports whether s is a carrier key: 1 to
// MaxCarrierKeyLen of a-z, 0-9, _ and -.
func ValidCarrierKey[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 || len(s) > MaxCarrierKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// badKey is a decoder's error for a carrier or tracking number that is
// not one; it repeats at most 40 bytes of it, escaped.
func badKey[T ~string | ~[]byte](id T, field, tn string) error {
	what := fmt.Sprintf("1 to %d printable ASCII characters without spaces", MaxTrackingLen)
	if field == "carrier" {
		what = fmt.Sprintf("a carrier key (1 to %d of a-z, 0-9, _ and -)", MaxCarrierKeyLen)
	}
	shown := tn
	if len(shown) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(shown[n]) {
			n--
		}
		shown = shown[:n] + "..."
	}
	return fmt.Errorf("event %s: %s %s (%d bytes) is not %s", id, field, strconv.Quote(shown), len(tn), what)
}

// Class is the event type's class.
func (e *Event) Class() taxonomy.Class {
	if e.Type == nil {
		return taxonomy.Noise
	}
	return e.Type.Class
}

// Local returns the occurrence time in the scan's own offset.
func (e *Event) Local() time.Time {
	if e.LocalOffset == 0 {
		return e.OccurredAt
	}
	return e.OccurredAt.In(time.FixedZone("", int(e.LocalOffset)))
}

// Message renders the customer message.
func (e *Event) Message() string { return string(e.AppendMessage(nil)) }

// AppendMessage renders the customer message into dst.
func (e *Event) AppendMessage(dst []byte) []byte {
	if e.Type == nil {
		return dst
	}
	v := e.Values()
	return e.Type.Message.Append(dst, &v)
}

// AppendNextStep renders the next step (actionable types only) into dst.
func (e *Event) AppendNextStep(dst []byte) []byte {
	if e.Type == nil {
		return dst
	}
	v := e.Values()
	return e.Type.NextStep.Append(dst, &v)
}

// Values are the placeholders of e's message and next step, for rendering
// them in another language (the tracking page).
func (e *Event) Values() taxonomy.Values {
	name := e.CarrierName
	if name == "" {
		name = DisplayName(e.Carrier)
	}
	l := &e.Location
	v := taxonomy.Values{Carrier: name, City: l.City}
	// The region means something to customers in the US, Canada and
	// Australia ("Louisville, KY"); elsewhere the country does.
	switch {
	case l.Region != "" && (l.Country == "US" || l.Country == "CA" || l.Country == "AU" || l.Country == ""):
		v.Area = l.Region
	default:
		v.Area = l.Country
	}
	return v
}

// The supported range of event times, the same everywhere: decoders refuse
// an occurred_at outside it, the normalizers reject scans before MinTime,
// and the detector never sees another. The detector stores times as
// unsigned 32-bit Unix seconds, which end in February 2106; MaxTime leaves
// room for the deadlines it adds to an event's time (a few thresholds of at
// most a year each, rules.MaxThreshold).
var (
	// MinTime: earlier dates are zero or garbage dates of a carrier.
	MinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	// MaxTime is the first time not supported.
	MaxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckTime reports an error naming the supported range when t is outside
// it.
func CheckTime(t time.Time) error {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		return fmt.Errorf("%s is outside the supported range %s .. %s", t.UTC().Format(time.RFC3339),
			MinTime.Format("2006-01-02"), MaxTime.Add(-time.Second).Format("2006-01-02"))
	}
	return nil
}
