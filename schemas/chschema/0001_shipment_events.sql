-- 0001: the canonical events, one row per event (contracts v1, shipments.events.v1).
--
-- Engine: ReplacingMergeTree(ingested_at). The sink commits Kafka offsets only
-- after an insert succeeded, so a crash between the two, a rebalance or a
-- replay inserts the same events again. Background merges keep one row per
-- sort key, the most recently ingested one. Merges run whenever ClickHouse
-- likes, so readers never rely on them: the analyst queries dedup with FINAL,
-- or read the aggregate tables below, whose states are idempotent.
--
-- Sort key: (carrier, shipment_id, event_id). ReplacingMergeTree dedups on the
-- whole sort key, so the key must be a function of event_id alone; it is
-- (event_id hashes the carrier and tracking number, and shipment_id is
-- "<carrier>:<tracking number>"). occurred_at is deliberately not in the key:
-- the normalizer hashes the carrier's wall-clock time, and a resent scan whose
-- UTC time came out differently (its offset became known later) must still
-- replace the earlier copy. The key prefix serves the common lookups: one
-- carrier, one shipment's history.
--
-- Partitioning: by month of occurred_at, so old months can be dropped or
-- moved whole. Dedup happens within a partition only; the rare resent scan
-- whose UTC time moved across a month boundary keeps two physical rows, which
-- FINAL (it merges across partitions on 18.16) and the id-based aggregate
-- states still count once.
--
-- Types: no LowCardinality (18.16 has it only behind an experimental setting,
-- and it would change the aggregate-state types the materialized views write);
-- the default LZ4 compresses these repetitive strings well, and newer servers
-- get ZSTD codecs below. Dates that may be unknown use 1970-01-01 for
-- "unknown" instead of Nullable, so that they can feed aggregate states the
-- same way on every version.
CREATE DATABASE IF NOT EXISTS {db};

CREATE TABLE IF NOT EXISTS {db}.shipment_events
(
    event_id                String,                 -- 32 hex digits, deterministic per carrier scan
    shipment_id             String,                 -- "<carrier>:<tracking number>"
    carrier                 String,
    tracking_number         String,
    service                 String,
    milestone               String,
    event_type              String,                 -- "<milestone>.<detail>", taxonomy v1
    class                   Enum8('noise' = 0, 'informational' = 1, 'actionable' = 2),
    reason                  String,
    occurred_at             DateTime('UTC'),
    local_offset            Int32,                  -- seconds east of UTC at the scan's place
    local_date              Date,                   -- calendar date at the scan's place
    tz_source               Enum8('assumed_utc' = 0, 'carrier_offset' = 1, 'location' = 2),
    source                  Enum8('carrier' = 0, 'pipeline' = 1),
    location_city           String,
    location_region         String,
    location_postal_code    String,
    location_country        String,
    location_facility       String,
    raw_code                String,
    raw_type                String,
    raw_description         String,
    estimated_delivery      Date,                   -- carrier's estimate as of this payload; 1970-01-01 = none
    origin_city             String,
    origin_region           String,
    origin_postal_code      String,
    origin_country          String,
    destination_city        String,
    destination_region      String,
    destination_postal_code String,
    destination_country     String,
    lineage_topic           String,
    lineage_partition       Int32,
    lineage_offset          Int64,
    ingested_at             DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (carrier, shipment_id, event_id)
SETTINGS index_granularity = 8192;

-- Newer servers only (column codecs came with 19.x; 20.1 is the line this
-- project checks). Free-text and monotonic columns compress better this way.
-- On a table that already holds data this rewrites the columns in the
-- background (a mutation).
-- requires: 20.1
ALTER TABLE {db}.shipment_events
    MODIFY COLUMN raw_description String CODEC(ZSTD(3)),
    MODIFY COLUMN lineage_offset Int64 CODEC(Delta, ZSTD(1)),
    MODIFY COLUMN ingested_at DateTime('UTC') DEFAULT now() CODEC(Delta, ZSTD(1));

-- Retention where the server can enforce it (TTL arrived in 19.6): raw events
-- older than two years are dropped, whole parts at a time. The aggregate
-- tables keep their per-shipment and per-day states.
-- requires: 20.1
ALTER TABLE {db}.shipment_events MODIFY TTL occurred_at + INTERVAL 2 YEAR;

-- requires: 20.1
ALTER TABLE {db}.shipment_events MODIFY SETTING ttl_only_drop_parts = 1;
