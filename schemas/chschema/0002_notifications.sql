-- 0002: notification commands (contracts v1, shipments.notifications.v1), one
-- row per command.
--
-- Engine and key follow shipment_events: ReplacingMergeTree(ingested_at) with
-- a sort key that is a function of command_id alone (command_id hashes the
-- shipment, the trigger and the episode; shipment_id starts with the carrier),
-- so a replayed command replaces its earlier copy when parts merge. Readers
-- count uniqExact(command_id), which is right before and after merges.
-- Partitioned by month of the triggering event's time, like the events.
CREATE TABLE IF NOT EXISTS {db}.notifications
(
    command_id      String,
    shipment_id     String,
    carrier         String,
    tracking_number String,
    trigger         String,     -- shipped, out_for_delivery, delivered, stalled, ...
    event_type      String,
    event_id        String,     -- "" for commands without one event (escalations)
    priority        String,
    message         String,
    next_step       String,
    occurred_at     DateTime('UTC'),
    decided_at      DateTime('UTC'),
    not_before      DateTime('UTC'),
    supersedes      String,
    episode         Int32,
    ingested_at     DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (carrier, shipment_id, command_id)
SETTINGS index_granularity = 8192;

-- requires: 20.1
ALTER TABLE {db}.notifications
    MODIFY COLUMN message String CODEC(ZSTD(3)),
    MODIFY COLUMN next_step String CODEC(ZSTD(3));

-- requires: 20.1
ALTER TABLE {db}.notifications MODIFY TTL occurred_at + INTERVAL 2 YEAR;
