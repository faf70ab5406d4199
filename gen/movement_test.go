package gen

import "testing"

// Scans about plans are not movement (the taxonomy's movement column), so a
// generated story must not expect them to clear a delay or restart the
// silence clock. gen once kept its own list, which missed the driver's call
// and the booked appointment and so disagreed with detect.
func TestVariantMovementFollowsTaxonomy(t *testing.T) {
	vs := &variants{}
	want := map[string]bool{
		"out_for_delivery.recipient_contacted":   false,
		"out_for_delivery.appointment_scheduled": false,
		"in_transit.eta_updated":                 false,
		"out_for_delivery.out_for_delivery":      true,
	}
	for name := range want {
		vs.add(kETA, name, "X", "", "", "", "")
	}
	for _, v := range vs[kETA] {
		if v.movement != want[v.typ.Name] {
			t.Errorf("%s: gen says movement %v, want %v", v.typ.Name, v.movement, want[v.typ.Name])
		}
	}
}
