package feeds

import (
	"strings"
	"testing"
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
