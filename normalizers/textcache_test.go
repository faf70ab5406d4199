package normalizers

import (
	"fmt"
	"hash/maphash"
	"testing"
)

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

// Texts that hash to one slot all stay: a carrier's vocabulary with two
// such words would otherwise search the table and allocate on every scan.
func TestTextCacheSharedSlot(t *testing.T) {
	tab := MustLoadTable("t", []byte("*\t*\tdelivered\tdelivered.delivered\n"))
	c := NewTextCache()
	bySlot := map[uint64][]string{}
	var texts []string
	for i := 0; texts == nil; i++ {
		text := fmt.Sprintf("parcel %d delivered", i)
		k := maphash.String(c.seed, text) & (1<<10 - 1)
		if bySlot[k] = append(bySlot[k], text); len(bySlot[k]) == textWays {
			texts = bySlot[k]
		}
	}
	for _, text := range texts {
		c.Fallback(tab, "", text)
	}
	for _, text := range texts {
		found := false
		for i := range c.slots {
			if e := c.slots[i].Load(); e != nil && e.text == text {
				found = true
			}
		}
		if !found {
			t.Errorf("%q was pushed out by another text of its slot", text)
		}
	}
}
