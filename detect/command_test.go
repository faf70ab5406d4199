package detect

import (
	"testing"

	"github.com/wismo/wismo/calendar"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/rules"
	"github.com/zeebo/xxh3"
)

// TestCommandText: the command's hex ids and dates are written as
// event.ID.String and calendar.AppendDate write them, whatever the cache
// of dates held before (days 16 apart share a slot).
func TestCommandText(t *testing.T) {
	for _, s := range []string{"", "a", "1Z999", "\xff\x00"} {
		id := event.ID(xxh3.Hash128([]byte(s)).Bytes())
		if got, want := string(appendHexID([]byte("x"), &id)), "x"+id.String(); got != want {
			t.Errorf("appendHexID %q, want %q", got, want)
		}
	}
	en := New(rules.Default())
	for _, d := range []int64{20775, 20775 + 16, 20775, -1, 15, 0, -17, 2932896, 20776} {
		if got, want := string(en.appendDate(nil, d)), string(calendar.AppendDate(nil, d)); got != want {
			t.Errorf("appendDate(%d) = %q, want %q", d, got, want)
		}
	}
}
