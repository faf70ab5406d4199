package ups

// The legacy UPS XML Tracking API (TrackRequest / TrackResponse over HTTPS
// POST), which older integrations still poll and replay:
// TrackResponse/Shipment/Package/Activity.
//
// Unlike the JSON API it rarely gives a UTC offset: an activity has a local
// date and time, and the core places that wall clock in the zone of the
// activity's address (tz_source location). Activities are classified by the
// same code table and the same classify as JSON: StatusCode/Code is the
// two-letter code, StatusType/Code the type.
//
// It is read with the streaming normalizers.XMLScanner: a Shipment's
// fields, packages and activities are kept as slices of the payload until
// the Shipment ends, then turned into scans, so a payload costs no
// allocation (encoding/xml into structs cost about 160 per scan). A field
// sent twice keeps its last value, as it did with encoding/xml.

import (
	"bytes"
	"sync"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// Element paths as UPS sends them, below TrackResponse:
//
//	Response/{ResponseStatusCode, ResponseStatusDescription, Error/{ErrorCode, ErrorDescription}}
//	Shipment/{Shipper/Address, ShipTo/Address, Service/Description,
//	  ShipmentIdentificationNumber, ScheduledDeliveryDate,
//	  Package/{TrackingNumber, RescheduledDeliveryDate, Activity}}
//	Activity/{ActivityLocation/Address, Status/StatusType/{Code, Description},
//	  Status/StatusCode/Code, Date, Time, GMTDate, GMTTime, GMTOffset}
//	Address/{City, StateProvinceCode, PostalCode, CountryCode}

// xmlResponse is the Response as read: the first Error's fields only, as
// only that one is reported.
type xmlResponse struct {
	seen                   bool
	statusCode, statusDesc []byte
	errors                 int
	errorCode, errorDesc   []byte
}

type xmlShipment struct {
	shipper, shipTo           xmlAddress
	service, ident, scheduled []byte
	packages                  []xmlPackage
	activities                []xmlActivity // of every package, in order
}

type xmlPackage struct {
	tracking, rescheduled []byte
	activities            int // how many of the shipment's activities are this package's
}

// xmlActivity leaves out ActivityLocation/Code and Description ("ML" BACK
// DOOR, "MX" LEFT AT): where at the address a parcel was left has no field
// in the canonical event, and using it to refine the type would make XML
// classify differently from JSON, which does not carry it.
type xmlActivity struct {
	address                                   xmlAddress
	typ, desc, code                           []byte
	date, clock, gmtDate, gmtClock, gmtOffset []byte
}

type xmlAddress struct {
	city, region, postal, country []byte
}

// Legacy error codes that mean "UPS has nothing for this number yet": the
// shipment is pending, as with TW0001 in JSON, not broken.
var xmlNotFoundCodes = map[string]bool{"151018": true, "151044": true}

// Legacy error codes that say the number itself is invalid: retrying will
// not help, so the record is rejected with UPS's own text.
var xmlInvalidCodes = map[string]bool{"150022": true, "151019": true, "154030": true}

type xmlDecoder struct {
	sc        normalizers.XMLScanner
	in        *normalizers.Input
	b         *normalizers.Batch
	root      []byte
	resp      xmlResponse
	sh        xmlShipment
	shipments int
	firstErr  error // the first Shipment's error: later ones are not read
}

var xmlDecoders = sync.Pool{New: func() any { return new(xmlDecoder) }}

func normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	d := xmlDecoders.Get().(*xmlDecoder)
	defer xmlDecoders.Put(d)
	d.sc.Reset(in.Payload)
	d.in, d.b, d.root, d.resp, d.shipments, d.firstErr = in, b, nil, xmlResponse{}, 0, nil
	err := d.run()
	d.in, d.b = nil, nil
	if cap(d.sh.activities) > 1024 { // a huge payload's buffers stay out of the pool
		d.sh = xmlShipment{}
	}
	return err
}

// run reads the whole payload first, as encoding/xml did: broken XML is a
// decode error even after a Shipment that failed on its own.
func (d *xmlDecoder) run() error {
	if err := d.sc.Walk(d); err != nil {
		if normalizers.XMLNoRoot(err) {
			return normalizers.Errorf(normalizers.KindDecode, "ups", "not a UPS XML TrackResponse: the payload holds no XML element (%v)", err)
		}
		return normalizers.Errorf(normalizers.KindDecode, "ups", "malformed XML: %v", err)
	}
	if string(d.root) != "TrackResponse" {
		return normalizers.Errorf(normalizers.KindDecode, "ups",
			"not a UPS XML TrackResponse: the root element is <%s>", normalizers.Shown(string(d.root)))
	}
	if r := &d.resp; r.seen {
		status := string(bytes.TrimSpace(r.statusCode))
		// A failure carries no shipment; an Error beside shipments is a
		// warning about them and does not void their scans.
		if status == "0" || (d.shipments == 0 && r.errors > 0) {
			// The scans of shipments before a failed Response (UPS sends it
			// first) do not count, as they did not with encoding/xml.
			d.b.Events, d.b.Rejected = d.b.Events[:0], d.b.Rejected[:0]
			return xmlErrorBody(r, d.in, d.b)
		}
	}
	return d.firstErr
}

// End turns a Shipment into scans once it ends.
func (d *xmlDecoder) End(sc *normalizers.XMLScanner) {
	if sc.Depth() == 1 && string(sc.Name()) == "Shipment" && string(d.root) == "TrackResponse" {
		d.shipments++
		if d.firstErr == nil {
			d.firstErr = xmlShipmentScans(&d.sh, d.b)
		}
	}
}

func (d *xmlDecoder) Start(sc *normalizers.XMLScanner) {
	name := sc.Name()
	if sc.Depth() == 1 {
		d.root = name
		return
	}
	if string(d.root) != "TrackResponse" {
		return
	}
	sh := &d.sh
	switch sc.Depth() {
	case 2:
		switch string(name) {
		case "Shipment":
			*sh = xmlShipment{packages: sh.packages[:0], activities: sh.activities[:0]}
		case "Response":
			d.resp.seen = true
		}
	case 3:
		switch {
		case string(name) == "Package" && sc.Within("Shipment"):
			sh.packages = append(sh.packages, xmlPackage{})
		case string(name) == "Error" && sc.Within("Response"):
			d.resp.errors++
		}
	case 4:
		if string(name) == "Activity" && sc.Within("Package", "Shipment") {
			sh.activities = append(sh.activities, xmlActivity{})
			sh.packages[len(sh.packages)-1].activities++
		}
	}
}

// Text files a text by where it is: the element it is in and those above.
func (d *xmlDecoder) Text(sc *normalizers.XMLScanner, v []byte) {
	if string(d.root) != "TrackResponse" {
		return
	}
	field := sc.Parent(0)
	sh := &d.sh
	switch sc.Depth() {
	case 3:
		switch string(sc.Parent(1)) {
		case "Response":
			switch string(field) {
			case "ResponseStatusCode":
				d.resp.statusCode = v
			case "ResponseStatusDescription":
				d.resp.statusDesc = v
			}
		case "Shipment":
			switch string(field) {
			case "ShipmentIdentificationNumber":
				sh.ident = v
			case "ScheduledDeliveryDate":
				sh.scheduled = v
			}
		}
	case 4:
		switch {
		case sc.Within("Error", "Response"):
			if d.resp.errors != 1 {
				return
			}
			switch string(field) {
			case "ErrorCode":
				d.resp.errorCode = v
			case "ErrorDescription":
				d.resp.errorDesc = v
			}
		case sc.Within("Service", "Shipment"):
			if string(field) == "Description" {
				sh.service = v
			}
		case sc.Within("Package", "Shipment"):
			p := &sh.packages[len(sh.packages)-1]
			switch string(field) {
			case "TrackingNumber":
				p.tracking = v
			case "RescheduledDeliveryDate":
				p.rescheduled = v
			}
		}
	case 5:
		switch {
		case sc.Within("Address", "Shipper", "Shipment"):
			sh.shipper.set(field, v)
		case sc.Within("Address", "ShipTo", "Shipment"):
			sh.shipTo.set(field, v)
		case sc.Within("Activity", "Package", "Shipment"):
			a := &sh.activities[len(sh.activities)-1]
			switch string(field) {
			case "Date":
				a.date = v
			case "Time":
				a.clock = v
			case "GMTDate":
				a.gmtDate = v
			case "GMTTime":
				a.gmtClock = v
			case "GMTOffset":
				a.gmtOffset = v
			}
		}
	case 7:
		switch {
		case sc.Within("Address", "ActivityLocation", "Activity", "Package", "Shipment"):
			sh.activities[len(sh.activities)-1].address.set(field, v)
		case sc.Within("StatusType", "Status", "Activity", "Package", "Shipment"):
			a := &sh.activities[len(sh.activities)-1]
			switch string(field) {
			case "Code":
				a.typ = v
			case "Description":
				a.desc = v
			}
		case sc.Within("StatusCode", "Status", "Activity", "Package", "Shipment"):
			if string(field) == "Code" {
				sh.activities[len(sh.activities)-1].code = v
			}
		}
	}
}

func (a *xmlAddress) set(field, v []byte) {
	switch string(field) {
	case "City":
		a.city = v
	case "StateProvinceCode":
		a.region = v
	case "PostalCode":
		a.postal = v
	case "CountryCode":
		a.country = v
	}
}

func xmlErrorBody(r *xmlResponse, in *normalizers.Input, b *normalizers.Batch) error {
	if r.errors == 0 {
		return normalizers.Errorf(normalizers.KindCarrierError, "ups",
			"UPS answered ResponseStatusCode 0 (%s) without an Error", bytes.TrimSpace(r.statusDesc))
	}
	code, msg := string(bytes.TrimSpace(r.errorCode)), string(bytes.TrimSpace(r.errorDesc))
	if xmlNotFoundCodes[code] {
		// The legacy error body never repeats the number: only the hint
		// can name the shipment.
		return pending(code, msg, "", in, b)
	}
	kind := normalizers.KindCarrierError
	if xmlInvalidCodes[code] {
		kind = normalizers.KindInvalidTracking
	}
	return normalizers.Errorf(kind, "ups", "UPS error %s: %s", code, msg)
}

func xmlShipmentScans(sh *xmlShipment, b *normalizers.Batch) error {
	s := normalizers.Scan{Service: b.ServiceKey(sh.service, "ups")}
	sh.shipper.fill(&s.Origin, b)
	sh.shipTo.fill(&s.Destination, b)
	activities := sh.activities
	for i := range sh.packages {
		pkg := &sh.packages[i]
		// The shipment's number is the lead package's: the best name left
		// for a package that does not carry its own.
		s.TrackingNumber = b.Upper(pkg.tracking)
		if s.TrackingNumber == "" {
			s.TrackingNumber = b.Upper(sh.ident)
		}
		if s.TrackingNumber == "" {
			return normalizers.Errorf(normalizers.KindValidate, "ups",
				"Package without TrackingNumber in a Shipment without ShipmentIdentificationNumber")
		}
		// The rescheduled date is UPS's newer promise, as RDD over SDD in JSON.
		s.EstimatedDelivery = xmlDate(pkg.rescheduled, b)
		if s.EstimatedDelivery == "" {
			s.EstimatedDelivery = xmlDate(sh.scheduled, b)
		}
		for j := range pkg.activities {
			xmlActivityScan(&activities[j], &s, b)
		}
		activities = activities[pkg.activities:]
	}
	return nil
}

func xmlActivityScan(a *xmlActivity, s *normalizers.Scan, b *normalizers.Batch) {
	code := b.Upper(a.code)
	typ := b.Upper(a.typ)
	desc := redactor.Text(b, b.Str(a.desc))
	classify(s, code, "", typ, desc)
	s.Raw = event.Raw{Code: code, Type: typ, Description: desc}
	s.Location = event.Location{}
	a.address.fill(&s.Location, b)
	s.Time = activityTime(a.date, a.clock, a.gmtOffset, func() ([]byte, []byte) { return a.gmtDate, a.gmtClock })
	b.Add(s)
}

func (a *xmlAddress) fill(l *event.Location, b *normalizers.Batch) {
	place(l, a.city, a.region, a.postal, a.country, b)
}

// xmlDate turns YYYYMMDD into YYYY-MM-DD. A value that is not a real date
// is dropped: a wrong estimate is worse than none.
func xmlDate(d []byte, b *normalizers.Batch) string {
	t, ok := normalizers.ParseCompact(d, nil)
	if !ok {
		return ""
	}
	return b.DateOf(t)
}
