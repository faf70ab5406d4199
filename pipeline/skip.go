package pipeline

import (
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
)

// A fetched batch that decompresses past Limits.DecompressMax stops its
// partition in franz-go: PollFetches returns ErrDecompressTooLarge once,
// and the partition is not fetched again until the consumer is moved past
// the batch. The stage turns it into one dead letter for the batch's
// offsets (its bytes are not available, only where it was), commits the
// offset after the batch in that dead letter's transaction, and then
// moves the consumer there, so the partition goes on.

type topicPartition struct {
	topic     string
	partition int32
}

// Skip is a fetched batch too large to decompress, to be dead-lettered
// and skipped.
type Skip struct {
	kgo.ErrDecompressTooLarge
	topicID [16]byte
}

type skip = Skip

// TooLargeBatches are the batches of fetches that were too large to
// decompress, logged.
func TooLargeBatches(fetches kgo.Fetches, lim Limits, log *zap.Logger) []Skip {
	var out []Skip
	for _, f := range fetches {
		for _, t := range f.Topics {
			for _, p := range t.Partitions {
				var tl *kgo.ErrDecompressTooLarge
				if p.Err == nil || !errors.As(p.Err, &tl) {
					continue
				}
				log.Error("a record batch decompresses past the bound; it is dead-lettered unread and skipped",
					zap.String("topic", t.Topic), zap.Int32("partition", p.Partition), zap.Int64("offset", tl.Offset),
					zap.Int64("next_offset", tl.NextOffset), zap.Int("bound_bytes", lim.DecompressMax()))
				out = append(out, Skip{*tl, t.TopicID})
			}
		}
	}
	return out
}

// noteSkips remembers the batches of fetches that were too large to
// decompress.
func (s *Stage) noteSkips(fetches kgo.Fetches) {
	for _, sk := range TooLargeBatches(fetches, s.cfg.Limits, s.log) {
		k := topicPartition{sk.Topic, sk.Partition}
		s.skipMu.Lock()
		if cur, ok := s.skips[k]; !ok || cur.Offset != sk.Offset {
			s.skips[k] = sk
		}
		s.skipMu.Unlock()
	}
}

func (s *Stage) hasSkips() bool {
	s.skipMu.Lock()
	defer s.skipMu.Unlock()
	return len(s.skips) > 0
}

// pendingSkips are the skips the next transaction makes, in a stable order.
func (s *Stage) pendingSkips() []skip {
	s.skipMu.Lock()
	defer s.skipMu.Unlock()
	if len(s.skips) == 0 {
		return nil
	}
	out := make([]skip, 0, len(s.skips))
	for _, sk := range s.skips {
		out = append(out, sk)
	}
	slices.SortFunc(out, func(a, b skip) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
	return out
}

// dropSkips forgets the skips of partitions this instance no longer owns:
// their next owner meets the batch itself.
func (s *Stage) dropSkips(m map[string][]int32) {
	s.skipMu.Lock()
	defer s.skipMu.Unlock()
	for topic, ps := range m {
		for _, p := range ps {
			delete(s.skips, topicPartition{topic, p})
		}
	}
}

// deadLetterSkipped makes the placeholder dead letter of a skipped batch.
func (s *Stage) deadLetterSkipped(sk skip, out *Output) {
	if tc, ok := s.proc.(TopicCarrier); ok {
		out.Carrier = tc.CarrierOf(sk.Topic)
	}
	out.Dead, out.deadKind = true, KindTooLarge
	d := sk.DeadLetter(out.Carrier, s.cfg.Limits)
	out.Records = append(out.Records, d.Record(s.cfg.DeadLetterTopic, 0))
}

// DeadLetter is the placeholder for the skipped batch: its offsets and
// why, no bytes.
func (sk *Skip) DeadLetter(carrier string, lim Limits) DeadLetter {
	return DeadLetter{
		Kind: KindTooLarge, Carrier: carrier,
		Topic: sk.Topic, Partition: sk.Partition, Offset: sk.Offset, LastOffset: sk.NextOffset - 1,
		Unavailable: true,
		Error: fmt.Sprintf("the record batch at offsets %d to %d decompresses to more than %d bytes (8 times normalize.max_payload_bytes and headroom);"+
			" its records were skipped unread: have its producer send smaller batches, or raise normalize.max_payload_bytes",
			sk.Offset, sk.NextOffset-1, lim.DecompressMax()),
	}
}

// CommitOffsets are the offsets after the batches, to commit.
func CommitOffsets(skips []Skip) map[string]map[int32]kgo.EpochOffset {
	set := map[string]map[int32]kgo.EpochOffset{}
	for _, sk := range skips {
		if set[sk.Topic] == nil {
			set[sk.Topic] = map[int32]kgo.EpochOffset{}
		}
		set[sk.Topic][sk.Partition] = kgo.EpochOffset{Epoch: sk.Epoch, Offset: sk.NextOffset}
	}
	return set
}

// ResumePast moves cl's consumer past the skipped batches, once their
// offsets are committed.
func ResumePast(cl *kgo.Client, skips []Skip, log *zap.Logger) {
	known := cl.CommittedOffsets()
	var rejoin []string
	for _, sk := range skips {
		if _, ok := known[sk.Topic][sk.Partition]; !ok && !slices.Contains(rejoin, sk.Topic) {
			rejoin = append(rejoin, sk.Topic)
		}
	}
	cl.SetOffsets(CommitOffsets(skips))
	if len(rejoin) > 0 {
		// franz-go moves only partitions it has an offset for (committed
		// before, or of a record it returned): one whose first batch was
		// skipped has none, and SetOffsets leaves it stopped. Consuming
		// its topic afresh fetches the offset just committed.
		log.Info("rejoining to resume partitions after a skipped batch", zap.Strings("topics", rejoin))
		cl.PurgeTopicsFromConsuming(rejoin...)
		cl.AddConsumeTopics(rejoin...)
	}
}

// commitPast adds the offsets after the skipped batches to the
// transaction's offset commit: franz-go commits only offsets of records it
// returned, and a skipped batch returned none.
func commitPast(skips []skip) func(*kmsg.TxnOffsetCommitRequest) error {
	return func(req *kmsg.TxnOffsetCommitRequest) error {
		for _, sk := range skips {
			ti := slices.IndexFunc(req.Topics, func(t kmsg.TxnOffsetCommitRequestTopic) bool { return t.Topic == sk.Topic })
			if ti < 0 {
				t := kmsg.NewTxnOffsetCommitRequestTopic()
				t.Topic, t.TopicID = sk.Topic, sk.topicID
				req.Topics = append(req.Topics, t)
				ti = len(req.Topics) - 1
			}
			t := &req.Topics[ti]
			pi := slices.IndexFunc(t.Partitions, func(p kmsg.TxnOffsetCommitRequestTopicPartition) bool { return p.Partition == sk.Partition })
			if pi < 0 {
				p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				p.Partition, p.Offset = sk.Partition, -1
				p.Metadata = &req.MemberID
				t.Partitions = append(t.Partitions, p)
				pi = len(t.Partitions) - 1
			}
			if p := &t.Partitions[pi]; p.Offset < sk.NextOffset {
				p.Offset, p.LeaderEpoch = sk.NextOffset, sk.Epoch
			}
		}
		return nil
	}
}

// settleSkips moves the consumer past the batches a committed transaction
// skipped. After an abort, a partition consumed past its committed offset
// (before: the uncommitted offsets when End began) is rewound and meets
// the batch again when it is read again, so its skip is dropped; any other
// stays stopped at the batch, and the next transaction skips it.
func (s *Stage) settleSkips(skips []skip, committed bool, before map[string]map[int32]kgo.EpochOffset) {
	if len(skips) == 0 {
		return
	}
	if committed {
		ResumePast(s.sess.Client(), skips, s.log)
	}
	s.skipMu.Lock()
	defer s.skipMu.Unlock()
	for _, sk := range skips {
		k := topicPartition{sk.Topic, sk.Partition}
		if cur, ok := s.skips[k]; !ok || cur.Offset != sk.Offset {
			continue
		}
		if _, moved := before[sk.Topic][sk.Partition]; committed || moved {
			delete(s.skips, k)
		}
	}
}
