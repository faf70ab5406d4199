package feeds

import (
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/fedex"
	_ "github.com/wismo/wismo/normalizers/ups"
)

// keyword's one pass over a description finds the row Keywords.Fallback,
// the table's own row-by-row search, finds: the earliest row, wherever in
// the text it stands, in any case, overlapping or cut short at the end.
func TestKeywordIsFallback(t *testing.T) {
	texts := []string{"", "x", "Nothing said", strings.Repeat("departed ", 40) + "out for delivery"}
	for i := range keywords {
		a := keywords[i].Text
		texts = append(texts, a, strings.ToUpper(a), "At hub: "+a+".", a[:len(a)-1], " "+a[1:])
		for j := range keywords {
			b := keywords[j].Text
			texts = append(texts, a+" then "+b, a+b, a[:len(a)/2]+b)
		}
	}
	for _, text := range texts {
		if got, want := keyword(text), Keywords.Fallback("*", text); got != want {
			t.Fatalf("keyword(%q) = %v, want %v", text, got, want)
		}
	}
}

// Classify's memory answers as classify does: for the same strings under
// another feed table or carrier table, for strings that only concatenate
// alike, and for an event seen again after others took its slot.
func TestClassifyRemembers(t *testing.T) {
	other := normalizers.MustLoadTable("other", []byte("in_transit\t*\t*\tdelivered.delivered\n"))
	fedex, ups := Mapper("fedex"), Mapper("ups")
	var events []Event
	for _, m := range []normalizers.CodeMapper{nil, fedex, ups} {
		for _, code := range []string{"", "DL", "D", "LDL", "OD"} {
			for _, st := range []string{"", "in_transit", "delivered", "in_transitx"} {
				for _, text := range []string{"", "Delivered", "Departed FedEx hub", "x"} {
					events = append(events, Event{Mapper: m, Code: code, Status: st, Text: text},
						Event{Mapper: m, Code: code, CodeSub: "L", Status: st, Sub: "weather_delay", Text: text})
				}
			}
		}
	}
	for round := 0; round < 2; round++ {
		for _, tab := range []*normalizers.Table{Keywords, other} {
			for i := range events {
				e := events[i]
				if got, want := Classify(tab, &e), classify(tab, &e); got != want {
					t.Fatalf("round %d: Classify(%+v) = %v, want %v", round, e, got, want)
				}
			}
		}
	}
}
