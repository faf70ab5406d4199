package all_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// badDir holds the corpus of bad inputs; MANIFEST.tsv binds each file to
// the carrier and format of the topic it arrives on and names the error
// kind it must be dead-lettered with.
var badDir = filepath.Join("..", "..", "testdata", "bad")

// badDeadline is how long one payload may take. Nothing should come close:
// it only turns a hang into a failure.
const badDeadline = 10 * time.Second

// anyKind is the expected kind of a bad input that may be rejected as
// whatever its decoder finds wrong first.
const anyKind normalizers.Kind = ""

type badCase struct {
	name, carrier, format string
	kind                  normalizers.Kind
	payload               []byte
}

func readManifest(t *testing.T) []badCase {
	t.Helper()
	f, err := os.Open(filepath.Join(badDir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []badCase
	sc := bufio.NewScanner(f)
	header := true
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if header {
			if strings.Join(cols, ",") != "file,carrier,format,error_kind,what" {
				t.Fatalf("MANIFEST.tsv:%d: header %q", n, line)
			}
			header = false
			continue
		}
		if len(cols) != 5 || cols[0] == "" || cols[3] == "" || cols[4] == "" {
			t.Fatalf("MANIFEST.tsv:%d: want file, carrier, format, error_kind, what: %q", n, line)
		}
		data, err := os.ReadFile(filepath.Join(badDir, cols[0]))
		if err != nil {
			t.Fatalf("MANIFEST.tsv:%d: %v", n, err)
		}
		out = append(out, badCase{name: cols[0], carrier: cols[1], format: cols[2], kind: normalizers.Kind(cols[3]), payload: data})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBadInputs feeds every bad input through the registry and
// normalizers.Normalize, as the normalize stage does, and checks it is
// rejected with the expected error kind and a clear message, without a
// panic and without hanging.
func TestBadInputs(t *testing.T) {
	cases := readManifest(t)
	listed := map[string]bool{"MANIFEST.tsv": true}
	for _, c := range cases {
		if listed[c.name] {
			t.Errorf("%s is listed twice", c.name)
		}
		listed[c.name] = true
	}
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("%s is not in MANIFEST.tsv", e.Name())
		}
	}
	if len(cases) < 50 {
		t.Errorf("%d bad inputs, want at least 50", len(cases))
	}
	kinds := map[normalizers.Kind]int{}
	for _, c := range append(cases, hugeCases()...) {
		kinds[c.kind]++
		t.Run(c.name, func(t *testing.T) { checkRejected(t, c) })
	}
	t.Logf("%d bad inputs by expected kind: %v", len(cases), kinds)
}

// hugeCases are made here rather than kept as files: payloads over the
// size limit, and big ones under it that a careless decoder would choke on.
func hugeCases() []badCase {
	over := normalizers.DefaultMaxPayload + 1
	filler := func(prefix, suffix string, n int) []byte {
		b := make([]byte, 0, n+len(prefix)+len(suffix))
		b = append(b, prefix...)
		b = append(b, bytes.Repeat([]byte("a"), n-len(prefix)-len(suffix))...)
		return append(b, suffix...)
	}
	var out []badCase
	for _, c := range normalizers.Sources() {
		p := filler(`{"trackResponse":{"note":"`, `"}}`, over)
		if c.Format == normalizers.XML {
			p = filler("<TrackResponse><Note>", "</Note></TrackResponse>", over)
		}
		out = append(out, badCase{name: "generated-" + c.Carrier + "-" + string(c.Format) + "-over-size-limit",
			carrier: c.Carrier, format: string(c.Format), kind: normalizers.KindTooLarge, payload: p})
	}

	// 15,000 UPS activities, every one dated 1900: just under the limit.
	var ups bytes.Buffer
	ups.WriteString(`{"trackResponse":{"shipment":[{"inquiryNumber":"1Z999AA10123456784","package":[{"trackingNumber":"1Z999AA10123456784","activity":[`)
	for i := 0; i < 15000; i++ {
		if i > 0 {
			ups.WriteByte(',')
		}
		fmt.Fprintf(&ups, `{"location":{"address":{"city":"Louisville","stateProvince":"KY","countryCode":"US"}},"status":{"type":"I","description":"Arrived at Facility","code":"AR"},"date":"1900%02d%02d","time":"%06d","gmtOffset":"-05:00"}`,
			1+i%12, 1+i%28, i%240000)
	}
	ups.WriteString(`]}]}]}}`)
	out = append(out, badCase{name: "generated-ups-json-15000-activities-dated-1900", carrier: "ups", format: "json",
		kind: normalizers.KindTimestamp, payload: ups.Bytes()})

	// Nesting a recursive decoder would follow a million levels deep.
	deep := append(append([]byte(`{"shipments":`), bytes.Repeat([]byte("["), 1<<20)...), bytes.Repeat([]byte("]"), 1<<20)...)
	out = append(out, badCase{name: "generated-dhl-json-nested-a-million-deep", carrier: "dhl", format: "json",
		kind: normalizers.KindDecode, payload: append(deep, '}')})
	xdeep := append(bytes.Repeat([]byte("<a>"), 500000), bytes.Repeat([]byte("</a>"), 500000)...)
	out = append(out, badCase{name: "generated-usps-xml-nested-half-a-million-deep", carrier: "usps", format: "xml",
		kind: normalizers.KindDecode, payload: xdeep})

	// 200,000 keys in one object.
	var keys bytes.Buffer
	keys.WriteString(`{"output":{`)
	for i := 0; i < 200000; i++ {
		if i > 0 {
			keys.WriteByte(',')
		}
		fmt.Fprintf(&keys, `"k%d":%d`, i, i)
	}
	keys.WriteString(`}}`)
	out = append(out, badCase{name: "generated-fedex-json-200000-keys", carrier: "fedex", format: "json",
		kind: normalizers.KindDecode, payload: keys.Bytes()})

	// An Avro container whose one deflate block inflates to 256 MB.
	out = append(out, badCase{name: "generated-avro-ocf-deflate-bomb", carrier: "generic", format: "avro",
		kind: normalizers.KindDecode, payload: deflateBomb()})
	return out
}

// deflateBomb is an object container with the scan schema and one deflate
// block of 256 MB of zeros (a few hundred kilobytes compressed).
func deflateBomb() []byte {
	zz := func(b []byte, n int64) []byte {
		u := uint64(n<<1) ^ uint64(n>>63)
		for u >= 0x80 {
			b = append(b, byte(u)|0x80)
			u >>= 7
		}
		return append(b, byte(u))
	}
	str := func(b []byte, s string) []byte { return append(zz(b, int64(len(s))), s...) }
	schema, err := os.ReadFile(filepath.Join("..", "..", "schemas", "scan.avsc"))
	if err != nil {
		panic(err)
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	zero := make([]byte, 1<<20)
	for range 256 {
		w.Write(zero)
	}
	w.Close()
	sync := []byte("0123456789abcdef")
	b := []byte("Obj\x01")
	b = zz(b, 2)
	b = str(str(b, "avro.schema"), string(schema))
	b = str(str(b, "avro.codec"), "deflate")
	b = append(zz(b, 0), sync...)
	b = zz(zz(b, 1000000), int64(z.Len()))
	b = append(b, z.Bytes()...)
	return append(b, sync...)
}

type badResult struct {
	kind    normalizers.Kind
	msg     string // the whole error text
	detail  string // the message without the carrier and kind prefix
	events  int
	lookup  error
	panic   string
	elapsed time.Duration
}

// reject runs one payload as the normalize stage would and reports how it
// was rejected: the payload's error, or, when every scan was refused, the
// first scan's.
func reject(c badCase) badResult {
	var r badResult
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r.panic = fmt.Sprint(p)
		}
		r.elapsed = time.Since(start)
	}()
	f, err := normalizers.ParseFormat(c.format)
	if err != nil {
		r.lookup = err
		return r
	}
	n, err := normalizers.Lookup(c.carrier, f)
	if err != nil {
		r.lookup = err
		return r
	}
	b := normalizers.NewBatch()
	err = normalizers.Normalize(n, &normalizers.Input{Payload: c.payload, Format: f, Now: normalizertest.Now}, b, 0)
	var ne *normalizers.Error
	switch {
	case err != nil:
		r.kind, r.msg = normalizers.KindOf(err), err.Error()
		if errors.As(err, &ne) {
			r.detail = ne.Msg
		}
	case len(b.Rejected) > 0:
		r.kind, r.msg, r.detail = b.Rejected[0].Kind, b.Rejected[0].Error(), b.Rejected[0].Msg
	}
	r.events = len(b.Events)
	return r
}

func checkRejected(t *testing.T, c badCase) {
	t.Helper()
	done := make(chan badResult, 1)
	go func() { done <- reject(c) }()
	var r badResult
	select {
	case r = <-done:
	case <-time.After(badDeadline):
		t.Fatalf("%s did not return within %s", c.name, badDeadline)
	}
	if r.panic != "" {
		t.Fatalf("panic: %s", r.panic)
	}
	if c.kind == normalizers.KindUnsupportedCarrier {
		if r.lookup == nil {
			t.Fatalf("%s (%s:%s): the registry found a normalizer", c.name, c.carrier, c.format)
		}
		if k := normalizers.KindOf(r.lookup); k != c.kind || strings.TrimSpace(r.lookup.Error()) == "" {
			t.Errorf("lookup error %q of kind %s, want kind %s and a message", r.lookup, k, c.kind)
		}
		return
	}
	if r.lookup != nil {
		t.Fatalf("%s:%s: %v", c.carrier, c.format, r.lookup)
	}
	switch {
	case r.kind == "":
		t.Errorf("accepted: %d events, no rejection (want %s)", r.events, c.kind)
	case r.events > 0:
		t.Errorf("%d events came out beside the rejection %q", r.events, r.msg)
	case c.kind != anyKind && r.kind != c.kind:
		t.Errorf("rejected as %s: %s; want %s", r.kind, r.msg, c.kind)
	}
	// A clear message: it says something beyond its kind, and it is not a
	// recovered decoder panic.
	if strings.TrimSpace(r.detail) == "" || strings.Contains(r.msg, "decoder failed") || strings.Contains(r.msg, "runtime error") {
		t.Errorf("unclear message %q", r.msg)
	}
	// The message becomes a one-line dead-letter header: it must stay
	// bounded. (Some decoders' messages run long; see the log.)
	switch {
	case len(r.msg) > 64<<10:
		t.Errorf("message of %d bytes", len(r.msg))
	case len(r.msg) > 1<<10:
		t.Logf("message of %d bytes: %.200s...", len(r.msg), r.msg)
	}
	if r.elapsed > time.Second {
		t.Logf("took %s", r.elapsed.Round(time.Millisecond))
	}
}
