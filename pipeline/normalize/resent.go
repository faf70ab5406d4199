package normalize

import "github.com/wismo/wismo/event"

// resent remembers the ids of the events that went out in committed
// transactions. Tracking APIs answer a poll with the shipment's whole
// history, so a poller's raw records repeat every earlier scan: wismo gen's
// mix averages six or seven scans per record, of which one is new. Left in,
// every stage downstream (the events topic, detect, ClickHouse) would carry
// each scan once per poll; detect and ClickHouse would drop the copies,
// but only after paying for them.
//
// Only committed ids are remembered: an id of an aborted batch was never
// written, and the batch's records are read again. Forgetting is always
// safe (the scan goes out again, and the event id, the same for the same
// scan, lets every consumer drop it), which is why a full memory simply
// starts over, and why ownership of partitions does not matter: an id
// remembered from a partition this instance no longer owns still names an
// event that is in the topic.
type resent struct {
	committed map[event.ID]struct{}
	pending   map[event.ID]struct{} // the batch in progress
	max       int
}

func newResent(max int) *resent {
	return &resent{committed: make(map[event.ID]struct{}), pending: make(map[event.ID]struct{}), max: max}
}

// sent reports whether the event already went out, in a committed batch or
// earlier in this one.
func (r *resent) sent(id event.ID) bool {
	if _, ok := r.committed[id]; ok {
		return true
	}
	_, ok := r.pending[id]
	return ok
}

// allSent reports whether every event of a payload already went out.
func (r *resent) allSent(events []event.Event) bool {
	for i := range events {
		if !r.sent(events[i].ID) {
			return false
		}
	}
	return len(events) > 0
}

func (r *resent) add(id event.ID) { r.pending[id] = struct{}{} }

// end keeps the batch's ids when it committed and drops them when not.
func (r *resent) end(committed bool) {
	if committed {
		if len(r.committed)+len(r.pending) > r.max {
			r.committed = make(map[event.ID]struct{}, r.max)
		}
		for id := range r.pending {
			r.committed[id] = struct{}{}
		}
	}
	clear(r.pending)
}
