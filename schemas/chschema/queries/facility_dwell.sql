-- facility_dwell: the top_n facilities (or scan locations, when the carrier
-- names no facility) where parcels sit longest, by the median time between an
-- arrival scan there and the shipment's next carrier scan, over arrivals in
-- the last since_days days.
--
--   arrivals             arrival scans followed by another scan (a parcel
--                        still sitting there has no dwell yet)
--   shipments            distinct shipments among them
--   dwell_p50_h/_p90_h   hours from arrival to the next scan
-- Arrival scans: in_transit.accepted_at_origin_facility,
-- in_transit.arrived_at_facility, in_transit.arrived_at_delivery_facility.
-- The location is "facility, city, region, country" without the empty parts.
-- Only locations with at least min_arrivals arrivals are ranked.
--
-- Dedup: FINAL on shipment_events (one row per event_id, merged at read
-- time), so a replayed scan neither adds an arrival nor becomes a "next scan".
SELECT
    carrier,
    location,
    count() AS arrivals,
    uniqExact(shipment_id) AS shipments,
    round(quantiles(0.5, 0.9)(dwell_hours)[1], 1) AS dwell_p50_h,
    round(quantiles(0.5, 0.9)(dwell_hours)[2], 1) AS dwell_p90_h
FROM
(
    SELECT
        carrier,
        shipment_id,
        arrival.2 AS location,
        arrayFilter(x -> x.1 > arrival.1, history)[1].1 AS next_scan_at,
        (toInt64(next_scan_at) - toInt64(arrival.1)) / 3600 AS dwell_hours
    FROM
    (
        SELECT
            carrier,
            shipment_id,
            arraySort(groupArray((occurred_at, location, is_arrival))) AS history
        FROM
        (
            SELECT
                carrier,
                shipment_id,
                occurred_at,
                arrayStringConcat(arrayFilter(x -> x != '', [location_facility, location_city, location_region, location_country]), ', ') AS location,
                event_type IN ('in_transit.accepted_at_origin_facility', 'in_transit.arrived_at_facility', 'in_transit.arrived_at_delivery_facility') AS is_arrival
            FROM shipment_events FINAL
            WHERE source = 'carrier' AND occurred_at >= now() - INTERVAL 90 /* param:since_days */ DAY
        )
        GROUP BY carrier, shipment_id
    )
    ARRAY JOIN arrayFilter(x -> x.3 = 1 AND x.2 != '', history) AS arrival
)
WHERE next_scan_at > 0
GROUP BY carrier, location
HAVING arrivals >= 20 /* param:min_arrivals */
ORDER BY dwell_p50_h DESC, arrivals DESC, carrier, location
LIMIT 20 /* param:top_n */
