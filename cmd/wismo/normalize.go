package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"github.com/wismo/wismo/taxonomy"
)

func normalizeCmd() *cobra.Command {
	var (
		carrier, format, tracking, now string
		maxPayload                     int
		stats                          bool
	)
	cmd := &cobra.Command{
		Use:   "normalize --carrier NAME [--format json|xml|avro] [FILE...]",
		Short: "Normalize raw carrier payloads into canonical events (NDJSON on stdout)",
		Long: `Reads raw carrier payloads, one per FILE, or one per line on standard input
when no FILE is given (Avro: all of standard input is one payload), and
writes canonical events as NDJSON on standard output. Rejections go to
standard error; the exit status is 1 when any input, or any scan in it,
was rejected. No Kafka needed.

A FILE's tracking number, for carrier answers that do not repeat it, is
--tracking-number, else the content of FILE.key when that exists (as the
raw record's Kafka key would carry it).`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, files []string) error {
			f := normalizers.Format("")
			if format != "" {
				var err error
				if f, err = normalizers.ParseFormat(format); err != nil {
					return err
				}
			}
			n, err := normalizers.Lookup(carrier, f)
			if err != nil {
				return err
			}
			if maxPayload <= 0 {
				return fmt.Errorf("--max-payload-bytes: %d, want a positive number of bytes", maxPayload)
			}
			if f == "" {
				f = n.Formats()[0]
			}
			r := &normalizeRun{n: n, format: f, tracking: tracking, maxPayload: maxPayload,
				out: bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10), errw: cmd.ErrOrStderr(),
				batch: normalizers.NewBatch(), unmapped: map[string]int{}}
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return fmt.Errorf("--now: %w", err)
				}
				r.now = t
			}
			if len(files) == 0 {
				err = r.stdin(cmd.InOrStdin())
			} else {
				for _, name := range files {
					data, rerr := readFileLimited(name, r.maxPayload, payloadSetting)
					if rerr != nil {
						r.refused(name, rerr)
						continue
					}
					r.oneFile(name, data)
				}
			}
			if ferr := r.out.Flush(); err == nil {
				err = ferr
			}
			if stats {
				r.printStats()
			}
			if err != nil {
				return err
			}
			if r.rejected > 0 {
				return errRejected
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&carrier, "carrier", "", "carrier of the payloads ("+fmt.Sprint(normalizers.Carriers())+", or generic with --format avro)")
	fl.StringVar(&format, "format", "", "payload format: json, xml or avro (default: the carrier's usual one)")
	fl.StringVar(&tracking, "tracking-number", "", "tracking number the payloads are about, for carrier answers that do not repeat it")
	fl.StringVar(&now, "now", "", "processing time (RFC 3339) for the future-timestamp check; default: the clock")
	fl.IntVar(&maxPayload, "max-payload-bytes", normalizers.DefaultMaxPayload, "reject payloads larger than this")
	fl.BoolVar(&stats, "stats", false, "print counts (events, unmapped codes, assumed UTC) to standard error")
	_ = cmd.MarkFlagRequired("carrier")
	return cmd
}

type normalizeRun struct {
	n          normalizers.Normalizer
	format     normalizers.Format
	tracking   string
	maxPayload int
	now        time.Time
	out        *bufio.Writer
	errw       io.Writer
	batch      *normalizers.Batch
	buf        []byte

	payloads, events, rejected, notFound, assumedUTC int
	unmapped                                         map[string]int
}

// payloadSetting is what sets normalize's limit on one payload.
const payloadSetting = "raise --max-payload-bytes to read it"

func (r *normalizeRun) stdin(in io.Reader) error {
	if r.format == normalizers.Avro {
		data, err := readLimited(in, r.maxPayload, payloadSetting)
		var over *overLimit
		if errors.As(err, &over) {
			r.refused("stdin", err)
			return nil
		}
		if err != nil {
			return err
		}
		r.one("stdin", data)
		return nil
	}
	// A line over the limit is one payload refused, as the normalize
	// stage dead-letters it; the lines after it still count.
	return eachLine(in, r.maxPayload, func(n int, line []byte, tooLong bool) error {
		name := "stdin:" + strconv.Itoa(n)
		if tooLong {
			r.refused(name, &overLimit{r.maxPayload, payloadSetting})
			return nil
		}
		r.one(name, line)
		return nil
	})
}

// refused reports a payload that could not be read, or was too long to.
func (r *normalizeRun) refused(name string, err error) {
	r.payloads++
	r.rejected++
	fmt.Fprintf(r.errw, "%s: rejected: %s\n", name, clipError(printable(err)))
}

// oneFile normalizes a FILE, its key file (FILE.key) standing in for
// --tracking-number when that is not given.
func (r *normalizeRun) oneFile(name string, data []byte) {
	hint := r.tracking
	if hint == "" {
		if key, err := readFileLimited(name+normalizers.KeyFileExt, 1024, "a key file holds one tracking number"); err == nil {
			hint = string(bytes.TrimSpace(key))
		}
	}
	r.oneKeyed(name, data, hint)
}

func (r *normalizeRun) one(name string, data []byte) { r.oneKeyed(name, data, r.tracking) }

func (r *normalizeRun) oneKeyed(name string, data []byte, hint string) {
	r.payloads++
	in := normalizers.Input{Payload: data, Format: r.format, TrackingHint: hint, Now: r.now}
	err := normalizers.Normalize(r.n, &in, r.batch, r.maxPayload)
	if err != nil {
		if normalizers.KindOf(err) == normalizers.KindNotFound {
			// The carrier's "no data yet" answer is not a broken record; it
			// only lacks the number to make a pending event for.
			fmt.Fprintf(r.errw, "%s: notice: %s (pass --tracking-number to record it as pending)\n", name, printable(err))
			r.notFound++
			return
		}
		r.rejected++
		fmt.Fprintf(r.errw, "%s: rejected: %s\n", name, clipError(printable(err)))
		return
	}
	for _, e := range r.batch.Rejected {
		r.rejected++
		fmt.Fprintf(r.errw, "%s: scan rejected: %s\n", name, printable(e))
	}
	for i := range r.batch.Events {
		e := &r.batch.Events[i]
		r.events++
		if e.Type == taxonomy.Unmapped {
			r.unmapped[e.Carrier+" "+e.Raw.Code+"/"+e.Raw.Type]++
		}
		if e.AssumedUTC() {
			r.assumedUTC++
		}
		r.buf = event.AppendJSON(r.buf[:0], e)
		r.buf = append(r.buf, '\n')
		r.out.Write(r.buf)
	}
}

func (r *normalizeRun) printStats() {
	fmt.Fprintf(r.errw, "payloads=%d events=%d rejected=%d not_found=%d assumed_utc=%d unmapped=%d\n",
		r.payloads, r.events, r.rejected, r.notFound, r.assumedUTC, sum(r.unmapped))
	keys := make([]string, 0, len(r.unmapped))
	for k := range r.unmapped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(r.errw, "unmapped %s: %d\n", printable(k), r.unmapped[k])
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
