-- 0012: order_shipments, an order's shipments for `wismo serve`'s
-- GET /v1/orders/{order_id}, from the order context topic
-- (orders.context.v1, keyed by shipment_id; the sink reads it when
-- sink.orders_topic is set). One row per shipment: the order it belongs
-- to, the date promised and the customer's segment; no value, no contact
-- data.
--
-- Sorted by order for the lookup; ReplacingMergeTree(ingested_at) keeps
-- the latest copy of each (order, shipment) after merges, and the reader
-- drops repeats before them. A shipment moved to another order stays
-- listed under the old one too: the topic says where a shipment belongs
-- now, not where it no longer does.
CREATE TABLE IF NOT EXISTS {db}.order_shipments
(
    order_id          String,
    shipment_id       String,
    promised_delivery Date,      -- 1970-01-01 = none
    customer_segment  String,
    ingested_at       DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (order_id, shipment_id)
SETTINGS index_granularity = 256;
