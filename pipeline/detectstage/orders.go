package detectstage

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/pipeline"
)

// The order context input (Config.OrdersTopic, orders.context.v1): a table
// keyed by shipment id that every engine of the instance joins.
//
// Its changelog is the input topic itself, not a topic of its own. The topic
// is compacted and keyed by shipment id, and the table holds each record as
// it came (validated, never derived from other input), so the topic's
// latest record per key is the table's row: a second changelog would be a
// copy of it. Restoring an assigned partition reads it from its start to its
// last committed record (as the state changelog is read); the records after
// the group's committed offset are then read again as input, and setting a
// row twice is harmless. Bad records are skipped by the restore: they were
// dead-lettered when first read, or will be when read as input.
//
// The join is correct when an order context's partition is read by the
// instance that owns the shipment's events partition: the topic must have
// the events topic's partition count and be keyed by shipment id with
// Kafka's default (murmur2) partitioner, as a Kafka Streams stream-table
// join requires (co-partitioning). And partition q of both topics must be
// assigned to the same instance: GroupOpts makes the group use the range
// balancer, which gives every member the same partition numbers of both
// topics (the default cooperative-sticky balancer does not). Every row is
// joined by all the instance's engines.

// ordersOn reports whether the order context input is configured.
func (p *Processor) ordersOn() bool { return p.cfg.OrdersTopic != "" }

// GroupOpts are the consumer group options the stage needs: with the order
// context input, the range balancer (co-located partitions, see above).
// Changing the balancer of a running group takes a restart of all its
// members at once: a group's members must share a protocol.
func (p *Processor) GroupOpts() []kgo.Opt {
	if !p.ordersOn() {
		return nil
	}
	return []kgo.Opt{kgo.Balancers(kgo.RangeBalancer())}
}

// restoreOrders reads partitions of the order context topic into the table.
func (p *Processor) restoreOrders(ctx context.Context, partitions []int32) error {
	p.orders.DropPartitions(partitions) // what is left of an earlier assignment
	for _, id := range partitions {
		restore := func(sid string, oc *detect.OrderContext) error { return p.orders.Restore(id, sid, oc) }
		n, err := p.cfg.Restorer.Restore(ctx, p.cfg.OrdersTopic, id, func(key, value []byte) error {
			_, _ = p.applyOrder(key, value, restore) // refused records were or will be dead-lettered
			return nil
		})
		if err != nil {
			return fmt.Errorf("detect: restore partition %d of %s (order context): %w", id, p.cfg.OrdersTopic, err)
		}
		p.cfg.Logger.Sugar().Infow("restored order context", "partition", id, "records", n, "orders", p.orders.Len())
	}
	p.orders.Commit()
	return nil
}

// applyOrder sets one record's row: a tombstone forgets the shipment's
// context. It returns the dead letter's kind and reason when the record is
// refused.
func (p *Processor) applyOrder(key, value []byte, set func(string, *detect.OrderContext) error) (kind string, err error) {
	oc, err := codec.DecodeOrderRecord(key, value)
	if err != nil {
		return codec.OrderErrorKind(err), err
	}
	if oc == nil {
		return "", set(string(key), nil)
	}
	if err := set(oc.ShipmentID, oc); err != nil {
		return "validate", err
	}
	return "", nil
}

// processOrder applies one record of the order context topic, or
// dead-letters it with the reason.
func (p *Processor) processOrder(rec *kgo.Record, out *pipeline.Output) {
	carrier, _, _ := strings.Cut(string(rec.Key), ":")
	out.Carrier = carrier
	set := func(sid string, oc *detect.OrderContext) error { return p.orders.SetIn(rec.Partition, sid, oc) }
	if kind, err := p.applyOrder(rec.Key, rec.Value, set); err != nil {
		out.DeadLetter(rec, kind, fmt.Sprintf("detect: %v", err))
	}
}
