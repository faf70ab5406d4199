// Package taxonomy holds the canonical shipment event types: each type's
// milestone, class, customer message and next step.
//
// The types live in taxonomy.yaml (embedded), not in code, so that a reviewer
// can read the whole customer-facing vocabulary in one place. The set is fixed
// by the v1 contract (../shared/spec/taxonomy.md); a test keeps the two in
// step.
package taxonomy

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Class says whether a type needs the customer (A), is worth telling (I), or
// is noise that must never notify (N).
type Class uint8

const (
	Noise Class = iota
	Informational
	Actionable
)

// String returns the class as the contract spells it.
func (c Class) String() string {
	switch c {
	case Actionable:
		return "actionable"
	case Informational:
		return "informational"
	default:
		return "noise"
	}
}

// ParseClass accepts the contract's spelling or the one-letter form.
func ParseClass(s string) (Class, error) {
	switch s {
	case "actionable", "A":
		return Actionable, nil
	case "informational", "I":
		return Informational, nil
	case "noise", "N":
		return Noise, nil
	}
	return Noise, fmt.Errorf("taxonomy: unknown class %q", s)
}

// Type is one canonical event type. Types are created once, at package
// initialisation, and shared by pointer: an event refers to its type instead
// of copying strings around, which keeps the normalizer's hot path free of
// allocations.
type Type struct {
	ID        uint16 // dense index, stable within one build
	Name      string // "in_transit.departed_facility"
	Milestone string // "in_transit"
	Detail    string // "departed_facility"
	Class     Class
	Message   Template
	NextStep  Template // empty for non-actionable types
	Reason    string   // default reason code, "" when none
	// Movement says the scan shows the parcel moving: it restarts the
	// silence clock and clears an open delay or stall (contract rule 3).
	Movement bool
	// Pipeline says only the pipeline makes this type (its timers); a
	// sender may not claim it. Stall marks the pipeline's stall types.
	Pipeline, Stall bool
	// Rank orders milestones (taxonomy.yaml's rank column): a later,
	// non-movement scan cannot move a shipment to a lower one.
	Rank uint8
}

// Unmapped is the type of every scan whose code a carrier table lacks.
var Unmapped *Type

// Pending is the type of a shipment the carrier has no data for yet.
var Pending *Type

//go:embed taxonomy.yaml
var taxonomyYAML []byte

var (
	byName map[string]*Type
	all    []*Type
)

func init() {
	types, err := parse(taxonomyYAML)
	if err != nil {
		panic(err) // the embedded file is checked by tests; this cannot happen in a release
	}
	all = types
	byName = make(map[string]*Type, len(types))
	for _, t := range types {
		byName[t.Name] = t
	}
	Unmapped = byName["unknown.unmapped"]
	Pending = byName["pending.tracking_registered"]
}

type entry struct {
	Type     string `yaml:"type"`
	Class    string `yaml:"class"`
	Message  string `yaml:"message"`
	NextStep string `yaml:"next_step"`
	Reason   string `yaml:"reason"`
	Movement bool   `yaml:"movement"`
	Pipeline bool   `yaml:"pipeline"`
	Stall    bool   `yaml:"stall"`
	Rank     uint8  `yaml:"rank"`
}

func parse(data []byte) ([]*Type, error) {
	var entries []entry
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt column must not silently read as false
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	types := make([]*Type, 0, len(entries))
	seen := map[string]bool{}
	ranks := map[string]uint8{}
	for i, e := range entries {
		milestone, detail, ok := strings.Cut(e.Type, ".")
		if !ok || milestone == "" || detail == "" {
			return nil, fmt.Errorf("taxonomy: entry %d: type %q is not <milestone>.<detail>", i, e.Type)
		}
		if seen[e.Type] {
			return nil, fmt.Errorf("taxonomy: type %q listed twice", e.Type)
		}
		seen[e.Type] = true
		class, err := ParseClass(e.Class)
		if err != nil {
			return nil, fmt.Errorf("taxonomy: %s: %w", e.Type, err)
		}
		if e.Movement && (milestone == "exception" || milestone == "unknown") {
			return nil, fmt.Errorf("taxonomy: %s: an exception or unmapped scan cannot be movement; remove movement", e.Type)
		}
		if r, ok := ranks[milestone]; ok && r != e.Rank {
			return nil, fmt.Errorf("taxonomy: %s: rank %d, but other %s types have rank %d; give every type of a milestone its rank", e.Type, e.Rank, milestone, r)
		}
		ranks[milestone] = e.Rank
		if e.Stall && (!e.Pipeline || milestone != "exception") {
			return nil, fmt.Errorf("taxonomy: %s: a stall is an exception the pipeline makes; set pipeline: true or remove stall", e.Type)
		}
		if e.Message == "" {
			return nil, fmt.Errorf("taxonomy: %s has no message", e.Type)
		}
		if class == Actionable && e.NextStep == "" {
			return nil, fmt.Errorf("taxonomy: actionable type %s has no next_step", e.Type)
		}
		msg, err := ParseTemplate(e.Message)
		if err != nil {
			return nil, fmt.Errorf("taxonomy: %s message: %w", e.Type, err)
		}
		next, err := ParseTemplate(e.NextStep)
		if err != nil {
			return nil, fmt.Errorf("taxonomy: %s next_step: %w", e.Type, err)
		}
		types = append(types, &Type{
			ID: uint16(i), Name: e.Type, Milestone: milestone, Detail: detail,
			Class: class, Message: msg, NextStep: next, Reason: e.Reason,
			Movement: e.Movement, Pipeline: e.Pipeline, Stall: e.Stall, Rank: e.Rank,
		})
	}
	return types, nil
}

// Lookup returns the type with the given name.
func Lookup(name string) (*Type, bool) {
	t, ok := byName[name]
	return t, ok
}

// MustLookup is Lookup for names known at build time, such as those in a
// carrier's embedded table; it panics on a typo so that tests catch it.
func MustLookup(name string) *Type {
	t, ok := byName[name]
	if !ok {
		panic("taxonomy: unknown event type " + name)
	}
	return t
}

// All returns every type in file order.
func All() []*Type { return all }

// ByID returns the type with the given dense ID, or nil.
func ByID(id uint16) *Type {
	if int(id) < len(all) {
		return all[id]
	}
	return nil
}

// Milestones returns the distinct milestones, sorted.
func Milestones() []string {
	set := map[string]bool{}
	for _, t := range all {
		set[t.Milestone] = true
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
