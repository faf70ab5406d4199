-- 0009: lane_transits, one row per delivered shipment with its lane and its
-- transit (issue 15): the lane of the analyst queries is carrier, service,
-- origin country/region -> destination country/region, and the transit the
-- hours from the first scan (the carrier has the parcel) to the first
-- delivered scan, as carrier_scorecard measures it.
--
-- A view over shipments (0003), so it needs no storage of its own and a
-- replayed event changes nothing (shipments' states are idempotent).
-- Shipments without a first scan have no transit and are left out.
CREATE VIEW IF NOT EXISTS {db}.lane_transits AS
SELECT
    carrier,
    service,
    origin_country,
    origin_region,
    destination_country,
    destination_region,
    shipment_id,
    first_scan_at,
    delivered_at,
    delivered_local_date,
    (toInt64(delivered_at) - toInt64(first_scan_at)) / 3600 AS transit_h
FROM {db}.shipments
WHERE delivered_at > 0 AND first_scan_at > 0;
