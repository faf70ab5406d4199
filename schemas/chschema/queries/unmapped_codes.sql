-- unmapped_codes: carrier codes that no carrier table maps (event type
-- unknown.unmapped), most frequent first, seen in the last since_days days:
-- what to add to the tables next.
--
--   description    the carrier's latest wording for the code
--   occurrences    distinct scans with the code
--   shipments      distinct shipments that had it
--
-- Dedup: reads the unmapped_codes view (uniqExact states of id hashes,
-- argMax/min/max, -Merge); a replayed scan does not count twice. No FINAL.
SELECT
    carrier,
    raw_code,
    raw_type,
    description,
    occurrences,
    shipments,
    first_seen_at,
    last_seen_at
FROM unmapped_codes
WHERE last_seen_at >= now() - INTERVAL 30 /* param:since_days */ DAY
ORDER BY occurrences DESC, carrier, raw_code, raw_type
LIMIT 100 /* param:top_n */
