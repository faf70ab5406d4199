package detectstage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaRestorer reads the changelog from the broker.
type KafkaRestorer struct {
	// Opts connect to the cluster (seed brokers, TLS, SASL); no group.
	Opts []kgo.Opt
}

// Restore reads the partition from its log start up to its last stable
// offset: only committed state counts, as only committed input did.
//
// Knowing when the end is reached takes care under read_committed: the
// last offsets before the LSO are often transaction markers, which a
// consumer normally never sees. Keeping control records makes every offset
// up to the LSO either a record or a marker that reaches us, so "the last
// offset read is LSO-1" is a reliable end.
func (k KafkaRestorer) Restore(ctx context.Context, topic string, partition int32, fn func(key, value []byte) error) (int, error) {
	cl, err := kgo.NewClient(append(slices.Clone(k.Opts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.FetchMaxBytes(64<<20),
		// One partition is all this client reads: let a fetch bring a
		// lot of it (the default is 1 MiB per partition per fetch).
		kgo.FetchMaxPartitionBytes(32<<20),
	)...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	// A topic created moments ago may not have a leader for every
	// partition yet: its offsets are then missing for a while. Retry for a
	// bounded time instead of failing the assignment.
	var (
		ends, starts kadm.ListedOffsets
		end          kadm.ListedOffset
	)
	for attempt := 0; ; attempt++ {
		if ends, err = adm.ListCommittedOffsets(ctx, topic); err == nil {
			starts, err = adm.ListStartOffsets(ctx, topic)
		}
		var ok bool
		if err == nil {
			end, ok = ends.Lookup(topic, partition)
			if !ok || end.Err != nil {
				err = fmt.Errorf("no end offset for %s/%d (%v)", topic, partition, end.Err)
			}
		}
		if err == nil {
			break
		}
		if attempt == 60 {
			return 0, fmt.Errorf("list offsets: %w", err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	start, _ := starts.Lookup(topic, partition)
	if end.Offset <= start.Offset {
		return 0, nil // empty (or compacted away)
	}
	n := 0
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if ferr == nil {
				ferr = err
			}
		})
		if ferr != nil {
			return n, ferr
		}
		done := false
		var applyErr error
		fs.EachRecord(func(r *kgo.Record) {
			if done || applyErr != nil {
				return
			}
			if !r.Attrs.IsControl() {
				if applyErr = fn(r.Key, r.Value); applyErr != nil {
					return
				}
				n++
			}
			done = r.Offset+1 >= end.Offset
		})
		if applyErr != nil {
			return n, applyErr
		}
		if done {
			return n, nil
		}
	}
}
