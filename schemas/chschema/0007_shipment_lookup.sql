-- 0007: shipment_lookup, what `wismo serve` reads to answer one shipment:
-- its events and its commands side by side, sorted by shipment, in small
-- granules.
--
-- Why a table of its own: shipment_events and notifications are sorted by
-- (carrier, shipment_id, ...), so a lookup by shipment id already reads only
-- that shipment's granules; but a granule is 8192 rows (the setting cannot
-- change on an existing table in 18.16), so every lookup decompressed 8192
-- rows of each column it read, in every monthly partition, and ran two
-- queries. Here a lookup is one query over one partition-free table whose
-- granules are 256 rows of the few columns the page and the API show (no
-- postal code, facility or raw text: nothing finer than city and region).
--
-- Engine and key as the source tables: ReplacingMergeTree(ingested_at), the
-- key a function of the event or command id alone, so a replayed insert
-- replaces its copy; the reader drops repeats by id before merges do.
-- Fed by two materialized views; the backfill markers copy what the source
-- tables held before this migration.
CREATE TABLE IF NOT EXISTS {db}.shipment_lookup
(
    carrier            String,
    shipment_id        String,
    kind               Enum8('event' = 0, 'command' = 1),
    id                 String,                 -- event_id or command_id
    occurred_at        DateTime('UTC'),
    event_type         String,
    tracking_number    String,
    local_offset       Int32,                  -- events: seconds east of UTC at the scan's place
    source             Enum8('carrier' = 0, 'pipeline' = 1),
    location_city      String,
    location_region    String,
    location_country   String,
    estimated_delivery Date,                   -- events: the carrier's estimate; 1970-01-01 = none
    trigger            String,                 -- commands
    message            String,                 -- commands
    decided_at         DateTime('UTC'),        -- commands
    ingested_at        DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (carrier, shipment_id, kind, id)
SETTINGS index_granularity = 256;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_events_mv TO {db}.shipment_lookup AS
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
    ingested_at
FROM {db}.shipment_events;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipment_lookup_commands_mv TO {db}.shipment_lookup AS
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
    toDate(0) AS estimated_delivery,
    trigger,
    message,
    decided_at,
    ingested_at
FROM {db}.notifications;

-- Retention as the source tables (TTL arrived in 19.6).
-- requires: 20.1
ALTER TABLE {db}.shipment_lookup MODIFY TTL occurred_at + INTERVAL 2 YEAR;
