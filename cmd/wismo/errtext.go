package main

import (
	"fmt"
	"strings"
)

// Caps on what an error prints: a payload or a list quoted into an error
// must not flood the terminal or the log with one 14 KB line.
const (
	maxErrLine  = 1000
	maxErrLines = 40
)

// clipError shortens each line of msg to maxErrLine bytes and keeps the
// first maxErrLines lines, saying how much was left out.
func clipError(msg string) string {
	lines := strings.Split(msg, "\n")
	var cut []string
	if len(lines) > maxErrLines {
		cut = append(cut, fmt.Sprintf("... and %d more lines", len(lines)-maxErrLines))
		lines = lines[:maxErrLines]
	}
	for i, l := range lines {
		if len(l) > maxErrLine {
			// at a rune boundary
			n := maxErrLine
			for n > 0 && l[n]&0xC0 == 0x80 {
				n--
			}
			lines[i] = fmt.Sprintf("%s... (%d bytes more)", l[:n], len(l)-n)
		}
	}
	return strings.Join(append(lines, cut...), "\n")
}
