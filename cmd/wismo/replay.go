package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline/runner"
)

func replayCmd() *cobra.Command {
	var (
		topic, key string
		rate       float64
		repeat     int
		ndjson     bool
	)
	cmd := &cobra.Command{
		Use:   "replay --topic TOPIC [--rate N] PATH...",
		Short: "Produce raw payload files (a file, a folder, or NDJSON) to a raw topic",
		Long: `Produces raw carrier payloads to a Kafka topic: each file is one record, a
folder is every file in it (sorted; .golden files skipped), and with --ndjson
each line of a file is one record. Shows progress; --rate limits records per
second. Kafka settings come from the same config as wismo run.`,
		SilenceUsage: true,
		Args:         cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			cfg, err := config.LoadKafkaOnly(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
				return fmt.Errorf("--rate %v: want 0 (as fast as the broker takes them) or more records per second", rate)
			}
			if repeat < 1 {
				return fmt.Errorf("--repeat %d: want 1 or more", repeat)
			}
			limit := cfg.Normalize.MaxPayloadBytes
			if limit <= 0 {
				limit = normalizers.DefaultMaxPayload
			}
			payloads, err := loadPayloads(paths, ndjson, limit)
			if err != nil {
				return err
			}
			kopts, err := cfg.KafkaOpts()
			if err != nil {
				return err
			}
			// franz-go fails any record over 1,000,012 bytes by default,
			// before the broker sees it. Batches may be as large as the
			// payload limit, plus room for the batch and record headers and
			// the key; the topic's max.message.bytes then decides.
			kopts = append(kopts, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchMaxBytes(int32(limit)+batchOverhead))
			cl, err := kgo.NewClient(kopts...)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if err := runner.CheckBrokers(ctx, kopts, cfg.Kafka); err != nil {
				return err
			}
			// A missing raw topic is created as wismo run would create it.
			res, err := kadm.NewClient(cl).CreateTopics(ctx, cfg.Topics.Partitions, cfg.Topics.ReplicationFactor, nil, topic)
			if err != nil {
				return err
			}
			if err := res.Error(); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
				return fmt.Errorf("replay: create %s: %w", topic, err)
			}
			err = replay(ctx, cl, cmd.ErrOrStderr(), payloads, []byte(key), rate, repeat)
			if errors.Is(err, kerr.MessageTooLarge) {
				err = fmt.Errorf("%w\n%s", err, tooLargeHint(ctx, cl, topic))
			}
			return err
		},
	}
	config.Flags(cmd.Flags())
	cmd.Flags().StringVar(&topic, "topic", "", "raw topic to produce to (required)")
	cmd.Flags().StringVar(&key, "key", "", "record key (the tracking number, when the payloads are about one)")
	cmd.Flags().Float64Var(&rate, "rate", 0, "records per second; 0 means as fast as the broker takes them")
	cmd.Flags().IntVar(&repeat, "repeat", 1, "produce the whole set this many times")
	cmd.Flags().BoolVar(&ndjson, "ndjson", false, "one payload per line instead of one per file")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// batchOverhead is what a record batch of one record adds to its value:
// the batch header (61 bytes), the record's own header and the key.
const batchOverhead = 64 << 10

// payload is one record to produce and where it came from.
type payload struct {
	name  string // FILE, or FILE:LINE
	value []byte
}

// payloadLimit names the setting that bounds what replay reads.
const payloadLimit = "normalize.max_payload_bytes, WISMO_NORMALIZE_MAX_PAYLOAD_BYTES: the normalize stage refuses larger records anyway"

// loadPayloads reads the records to produce. Each is at most limit bytes,
// the normalize stage's payload limit: a larger file or line is refused
// before anything is produced, with its name.
func loadPayloads(paths []string, ndjson bool, limit int) ([]payload, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && !strings.HasSuffix(e.Name(), ".golden") && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	var out []payload
	for _, f := range files {
		if !ndjson {
			data, err := readFileLimited(f, limit, payloadLimit)
			if err != nil {
				return nil, fmt.Errorf("replay: %s: %w", f, err)
			}
			out = append(out, payload{f, data})
			continue
		}
		if err := ndjsonPayloads(f, limit, &out); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no payloads in %s", strings.Join(paths, ", "))
	}
	return out, nil
}

func ndjsonPayloads(name string, limit int, out *[]payload) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	return eachLine(f, limit, func(n int, line []byte, tooLong bool) error {
		where := name + ":" + strconv.Itoa(n)
		if tooLong {
			return fmt.Errorf("replay: %s: %w", where, &overLimit{limit, payloadLimit})
		}
		*out = append(*out, payload{where, bytes.Clone(line)})
		return nil
	})
}

// tooLargeHint says what to do about a record the broker refused as too
// large, naming the topic's max.message.bytes when the broker tells it.
func tooLargeHint(ctx context.Context, cl *kgo.Client, topic string) string {
	limit := "its max.message.bytes"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, topic); err == nil {
		if rc, err := rcs.On(topic, nil); err == nil {
			for _, c := range rc.Configs {
				if c.Key == "max.message.bytes" && c.Value != nil {
					limit = "its max.message.bytes, " + *c.Value + " bytes"
				}
			}
		}
	}
	return fmt.Sprintf("topic %s takes record batches up to %s (after compression): raise it "+
		"(kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config max.message.bytes=N), "+
		"or leave the record out", topic, limit, topic)
}

// replay produces asynchronously, pacing by rate, and reports progress
// every second on w. A record that fails is named in the error.
func replay(ctx context.Context, cl *kgo.Client, w io.Writer, payloads []payload, key []byte, rate float64, repeat int) error {
	total := len(payloads) * repeat
	var (
		sent   int
		failed error
		acked  = make(chan error, 1024)
		done   int
	)
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	drain := func(block bool) {
		for {
			if block {
				if err := <-acked; err != nil && failed == nil {
					failed = err
				}
				done++
				return
			}
			select {
			case err := <-acked:
				if err != nil && failed == nil {
					failed = err
				}
				done++
			default:
				return
			}
		}
	}
	for i := 0; i < total && failed == nil; i++ {
		if rate > 0 {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		p := payloads[i%len(payloads)]
		r := &kgo.Record{Key: key, Value: p.value}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				err = fmt.Errorf("%s (%d bytes): %w", p.name, len(p.value), err)
			}
			acked <- err
		})
		sent++
		for sent-done >= cap(acked)-1 {
			drain(true)
		}
		drain(false)
		select {
		case <-tick.C:
			fmt.Fprintf(w, "replay: %d/%d records acknowledged (%.0f/s)\n", done, total, float64(done)/time.Since(start).Seconds())
		default:
		}
	}
	for done < sent {
		drain(true)
	}
	if failed != nil {
		return fmt.Errorf("replay: %w", failed)
	}
	el := time.Since(start)
	fmt.Fprintf(w, "replay: %d records produced in %s (%.0f/s)\n", done, el.Round(time.Millisecond), float64(done)/el.Seconds())
	if ctx.Err() != nil && done < total {
		return fmt.Errorf("replay: interrupted after %d of %d records", done, total)
	}
	return nil
}
