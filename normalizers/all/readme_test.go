package all_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// readmeMarks enclose the README's table of what wismo reads, which
// TestReadmeSaysWhatWismoReads writes from the registry.
const (
	readmeBegin = "<!-- what wismo reads: written by go test ./normalizers/all -run TestReadmeSaysWhatWismoReads -update -->\n"
	readmeEnd   = "<!-- end of what wismo reads -->\n"
)

// whatWismoReads is the README's table, from the registry: every carrier
// with a normalizer of its own and the feeds that reach it, then every
// feed with the carriers its carriers.tsv rows name.
func whatWismoReads() string {
	var direct, through []*normalizers.Spec
	for _, s := range normalizers.Specs() {
		n, _ := normalizers.Registered(s.ID)
		if _, feed := n.(normalizers.Feeder); feed {
			through = append(through, s)
		} else {
			direct = append(direct, s)
		}
	}
	reaches := map[string][]string{}
	for _, f := range through {
		for _, c := range feeds.Carriers(f.ID) {
			reaches[c] = append(reaches[c], "`"+f.ID+"`")
		}
	}
	var b strings.Builder
	b.WriteString("| carrier id | carrier | its own API, formats | also through feeds |\n|---|---|---|---|\n")
	for _, s := range direct {
		var formats []string
		for _, f := range s.Reads {
			formats = append(formats, string(f))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.ID, s.Name, strings.Join(formats, ", "), strings.Join(reaches[s.ID], ", "))
	}
	b.WriteString("\n| feed (`--carrier`) | name | carriers its table maps (wismo ids; any other carrier gets a normalized id) |\n|---|---|---|\n")
	for _, f := range through {
		var ids []string
		for _, c := range feeds.Carriers(f.ID) {
			ids = append(ids, "`"+c+"`")
		}
		if len(ids) == 0 {
			ids = []string{"none listed: its carrier codes normalize (`ups` is `ups`)"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.ID, f.Name, strings.Join(ids, ", "))
	}
	return b.String()
}

// TestReadmeSaysWhatWismoReads: the README's table is the registry's; a
// carrier or feed added, or a carriers.tsv row, makes it stale until
// -update rewrites it.
func TestReadmeSaysWhatWismoReads(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	before, rest, ok := strings.Cut(readme, readmeBegin)
	table, after, ok2 := strings.Cut(rest, readmeEnd)
	if !ok || !ok2 {
		t.Fatalf("%s: no table between %q and %q", path, strings.TrimSpace(readmeBegin), strings.TrimSpace(readmeEnd))
	}
	want := whatWismoReads()
	if table == want {
		return
	}
	if normalizertest.Updating() {
		if err := os.WriteFile(path, []byte(before+readmeBegin+want+readmeEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table of what wismo reads is stale; run go test ./normalizers/all -run TestReadmeSaysWhatWismoReads -update. Want:\n%s", path, want)
}
