-- 0013: shipment_lookup_v3, what `wismo serve` reads, with everything a
-- lookup shows packed into one column (issue 16's benchmark).
--
-- Why: a lookup query reads one or two granules per shipment of its batch,
-- and ClickHouse's cost per shipment is mostly per column read (a seek and
-- a cache look-up in each column's file per granule), not per row: on
-- 18.16, 32 shipments cost 6.3-7.5 ms of CPU reading 0011's 19 columns and
-- 3.7-4.6 ms reading shipment_id and one packed column. So each row's
-- fields are kept in `packed` (written by the views below, read only by
-- serve/chlookup) and the query reads shipment_id and packed alone.
--
-- packed is the row's kind, 'e' (event) or 'c' (command), then its fields
-- in a fixed order per kind, each a string as <bytes>:<value> (length in
-- bytes, decimal) or an integer as <decimal>, (times as Unix seconds,
-- dates as days since 1970-01-01: 18.16 and current releases print the
-- zero date differently, but not its number):
--   e  id:S occurred_at:I event_type:S tracking_number:S local_offset:I
--      source:S location_city:S location_region:S location_country:S
--      estimated_delivery:I
--   c  id:S occurred_at:I event_type:S tracking_number:S trigger:S
--      message:S decided_at:I predicted_earliest:I predicted_likely:I
--      predicted_latest:I predicted_confidence:S
-- Only what 0011's table held (nothing finer than city and region), and
-- kind and id stay columns of their own for the sort key: the engine, key
-- and granules are 0011's (see 0007), so a replayed insert still replaces
-- its copy and the reader drops repeats by kind and id before merges do.
--
-- The statements can run again from the first, as 0011's: IF NOT EXISTS,
-- IF EXISTS, whole-table backfills (a row copied twice reads once). A
-- `wismo serve` of an earlier build reads shipment_lookup_v2, which this
-- empties: upgrade serve with the sink.
CREATE TABLE IF NOT EXISTS {db}.shipment_lookup_v3
(
    carrier     String,
    shipment_id String,
    kind        Enum8('event' = 0, 'command' = 1),
    id          String,                 -- event_id or command_id
    packed      String,                 -- the fields, as above
    occurred_at DateTime('UTC'),        -- for the TTL
    ingested_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (carrier, shipment_id, kind, id)
SETTINGS index_granularity = 256;

DROP TABLE IF EXISTS {db}.shipment_lookup_v2_events_mv;

DROP TABLE IF EXISTS {db}.shipment_lookup_v2_commands_mv;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_v3_events_mv TO {db}.shipment_lookup_v3 AS
SELECT
    carrier,
    shipment_id,
    CAST('event' AS Enum8('event' = 0, 'command' = 1)) AS kind,
    event_id AS id,
    concat('e',
        toString(length(event_id)), ':', event_id,
        toString(toUInt32(occurred_at)), ',',
        toString(length(event_type)), ':', event_type,
        toString(length(tracking_number)), ':', tracking_number,
        toString(local_offset), ',',
        toString(length(toString(source))), ':', toString(source),
        toString(length(location_city)), ':', location_city,
        toString(length(location_region)), ':', location_region,
        toString(length(location_country)), ':', location_country,
        toString(toUInt16(estimated_delivery)), ',') AS packed,
    occurred_at,
    ingested_at
FROM {db}.shipment_events;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_v3_commands_mv TO {db}.shipment_lookup_v3 AS
SELECT
    carrier,
    shipment_id,
    CAST('command' AS Enum8('event' = 0, 'command' = 1)) AS kind,
    command_id AS id,
    concat('c',
        toString(length(command_id)), ':', command_id,
        toString(toUInt32(occurred_at)), ',',
        toString(length(event_type)), ':', event_type,
        toString(length(tracking_number)), ':', tracking_number,
        toString(length(trigger)), ':', trigger,
        toString(length(message)), ':', message,
        toString(toUInt32(decided_at)), ',',
        toString(toUInt16(predicted_earliest)), ',',
        toString(toUInt16(predicted_likely)), ',',
        toString(toUInt16(predicted_latest)), ',',
        toString(length(predicted_confidence)), ':', predicted_confidence) AS packed,
    occurred_at,
    ingested_at
FROM {db}.notifications;

-- Kept, empty, rather than dropped: 0011's TTL statement, skipped on
-- servers before 20.1, is applied to it once the server is upgraded.
TRUNCATE TABLE IF EXISTS {db}.shipment_lookup_v2;

-- Retention as the source tables (TTL arrived in 19.6).
-- requires: 20.1
ALTER TABLE {db}.shipment_lookup_v3 MODIFY TTL occurred_at + INTERVAL 2 YEAR;
