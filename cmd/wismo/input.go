package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Every command that reads payloads or events from files or standard input
// reads through a limit: a file such as /dev/zero, or a line with no end,
// must be refused with the file and the limit named, not fill memory.

// overLimit is the error of input longer than its limit; the caller names
// the input.
type overLimit struct {
	limit   int
	setting string // what sets the limit
}

func (e *overLimit) Error() string {
	return fmt.Sprintf("longer than the %d-byte limit (%s)", e.limit, e.setting)
}

// readLimited reads all of r, at most limit bytes; more is an *overLimit.
func readLimited(r io.Reader, limit int, setting string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, &overLimit{limit, setting}
	}
	return data, nil
}

// readFileLimited is readLimited on a file.
func readFileLimited(name string, limit int, setting string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit, setting)
}

// eachLine calls fn with every non-blank line of r, trimmed, and its number
// (from 1), until fn returns an error, which eachLine returns. A line is
// kept in memory up to limit bytes: fn hears of a longer one (line nil,
// tooLong set) as soon as it passes the limit, and when fn returns nil
// the rest of that line is skipped. fn may keep no line past its call.
func eachLine(r io.Reader, limit int, fn func(n int, line []byte, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // the parts so far of a line longer than the reader's buffer
	over := false   // the line passed the limit: skip to its end
	for n := 1; ; {
		chunk, err := br.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		var line []byte
		switch {
		case over:
		case len(long)+len(chunk) > limit+2: // the line and its "\r\n"
			over, long = true, long[:0]
			if ferr := fn(n, nil, true); ferr != nil {
				return ferr
			}
		case full || len(long) > 0:
			long = append(long, chunk...)
			line = long
		default:
			line = chunk // in the reader's buffer until the next read
		}
		if full {
			continue
		}
		if line = bytes.TrimSpace(line); !over && len(line) > limit {
			if ferr := fn(n, nil, true); ferr != nil {
				return ferr
			}
		} else if !over && len(line) > 0 {
			if ferr := fn(n, line, false); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n++
		over, long = false, long[:0]
	}
}

// printable escapes the control characters of a message that repeats text
// from a payload (codes, carrier messages), so that a terminal shows them
// instead of obeying them (ESC sequences, BEL).
func printable(v any) string {
	s := fmt.Sprint(v)
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
