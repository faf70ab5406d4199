-- notifications_per_100: notification commands per 100 shipments, by trigger,
-- for each carrier and for all carriers together (carrier = 'all'), over the
-- shipments first seen in the last since_days days and the commands about
-- them. A quick read on how chatty the pipeline is and which triggers drive
-- it.
--
--   commands             distinct commands (command_id) with the trigger
--   shipments            shipments of the carrier (or of all carriers)
--   per_100_shipments    100 * commands / shipments
--
-- Dedup: uniqExact(command_id) on notifications (a replayed command counts
-- once, merged or not), and the shipments view for the denominator. No FINAL.
SELECT
    carrier,
    trigger,
    commands,
    shipments,
    round(100 * commands / shipments, 1) AS per_100_shipments
FROM
(
    SELECT carrier, trigger, uniqExact(command_id) AS commands
    FROM notifications
    WHERE shipment_id IN (SELECT shipment_id FROM shipments WHERE first_seen_at >= now() - INTERVAL 90 /* param:since_days */ DAY)
    GROUP BY carrier, trigger
    UNION ALL
    SELECT 'all' AS carrier, trigger, uniqExact(command_id) AS commands
    FROM notifications
    WHERE shipment_id IN (SELECT shipment_id FROM shipments WHERE first_seen_at >= now() - INTERVAL 90 /* param:since_days */ DAY)
    GROUP BY trigger
) AS sent
ANY LEFT JOIN
(
    SELECT carrier, count() AS shipments
    FROM shipments
    WHERE first_seen_at >= now() - INTERVAL 90 /* param:since_days */ DAY
    GROUP BY carrier
    UNION ALL
    SELECT 'all' AS carrier, count() AS shipments
    FROM shipments
    WHERE first_seen_at >= now() - INTERVAL 90 /* param:since_days */ DAY
) AS cohort USING (carrier)
ORDER BY carrier = 'all', carrier, per_100_shipments DESC, trigger
