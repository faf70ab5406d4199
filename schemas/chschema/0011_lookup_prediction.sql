-- 0011: the lane model's predicted delivery (migration 0008's columns of
-- notifications) in what `wismo serve` reads, so the page and the API show
-- the window of the latest command that has one (issue 16).
--
-- A new table rather than ALTER TABLE shipment_lookup ADD COLUMN: 18.16 has
-- no ADD COLUMN IF NOT EXISTS, and the commands' view must be dropped and
-- made again (a view's query cannot be altered), so an ALTER followed by
-- the view could not be run again from its first statement after failing
-- half way. Every statement here can: the table and views are IF NOT
-- EXISTS, the drops IF EXISTS, and the backfills copy the source tables
-- whole, so a row inserted while the old views were gone and the new ones
-- not there yet is copied too; a row copied twice is one row to the reader
-- (it drops repeats by id) and after merges (the same key and version).
-- shipment_lookup is derived data only: both its views' sources keep
-- everything it held. A `wismo serve` of an earlier build reads
-- shipment_lookup, which this empties: upgrade serve with the sink.
--
-- Same engine, key and granules as 0007's shipment_lookup (see there).
CREATE TABLE IF NOT EXISTS {db}.shipment_lookup_v2
(
    carrier              String,
    shipment_id          String,
    kind                 Enum8('event' = 0, 'command' = 1),
    id                   String,                 -- event_id or command_id
    occurred_at          DateTime('UTC'),
    event_type           String,
    tracking_number      String,
    local_offset         Int32,                  -- events: seconds east of UTC at the scan's place
    source               Enum8('carrier' = 0, 'pipeline' = 1),
    location_city        String,
    location_region      String,
    location_country     String,
    estimated_delivery   Date,                   -- the carrier's estimate; 1970-01-01 = none
    trigger              String,                 -- commands
    message              String,                 -- commands
    decided_at           DateTime('UTC'),        -- commands
    predicted_earliest   Date,                   -- commands: the lane model's window; 1970-01-01 = none
    predicted_likely     Date,
    predicted_latest     Date,
    predicted_confidence String,                 -- commands: '' = no prediction
    ingested_at          DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (carrier, shipment_id, kind, id)
SETTINGS index_granularity = 256;

DROP TABLE IF EXISTS {db}.shipment_lookup_events_mv;

DROP TABLE IF EXISTS {db}.shipment_lookup_commands_mv;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_v2_events_mv TO {db}.shipment_lookup_v2 AS
SELECT
    carrier,
    shipment_id,
    CAST('event' AS Enum8('event' = 0, 'command' = 1)) AS kind,
    event_id AS id,
    occurred_at,
    event_type,
    tracking_number,
    local_offset,
    source,
    location_city,
    location_region,
    location_country,
    estimated_delivery,
    '' AS trigger,
    '' AS message,
    toDateTime(0, 'UTC') AS decided_at,
    toDate(0) AS predicted_earliest,
    toDate(0) AS predicted_likely,
    toDate(0) AS predicted_latest,
    '' AS predicted_confidence,
    ingested_at
FROM {db}.shipment_events;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_v2_commands_mv TO {db}.shipment_lookup_v2 AS
SELECT
    carrier,
    shipment_id,
    CAST('command' AS Enum8('event' = 0, 'command' = 1)) AS kind,
    command_id AS id,
    occurred_at,
    event_type,
    tracking_number,
    toInt32(0) AS local_offset,
    CAST('carrier' AS Enum8('carrier' = 0, 'pipeline' = 1)) AS source,
    '' AS location_city,
    '' AS location_region,
    '' AS location_country,
    estimated_delivery,
    trigger,
    message,
    decided_at,
    predicted_earliest,
    predicted_likely,
    predicted_latest,
    predicted_confidence,
    ingested_at
FROM {db}.notifications;

-- Kept, empty, rather than dropped: 0007's TTL statement, skipped on
-- servers before 20.1, is applied to it once the server is upgraded.
TRUNCATE TABLE IF EXISTS {db}.shipment_lookup;

-- Retention as the source tables (TTL arrived in 19.6).
-- requires: 20.1
ALTER TABLE {db}.shipment_lookup_v2 MODIFY TTL occurred_at + INTERVAL 2 YEAR;
