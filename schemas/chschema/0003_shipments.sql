-- 0003: the latest state of every shipment, kept up to date by a materialized
-- view on shipment_events.
--
-- Storage: shipments_agg, an AggregatingMergeTree with one row per shipment
-- after merges. The view shipments_mv turns every block inserted into
-- shipment_events into partial aggregate states, which merges combine.
--
-- Replays: the sink may insert an event more than once (see 0001). Every state
-- here is idempotent, so a duplicate row leaves every value unchanged:
--   min / max / minIf / maxIf   first and last times;
--   argMin / argMax (+If)       values of the first or latest event;
--   uniqExact(If) of cityHash64(event_id)
--                               counts of distinct events (8 bytes per event
--                               instead of the 32-character id);
--   any                         values that are the same on every event of a
--                               shipment (the tracking number).
-- No count() or sum(): those would double count a replay.
--
-- Reading: through the view `shipments` below, which applies the -Merge
-- functions (GROUP BY shipment), so a reader sees one row per shipment
-- whatever the state of background merges. Reading shipments_agg without
-- -Merge is wrong. Unknown times and dates read as 1970-01-01 (0).
--
-- Not partitioned: a shipment's partial rows must be able to merge into one.
-- A row is a few hundred bytes, so a hundred million shipments stay in the
-- tens of gigabytes.
CREATE TABLE IF NOT EXISTS {db}.shipments_agg
(
    carrier                  String,
    shipment_id              String,
    tracking_number          AggregateFunction(any, String),
    service                  AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    origin_country           AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    origin_region            AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    destination_country      AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    destination_region       AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    first_seen_at            AggregateFunction(min, DateTime('UTC')),
    last_seen_at             AggregateFunction(max, DateTime('UTC')),
    label_at                 AggregateFunction(minIf, DateTime('UTC'), UInt8),
    first_scan_at            AggregateFunction(minIf, DateTime('UTC'), UInt8),
    last_scan_at             AggregateFunction(maxIf, DateTime('UTC'), UInt8),
    last_scan_location       AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    out_for_delivery_at      AggregateFunction(minIf, DateTime('UTC'), UInt8),
    delivered_at             AggregateFunction(minIf, DateTime('UTC'), UInt8),
    delivered_local_date     AggregateFunction(argMinIf, Date, DateTime('UTC'), UInt8),
    first_attempt_failed_at  AggregateFunction(minIf, DateTime('UTC'), UInt8),
    first_estimated_delivery AggregateFunction(argMinIf, Date, DateTime('UTC'), UInt8),
    last_estimated_delivery  AggregateFunction(argMaxIf, Date, DateTime('UTC'), UInt8),
    current_milestone        AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    current_event_type       AggregateFunction(argMaxIf, String, DateTime('UTC'), UInt8),
    current_at               AggregateFunction(maxIf, DateTime('UTC'), UInt8),
    events                   AggregateFunction(uniqExact, UInt64),
    stalls                   AggregateFunction(uniqExactIf, UInt64, UInt8),
    exceptions               AggregateFunction(uniqExactIf, UInt64, UInt8),
    failed_attempts          AggregateFunction(uniqExactIf, UInt64, UInt8),
    unmapped                 AggregateFunction(uniqExactIf, UInt64, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY (carrier, shipment_id)
SETTINGS index_granularity = 8192;

-- Definitions used below (and by the analyst queries):
--   label        the first info_received event (label created, manifest);
--   first scan   the first carrier event of a physical milestone: the carrier
--                has the parcel;
--   current      the latest event that is not noise (taxonomy class N never
--                changes what the customer sees), by occurred_at, so a late
--                arriving older scan does not move the state back;
--   stall        a synthetic exception.stalled_* event from the pipeline;
--   exception    a carrier exception.* event that is not noise.
--
-- The backfill marker makes the migrator follow the view with the same SELECT
-- inserted into shipments_agg: events stored before the view existed (this
-- migration applied to a database that already has events) get their states
-- too. The states are idempotent, so rows the view also saw, or a second run,
-- change nothing.
-- backfill
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shipments_mv TO {db}.shipments_agg AS
SELECT
    carrier,
    shipment_id,
    anyState(tracking_number) AS tracking_number,
    argMaxIfState(service, occurred_at, service != '') AS service,
    argMaxIfState(origin_country, occurred_at, origin_country != '') AS origin_country,
    argMaxIfState(origin_region, occurred_at, origin_region != '') AS origin_region,
    argMaxIfState(destination_country, occurred_at, destination_country != '') AS destination_country,
    argMaxIfState(destination_region, occurred_at, destination_region != '') AS destination_region,
    minState(occurred_at) AS first_seen_at,
    maxState(occurred_at) AS last_seen_at,
    minIfState(occurred_at, milestone = 'info_received') AS label_at,
    minIfState(occurred_at, source = 'carrier' AND milestone IN ('in_transit', 'out_for_delivery', 'available_for_pickup', 'attempt_failed', 'delivered', 'returned')) AS first_scan_at,
    maxIfState(occurred_at, source = 'carrier') AS last_scan_at,
    argMaxIfState(arrayStringConcat(arrayFilter(x -> x != '', [location_facility, location_city, location_region, location_country]), ', '), occurred_at, source = 'carrier' AND (location_facility != '' OR location_city != '' OR location_region != '' OR location_country != '')) AS last_scan_location,
    minIfState(occurred_at, milestone = 'out_for_delivery') AS out_for_delivery_at,
    minIfState(occurred_at, milestone = 'delivered') AS delivered_at,
    argMinIfState(local_date, occurred_at, milestone = 'delivered') AS delivered_local_date,
    minIfState(occurred_at, milestone = 'attempt_failed') AS first_attempt_failed_at,
    argMinIfState(estimated_delivery, occurred_at, estimated_delivery != toDate(0)) AS first_estimated_delivery,
    argMaxIfState(estimated_delivery, occurred_at, estimated_delivery != toDate(0)) AS last_estimated_delivery,
    argMaxIfState(milestone, occurred_at, class != 'noise') AS current_milestone,
    argMaxIfState(event_type, occurred_at, class != 'noise') AS current_event_type,
    maxIfState(occurred_at, class != 'noise') AS current_at,
    uniqExactState(cityHash64(event_id)) AS events,
    uniqExactIfState(cityHash64(event_id), event_type IN ('exception.stalled_pre_transit', 'exception.stalled_in_transit', 'exception.stalled_out_for_delivery')) AS stalls,
    uniqExactIfState(cityHash64(event_id), milestone = 'exception' AND source = 'carrier' AND class != 'noise') AS exceptions,
    uniqExactIfState(cityHash64(event_id), milestone = 'attempt_failed') AS failed_attempts,
    uniqExactIfState(cityHash64(event_id), event_type = 'unknown.unmapped') AS unmapped
FROM {db}.shipment_events
GROUP BY carrier, shipment_id;

-- One row per shipment, final values. Query this, not shipments_agg.
CREATE VIEW IF NOT EXISTS {db}.shipments AS
SELECT
    carrier,
    shipment_id,
    anyMerge(tracking_number) AS tracking_number,
    argMaxIfMerge(service) AS service,
    argMaxIfMerge(origin_country) AS origin_country,
    argMaxIfMerge(origin_region) AS origin_region,
    argMaxIfMerge(destination_country) AS destination_country,
    argMaxIfMerge(destination_region) AS destination_region,
    minMerge(first_seen_at) AS first_seen_at,
    maxMerge(last_seen_at) AS last_seen_at,
    minIfMerge(label_at) AS label_at,
    minIfMerge(first_scan_at) AS first_scan_at,
    maxIfMerge(last_scan_at) AS last_scan_at,
    argMaxIfMerge(last_scan_location) AS last_scan_location,
    minIfMerge(out_for_delivery_at) AS out_for_delivery_at,
    minIfMerge(delivered_at) AS delivered_at,
    argMinIfMerge(delivered_local_date) AS delivered_local_date,
    minIfMerge(first_attempt_failed_at) AS first_attempt_failed_at,
    argMinIfMerge(first_estimated_delivery) AS first_estimated_delivery,
    argMaxIfMerge(last_estimated_delivery) AS last_estimated_delivery,
    argMaxIfMerge(current_milestone) AS current_milestone,
    argMaxIfMerge(current_event_type) AS current_event_type,
    maxIfMerge(current_at) AS current_at,
    uniqExactMerge(events) AS events,
    uniqExactIfMerge(stalls) AS stalls,
    uniqExactIfMerge(exceptions) AS exceptions,
    uniqExactIfMerge(failed_attempts) AS failed_attempts,
    uniqExactIfMerge(unmapped) AS unmapped
FROM {db}.shipments_agg
GROUP BY carrier, shipment_id;
