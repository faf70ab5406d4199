package normalizers

import "testing"

// The cache answers what the table answers, for a text seen before and for
// two texts that share a slot.
func TestTextCache(t *testing.T) {
	tab := MustLoadTable("t", []byte("*\t*\tdelivered\tdelivered.delivered\n*\t*\tsorted\tin_transit.sorted\n"))
	c := NewTextCache()
	for round := 0; round < 2; round++ {
		for _, text := range []string{"Parcel delivered", "Parcel sorted", "nothing", "PARCEL DELIVERED"} {
			if got, want := c.Fallback(tab, "", text), tab.Fallback("", text); got != want {
				t.Errorf("round %d %q: %v, want %v", round, text, got, want)
			}
		}
	}
	for i := range c.slots { // every text in one slot
		c.slots[i].Store(&textEntry{text: "Parcel sorted", row: tab.Fallback("", "Parcel sorted")})
	}
	if got := c.Fallback(tab, "", "Parcel delivered"); got == nil || got.Type.Name != "delivered.delivered" {
		t.Errorf("collision: %v", got)
	}
}
