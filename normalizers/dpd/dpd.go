// Package dpd normalizes DPD tracking: the ParcelLifeCycleService 2.0 SOAP
// answer (getTrackingDataResponse), and its SOAP fault.
//
// The answer lists the parcel's statuses (statusInfo), each with a status
// code, a label and a description in the language asked for
// (messageLanguage), a place "City (CC)" and a local date and time without
// an offset, written in the language's own way ("8/17/2021 7:11:26 PM" in
// English, "17.08.2021 19:11:26" in German). A status DPD has not reached
// yet (statusHasBeenReached false) is a plan, not a scan, and is skipped.
//
// The answer never names the parcel it is about: the tracking number comes
// from the record's key (normalizers.Input.TrackingHint), and an answer
// without one is rejected saying so.
//
// Times: the place's country gives the zone (tz/); DPD's countries are
// nearly all single-zone, and a place in a country of several zones is
// assumed_utc.
package dpd

import (
	"bytes"
	_ "embed"
	"strings"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the DPD code table.
var Table = normalizers.MustLoadTable("dpd/codes.tsv", codesTSV)

// Spec is everything wismo knows about DPD; its samples are in
// testdata/carriers/dpd.
var Spec = normalizers.Spec{ID: "dpd", Name: "DPD", Reads: []normalizers.Format{normalizers.XML}, Table: Table}

// Normalizer reads DPD ParcelLifeCycle answers.
type Normalizer struct {
	normalizers.Spec
	scanners normalizers.XMLScanners
}

// New returns a DPD normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a DPD status that arrives in another container.
func (*Normalizer) MapCode(code, subcode, desc string) *normalizers.Mapping {
	return Table.Lookup(code, "", desc)
}

// status is one statusInfo as read, slices of the payload or scanner.
type status struct {
	code, label, desc, place, date []byte
	reached                        bool
}

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	sc := n.scanners.Get(in.Payload)
	defer n.scanners.Put(sc)
	d := decoder{sc: sc, b: b}
	d.s.TrackingNumber = b.Upper(bytes.TrimSpace([]byte(in.TrackingHint)))
	return d.run()
}

type decoder struct {
	sc *normalizers.XMLScanner
	b  *normalizers.Batch
	s  normalizers.Scan
	st status
	// scans counts the reached statuses; unnamed those left out for want of
	// a tracking number.
	scans, unnamed int
	answer         bool // a getTrackingDataResponse was seen
	faultCode      []byte
	faultMsg       []byte
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
			case "getTrackingDataResponse":
				d.answer = true
			case "statusInfo":
				d.st = status{}
			}
		case normalizers.XMLEnd:
			if string(d.sc.Name()) == "statusInfo" && d.sc.Depth() >= 1 && string(d.sc.Parent(0)) == "trackingresult" {
				d.add()
			}
		case normalizers.XMLText:
			d.text(d.sc.Text())
		}
	}
}

// text files a text by where it is: statusInfo/status, .../label/content,
// .../description/content/content, .../location/content, .../date/content,
// shipmentInfo/serviceDescription/content/content, and a fault's fields.
func (d *decoder) text(v []byte) {
	sc := d.sc
	name := string(sc.Name())
	switch {
	case string(sc.Parent(1)) == "statusInfo":
		switch name {
		case "status":
			d.st.code = v
		case "statusHasBeenReached":
			d.st.reached = string(bytes.TrimSpace(v)) == "true"
		}
	case name == "content" && string(sc.Parent(2)) == "statusInfo":
		switch string(sc.Parent(1)) {
		case "label":
			d.st.label = v
		case "location":
			d.st.place = v
		case "date":
			d.st.date = v
		}
	case name == "content" && string(sc.Parent(1)) == "content" && string(sc.Parent(2)) == "description" && string(sc.Parent(3)) == "statusInfo":
		if d.st.desc == nil {
			d.st.desc = v
		}
	case name == "content" && string(sc.Parent(1)) == "content" && string(sc.Parent(2)) == "serviceDescription":
		if d.s.Service == "" {
			d.s.Service = d.b.ServiceKey(v, Spec.ID)
		}
	case name == "faultstring":
		if d.faultMsg == nil {
			d.faultMsg = v
		}
	case name == "errorCode":
		d.faultCode = v
	case name == "errorMessage":
		d.faultMsg = v
	}
	// shipmentInfo/receiver names the consignee and is never read (redact.go).
}

// add turns the statusInfo read into a scan.
func (d *decoder) add() {
	st, s, b := &d.st, &d.s, d.b
	if !st.reached {
		return // a status still to come
	}
	d.scans++
	if s.TrackingNumber == "" {
		d.unnamed++
		return
	}
	desc := bytes.TrimSpace(st.desc)
	if len(desc) == 0 {
		desc = bytes.TrimSpace(st.label)
	}
	s.Raw = event.Raw{Code: b.Str(st.code), Description: redactor.Text(b, b.Str(desc))}
	s.Type, s.Reason = nil, ""
	if m := Table.Lookup(s.Raw.Code, "", s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = place(st.place, b)
	s.Time = normalizers.Time{}
	if wall, ok := normalizers.ParseNumeric(st.date); ok {
		s.Time.Wall = wall
	}
	b.Add(s)
}

func (d *decoder) end() error {
	switch {
	case d.faultCode != nil || d.faultMsg != nil:
		return d.fault()
	case !d.answer:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a DPD ParcelLifeCycle answer: no getTrackingDataResponse and no SOAP fault")
	case d.unnamed > 0:
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID,
			"DPD's ParcelLifeCycle answer does not name its parcel, and the record has no tracking number: "+
				"key the raw record by the parcel number (or pass --tracking-number); %d scans left out", d.unnamed)
	case d.scans == 0 && d.s.TrackingNumber != "":
		d.b.Pending(d.s.TrackingNumber, "", "DPD knows the parcel but has no scan of it yet")
	case d.scans == 0:
		return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "DPD has no scan of the parcel yet, and the record has no tracking number")
	}
	return nil
}

// fault reads DPD's SOAP fault: an authentication failure (the poller's
// credentials), a parcel DPD does not know, or another error.
func (d *decoder) fault() error {
	code, msg := d.b.Str(d.faultCode), d.b.Str(d.faultMsg)
	lower := strings.ToLower(code + " " + msg)
	switch {
	case strings.Contains(lower, "not found") || strings.Contains(lower, "no data") || strings.Contains(lower, "nicht gefunden"):
		if d.s.TrackingNumber == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "DPD has no data for the parcel yet (%s %s) and the record has no tracking number",
				normalizers.Shown(code), normalizers.Quote(msg))
		}
		d.b.Pending(d.s.TrackingNumber, code, msg)
		return nil
	case strings.Contains(lower, "parcellabelnumber") || strings.Contains(lower, "invalid parcel"):
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "DPD error %s: %s", normalizers.Shown(code), normalizers.Quote(msg))
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "DPD error %s: %s", normalizers.Shown(code), normalizers.Quote(msg))
}

// place reads "Mechelen (BE)": a city and, in brackets, its ISO country.
func place(v []byte, b *normalizers.Batch) event.Location {
	v = bytes.TrimSpace(v)
	var l event.Location
	if n := len(v); n >= 4 && v[n-1] == ')' && v[n-4] == '(' && isUpper(v[n-3]) && isUpper(v[n-2]) {
		l.Country = b.Str(v[n-3 : n-1])
		v = bytes.TrimSpace(v[:n-4])
	}
	l.City = b.Str(v)
	return l
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
