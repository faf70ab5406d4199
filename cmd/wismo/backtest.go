package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/rules"
)

func backtestCmd() *cobra.Command {
	var (
		rulesDir, until string
		withEvents      bool
	)
	cmd := &cobra.Command{
		Use:   "backtest [--rules DIR] [--until RFC3339] [--events] [FILE...]",
		Short: "Run the detection rules offline on canonical events (NDJSON) with an event-time clock",
		Long: `Reads canonical events as NDJSON (as wismo normalize writes them) from the
FILEs or standard input, in the order given, and runs the detection stage's
logic on them with an event-time clock: time is the latest occurred_at seen,
and at the end of input the clock advances to --until so that pending stall
timers fire. Writes notification commands as NDJSON on standard output; with
--events also the synthetic events, each line tagged "kind": "command" or
"event". Lines that are not canonical events are reported on standard error
and make the exit status 1.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, files []string) error {
			r, err := rules.Load(rulesDir)
			if err != nil {
				return err
			}
			var end time.Time
			if until != "" {
				if end, err = time.Parse(time.RFC3339, until); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			bt := &backtest{engine: detect.New(r), out: out, events: withEvents, errw: cmd.ErrOrStderr()}
			if len(files) == 0 {
				bt.read("stdin", cmd.InOrStdin())
			} else {
				for _, f := range files {
					fh, err := os.Open(f)
					if err != nil {
						return err
					}
					bt.read(f, fh)
					fh.Close()
				}
			}
			if !end.IsZero() {
				bt.engine.Advance(end, bt)
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if bt.err != nil {
				return bt.err
			}
			if bt.bad > 0 {
				return errRejected
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rulesDir, "rules", "", "folder of rule files overriding the embedded defaults")
	cmd.Flags().StringVar(&until, "until", "", "advance the clock to this time (RFC 3339) at the end of input, firing due timers")
	cmd.Flags().BoolVar(&withEvents, "events", false, "also write the synthetic events; every line then has a kind field")
	return cmd
}

type backtest struct {
	engine *detect.Engine
	out    *bufio.Writer
	errw   io.Writer
	events bool
	bad    int
	err    error
	buf    []byte
}

func (b *backtest) read(name string, r io.Reader) {
	sc := bufio.NewScanner(r)
	const maxLine = 16 << 20
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 1
	for ; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e event.Event
		if err := event.UnmarshalJSON(line, &e); err != nil {
			fmt.Fprintf(b.errw, "%s:%d: %s\n", name, n, clipError(err.Error()))
			b.bad++
			continue
		}
		b.engine.Apply(&e, b)
	}
	if err := sc.Err(); err != nil && b.err == nil {
		b.err = scanErr(fmt.Sprintf("%s:%d", name, n), err, maxLine, "backtest reads one JSON event per line (NDJSON, as wismo normalize writes)")
	}
}

// Command implements detect.Sink.
func (b *backtest) Command(c *detect.Command) {
	data, err := json.Marshal(c)
	if err != nil {
		b.err = err
		return
	}
	if b.events {
		data = append([]byte(`{"kind":"command",`), data[1:]...)
	}
	b.out.Write(data)
	b.out.WriteByte('\n')
}

// Event implements detect.Sink.
func (b *backtest) Event(e *event.Event) {
	if !b.events {
		return
	}
	b.buf = append(b.buf[:0], `{"kind":"event",`...)
	b.buf = append(b.buf, event.AppendJSON(nil, e)[1:]...)
	b.out.Write(b.buf)
	b.out.WriteByte('\n')
}
