package serve

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
)

// Memory is a Lookup over events and commands held in memory (`wismo demo
// --serve`, tests).
type Memory struct {
	mu sync.RWMutex
	m  map[string]*Record
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{m: map[string]*Record{}} }

// Add files events and commands under their shipments.
func (m *Memory) Add(evs []event.Event, cmds []detect.Command) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := func(id string) *Record {
		r, ok := m.m[id]
		if !ok {
			r = &Record{ShipmentID: id}
			m.m[id] = r
		}
		return r
	}
	for i := range evs {
		r := rec(evs[i].ShipmentID())
		r.Events = append(r.Events, evs[i])
	}
	for i := range cmds {
		r := rec(cmds[i].ShipmentID)
		r.Commands = append(r.Commands, cmds[i])
	}
}

// Shipment returns a copy of the shipment's record.
func (m *Memory) Shipment(_ context.Context, id string) (*Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.m[id]
	if !ok || len(r.Events) == 0 {
		return nil, ErrNotFound
	}
	cp := &Record{ShipmentID: id, Events: append([]event.Event(nil), r.Events...), Commands: append([]detect.Command(nil), r.Commands...)}
	return cp, nil
}

// IDs returns the shipment ids held, sorted.
func (m *Memory) IDs() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.m))
}
