package pipeline

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

func hdrs(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		if _, dup := h[x.Key]; dup {
			panic("duplicate header " + x.Key)
		}
		h[x.Key] = string(x.Value)
	}
	return h
}

func TestOneLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a\r\nb\tc\x00d\u2028e", "a  b c d e"},
		{"bad \xff!", "bad \uFFFD!"},
		{strings.Repeat("x", 10), "xxxxxxxxxx"},
		{strings.Repeat("x", 11), "xxxxxxx..."},
		{"ééééé" + "é", "ééé..."}, // 12 bytes: cut on a character
	} {
		got := OneLine(c.in, 10)
		if got != c.want || len(got) > 10 || !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n") {
			t.Errorf("OneLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDeadLetterRecord(t *testing.T) {
	src := &kgo.Record{Topic: "raw.ups", Partition: 3, Offset: 17, Key: []byte("1Z"), Value: bytes.Repeat([]byte{'v'}, 100)}
	d := FromRecord(src, "decode", "line one\r\nline two "+strings.Repeat("y", 5000), "ups")
	r := d.Record("dlq", -1)
	h := hdrs(r)
	if r.Topic != "dlq" || string(r.Key) != "1Z" || len(r.Value) != 100 || h["error_kind"] != "decode" || h["source_topic"] != "raw.ups" ||
		h["source_partition"] != "3" || h["source_offset"] != "17" || h["carrier"] != "ups" || h["truncated"] != "" {
		t.Errorf("whole dead letter: %v, %d bytes", h, len(r.Value))
	}
	if e := h["error"]; len(e) > MaxErrorHeader || strings.ContainsAny(e, "\r\n") || !strings.HasPrefix(e, "line one  line two") {
		t.Errorf("error header %q (%d bytes)", e[:40], len(e))
	}
	r = d.Record("dlq", 10)
	if h := hdrs(r); len(r.Value) != 10 || h["truncated"] != "true" || h["original_size"] != "100" || h["original_key_size"] != "" {
		t.Errorf("cut dead letter: %v, %d bytes", h, len(r.Value))
	}
	d.Key = bytes.Repeat([]byte{'k'}, maxDeadLetterKey+1)
	r = d.Record("dlq", -1)
	if h := hdrs(r); len(r.Key) != maxDeadLetterKey || h["truncated"] != "true" || h["original_key_size"] != "4097" || h["original_size"] != "" {
		t.Errorf("long key: %v, %d key bytes", h, len(r.Key))
	}
	sk := DeadLetter{Kind: KindTooLarge, Error: "e", Topic: "raw", Offset: 5, LastOffset: 9, Unavailable: true}
	if h := hdrs(sk.Record("dlq", 0)); h["source_offset"] != "5" || h["source_offset_last"] != "9" || h["value_unavailable"] != "true" || h["truncated"] != "" {
		t.Errorf("placeholder: %v", h)
	}
}

func TestLimits(t *testing.T) {
	l := Limits{}
	if l.Payload() != 4<<20 || l.RecordMax() <= l.Payload() || l.DecompressMax() < l.RecordMax() || l.RecordMax() > brokerMaxWrite {
		t.Errorf("default limits: payload %d, record %d, decompress %d", l.Payload(), l.RecordMax(), l.DecompressMax())
	}
	if big := (Limits{MaxPayload: 1 << 30}); big.RecordMax() > brokerMaxWrite || big.DecompressMax() > 1<<30 {
		t.Errorf("a huge payload limit gives record %d, decompress %d", big.RecordMax(), big.DecompressMax())
	}
	if v := *l.TopicConfig()["max.message.bytes"]; v != "4259840" {
		t.Errorf("max.message.bytes %s", v)
	}
}
