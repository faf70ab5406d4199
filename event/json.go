package event

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wismo/wismo/taxonomy"
)

// AppendJSON appends the event as one line of contract JSON (no newline).
// Field order follows contracts.md; extensions come after the contract's
// fields. It does not allocate when dst has room.
func AppendJSON(dst []byte, e *Event) []byte {
	dst = append(dst, `{"schema_version":1,"event_id":"`...)
	dst = e.ID.AppendHex(dst)
	dst = append(dst, `","shipment_id":`...)
	dst = appendShipmentID(dst, e.Carrier, e.TrackingNumber)
	dst = append(dst, `,"carrier":`...)
	dst = AppendString(dst, e.Carrier)
	dst = append(dst, `,"tracking_number":`...)
	dst = AppendString(dst, e.TrackingNumber)
	dst = append(dst, `,"service":`...)
	dst = AppendString(dst, e.Service)
	t := e.Type
	if t == nil {
		t = taxonomy.Unmapped
	}
	dst = append(dst, `,"milestone":"`...)
	dst = append(dst, t.Milestone...)
	dst = append(dst, `","event_type":"`...)
	dst = append(dst, t.Name...)
	dst = append(dst, `","class":"`...)
	dst = append(dst, t.Class.String()...)
	dst = append(dst, `","reason":`...)
	dst = AppendString(dst, e.Reason)
	dst = append(dst, `,"occurred_at":"`...)
	dst = AppendUTC(dst, e.OccurredAt)
	dst = append(dst, `","occurred_at_local":"`...)
	dst = AppendLocal(dst, e.OccurredAt, e.LocalOffset)
	dst = append(dst, `","tz_source":"`...)
	dst = append(dst, e.TZSource.String()...)
	dst = append(dst, `","location":`...)
	dst = appendLocation(dst, &e.Location, true)
	dst = append(dst, `,"raw":{"code":`...)
	dst = AppendString(dst, e.Raw.Code)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, e.Raw.Type)
	dst = append(dst, `,"description":`...)
	dst = AppendString(dst, e.Raw.Description)
	dst = append(dst, `},"message":`...)
	// Messages are rendered into the tail of dst and then quoted in place of
	// a scratch buffer: no allocation.
	start := len(dst)
	dst = e.AppendMessage(dst)
	dst = quoteTail(dst, start)
	dst = append(dst, `,"next_step":`...)
	start = len(dst)
	dst = e.AppendNextStep(dst)
	dst = quoteTail(dst, start)
	dst = append(dst, `,"source":"`...)
	dst = append(dst, e.Source.String()...)
	dst = append(dst, `","lineage":{"topic":`...)
	dst = AppendString(dst, e.Lineage.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(e.Lineage.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, e.Lineage.Offset, 10)
	dst = append(dst, `},"estimated_delivery":`...)
	dst = AppendString(dst, e.EstimatedDelivery)
	dst = append(dst, `,"origin":`...)
	dst = appendLocation(dst, &e.Origin, false)
	dst = append(dst, `,"destination":`...)
	dst = appendLocation(dst, &e.Destination, false)
	dst = append(dst, `,"feed":`...)
	dst = AppendString(dst, e.Feed)
	return append(dst, '}')
}

func appendShipmentID(dst []byte, carrier, tracking string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, carrier)
	dst = append(dst, ':')
	dst = appendEscaped(dst, tracking)
	return append(dst, '"')
}

func appendLocation(dst []byte, l *Location, facility bool) []byte {
	dst = append(dst, `{"city":`...)
	dst = AppendString(dst, l.City)
	dst = append(dst, `,"region":`...)
	dst = AppendString(dst, l.Region)
	dst = append(dst, `,"postal_code":`...)
	dst = AppendString(dst, l.PostalCode)
	dst = append(dst, `,"country":`...)
	dst = AppendString(dst, l.Country)
	if facility {
		dst = append(dst, `,"facility":`...)
		dst = AppendString(dst, l.Facility)
	}
	return append(dst, '}')
}

// quoteTail turns dst[start:], raw text, into a JSON string in place.
func quoteTail(dst []byte, start int) []byte {
	n := len(dst) - start
	// Fast path: nothing to escape, so shift right by one and add quotes.
	clean := true
	for _, c := range dst[start:] {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		dst = append(dst, 0, 0)
		copy(dst[start+1:], dst[start:start+n])
		dst[start] = '"'
		dst[start+n+1] = '"'
		return dst
	}
	raw := string(dst[start:]) // rare: messages with non-ASCII place names
	return AppendString(dst[:start], raw)
}

// AppendUTC appends t in UTC as RFC 3339 with a Z.
func AppendUTC(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339)
}

// AppendLocal appends the wall-clock time at offset, with the offset
// ("2026-11-21T10:04:05-05:00").
func AppendLocal(dst []byte, utc time.Time, offset int32) []byte {
	dst = utc.UTC().Add(time.Duration(offset)*time.Second).AppendFormat(dst, "2006-01-02T15:04:05")
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	h, m := offset/3600, offset%3600/60
	return append(dst, sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// that the output is always valid JSON whatever a carrier sent.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			// U+2028 and U+2029 are valid JSON but break JavaScript readers.
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xF])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(dst, s[start:]...)
}

// wire mirrors the JSON form for decoding. Decoding is not on the hot path
// (it serves backtest and the JSON topic encoding), so encoding/json is fine.
type wire struct {
	SchemaVersion     int          `json:"schema_version"`
	EventID           string       `json:"event_id"`
	ShipmentID        string       `json:"shipment_id"`
	Carrier           string       `json:"carrier"`
	TrackingNumber    string       `json:"tracking_number"`
	Service           string       `json:"service"`
	Milestone         string       `json:"milestone"`
	EventType         string       `json:"event_type"`
	Class             string       `json:"class"`
	Reason            string       `json:"reason"`
	OccurredAt        string       `json:"occurred_at"`
	OccurredAtLocal   string       `json:"occurred_at_local"`
	TZSource          string       `json:"tz_source"`
	Location          wireLocation `json:"location"`
	Raw               wireRaw      `json:"raw"`
	Message           string       `json:"message"`
	Source            string       `json:"source"`
	Lineage           wireLineage  `json:"lineage"`
	EstimatedDelivery string       `json:"estimated_delivery"`
	Origin            wireLocation `json:"origin"`
	Destination       wireLocation `json:"destination"`
	Feed              string       `json:"feed"`
}

type wireLocation struct {
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Facility   string `json:"facility"`
}

type wireRaw struct {
	Code        string `json:"code"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

type wireLineage struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// UnmarshalJSON decodes one canonical event, checking what a producer could
// get wrong: the schema version, the event type, the time stamps.
func UnmarshalJSON(data []byte, e *Event) error {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	return fromWire(&w, e)
}

func fromWire(w *wire, e *Event) error {
	if w.SchemaVersion != SchemaVersion {
		return fmt.Errorf("event: schema_version %d, want %d", w.SchemaVersion, SchemaVersion)
	}
	id, err := ParseID(w.EventID)
	if err != nil {
		return fmt.Errorf("event: bad event_id %q", w.EventID)
	}
	t, ok := taxonomy.Lookup(w.EventType)
	if !ok {
		return fmt.Errorf("event: unknown event_type %q", w.EventType)
	}
	if w.Carrier == "" || w.TrackingNumber == "" {
		return fmt.Errorf("event %s: carrier and tracking_number are required", w.EventID)
	}
	if !ValidCarrierKey(w.Carrier) {
		return badKey(w.EventID, "carrier", w.Carrier)
	}
	if !ValidTrackingNumber(w.TrackingNumber) {
		return badKey(w.EventID, "tracking_number", w.TrackingNumber)
	}
	at, err := time.Parse(time.RFC3339, w.OccurredAt)
	if err == nil {
		err = CheckTime(at)
	}
	if err != nil {
		return fmt.Errorf("event %s: occurred_at: %w", w.EventID, err)
	}
	var offset int32
	if w.OccurredAtLocal != "" {
		local, err := time.Parse(time.RFC3339, w.OccurredAtLocal)
		if err != nil {
			return fmt.Errorf("event %s: occurred_at_local: %w", w.EventID, err)
		}
		_, off := local.Zone()
		offset = int32(off)
	}
	source := FromCarrier
	if w.Source == "pipeline" {
		source = FromPipeline
	}
	*e = Event{
		ID: id, Carrier: w.Carrier, TrackingNumber: w.TrackingNumber, Service: w.Service,
		Type: t, Reason: w.Reason, OccurredAt: at.UTC(), LocalOffset: offset,
		TZSource: parseTZSource(w.TZSource),
		Location: Location(w.Location),
		Raw:      Raw(w.Raw), Source: source, Lineage: Lineage(w.Lineage),
		EstimatedDelivery: w.EstimatedDelivery,
		Origin:            Location(w.Origin), Destination: Location(w.Destination),
		Feed: w.Feed,
	}
	return nil
}
