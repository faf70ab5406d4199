// Package canadapost normalizes Canada Post tracking: the Tracking web
// service's tracking-detail XML (GET /vis/track/pin/{pin}/detail), and its
// messages body when Canada Post answers with an error.
//
// Times: each occurrence has a local date and time and, usually, a zone
// abbreviation (event-time-zone: EST, MST, ...), which names the zone whose
// rule for the date gives the offset (see zones).
// Without one, the province of the scan (event-province) gives the zone;
// international scans have neither and are read as UTC (tz_source
// assumed_utc).
package canadapost

import (
	"bytes"
	_ "embed"
	"strings"
	"time"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/tz"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Canada Post code table.
var Table = normalizers.MustLoadTable("canadapost/codes.tsv", codesTSV)

// Spec is everything wismo knows about Canada Post; its samples are in
// testdata/carriers/canadapost.
var Spec = normalizers.Spec{ID: "canadapost", Name: "Canada Post", Reads: []normalizers.Format{normalizers.XML}, Table: Table}

// Normalizer reads Canada Post payloads.
type Normalizer struct {
	normalizers.Spec
	scanners normalizers.XMLScanners
}

// New returns a Canada Post normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	return Table.Lookup(code, subcode, desc)
}

// occurrence is one scan as read, slices of the payload or scanner.
type occurrence struct {
	code, date, clock, zone, desc, site, province, retail []byte
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	sc := n.scanners.Get(in.Payload)
	defer n.scanners.Put(sc)
	d := decoder{sc: sc, in: in, b: b, id: n.ID}
	return d.run()
}

type decoder struct {
	sc  *normalizers.XMLScanner
	in  *normalizers.Input
	b   *normalizers.Batch
	id  string
	s   normalizers.Scan
	occ occurrence
	// messages: Canada Post's error answer.
	msgCode, msgDesc []byte
	scans            int
	timeBuf          [32]byte
}

func (d *decoder) fail(err error) error {
	return normalizers.Errorf(normalizers.KindDecode, d.id, "malformed XML: %v", err)
}

func (d *decoder) run() error {
	k, err := d.sc.Next()
	if err != nil {
		return d.fail(err)
	}
	if k != normalizers.XMLStart {
		return normalizers.Errorf(normalizers.KindDecode, d.id, "no root element")
	}
	switch root := string(d.sc.Name()); root {
	case "tracking-detail":
		return d.detail()
	case "messages":
		return d.messages()
	default:
		return normalizers.Errorf(normalizers.KindDecode, d.id,
			"not a Canada Post tracking-detail or messages answer: the root element is <%s>", normalizers.Shown(root))
	}
}

// detail reads tracking-detail. Its header fields (pin, dates, service,
// destination) come before significant-events in Canada Post's schema, so
// each occurrence is added as soon as it ends.
func (d *decoder) detail() error {
	var edd, changedEDD []byte
	for {
		k, err := d.sc.Next()
		if err != nil {
			return d.fail(err)
		}
		switch k {
		case normalizers.XMLEOF:
			if d.scans == 0 && d.s.TrackingNumber != "" {
				// A detail without occurrences: Canada Post knows the pin
				// but has no scan yet.
				d.b.Pending(d.s.TrackingNumber, "", "no tracking events yet")
			}
			return nil
		case normalizers.XMLStart:
			if d.sc.Depth() == 3 && string(d.sc.Name()) == "occurrence" {
				d.occ = occurrence{}
				if d.s.EstimatedDelivery == "" {
					if v := pick(changedEDD, edd); v != nil {
						d.s.EstimatedDelivery = d.b.Str(v)
					}
				}
			}
		case normalizers.XMLEnd:
			if d.sc.Depth() == 2 && string(d.sc.Name()) == "occurrence" {
				if err := d.add(); err != nil {
					return err
				}
			}
		case normalizers.XMLText:
			v := d.sc.Text()
			switch d.sc.Depth() {
			case 2: // a child of tracking-detail
				switch string(d.sc.Name()) {
				case "pin":
					d.s.TrackingNumber = d.b.Upper(v)
				case "expected-delivery-date":
					edd = isoDate(v)
				case "changed-expected-date":
					changedEDD = isoDate(v)
				case "service-name":
					d.s.Service = d.b.ServiceKey(v, "")
				case "destination-postal-id":
					setPostal(&d.s.Destination, v, d.b)
				}
			case 4: // a child of an occurrence
				if string(d.sc.Parent(1)) != "occurrence" {
					continue
				}
				o := &d.occ
				switch string(d.sc.Name()) {
				case "event-identifier":
					o.code = v
				case "event-date":
					o.date = v
				case "event-time":
					o.clock = v
				case "event-time-zone":
					o.zone = v
				case "event-description":
					o.desc = v
				case "event-site":
					o.site = v
				case "event-province":
					o.province = v
				case "event-retail-name":
					o.retail = v
				}
				// signatory-name is never read (redact.go).
			}
		}
	}
}

// add turns the occurrence read into a scan. The occurrence's values are
// slices the scanner keeps valid for the whole payload.
func (d *decoder) add() error {
	o, s, b := &d.occ, &d.s, d.b
	if s.TrackingNumber == "" {
		s.TrackingNumber = b.Upper([]byte(d.in.TrackingHint))
		if s.TrackingNumber == "" {
			return normalizers.Errorf(normalizers.KindValidate, d.id, "tracking-detail without a pin before its significant-events")
		}
	}
	d.scans++
	s.Raw = event.Raw{Code: b.Upper(o.code), Description: redactor.Text(b, b.Str(o.desc))}
	s.Location = event.Location{City: b.Str(o.site), Facility: b.Str(o.retail)}
	if region := trim(o.province); isProvince(region) {
		s.Location.Region = b.Str(region)
		s.Location.Country = "CA"
	}
	s.Type, s.Reason = nil, ""
	if m := Table.Lookup(s.Raw.Code, "", s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Time = normalizers.Time{}
	stamp := append(append(append(d.timeBuf[:0], clip(trim(o.date), 10)...), 'T'), clock(o.clock)...)
	if day, ok := normalizers.ParseISO(stamp); ok {
		s.Time = day
		if off, ok := zoneOffset(trim(o.zone), day.Wall); ok {
			s.Time.Offset, s.Time.HasOffset = off, true
		}
	}
	b.Add(s)
	return nil
}

// messages reads Canada Post's error answer:
// <messages><message><code>004</code><description>No Pin History</description></message></messages>.
func (d *decoder) messages() error {
	for {
		k, err := d.sc.Next()
		if err != nil {
			return d.fail(err)
		}
		if k == normalizers.XMLEOF {
			break
		}
		if k != normalizers.XMLText || string(d.sc.Parent(1)) != "message" || d.msgCode != nil && d.msgDesc != nil {
			continue
		}
		switch string(d.sc.Name()) {
		case "code":
			d.msgCode = trim(d.sc.Text())
		case "description":
			d.msgDesc = trim(d.sc.Text())
		}
	}
	code, desc := d.b.Str(d.msgCode), d.b.Str(d.msgDesc)
	lower := strings.ToLower(desc)
	switch {
	case code == noPinHistory || strings.Contains(lower, "no pin history"):
		tracking := d.b.Upper([]byte(d.in.TrackingHint))
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, d.id,
				"Canada Post has no history for the pin yet (%s %s) and the payload does not name it", code, desc)
		}
		d.b.Pending(tracking, code, desc)
		return nil
	case strings.Contains(lower, "invalid") && (strings.Contains(lower, "pin") || strings.Contains(lower, "tracking")):
		return normalizers.Errorf(normalizers.KindInvalidTracking, d.id, "Canada Post error %s: %s", code, desc)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, d.id, "Canada Post error %s: %s", normalizers.Shown(code), normalizers.Quote(desc))
}

// noPinHistory is Canada Post's message code for a pin it has no scans of
// (yet): the shipment is pending, not broken.
const noPinHistory = "004"

// zones are the abbreviations Canada Post writes in event-time-zone and the
// zone each names. Canada Post writes the standard-time name all year
// ("MST" for Calgary and "PST" for Richmond in September, when both keep
// daylight time), so an abbreviation names a zone, whose rule for the
// scan's date gives the offset. "CSTNO" is Central time without daylight
// saving: Saskatchewan.
var zones = map[string]string{
	"NST": "America/St_Johns", "NDT": "America/St_Johns", "AST": "America/Halifax", "ADT": "America/Halifax",
	"EST": "America/Toronto", "EDT": "America/Toronto", "CST": "America/Winnipeg", "CDT": "America/Winnipeg",
	"CSTNO": "America/Regina", "MST": "America/Edmonton", "MDT": "America/Edmonton",
	"PST": "America/Vancouver", "PDT": "America/Vancouver",
}

// zoneOffset is the UTC offset of the wall clock wall in the zone Canada
// Post names; ok is false for an empty or unknown name, which leaves the
// zone to the scan's province.
func zoneOffset(v []byte, wall time.Time) (int32, bool) {
	if len(v) == 0 || len(v) > 5 {
		return 0, false
	}
	var buf [5]byte
	z := tz.ByName(zones[string(bytes.ToUpper(append(buf[:0], v...)))])
	if z == nil {
		return 0, false
	}
	at := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, z)
	_, off := at.Zone()
	return int32(off), true
}

// provinces are the two-letter codes Canada Post writes in event-province.
const provinces = "AB BC MB NB NL NS NT NU ON PE QC SK YT"

func isProvince(v []byte) bool {
	return len(v) == 2 && strings.Contains(provinces, string(v))
}

// postalProvinces maps the first letter of a Canadian postal code (its
// postal district) to the province it is in; X is both NT and NU, which
// tz/ sees as one zone question at a time, so NT is taken.
var postalProvinces = map[byte]string{
	'A': "NL", 'B': "NS", 'C': "PE", 'E': "NB", 'G': "QC", 'H': "QC", 'J': "QC",
	'K': "ON", 'L': "ON", 'M': "ON", 'N': "ON", 'P': "ON", 'R': "MB", 'S': "SK",
	'T': "AB", 'V': "BC", 'X': "NT", 'Y': "YT",
}

// setPostal sets a destination from destination-postal-id: a Canadian
// postal code (A9A9A9) names its province too.
func setPostal(l *event.Location, v []byte, b *normalizers.Batch) {
	v = trim(v)
	if len(v) == 0 {
		return
	}
	l.PostalCode = b.Upper(v)
	p := l.PostalCode
	if len(p) == 6 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= '0' && p[1] <= '9' && p[2] >= 'A' && p[2] <= 'Z' &&
		p[3] >= '0' && p[3] <= '9' && p[4] >= 'A' && p[4] <= 'Z' && p[5] >= '0' && p[5] <= '9' {
		if region, ok := postalProvinces[p[0]]; ok {
			l.Region, l.Country = region, "CA"
		}
	}
}

// isoDate returns v trimmed when it is a date YYYY-MM-DD, else nil.
func isoDate(v []byte) []byte {
	v = trim(v)
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return nil
	}
	var buf [19]byte
	if _, ok := normalizers.ParseISO(append(append(buf[:0], v...), "T00:00:00"...)); !ok {
		return nil
	}
	return v
}

// pick returns the first non-nil value.
func pick(vs ...[]byte) []byte {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// clock is event-time, or midnight when it is empty.
func clock(v []byte) []byte {
	if v = trim(v); len(v) == 0 {
		return []byte("00:00:00")
	}
	return clip(v, 8)
}

func clip(v []byte, n int) []byte {
	if len(v) > n {
		return v[:n+1] // one byte too many: the parser refuses it
	}
	return v
}

func trim(v []byte) []byte { return bytes.TrimSpace(v) }
