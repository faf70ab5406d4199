// Package purolator normalizes Purolator tracking: the Tracking web
// service's TrackPackagesByPin SOAP answer, and its errors
// (ResponseInformation/Errors, or a SOAP fault).
//
// Each TrackingInformation names its PIN and lists Scans: a ScanType, a
// Depot/Name ("MONTREAL SORT CTR/CTR TRIE, PQ"), a local ScanDate
// (2004-01-13) and ScanTime (172300) without an offset, and a Description
// in English or French. ScanType is coarse (most scans are "Other"), so the
// description is what the code table reads first.
//
// Times: the province at the end of the depot's name gives the zone (tz/).
// Canada has six zones, so a depot without a province is assumed_utc, and
// counted as such.
package purolator

import (
	"bytes"
	_ "embed"
	"strings"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Purolator code table.
var Table = normalizers.MustLoadTable("purolator/codes.tsv", codesTSV)

// Spec is everything wismo knows about Purolator; its samples are in
// testdata/carriers/purolator.
var Spec = normalizers.Spec{ID: "purolator", Name: "Purolator", Reads: []normalizers.Format{normalizers.XML}, Table: Table}

// Normalizer reads Purolator TrackPackagesByPin answers.
type Normalizer struct {
	normalizers.Spec
	scanners normalizers.XMLScanners
}

// New returns a Purolator normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a Purolator scan that arrives in another container: the
// description decides, the scan type when it says nothing known.
func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	return lookup(code, desc)
}

// lookup classifies a scan: the description's row first (code *), then the
// scan type's own row.
func lookup(scanType, desc string) *normalizers.Mapping {
	if m := Table.Fallback("", desc); m != nil && m.Text != "*" {
		return m
	}
	return Table.LookupCode(scanType, "", "")
}

// scan is one Scan as read, slices of the payload or scanner.
type scan struct {
	kind, pin, depot, date, clock, desc []byte
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	sc := n.scanners.Get(in.Payload)
	defer n.scanners.Put(sc)
	d := decoder{sc: sc, b: b, hint: b.Upper(bytes.TrimSpace([]byte(in.TrackingHint)))}
	return d.run()
}

type decoder struct {
	sc   *normalizers.XMLScanner
	b    *normalizers.Batch
	hint string
	s    normalizers.Scan
	cur  scan
	pin  []byte // the PIN of the TrackingInformation being read
	// infos counts TrackingInformation elements, scans their scans.
	infos, scans     int
	answer           bool
	errCode, errDesc []byte
	fault            []byte
	timeBuf          [16]byte
}

func (d *decoder) run() error {
	for {
		k, err := d.sc.Next()
		if err != nil {
			return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "malformed XML: %v", err)
		}
		switch k {
		case normalizers.XMLEOF:
			return d.end()
		case normalizers.XMLStart:
			switch string(d.sc.Name()) {
			case "TrackPackagesByPinResponse":
				d.answer = true
			case "TrackingInformation":
				d.infos++
				d.pin, d.scans = nil, 0
			case "Scan":
				d.cur = scan{}
			}
		case normalizers.XMLEnd:
			switch string(d.sc.Name()) {
			case "Scan":
				if err := d.add(); err != nil {
					return err
				}
			case "TrackingInformation":
				if d.scans == 0 {
					if pin := d.tracking(nil); pin != "" {
						d.b.Pending(pin, "", "Purolator knows the PIN but has no scan of it yet")
					}
				}
			}
		case normalizers.XMLText:
			d.text(d.sc.Text())
		}
	}
}

func (d *decoder) text(v []byte) {
	sc := d.sc
	switch name, parent := string(sc.Name()), string(sc.Parent(1)); {
	case parent == "Scan":
		switch name {
		case "ScanType":
			d.cur.kind = v
		case "ScanDate":
			d.cur.date = v
		case "ScanTime":
			d.cur.clock = v
		case "Description":
			d.cur.desc = v
		}
		// Comment may hold the driver's notes and ScanDetails the signer of a
		// delivery: never read (redact.go).
	case name == "Value" && parent == "PIN":
		switch string(sc.Parent(2)) {
		case "Scan":
			d.cur.pin = v
		case "TrackingInformation":
			d.pin = v
		}
	case name == "Name" && parent == "Depot" && string(sc.Parent(2)) == "Scan":
		d.cur.depot = v
	case parent == "Error" && name == "Code":
		if d.errCode == nil {
			d.errCode = v
		}
	case parent == "Error" && name == "Description":
		if d.errDesc == nil {
			d.errDesc = v
		}
	case name == "faultstring":
		d.fault = v
	}
}

// tracking is the scan's PIN, else its TrackingInformation's, else the
// record's key.
func (d *decoder) tracking(pin []byte) string {
	for _, v := range [...][]byte{pin, d.pin} {
		if v = bytes.TrimSpace(v); len(v) > 0 {
			return d.b.Upper(v)
		}
	}
	return d.hint
}

func (d *decoder) add() error {
	c, s, b := &d.cur, &d.s, d.b
	d.scans++
	s.TrackingNumber = d.tracking(c.pin)
	if s.TrackingNumber == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a Scan without a PIN, in a TrackingInformation without one, and the record has no tracking number")
	}
	s.Raw = event.Raw{Code: b.Str(c.kind), Description: redactor.Text(b, b.Str(trimDash(c.desc)))}
	s.Type, s.Reason = nil, ""
	if m := lookup(s.Raw.Code, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	// ScanType is too coarse to tell two scans of one minute and depot
	// apart: the wording joins the event id.
	s.IDExtra = s.Raw.Description
	s.Location = depot(c.depot, b)
	s.Time = normalizers.Time{}
	date := bytes.TrimSpace(c.date)
	if len(date) == 10 && date[4] == '-' && date[7] == '-' {
		compact := append(append(append(d.timeBuf[:0], date[:4]...), date[5:7]...), date[8:10]...)
		if wall, ok := normalizers.ParseCompact(compact, c.clock); ok {
			s.Time.Wall = wall
		}
	}
	b.Add(s)
	return nil
}

func (d *decoder) end() error {
	code, desc := d.b.Str(d.errCode), d.b.Str(d.errDesc)
	switch {
	case d.fault != nil && !d.answer:
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Purolator SOAP fault: %s", normalizers.Quote(d.b.Str(d.fault)))
	case !d.answer:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a Purolator TrackPackagesByPin answer: no TrackPackagesByPinResponse and no SOAP fault")
	case d.infos > 0 || (code == "" && desc == ""):
		if d.infos == 0 {
			return d.pending("", "Purolator returned no tracking information")
		}
		return nil
	}
	lower := strings.ToLower(desc)
	switch {
	case strings.Contains(lower, "not found") || strings.Contains(lower, "no tracking") || strings.Contains(lower, "introuvable"):
		return d.pending(code, desc)
	case strings.Contains(lower, "invalid") && strings.Contains(lower, "pin"):
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "Purolator error %s: %s", normalizers.Shown(code), normalizers.Quote(desc))
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Purolator error %s: %s", normalizers.Shown(code), normalizers.Quote(desc))
}

// pending records "no scan yet" for the record's number, or says that
// nothing names it.
func (d *decoder) pending(code, desc string) error {
	if d.hint == "" {
		return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "Purolator has no scan yet (%s %s) and the record has no tracking number",
			normalizers.Shown(code), normalizers.Quote(desc))
	}
	d.b.Pending(d.hint, code, desc)
	return nil
}

// provinces maps the abbreviations Purolator ends its depot names with to
// the ISO codes tz/ knows; "PQ" is Quebec's old postal abbreviation, still
// in Purolator's depot names.
var provinces = map[string]string{
	"AB": "AB", "BC": "BC", "MB": "MB", "NB": "NB", "NL": "NL", "NF": "NL", "NS": "NS", "NT": "NT", "NU": "NU",
	"ON": "ON", "PE": "PE", "QC": "QC", "PQ": "QC", "SK": "SK", "YT": "YT",
}

// depot reads "MONTREAL SORT CTR/CTR TRIE, PQ": a facility, and after the
// last comma a province.
func depot(v []byte, b *normalizers.Batch) event.Location {
	v = bytes.TrimSpace(v)
	l := event.Location{Facility: b.Str(v)}
	i := bytes.LastIndexByte(v, ',')
	if i < 0 {
		return l
	}
	if region, ok := provinces[string(bytes.TrimSpace(v[i+1:]))]; ok {
		l.Region, l.Country = region, "CA"
		l.Facility = b.Str(v[:i])
		city := bytes.TrimSpace(v[:i])
		if j := bytes.IndexAny(city, "/"); j >= 0 {
			city = city[:j]
		}
		for _, suffix := range [...]string{" SORT CTR", " TERMINAL", " DEPOT", " HUB"} {
			city = bytes.TrimSuffix(city, []byte(suffix))
		}
		l.City = b.Str(city)
	}
	return l
}

// trimDash drops the " -" Purolator ends some descriptions with ("New
// Tracking Number Assigned -").
func trimDash(v []byte) []byte {
	return bytes.TrimRight(bytes.TrimSpace(v), " -")
}
