// Package usps normalizes USPS tracking in its two wire formats:
//
//   - the USPS Tracking API v3 JSON (trackingEvents[]), the default;
//   - the legacy Web Tools TrackV2 XML with Revision=1
//     (TrackResponse/TrackInfo/TrackSummary|TrackDetail).
//
// Both carry the same USPS event codes, so they share one code table
// (codes.tsv). USPS reuses codes across several events (one code for every
// kind of delivery or notice left), so the event text refines the code.
//
// Times: v3 sends the local wall clock and, usually, its GMT offset (the
// offset wins over the separate GMT stamp, which is sometimes a day off);
// without an offset, the scan's state decides the zone. Web Tools sends only
// the local wall clock, so the zone always comes from the scan's place.
package usps

import (
	_ "embed"
	"strings"

	"github.com/valyala/fastjson"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the USPS code table.
var Table = normalizers.MustLoadTable("usps/codes.tsv", codesTSV)

const carrier = "usps"

// Spec is everything wismo knows about USPS; its samples are in
// testdata/carriers/usps. Web Tools XML arrives on its own topic. The
// benchmark measures the delivered histories, as it always has, so its
// figures compare across commits.
var Spec = normalizers.Spec{ID: carrier, Name: "USPS", Reads: []normalizers.Format{normalizers.JSON, normalizers.XML}, Table: Table,
	Topics: map[normalizers.Format]string{normalizers.XML: "raw.usps.webtools"},
	Bench:  []string{"tracking-v3-*-delivered-*.json", "webtools-*.xml"}}

// Normalizer reads USPS payloads.
type Normalizer struct {
	normalizers.Spec
	parsers fastjson.ParserPool
}

// New returns a USPS normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	return Table.Lookup(code, subcode, desc)
}

// Normalize implements normalizers.Normalizer. A payload whose first byte
// contradicts the configured format is read as what it is, so that a topic
// carrying both USPS APIs (or bound to the wrong one) still normalizes.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	switch normalizers.DetectFormat(in.Payload, in.Format) {
	case normalizers.XML:
		return normalizeXML(in, b)
	case normalizers.JSON, "":
		return n.normalizeJSON(in, b)
	}
	return normalizers.Errorf(normalizers.KindUnsupportedCarrier, carrier,
		"format %q is not supported for usps (supported: json, xml)", in.Format)
}

// add classifies one scan and hands it to the batch. Raw.Code, Raw.Type and
// Raw.Description must be set; a name in the description is withheld (see
// redactor).
func add(s *normalizers.Scan, b *normalizers.Batch) {
	s.Raw.Description = redactor.Text(b, s.Raw.Description)
	s.Type, s.Reason, s.IDExtra = nil, "", ""
	if m := Table.Lookup(s.Raw.Code, s.Raw.Type, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
		// USPS sends distinct scans under one code at the same minute and
		// place ("Arrived at" and "Departed USPS Destination Facility", both
		// 10), which the event id would otherwise merge. The mapped type
		// tells them apart and, unlike the text, survives USPS rewording.
		s.IDExtra = m.Type.Name
	}
	b.Add(s)
}

// answer is USPS's reply when it has no scans: an error number or code and
// its message.
type answer struct{ code, msg, status string }

// kind decides what a USPS error means. USPS answers "could not locate" and
// "not yet available" for labels it has not scanned yet: the shipment is
// pending, not broken (KindNotFound here means "make a pending event").
func (a answer) kind() normalizers.Kind {
	switch {
	case a.status == "401" || a.status == "403" || a.status == "429" || strings.HasPrefix(a.status, "5"):
		return normalizers.KindCarrierError
	}
	msg := strings.ToLower(a.msg)
	for _, p := range pendingPhrases {
		if strings.Contains(msg, p) {
			return normalizers.KindNotFound
		}
	}
	if strings.Contains(msg, "invalid") && (strings.Contains(msg, "tracking") || strings.Contains(msg, "number") ||
		strings.Contains(msg, "label")) || strings.Contains(msg, "not valid") || strings.Contains(msg, "not a valid") {
		return normalizers.KindInvalidTracking
	}
	if a.code == couldNotLocate {
		return normalizers.KindNotFound
	}
	return normalizers.KindCarrierError
}

// couldNotLocate is the Web Tools error number for a number USPS has no
// record of (yet).
const couldNotLocate = "-2147219302"

var pendingPhrases = []string{
	"not yet available", "could not locate", "not found", "no record", "no tracking information",
	"not yet in the system",
}

// resolve turns a USPS error answer into a pending event or an error.
func (a answer) resolve(tracking string, in *normalizers.Input, b *normalizers.Batch) error {
	a.msg = cleanMessage(a.msg)
	switch k := a.kind(); k {
	case normalizers.KindNotFound:
		if tracking == "" {
			tracking = strings.ToUpper(strings.TrimSpace(in.TrackingHint))
		}
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, carrier,
				"USPS has no data yet (%s %s) and the payload does not name the tracking number", a.code, a.msg)
		}
		b.Pending(tracking, a.code, a.msg)
		return nil
	default:
		e := normalizers.Errorf(k, carrier, "USPS error %s: %s", a.code, a.msg)
		e.Tracking = tracking
		return e
	}
}

// cleanMessage drops the markup, superscripts and trailing separators USPS
// leaves in its messages ("Informed Delivery<SUP>reg;</SUP> ... - ").
func cleanMessage(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		var out strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] != '<' {
				out.WriteByte(s[i])
				continue
			}
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				out.WriteString(s[i:])
				break
			}
			tag := strings.ToLower(s[i : i+j+1])
			i += j
			if tag == "<sup>" {
				if k := strings.Index(strings.ToLower(s[i:]), "</sup>"); k >= 0 {
					i += k + len("</sup>") - 1
				}
			}
		}
		s = out.String()
	}
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimRight(s, " -")
}

// isoDate writes YYYY-MM-DD into the batch when v starts with a valid date.
func isoDate(v []byte, b *normalizers.Batch) string {
	v = trim(v)
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return ""
	}
	if _, ok := normalizers.ParseCompact(
		[]byte{v[0], v[1], v[2], v[3], v[5], v[6], v[8], v[9]}, nil); !ok {
		return ""
	}
	return b.Str(v[:10])
}
