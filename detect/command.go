package detect

import (
	"encoding/json"
	"time"
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
