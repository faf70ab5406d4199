package main

import (
	"bufio"
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
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
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
			payloads, err := loadPayloads(paths, ndjson)
			if err != nil {
				return err
			}
			kopts, err := cfg.KafkaOpts()
			if err != nil {
				return err
			}
			cl, err := kgo.NewClient(append(kopts, kgo.DefaultProduceTopic(topic))...)
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
			return replay(ctx, cl, cmd.ErrOrStderr(), payloads, []byte(key), rate, repeat)
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

func loadPayloads(paths []string, ndjson bool) ([][]byte, error) {
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
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !ndjson {
			out = append(out, data)
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				out = append(out, append([]byte(nil), line...))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, scanErr(f, err, 16<<20, "with --ndjson every line is one payload")
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no payloads in %s", strings.Join(paths, ", "))
	}
	return out, nil
}

// replay produces asynchronously, pacing by rate, and reports progress
// every second on w.
func replay(ctx context.Context, cl *kgo.Client, w io.Writer, payloads [][]byte, key []byte, rate float64, repeat int) error {
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
		r := &kgo.Record{Key: key, Value: payloads[i%len(payloads)]}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) { acked <- err })
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
