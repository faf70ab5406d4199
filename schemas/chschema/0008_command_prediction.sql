-- 0008: the notification command's reason (predicted_late for a delayed
-- the carrier has not announced), the lane model's predicted delivery and
-- the carrier's own date beside it (issue 15). A command without a
-- prediction has predicted_confidence '' and 1970-01-01 dates, as
-- estimated_delivery of shipment_events is 1970-01-01 when unknown. Rows
-- written before this migration read the same.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS; the file is this one statement, so
-- a failed run leaves nothing half done to repeat.
ALTER TABLE {db}.notifications
    ADD COLUMN reason String DEFAULT '' AFTER episode,
    ADD COLUMN predicted_earliest Date DEFAULT toDate(0) AFTER reason,
    ADD COLUMN predicted_likely Date DEFAULT toDate(0) AFTER predicted_earliest,
    ADD COLUMN predicted_latest Date DEFAULT toDate(0) AFTER predicted_likely,
    ADD COLUMN predicted_confidence String DEFAULT '' AFTER predicted_latest,
    ADD COLUMN estimated_delivery Date DEFAULT toDate(0) AFTER predicted_confidence;
