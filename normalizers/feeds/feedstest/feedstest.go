// Package feedstest checks a feed's status table against the feed's
// documented vocabulary, for the feeds' table tests.
package feedstest

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
	"github.com/wismo/wismo/taxonomy"
)

// Vocabulary is a feed's documented statuses and substatuses.
type Vocabulary struct {
	// Statuses is every status value.
	Statuses []string
	// Subs maps each substatus value to the status the feed documents it
	// under ("" where the feed documents it under none, as EasyPost's
	// status_detail, which any status may carry).
	Subs map[string]string
	// Generic lists the substatuses that name nothing more than their
	// status (EasyPost's status_update): the table need not list them.
	Generic []string
	// Unmapped lists the values the feed documents as "not recognised",
	// which may map to unknown.unmapped: "STATUS" or "STATUS/sub".
	Unmapped []string
}

// Check enumerates the whole vocabulary through feeds.Status: every status
// alone, every status with every substatus, and every substatus under its
// own status maps to a canonical type, and every substatus that is not
// generic has a row of its own in the table.
func Check(t *testing.T, table *normalizers.Table, v Vocabulary) {
	t.Helper()
	unmapped := map[string]bool{}
	for _, u := range v.Unmapped {
		unmapped[u] = true
	}
	generic := map[string]bool{}
	for _, g := range v.Generic {
		generic[g] = true
	}
	check := func(status, sub string) *normalizers.Mapping {
		t.Helper()
		m := feeds.Status(table, status, sub, "")
		key := status
		if sub != "" {
			key += "/" + sub
		}
		switch {
		case m == nil && !unmapped[key] && !unmapped[status]:
			t.Errorf("%s maps to nothing", key)
		case m != nil && m.Type == taxonomy.Unmapped && !unmapped[key] && !unmapped[status]:
			t.Errorf("%s maps to unknown.unmapped", key)
		}
		return m
	}
	n := 0
	for _, s := range v.Statuses {
		check(s, "")
		n++
		for sub := range v.Subs {
			check(s, sub)
			n++
		}
	}
	for sub, parent := range v.Subs {
		named := false
		for _, s := range append([]string{parent}, v.Statuses...) {
			if m := feeds.Status(table, s, sub, ""); m != nil && m.Subcode == sub {
				named = true
				break
			}
		}
		if !named && !generic[sub] {
			t.Errorf("substatus %s (under %q) has no row of its own: its status decides alone", sub, parent)
		}
	}
	t.Logf("%d statuses, %d substatuses, %d combinations mapped", len(v.Statuses), len(v.Subs), n)
}
