package detect

import (
	"encoding/json"
	"time"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
)

// Command is one notification the downstream service should send
// (contracts v1). It carries no personal contact data.
type Command struct {
	SchemaVersion  int       `json:"schema_version"`
	CommandID      string    `json:"command_id"`
	ShipmentID     string    `json:"shipment_id"`
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"tracking_number"`
	Trigger        string    `json:"trigger"`
	EventType      string    `json:"event_type"`
	EventID        string    `json:"event_id"`
	Priority       string    `json:"priority"`
	Message        string    `json:"message"`
	NextStep       string    `json:"next_step"`
	OccurredAt     time.Time `json:"occurred_at"`
	DecidedAt      time.Time `json:"decided_at"`
	NotBefore      time.Time `json:"not_before"`
	Supersedes     string    `json:"supersedes"`
	// TrackingURL is the retailer's page with a signed link (links); ""
	// when links.base_url is not set.
	TrackingURL string `json:"tracking_url"`
	// Reason says why a trigger fired where the trigger alone does not
	// (predicted_late: a delayed the carrier has not announced).
	Reason string `json:"reason"`
	// PredictedDelivery is the lane model's; nil (null) when the lane is
	// thin. EstimatedDelivery, beside it, is the carrier's (YYYY-MM-DD).
	PredictedDelivery *Prediction `json:"predicted_delivery"`
	EstimatedDelivery string      `json:"estimated_delivery,omitempty"`
	// CustomerSegment is the order context's segment and Accommodation
	// what the rules offer for it (rules/accommodations.yaml); both ""
	// without order context, as the contract has them (the keys are always
	// there, like tracking_url's).
	CustomerSegment string `json:"customer_segment"`
	Accommodation   string `json:"accommodation"`
	// Extension: the episode the command belongs to (see State).
	Episode int `json:"episode"`
}

// MarshalJSON writes times in UTC, RFC 3339, as the contract shows.
func (c *Command) MarshalJSON() ([]byte, error) {
	type plain Command
	p := plain(*c)
	p.OccurredAt, p.DecidedAt, p.NotBefore = p.OccurredAt.UTC().Truncate(time.Second), p.DecidedAt.UTC().Truncate(time.Second), p.NotBefore.UTC().Truncate(time.Second)
	return json.Marshal(&p)
}

// hexPairs holds each byte's two hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&15]}
	}
	return t
}()

// appendHexID appends id in lowercase hex, as event.ID.String writes it:
// a pair of digits per byte from a table, at a third of encoding/hex's
// instructions (a command has two ids).
func appendHexID(dst []byte, id *event.ID) []byte {
	var b [hexID]byte
	for i, v := range id {
		p := hexPairs[v]
		b[2*i], b[2*i+1] = p[0], p[1]
	}
	return append(dst, b[:]...)
}

// dateText is a day's date as calendar.AppendDate writes it.
type dateText struct {
	day int64
	ok  bool
	txt [len("2006-01-02")]byte
}

// appendDate is calendar.AppendDate through a small cache: the commands
// of a day name the same few dates (predicted, estimated).
func (e *Engine) appendDate(b []byte, d int64) []byte {
	c := &e.dates[d&(int64(len(e.dates))-1)]
	if !c.ok || c.day != d {
		calendar.AppendDate(c.txt[:0], d)
		c.day, c.ok = d, true
	}
	return append(b, c.txt[:]...)
}
