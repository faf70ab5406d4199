// Package schemas embeds the wire schemas other teams build against: the Avro
// schemas of the canonical event and of the generic scan feed, and (later)
// the ClickHouse DDL.
package schemas

import _ "embed"

// CanonicalEvent is the Avro schema of shipments.events.v1 records.
//
//go:embed canonical_event.avsc
var CanonicalEvent string

// NotificationCommand is the Avro schema of shipments.notifications.v1
// records.
//
//go:embed notification_command.avsc
var NotificationCommand string

// Scan is the Avro schema of the generic scan feed for 3PLs and aggregators.
//
//go:embed scan.avsc
var Scan string

// LaneObservation is the Avro schema of shipments.lane-observations.v1
// records.
//
//go:embed lane_observation.avsc
var LaneObservation string

// LaneModel is the Avro schema of shipments.lanes.v1 records.
//
//go:embed lane_model.avsc
var LaneModel string

// OrderContext is the Avro schema of orders.context.v1 records (the
// optional order context input).
//
//go:embed order_context.avsc
var OrderContext string
