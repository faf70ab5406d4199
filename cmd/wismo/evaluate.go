package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/gen"
	"github.com/wismo/wismo/rules"
)

func evaluateCmd() *cobra.Command {
	var (
		o        gen.LaneOptions
		rulesDir string
	)
	cmd := &cobra.Command{
		Use:   "evaluate [--seed N] [--shipments N] [--days N] [--rules DIR]",
		Short: "Measure the flat rules and the lane model against a generated month whose truth is known",
		Long: `Generates a month of shipments on lanes whose behaviour is known (wismo gen's
lane month: transit per lane with weekday effects, hub outages, stuck
parcels, a carrier that runs late, promised dates), runs detection on it
twice in event time, with the flat rules and with the lane model learning
as it goes, and prints side by side: the share of deliveries on or before
the predicted latest date and exactly on the likely date (the flat rules
have only the carrier's date), the hours from the true start of a stall to
its stalled command and the stall alarms on parcels that were not stalled,
and how far ahead of the carrier's own delay scan a delayed command went.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := rules.Load(rulesDir)
			if err != nil {
				return err
			}
			var evs []*event.Event
			truths, err := gen.LaneMonth(o, func(e *event.Event) error { evs = append(evs, e); return nil })
			if err != nil {
				return err
			}
			flat, err := newBacktestEngine(r, "flat")
			if err != nil {
				return err
			}
			model, err := newBacktestEngine(r, "lanes")
			if err != nil {
				return err
			}
			// The retailer's promised dates reach both engines as order
			// contexts, the path of wismo run's orders.context.v1.
			for _, tr := range truths {
				oc := &detect.OrderContext{ShipmentID: tr.ShipmentID, PromisedDelivery: string(calendar.AppendDate(nil, tr.Promised))}
				if err := errors.Join(flat.SetOrder(tr.ShipmentID, oc), model.SetOrder(tr.ShipmentID, oc)); err != nil {
					return err
				}
			}
			end := evs[len(evs)-1].OccurredAt.Add(45 * 24 * time.Hour)
			a, b := runEval(flat, evs, end), runEval(model, evs, end)
			printEval(cmd.OutOrStdout(), o, truths, len(evs), a, b)
			fmt.Fprintf(cmd.OutOrStdout(), "\nlanes in the model: %d (carrier x service x origin x destination, with their coarser lanes)\n", model.Lanes().Len())
			return nil
		},
	}
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the generated month")
	cmd.Flags().IntVar(&o.Shipments, "shipments", 30000, "shipments to generate")
	cmd.Flags().IntVar(&o.Days, "days", 30, "days over which parcels are picked up")
	cmd.Flags().StringVar(&rulesDir, "rules", "", "folder of rule files overriding the embedded defaults")
	return cmd
}

// evalSink keeps, per shipment, what evaluate measures.
type evalSink struct {
	by map[string]*evalSeen
}

type evalSeen struct {
	stalled, delayed time.Time
	first            *detect.Prediction // on the first command that had one
	transit          *detect.Prediction // the state's, after its last in-transit scan
}

func (s *evalSink) seen(id string) *evalSeen {
	x := s.by[id]
	if x == nil {
		x = &evalSeen{}
		s.by[id] = x
	}
	return x
}

func (s *evalSink) Command(c *detect.Command) {
	x := s.seen(c.ShipmentID)
	switch {
	case c.Trigger == "stalled" && x.stalled.IsZero():
		x.stalled = c.DecidedAt
	case c.Trigger == "delayed" && x.delayed.IsZero():
		x.delayed = c.DecidedAt
	}
	if x.first == nil && c.PredictedDelivery != nil {
		x.first = c.PredictedDelivery
	}
}

func (s *evalSink) Event(*event.Event) {}

func runEval(en *detect.Engine, evs []*event.Event, end time.Time) *evalSink {
	s := &evalSink{by: map[string]*evalSeen{}}
	for _, e := range evs {
		_ = en.Apply(e, s) // generated events are in range
		if e.Type.Milestone == "in_transit" {
			if p := en.Predict(e.ShipmentID()); p != nil {
				s.seen(e.ShipmentID()).transit = p
			}
		}
	}
	en.Advance(end, s)
	return s
}

type evalFigures struct {
	predicted, delivered    int
	latestOK, likelyOK      int
	updated, updLatestOK    int
	updLikelyOK             int
	stalls, found           int
	stallHours              []float64
	falseAlarms             int
	late, ahead             int
	leadHours               []float64
	delayedOnTime, onTimeNo int
}

func figures(truths []gen.LaneTruth, s *evalSink, flat bool) evalFigures {
	var f evalFigures
	for i := range truths {
		t := &truths[i]
		x := s.by[t.ShipmentID]
		if x == nil {
			x = &evalSeen{}
		}
		if !t.Delivered.IsZero() {
			f.delivered++
			switch {
			case flat: // the flat rules' date is the carrier's
				f.predicted++
				if t.DeliveredDay <= t.EDD {
					f.latestOK++
				}
				if t.DeliveredDay == t.EDD {
					f.likelyOK++
				}
			case x.first != nil:
				f.predicted++
				if p := x.transit; p != nil {
					f.updated++
					if t.DeliveredDay <= dayOf(p.Latest) {
						f.updLatestOK++
					}
					if t.DeliveredDay == dayOf(p.Likely) {
						f.updLikelyOK++
					}
				}
				if t.DeliveredDay <= dayOf(x.first.Latest) {
					f.latestOK++
				}
				if t.DeliveredDay == dayOf(x.first.Likely) {
					f.likelyOK++
				}
			}
		}
		switch {
		case !t.StallAt.IsZero():
			f.stalls++
			if !x.stalled.IsZero() && !x.stalled.Before(t.StallAt) {
				f.found++
				f.stallHours = append(f.stallHours, x.stalled.Sub(t.StallAt).Hours())
			}
		case !x.stalled.IsZero():
			f.falseAlarms++
		}
		if t.Late() && !t.CarrierDelayAt.IsZero() {
			f.late++
			if !x.delayed.IsZero() && x.delayed.Before(t.CarrierDelayAt) {
				f.ahead++
				f.leadHours = append(f.leadHours, t.CarrierDelayAt.Sub(x.delayed).Hours())
			}
		}
		if !t.Late() {
			f.onTimeNo++
			if !x.delayed.IsZero() {
				f.delayedOnTime++
			}
		}
	}
	return f
}

func dayOf(s string) int64 {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0
	}
	return calendar.Day(d.Unix(), time.UTC)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func pct(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(n)/float64(of), n, of)
}

func printEval(w io.Writer, o gen.LaneOptions, truths []gen.LaneTruth, events int, a, b *evalSink) {
	fa, fb := figures(truths, a, true), figures(truths, b, false)
	fmt.Fprintf(w, "lane month: seed %d, %d shipments, %d events, pickups over %d days\n\n", o.Seed, len(truths), events, max(o.Days, 1))
	row := func(name, x, y string) { fmt.Fprintf(w, "%-52s %-26s %s\n", name, x, y) }
	row("", "flat rules (carrier EDD)", "lane model")
	row("deliveries with a predicted date", pct(fa.predicted, fa.delivered), pct(fb.predicted, fb.delivered))
	row("at pickup: delivered on or before the latest date", pct(fa.latestOK, fa.predicted), pct(fb.latestOK, fb.predicted))
	row("at pickup: delivered exactly on the likely date", pct(fa.likelyOK, fa.predicted), pct(fb.likelyOK, fb.predicted))
	row("... as updated in transit: on or before latest", "-", pct(fb.updLatestOK, fb.updated))
	row("... as updated in transit: exactly on likely", "-", pct(fb.updLikelyOK, fb.updated))
	row("true stalls found", pct(fa.found, fa.stalls), pct(fb.found, fb.stalls))
	row("hours from stall start to stalled (median)", fmt.Sprintf("%.1f", median(fa.stallHours)), fmt.Sprintf("%.1f", median(fb.stallHours)))
	row("stall alarms on parcels not stalled", fmt.Sprint(fa.falseAlarms), fmt.Sprint(fb.falseAlarms))
	row("late parcels told before the carrier's delay scan", pct(fa.ahead, fa.late), pct(fb.ahead, fb.late))
	row("lead of delayed before the carrier's scan (median h)", fmt.Sprintf("%.1f", median(fa.leadHours)), fmt.Sprintf("%.1f", median(fb.leadHours)))
	row("on-time parcels told delayed", pct(fa.delayedOnTime, fa.onTimeNo), pct(fb.delayedOnTime, fb.onTimeNo))
}
