package dhl

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// The text index must answer exactly as the table would, row by row.
func TestTextIndexAgreesWithTable(t *testing.T) {
	var texts []string
	sc := bufio.NewScanner(bytes.NewReader(codesTSV))
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 4 && cols[0] == "*" {
			texts = append(texts, cols[2], strings.ToUpper(cols[2]), "Die Sendung "+cols[2]+" heute.", "x"+cols[2][1:])
		}
	}
	texts = append(texts, "", "nothing to see", "Zoll", "ZUGESTELLT", "Die Sendung wurde zugestellt.",
		"Die Sendung wurde nicht in der Filiale abgeholt", "Processed at LEIPZIG - GERMANY", "\xff\xfe broken utf-8 zoll")
	for pass := 0; pass < 2; pass++ { // the second pass answers from the cache
		for _, text := range texts {
			for _, kind := range kindNames {
				want := Table.Lookup("", kind, text)
				if got := textRows.lookup(text, kind); got != want {
					t.Fatalf("pass %d, %q as %s: index %v, table %v", pass, text, kind, got, want)
				}
			}
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	text := "Die Sendung wurde in das Zustellfahrzeug geladen. Die Zustellung erfolgt voraussichtlich heute."
	if a := testing.AllocsPerRun(100, func() { textRows.lookup(text, "transit") }); a != 0 {
		t.Errorf("text lookup allocates %.1f times", a)
	}
	if a := testing.AllocsPerRun(100, func() { countryOf([]byte("UNITED ARAB EMIRATES"), true) }); a != 0 {
		t.Errorf("country lookup allocates %.1f times", a)
	}
	k := keys{statusCode: "delivered", detailed: "DLVRD_NGHBR_ZU", desc: "Die Sendung wurde zugestellt."}
	if a := testing.AllocsPerRun(100, func() { classify(&k) }); a != 0 {
		t.Errorf("classify allocates %.1f times", a)
	}
}
