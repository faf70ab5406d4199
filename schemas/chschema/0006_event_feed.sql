-- 0006: the feed an event came through (the carrier's own API, or an
-- aggregator such as easypost), contracts v1's feed field. carrier still
-- names who carries the parcel. Rows written before this column read ''.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS; the file is this one statement, so
-- a failed run leaves nothing half done to repeat.
ALTER TABLE {db}.shipment_events ADD COLUMN feed String DEFAULT '' AFTER lineage_offset;
