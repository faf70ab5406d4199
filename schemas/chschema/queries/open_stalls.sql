-- open_stalls: shipments that are stalled right now: their latest event that
-- is not noise is a pipeline stall (exception.stalled_*). Any later movement
-- scan, a delivery or an expiry (expired.no_updates_timeout) closes the stall,
-- because it becomes the latest event. Oldest stalls first.
--
--   stall_type              which stall
--   stalled_since           when the stall was raised
--   last_scan_at            the last carrier event, and where
--   hours_since_last_scan   from then until now()
--
-- Dedup: reads the shipments view (argMaxIf/maxIf states, -Merge), which a
-- replayed event does not change. No FINAL.
SELECT
    carrier,
    shipment_id,
    tracking_number,
    service,
    current_event_type AS stall_type,
    current_at AS stalled_since,
    last_scan_at,
    last_scan_location,
    round((toInt64(now()) - toInt64(last_scan_at)) / 3600, 1) AS hours_since_last_scan,
    origin_country,
    origin_region,
    destination_country,
    destination_region
FROM shipments
WHERE current_event_type IN ('exception.stalled_pre_transit', 'exception.stalled_in_transit', 'exception.stalled_out_for_delivery')
ORDER BY stalled_since, carrier, shipment_id
