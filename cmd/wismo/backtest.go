package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/rules"
)

func backtestCmd() *cobra.Command {
	var (
		rulesDir, until, model, orders string
		withEvents                     bool
	)
	cmd := &cobra.Command{
		Use:   "backtest [--rules DIR] [--until RFC3339] [--events] [FILE...]",
		Short: "Run the detection rules offline on canonical events (NDJSON) with an event-time clock",
		Long: `Reads canonical events as NDJSON (as wismo normalize writes them) from the
FILEs or standard input, in the order given, and runs the detection stage's
logic on them with an event-time clock: time is the latest occurred_at seen,
and at the end of input the clock advances to --until so that pending stall
timers fire. The lane model (--model lanes, the default unless the rules'
lanes.enabled is false) learns from the history as it is read: stall
thresholds per lane and predicted delivery dates, the flat rules where a
lane has too little data; --model flat uses the flat rules alone. Writes
notification commands as NDJSON on standard output; with
--events also the synthetic events, each line tagged "kind": "command" or
"event". With --orders FILE, order contexts (NDJSON, as on the topic
orders.context.v1) are read first and shape the commands as in wismo run:
customer_segment, accommodation and priority, and predicted_late against
the promised date. Lines that are not canonical events (or order contexts)
are reported on standard error and make the exit status 1.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, files []string) error {
			r, err := rules.Load(rulesDir)
			if err != nil {
				return err
			}
			var end time.Time
			if until != "" {
				if end, err = time.Parse(time.RFC3339, until); err == nil {
					err = event.CheckTime(end)
				}
				if err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			en, err := newBacktestEngine(r, model)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			bt := &backtest{engine: en, out: out, events: withEvents, errw: cmd.ErrOrStderr()}
			if orders != "" {
				if err := bt.readOrders(orders); err != nil {
					return err
				}
			}
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
	cmd.Flags().StringVar(&orders, "orders", "", "NDJSON file of order contexts (orders.context.v1 records) to join, read before the events")
	cmd.Flags().StringVar(&model, "model", "", "lanes (learn the lane model from the input) or flat (the flat rules alone); default: lanes unless the rules' lanes.enabled is false")
	return cmd
}

// newBacktestEngine is the detection engine of backtest and evaluate: with
// the lane model unless model is "flat" (or empty and the rules turn it off).
func newBacktestEngine(r *rules.Rules, model string) (*detect.Engine, error) {
	en := detect.New(r)
	switch model {
	case "":
		if !r.Lanes.Enabled {
			return en, nil
		}
	case "lanes":
	case "flat":
		return en, nil
	default:
		return nil, fmt.Errorf("--model %q: want lanes or flat", model)
	}
	m, err := lanes.New(r.Lanes.Model)
	if err != nil {
		return nil, err
	}
	en.UseLanes(m)
	return en, nil
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

// maxEventLine bounds one line of backtest's input. A canonical event
// from wismo normalize takes 1 to 4 KB (the normalizer bounds its texts):
// a line over 1 MiB is not one, and the rest of that input is not read.
const maxEventLine = 1 << 20

func (b *backtest) read(name string, r io.Reader) {
	err := eachLine(r, maxEventLine, func(n int, line []byte, tooLong bool) error {
		if tooLong {
			b.bad++
			return fmt.Errorf("%s:%d: a line longer than %d bytes is not a canonical event (backtest reads NDJSON "+
				"as wismo normalize writes it); the rest of %s is not read", name, n, maxEventLine, name)
		}
		var e event.Event
		if err := event.UnmarshalJSON(line, &e); err != nil {
			fmt.Fprintf(b.errw, "%s:%d: %s\n", name, n, clipError(printable(err)))
			b.bad++
			return nil
		}
		if err := b.engine.Apply(&e, b); err != nil {
			fmt.Fprintf(b.errw, "%s:%d: %s\n", name, n, clipError(printable(err)))
			b.bad++
		}
		return nil
	})
	if err != nil && b.err == nil {
		b.err = err
	}
}

// readOrders installs the order contexts of file, one JSON object a line.
func (b *backtest) readOrders(file string) error {
	fh, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("--orders: %w", err)
	}
	defer fh.Close()
	return eachLine(fh, codec.MaxOrderContext, func(n int, line []byte, tooLong bool) error {
		err := fmt.Errorf("a line longer than %d bytes is not an order context", codec.MaxOrderContext)
		if !tooLong {
			var oc *detect.OrderContext
			if oc, err = codec.DecodeOrderContext(nil, line); err == nil {
				err = b.engine.SetOrder(oc.ShipmentID, oc)
			}
		}
		if err != nil {
			fmt.Fprintf(b.errw, "%s:%d: %s\n", file, n, clipError(printable(err)))
			b.bad++
		}
		return nil
	})
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
