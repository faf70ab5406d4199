-- 0010: the notification command's customer segment and accommodation,
-- from the order context (orders.context.v1; issue 15). Both are '' for a
-- command decided without order context, and rows written before this
-- migration read the same.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS; the file is this one statement, so
-- a failed run leaves nothing half done to repeat.
ALTER TABLE {db}.notifications
    ADD COLUMN customer_segment String DEFAULT '' AFTER estimated_delivery,
    ADD COLUMN accommodation String DEFAULT '' AFTER customer_segment;
