package rules

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed accommodations.yaml
var accommodationsYAML []byte

// Segments are the customer segments of the order context (contracts v1).
var Segments = []string{"vip", "repeat", "first_order", "at_risk"}

// Accommodations are what the downstream service may offer (the
// accommodation field of a command).
var Accommodations = []string{"expedite_replacement", "proactive_credit", "priority_redelivery", "reassure", "apology"}

// Accommodation is what a trigger means for a segment: the remedy to offer
// ("" none) and the command's priority ("" keeps the trigger's).
type Accommodation struct {
	Accommodation string
	Priority      string
}

type accommodationRow struct {
	trigger, segment string
	Accommodation
}

// ValidSegment reports whether s is a segment of the contract ("" is none).
func ValidSegment(s string) bool { return s == "" || slices.Contains(Segments, s) }

// AccommodationFor is what trigger means for segment: the first row that
// names both, else the segment's "*" row, else nothing. An empty segment
// (no order context) is always nothing.
func (r *Rules) AccommodationFor(trigger, segment string) Accommodation {
	if segment == "" {
		return Accommodation{}
	}
	if a, ok := r.accommodation[[2]string{trigger, segment}]; ok {
		return a
	}
	return r.accommodation[[2]string{"*", segment}]
}

// resolveAccommodations turns the rows, first match winning, into the
// lookup table.
func resolveAccommodations(rows []accommodationRow) map[[2]string]Accommodation {
	m := map[[2]string]Accommodation{}
	for _, row := range rows {
		k := [2]string{row.trigger, row.segment}
		if _, ok := m[k]; !ok {
			m[k] = row.Accommodation
		}
	}
	return m
}

func parseAccommodations(name string, data []byte) ([]accommodationRow, error) {
	var rows []struct {
		Trigger       string `yaml:"trigger"`
		Segment       string `yaml:"segment"`
		Accommodation string `yaml:"accommodation"`
		Priority      string `yaml:"priority"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rows); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("rules: %s: %w", name, err)
	}
	out := make([]accommodationRow, 0, len(rows))
	for i, row := range rows {
		if row.Trigger != "*" && !validTrigger(row.Trigger) {
			return nil, fmt.Errorf("rules: %s: row %d: unknown trigger %q (known: *, %s)", name, i, row.Trigger, strings.Join(Triggers, ", "))
		}
		if row.Segment == "" || !ValidSegment(row.Segment) {
			return nil, fmt.Errorf("rules: %s: row %d: segment %q, want one of %s", name, i, row.Segment, strings.Join(Segments, ", "))
		}
		if row.Accommodation != "" && !slices.Contains(Accommodations, row.Accommodation) {
			return nil, fmt.Errorf("rules: %s: row %d: unknown accommodation %q (known: %s)", name, i, row.Accommodation, strings.Join(Accommodations, ", "))
		}
		switch row.Priority {
		case "", "low", "normal", "high":
		default:
			return nil, fmt.Errorf("rules: %s: row %d: priority %q, want low, normal, high or empty (the trigger's)", name, i, row.Priority)
		}
		out = append(out, accommodationRow{trigger: row.Trigger, segment: row.Segment,
			Accommodation: Accommodation{Accommodation: row.Accommodation, Priority: row.Priority}})
	}
	return out, nil
}
