-- 0005: carrier codes that no table maps (event_type unknown.unmapped), so the
-- carrier tables can be extended. Taxonomy rule 1: such scans are stored and
-- counted per carrier and code, never rejected.
--
-- A materialized view, because unmapped scans are a tiny fraction of all
-- events: the aggregate table stays a few rows per code, while the raw path
-- would scan the event_type column of every event. Counts are uniqExact sets
-- of id hashes, so a replayed insert changes nothing (see 0003). Read through
-- the view unmapped_codes.
CREATE TABLE IF NOT EXISTS {db}.unmapped_codes_agg
(
    carrier         String,
    raw_code        String,
    raw_type        String,
    description     AggregateFunction(argMax, String, DateTime('UTC')),
    occurrences     AggregateFunction(uniqExact, UInt64),
    shipments       AggregateFunction(uniqExact, UInt64),
    first_seen_at   AggregateFunction(min, DateTime('UTC')),
    last_seen_at    AggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree()
ORDER BY (carrier, raw_code, raw_type)
SETTINGS index_granularity = 8192;

-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.unmapped_codes_mv TO {db}.unmapped_codes_agg AS
SELECT
    carrier,
    raw_code,
    raw_type,
    argMaxState(raw_description, occurred_at) AS description,
    uniqExactState(cityHash64(event_id)) AS occurrences,
    uniqExactState(cityHash64(shipment_id)) AS shipments,
    minState(occurred_at) AS first_seen_at,
    maxState(occurred_at) AS last_seen_at
FROM {db}.shipment_events
WHERE event_type = 'unknown.unmapped'
GROUP BY carrier, raw_code, raw_type;

CREATE VIEW IF NOT EXISTS {db}.unmapped_codes AS
SELECT
    carrier,
    raw_code,
    raw_type,
    argMaxMerge(description) AS description,
    uniqExactMerge(occurrences) AS occurrences,
    uniqExactMerge(shipments) AS shipments,
    minMerge(first_seen_at) AS first_seen_at,
    maxMerge(last_seen_at) AS last_seen_at
FROM {db}.unmapped_codes_agg
GROUP BY carrier, raw_code, raw_type;
