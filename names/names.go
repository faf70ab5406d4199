// Package names holds the default names of the pipeline's Kafka topics and
// consumer groups. The config defaults, the runner, the sink, the demo and
// the tools all take them from here, so a rename happens in one place.
package names

// The pipeline's topics (topics.* in config; contracts.md describes them).
const (
	EventsTopic        = "shipments.events.v1"
	NotificationsTopic = "shipments.notifications.v1"
	StateTopic         = "shipments.state.v1"
	DeadLetterTopic    = "shipments.deadletter.v1"
	// The lane model across instances: what detect learns, keyed by lane,
	// and the compacted lane models the lane stage writes.
	LaneObservationsTopic = "shipments.lane-observations.v1"
	LanesTopic            = "shipments.lanes.v1"
)

// GroupPrefix is the default kafka.group_prefix.
const GroupPrefix = "wismo"

// Group names a stage's consumer group: PREFIX-STAGE. The transactional
// stages also derive their transactional ids from it.
func Group(prefix, stage string) string { return prefix + "-" + stage }
