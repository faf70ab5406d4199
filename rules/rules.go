// Package rules holds the detection rules as data: stall thresholds by
// carrier, service and lane, which event types notify with which trigger,
// quiet hours and the daily cap. Defaults are embedded (defaults.yaml,
// triggers.yaml); users override them with files of their own.
package rules

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wismo/wismo/lanes"
	"github.com/wismo/wismo/taxonomy"
	"go.yaml.in/yaml/v3"
)

//go:embed defaults.yaml
var defaultsYAML []byte

//go:embed triggers.yaml
var triggersYAML []byte

// Triggers of the notification contract (v1).
var Triggers = []string{"shipped", "out_for_delivery", "delivered", "available_for_pickup", "attempt_failed",
	"action_required", "delayed", "stalled", "exception_resolved", "returning", "pickup_reminder", "expired"}

// Stalls are the silence thresholds.
type Stalls struct {
	PreTransit             time.Duration
	InTransitDomestic      time.Duration
	InTransitInternational time.Duration
	OutForDeliveryCutoff   Clock // local time of day
	PickupReminder         time.Duration
	Expiry                 time.Duration
	EscalateAfter          time.Duration
}

// Clock is a time of day, in minutes after midnight.
type Clock int

// Rules is a loaded rule set. It is read-only once loaded.
type Rules struct {
	Stalls           Stalls
	BusinessDaysOnly map[string]bool
	QuietStart       Clock
	QuietEnd         Clock
	DailyCap         int
	ResolvedMessage  string
	// Lanes: the lane model's settings and the learned stall thresholds'
	// floor (the flat thresholds above are their ceiling).
	Lanes Lanes

	overrides []override
	triggers  []triggerRow
	byType    map[*taxonomy.Type]*Notify // resolved once per type
	// accommodation: trigger x segment (or "*" x segment), see
	// accommodations.yaml
	accommodation map[[2]string]Accommodation
}

// Lanes is the lanes block of the rules.
type Lanes struct {
	Enabled    bool
	StallFloor time.Duration // a learned threshold is never shorter
	// DeliveryRoundBy: a parcel at the delivery facility is not stalled
	// before this local time of the next (business) day.
	DeliveryRoundBy Clock
	Model           lanes.Config
	// What the customer is told when the lane model expects the parcel
	// after the carrier's date, and when it no longer does.
	PredictedLateMessage string
	BackOnTrackMessage   string
	// The same against the order's promised date (order context), when
	// the carrier's date is not the one passed.
	PromiseLateMessage string
	PromiseKeptMessage string
}

// Notify is what an event type triggers.
type Notify struct {
	Trigger  string
	Priority string
}

type override struct {
	carrier, service string
	// Parsed at load, since StallsFor runs for every event: vals holds the
	// thresholds the override sets, mask says which.
	vals Stalls
	mask uint8
}

type triggerRow struct {
	match, trigger, priority string
	onlyActionable           bool
}

// file is the YAML shape of a rules file.
type file struct {
	Stalls           map[string]string   `yaml:"stalls"`
	BusinessDaysOnly []string            `yaml:"business_days_only"`
	Overrides        []map[string]string `yaml:"overrides"`
	Notifications    struct {
		QuietHours struct {
			Start string `yaml:"start"`
			End   string `yaml:"end"`
		} `yaml:"quiet_hours"`
		DailyCap             *int   `yaml:"daily_cap"`
		ResolvedMessage      string `yaml:"resolved_message"`
		PredictedLateMessage string `yaml:"predicted_late_message"`
		BackOnTrackMessage   string `yaml:"back_on_track_message"`
		PromiseLateMessage   string `yaml:"promise_late_message"`
		PromiseKeptMessage   string `yaml:"promise_kept_message"`
	} `yaml:"notifications"`
	Lanes struct {
		Enabled         *bool    `yaml:"enabled"`
		StallQuantile   *float64 `yaml:"stall_quantile"`
		StallFactor     *float64 `yaml:"stall_factor"`
		StallFloor      string   `yaml:"stall_floor"`
		DeliveryRoundBy string   `yaml:"delivery_round_by"`
		MinObservations *int     `yaml:"min_observations"`
		MaxLanes        *int     `yaml:"max_lanes"`
		MaxBins         *int     `yaml:"max_bins"`
	} `yaml:"lanes"`
}

// Default returns the embedded rules.
func Default() *Rules {
	r, err := Load("")
	if err != nil {
		panic(err) // the embedded files are checked by tests
	}
	return r
}

// Load reads the embedded defaults, then, when dir is not empty, every
// *.yaml file in dir in name order: a rules file (stalls, overrides, ...)
// or a triggers file (a list, named triggers*.yaml) whose rows are tried
// before the defaults'.
func Load(dir string) (*Rules, error) {
	r := &Rules{BusinessDaysOnly: map[string]bool{}, Lanes: Lanes{Model: lanes.DefaultConfig}}
	if err := r.apply("defaults.yaml", defaultsYAML); err != nil {
		return nil, err
	}
	defTriggers, err := parseTriggers("triggers.yaml", triggersYAML)
	if err != nil {
		return nil, err
	}
	defAccommodations, err := parseAccommodations("accommodations.yaml", accommodationsYAML)
	if err != nil {
		return nil, err
	}
	var userTriggers []triggerRow
	var userAccommodations []accommodationRow
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("rules: no *.yaml file in %s", dir)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("rules: %w", err)
			}
			if strings.HasPrefix(filepath.Base(f), "triggers") {
				rows, err := parseTriggers(f, data)
				if err != nil {
					return nil, err
				}
				userTriggers = append(userTriggers, rows...)
				continue
			}
			if strings.HasPrefix(filepath.Base(f), "accommodations") {
				rows, err := parseAccommodations(f, data)
				if err != nil {
					return nil, err
				}
				userAccommodations = append(userAccommodations, rows...)
				continue
			}
			if err := r.apply(f, data); err != nil {
				return nil, err
			}
		}
	}
	r.triggers = append(userTriggers, defTriggers...)
	r.accommodation = resolveAccommodations(append(userAccommodations, defAccommodations...))
	r.byType = map[*taxonomy.Type]*Notify{}
	for _, t := range taxonomy.All() {
		r.byType[t] = r.resolve(t)
	}
	return r, r.check()
}

func (r *Rules) apply(name string, data []byte) error {
	var f file
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("rules: %s: %w", name, err)
	}
	for k, v := range f.Stalls {
		if _, err := parseStall(&r.Stalls, k, v); err != nil {
			return fmt.Errorf("rules: %s: stalls.%s: %w", name, k, err)
		}
	}
	if f.BusinessDaysOnly != nil {
		r.BusinessDaysOnly = map[string]bool{}
		for _, c := range f.BusinessDaysOnly {
			r.BusinessDaysOnly[c] = true
		}
	}
	for i, o := range f.Overrides {
		ov := override{carrier: o["carrier"], service: o["service"]}
		for k, v := range o {
			if k == "carrier" || k == "service" {
				continue
			}
			bit, err := parseStall(&ov.vals, k, v)
			if err != nil {
				return fmt.Errorf("rules: %s: overrides[%d].%s: %w", name, i, k, err)
			}
			ov.mask |= bit
		}
		if ov.carrier == "" && ov.service != "" {
			return fmt.Errorf("rules: %s: overrides[%d]: a service override needs its carrier", name, i)
		}
		r.overrides = append(r.overrides, ov)
	}
	q := f.Notifications.QuietHours
	if q.Start != "" || q.End != "" {
		s, err1 := parseClock(q.Start)
		e, err2 := parseClock(q.End)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("rules: %s: notifications.quiet_hours: %w", name, err)
		}
		r.QuietStart, r.QuietEnd = s, e
	}
	if f.Notifications.DailyCap != nil {
		r.DailyCap = *f.Notifications.DailyCap
	}
	if f.Notifications.ResolvedMessage != "" {
		r.ResolvedMessage = f.Notifications.ResolvedMessage
	}
	if f.Notifications.PredictedLateMessage != "" {
		r.Lanes.PredictedLateMessage = f.Notifications.PredictedLateMessage
	}
	if f.Notifications.BackOnTrackMessage != "" {
		r.Lanes.BackOnTrackMessage = f.Notifications.BackOnTrackMessage
	}
	if f.Notifications.PromiseLateMessage != "" {
		r.Lanes.PromiseLateMessage = f.Notifications.PromiseLateMessage
	}
	if f.Notifications.PromiseKeptMessage != "" {
		r.Lanes.PromiseKeptMessage = f.Notifications.PromiseKeptMessage
	}
	return r.applyLanes(name, &f)
}

func (r *Rules) applyLanes(name string, f *file) error {
	l, c := &f.Lanes, &r.Lanes.Model
	if l.Enabled != nil {
		r.Lanes.Enabled = *l.Enabled
	}
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	seti := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.StallQuantile, l.StallQuantile)
	set(&c.StallFactor, l.StallFactor)
	seti(&c.MinObservations, l.MinObservations)
	seti(&c.MaxLanes, l.MaxLanes)
	seti(&c.MaxBins, l.MaxBins)
	if l.StallFloor != "" {
		d, err := time.ParseDuration(l.StallFloor)
		if err != nil || d <= 0 || d > MaxThreshold {
			return fmt.Errorf("rules: %s: lanes.stall_floor: %q, want a positive duration up to a year (\"4h\")", name, l.StallFloor)
		}
		r.Lanes.StallFloor = d
	}
	if l.DeliveryRoundBy != "" {
		c, err := parseClock(l.DeliveryRoundBy)
		if err != nil {
			return fmt.Errorf("rules: %s: lanes.delivery_round_by: %w", name, err)
		}
		r.Lanes.DeliveryRoundBy = c
	}
	if err := c.Check(); err != nil {
		return fmt.Errorf("rules: %s: %w", name, err)
	}
	return nil
}

// Bits of the thresholds an override sets.
const (
	bitPreTransit uint8 = 1 << iota
	bitInTransitDomestic
	bitInTransitInternational
	bitOutForDeliveryCutoff
	bitPickupReminder
	bitExpiry
	bitEscalateAfter
)

// MaxThreshold bounds every duration of the rules: a deadline is an event
// time plus a few of them, and must stay within the times the detector
// stores (see event.MaxTime); the weekday arithmetic walks that many days.
const MaxThreshold = 366 * 24 * time.Hour

// parseStall parses one threshold into s and says which one it was.
func parseStall(s *Stalls, key, v string) (uint8, error) {
	if key == "out_for_delivery_cutoff" {
		c, err := parseClock(v)
		s.OutForDeliveryCutoff = c
		return bitOutForDeliveryCutoff, err
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be positive", v)
	}
	if d > MaxThreshold {
		return 0, fmt.Errorf("%s is longer than %v (a year); deadlines are computed from event times, and their sum must stay inside the times wismo stores", v, MaxThreshold)
	}
	switch key {
	case "pre_transit":
		s.PreTransit = d
		return bitPreTransit, nil
	case "in_transit_domestic":
		s.InTransitDomestic = d
		return bitInTransitDomestic, nil
	case "in_transit_international":
		s.InTransitInternational = d
		return bitInTransitInternational, nil
	case "pickup_reminder":
		s.PickupReminder = d
		return bitPickupReminder, nil
	case "expiry":
		s.Expiry = d
		return bitExpiry, nil
	case "escalate_after":
		s.EscalateAfter = d
		return bitEscalateAfter, nil
	}
	return 0, fmt.Errorf("unknown threshold (known: pre_transit, in_transit_domestic, in_transit_international, out_for_delivery_cutoff, pickup_reminder, expiry, escalate_after)")
}

// merge copies the thresholds of o that mask selects into s.
func merge(s *Stalls, o *Stalls, mask uint8) {
	if mask&bitPreTransit != 0 {
		s.PreTransit = o.PreTransit
	}
	if mask&bitInTransitDomestic != 0 {
		s.InTransitDomestic = o.InTransitDomestic
	}
	if mask&bitInTransitInternational != 0 {
		s.InTransitInternational = o.InTransitInternational
	}
	if mask&bitOutForDeliveryCutoff != 0 {
		s.OutForDeliveryCutoff = o.OutForDeliveryCutoff
	}
	if mask&bitPickupReminder != 0 {
		s.PickupReminder = o.PickupReminder
	}
	if mask&bitExpiry != 0 {
		s.Expiry = o.Expiry
	}
	if mask&bitEscalateAfter != 0 {
		s.EscalateAfter = o.EscalateAfter
	}
}

func parseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return Clock(t.Hour()*60 + t.Minute()), nil
}

func parseTriggers(name string, data []byte) ([]triggerRow, error) {
	var rows []struct {
		Match          string `yaml:"match"`
		Trigger        string `yaml:"trigger"`
		Priority       string `yaml:"priority"`
		OnlyActionable bool   `yaml:"only_actionable"`
	}
	// Strict like the rule files: a misspelt only_actionable must not
	// silently notify on everything.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rows); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("rules: %s: %w", name, err)
	}
	out := make([]triggerRow, 0, len(rows))
	for i, row := range rows {
		if !validTrigger(row.Trigger) {
			return nil, fmt.Errorf("rules: %s: row %d: unknown trigger %q (known: %s)", name, i, row.Trigger, strings.Join(Triggers, ", "))
		}
		switch row.Priority {
		case "low", "normal", "high":
		default:
			return nil, fmt.Errorf("rules: %s: row %d: priority %q, want low, normal or high", name, i, row.Priority)
		}
		if m, ok := strings.CutSuffix(row.Match, ".*"); ok {
			if !hasMilestone(m) {
				return nil, fmt.Errorf("rules: %s: row %d: no milestone %q", name, i, m)
			}
		} else if _, ok := taxonomy.Lookup(row.Match); !ok {
			return nil, fmt.Errorf("rules: %s: row %d: unknown event type %q", name, i, row.Match)
		}
		out = append(out, triggerRow{match: row.Match, trigger: row.Trigger, priority: row.Priority, onlyActionable: row.OnlyActionable})
	}
	return out, nil
}

func validTrigger(t string) bool {
	for _, x := range Triggers {
		if x == t {
			return true
		}
	}
	return false
}

func hasMilestone(m string) bool {
	for _, x := range taxonomy.Milestones() {
		if x == m {
			return true
		}
	}
	return false
}

func (r *Rules) resolve(t *taxonomy.Type) *Notify {
	if t.Class == taxonomy.Noise {
		return nil // noise never notifies
	}
	for _, row := range r.triggers {
		m, wild := strings.CutSuffix(row.match, ".*")
		if (wild && t.Milestone == m) || (!wild && t.Name == row.match) {
			if row.onlyActionable && t.Class != taxonomy.Actionable {
				continue
			}
			return &Notify{Trigger: row.trigger, Priority: row.priority}
		}
	}
	return nil
}

func (r *Rules) check() error {
	s := r.Stalls
	if s.PreTransit == 0 || s.InTransitDomestic == 0 || s.InTransitInternational == 0 || s.PickupReminder == 0 || s.Expiry == 0 || s.EscalateAfter == 0 {
		return errors.New("rules: every stall threshold must be set")
	}
	if r.DailyCap < 1 {
		return fmt.Errorf("rules: notifications.daily_cap is %d, want at least 1", r.DailyCap)
	}
	return nil
}

// NotifyFor returns what an event type triggers, or nil.
func (r *Rules) NotifyFor(t *taxonomy.Type) *Notify { return r.byType[t] }

// StallsFor returns the thresholds for a shipment: defaults, then the
// carrier's overrides, then the carrier+service's.
func (r *Rules) StallsFor(carrier, service string) Stalls {
	s := r.Stalls
	for _, pass := range [2]bool{false, true} { // carrier-only rows first, then carrier+service
		for i := range r.overrides {
			o := &r.overrides[i]
			if o.carrier != carrier || (o.service != "") != pass || (pass && o.service != service) {
				continue
			}
			merge(&s, &o.vals, o.mask)
		}
	}
	return s
}
