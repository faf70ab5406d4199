-- lane_transit_weekly: transit p50/p90 by lane, this week against last
-- week (lane_transits: carrier, service, origin country/region ->
-- destination country/region; hours from the first scan to delivery). This
-- week is the 7 days before now minus end_days_ago days (0: the last 7
-- days), last week the 7 days before that, by delivery time.
--
--   this_week, last_week        deliveries in each week
--   this_p50_h, this_p90_h      transit quantiles of this week's deliveries
--   last_p50_h, last_p90_h      and of last week's
--   p50_change_h                this week's p50 minus last week's; NULL
--                               unless the lane delivered in both weeks
-- Only lanes that delivered in either week. Percentiles are ClickHouse's
-- quantiles() (exact, interpolated, below 8192 deliveries per lane and
-- week; sampled above); NULL where a week has none.
--
-- Dedup: lane_transits reads the shipments view, whose idempotent states
-- count a replayed event once. No FINAL.
SELECT
    carrier,
    service,
    origin_country,
    origin_region,
    destination_country,
    destination_region,
    this_week,
    if(this_week > 0, round(this_q[1], 1), NULL) AS this_p50_h,
    if(this_week > 0, round(this_q[2], 1), NULL) AS this_p90_h,
    last_week,
    if(last_week > 0, round(last_q[1], 1), NULL) AS last_p50_h,
    if(last_week > 0, round(last_q[2], 1), NULL) AS last_p90_h,
    if(this_week > 0 AND last_week > 0, round(this_q[1] - last_q[1], 1), NULL) AS p50_change_h
FROM
(
    SELECT
        carrier,
        service,
        origin_country,
        origin_region,
        destination_country,
        destination_region,
        countIf(in_this) AS this_week,
        quantilesIf(0.5, 0.9)(transit_h, in_this) AS this_q,
        countIf(in_last) AS last_week,
        quantilesIf(0.5, 0.9)(transit_h, in_last) AS last_q
    FROM
    (
        SELECT
            carrier,
            service,
            origin_country,
            origin_region,
            destination_country,
            destination_region,
            transit_h,
            delivered_at >= now() - INTERVAL 0 /* param:end_days_ago */ DAY - INTERVAL 7 DAY
                AND delivered_at < now() - INTERVAL 0 /* param:end_days_ago */ DAY AS in_this,
            delivered_at >= now() - INTERVAL 0 /* param:end_days_ago */ DAY - INTERVAL 14 DAY
                AND delivered_at < now() - INTERVAL 0 /* param:end_days_ago */ DAY - INTERVAL 7 DAY AS in_last
        FROM lane_transits
    )
    GROUP BY carrier, service, origin_country, origin_region, destination_country, destination_region
    HAVING this_week > 0 OR last_week > 0
)
ORDER BY carrier, service, origin_country, origin_region, destination_country, destination_region
