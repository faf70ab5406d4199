-- stall_hotspots: where shipments stall. Every pipeline stall
-- (exception.stalled_*) of the last since_days days is put at the location
-- of the shipment's last carrier scan with a location before it
-- ('(no location)' when there was none, typically a label with no pickup);
-- locations are ranked by stalled shipments.
--
--   stalled_shipments    distinct shipments that stalled there
--   stalls               stall events (a shipment may stall more than once)
--   pre_transit, in_transit, out_for_delivery
--                        stalls by kind
--   silent_p50_h         median hours from the last carrier event to the stall
--   scanned_shipments    shipments with any carrier scan at that location in
--                        the window
--   stall_share_pct      stalled_shipments / scanned_shipments
-- The top_n locations by stalled shipments.
--
-- Dedup: FINAL on shipment_events for the histories and stall events (a
-- replayed stall is one stall); uniqExact(shipment_id) for the shipment
-- counts.
SELECT
    carrier,
    location,
    stalled_shipments,
    stalls,
    pre_transit,
    in_transit,
    out_for_delivery,
    silent_p50_h,
    scanned_shipments,
    if(scanned_shipments > 0, round(100 * stalled_shipments / scanned_shipments, 1), NULL) AS stall_share_pct
FROM
(
    SELECT
        carrier,
        location,
        uniqExact(shipment_id) AS stalled_shipments,
        count() AS stalls,
        countIf(stall_type = 'exception.stalled_pre_transit') AS pre_transit,
        countIf(stall_type = 'exception.stalled_in_transit') AS in_transit,
        countIf(stall_type = 'exception.stalled_out_for_delivery') AS out_for_delivery,
        if(countIf(has_scan) > 0, round(quantileIf(0.5)(silent_hours, has_scan), 1), NULL) AS silent_p50_h
    FROM
    (
        SELECT
            carrier,
            shipment_id,
            stall.3 AS stall_type,
            arrayFilter(x -> x.2 = 'carrier' AND x.1 <= stall.1, history) AS before,
            arrayFilter(x -> x.4 != '', before) AS located,
            if(length(located) > 0, located[-1].4, '(no location)') AS location,
            length(before) > 0 AS has_scan,
            (toInt64(stall.1) - toInt64(before[-1].1)) / 3600 AS silent_hours
        FROM
        (
            SELECT
                carrier,
                shipment_id,
                arraySort(groupArray((occurred_at, toString(source), event_type,
                    arrayStringConcat(arrayFilter(x -> x != '', [location_facility, location_city, location_region, location_country]), ', ')))) AS history
            FROM shipment_events FINAL
            WHERE shipment_id IN
            (
                SELECT shipment_id FROM shipment_events
                WHERE event_type IN ('exception.stalled_pre_transit', 'exception.stalled_in_transit', 'exception.stalled_out_for_delivery')
                  AND occurred_at >= now() - INTERVAL 30 /* param:since_days */ DAY
            )
            GROUP BY carrier, shipment_id
        )
        ARRAY JOIN arrayFilter(x -> x.3 IN ('exception.stalled_pre_transit', 'exception.stalled_in_transit', 'exception.stalled_out_for_delivery')
                                    AND x.1 >= now() - INTERVAL 30 /* param:since_days */ DAY, history) AS stall
    )
    GROUP BY carrier, location
) AS stalled
ANY LEFT JOIN
(
    SELECT
        carrier,
        arrayStringConcat(arrayFilter(x -> x != '', [location_facility, location_city, location_region, location_country]), ', ') AS location,
        uniqExact(shipment_id) AS scanned_shipments
    FROM shipment_events
    WHERE source = 'carrier' AND occurred_at >= now() - INTERVAL 30 /* param:since_days */ DAY
    GROUP BY carrier, location
) AS scanned USING (carrier, location)
ORDER BY stalled_shipments DESC, stalls DESC, carrier, location
LIMIT 20 /* param:top_n */
