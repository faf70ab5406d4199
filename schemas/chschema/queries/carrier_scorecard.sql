-- carrier_scorecard: how each carrier does, by carrier, service and lane
-- (origin country/region -> destination country/region), over the shipments
-- first seen in the last since_days days.
--
--   shipments                  shipments in the group
--   delivered                  of those, delivered
--   on_time_pct                delivered on or before the carrier's FIRST
--                              estimated delivery date (the date carried by
--                              the shipment's earliest event that had one),
--                              comparing local calendar dates; only delivered
--                              shipments that had an estimate count
--   transit_p50_h/_p90_h       hours from the first scan (the carrier has the
--                              parcel) to the first delivered scan
--   first_scan_p50_h/_p90_h    hours from the label (first info_received
--                              event) to the first scan
--   stall_rate_pct             shipments with at least one pipeline stall
--   exception_rate_pct         shipments with at least one carrier exception
--                              that is not noise
--   failed_first_attempt_pct   of shipments with a delivery attempt (failed or
--                              delivered), those whose first attempt failed
-- Percentiles are ClickHouse's quantiles() (exact, interpolated, below 8192
-- shipments per group; sampled above). NULL where a group has nothing to
-- measure.
--
-- Dedup: reads the shipments view, whose idempotent aggregate states
-- (minIf/argMinIf/argMaxIf/uniqExactIf, -Merge) count a replayed event once.
-- No FINAL.
SELECT
    carrier,
    service,
    origin_country,
    origin_region,
    destination_country,
    destination_region,
    shipments,
    delivered,
    if(delivered_with_estimate > 0, round(100 * delivered_on_time / delivered_with_estimate, 1), NULL) AS on_time_pct,
    if(transit_measured > 0, round(transit_q[1], 1), NULL) AS transit_p50_h,
    if(transit_measured > 0, round(transit_q[2], 1), NULL) AS transit_p90_h,
    if(first_scan_measured > 0, round(first_scan_q[1], 1), NULL) AS first_scan_p50_h,
    if(first_scan_measured > 0, round(first_scan_q[2], 1), NULL) AS first_scan_p90_h,
    round(100 * stalled / shipments, 1) AS stall_rate_pct,
    round(100 * with_exception / shipments, 1) AS exception_rate_pct,
    if(attempted > 0, round(100 * first_attempt_failed / attempted, 1), NULL) AS failed_first_attempt_pct
FROM
(
    SELECT
        carrier,
        service,
        origin_country,
        origin_region,
        destination_country,
        destination_region,
        count() AS shipments,
        countIf(delivered_at > 0) AS delivered,
        countIf(delivered_at > 0 AND first_estimated_delivery != toDate(0)) AS delivered_with_estimate,
        countIf(delivered_at > 0 AND first_estimated_delivery != toDate(0) AND delivered_local_date <= first_estimated_delivery) AS delivered_on_time,
        countIf(delivered_at > 0 AND first_scan_at > 0) AS transit_measured,
        quantilesIf(0.5, 0.9)((toInt64(delivered_at) - toInt64(first_scan_at)) / 3600, delivered_at > 0 AND first_scan_at > 0) AS transit_q,
        countIf(first_scan_at > 0 AND label_at > 0) AS first_scan_measured,
        quantilesIf(0.5, 0.9)((toInt64(first_scan_at) - toInt64(label_at)) / 3600, first_scan_at > 0 AND label_at > 0) AS first_scan_q,
        countIf(stalls > 0) AS stalled,
        countIf(exceptions > 0) AS with_exception,
        countIf(delivered_at > 0 OR first_attempt_failed_at > 0) AS attempted,
        countIf(first_attempt_failed_at > 0 AND (delivered_at = 0 OR first_attempt_failed_at < delivered_at)) AS first_attempt_failed
    FROM shipments
    WHERE first_seen_at >= now() - INTERVAL 90 /* param:since_days */ DAY
    GROUP BY carrier, service, origin_country, origin_region, destination_country, destination_region
)
ORDER BY carrier, service, origin_country, origin_region, destination_country, destination_region
