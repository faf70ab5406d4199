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
// encoding/xml is fine here: this format has no allocation target, and the
// decoder never panics on malformed input (it also caps nesting depth).

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// Element names as UPS sends them. Fields are []byte so values go straight
// to the batch's string arena and the time parsers without a string copy.
type xmlTrackResponse struct {
	XMLName   xml.Name
	Response  *xmlResponse  `xml:"Response"`
	Shipments []xmlShipment `xml:"Shipment"`
}

type xmlResponse struct {
	StatusCode        []byte     `xml:"ResponseStatusCode"`
	StatusDescription []byte     `xml:"ResponseStatusDescription"`
	Errors            []xmlError `xml:"Error"`
}

type xmlError struct {
	Code        []byte `xml:"ErrorCode"`
	Description []byte `xml:"ErrorDescription"`
}

type xmlShipment struct {
	Shipper               xmlAddress   `xml:"Shipper>Address"`
	ShipTo                xmlAddress   `xml:"ShipTo>Address"`
	Service               []byte       `xml:"Service>Description"`
	IdentificationNumber  []byte       `xml:"ShipmentIdentificationNumber"`
	ScheduledDeliveryDate []byte       `xml:"ScheduledDeliveryDate"`
	Packages              []xmlPackage `xml:"Package"`
}

type xmlPackage struct {
	TrackingNumber          []byte        `xml:"TrackingNumber"`
	RescheduledDeliveryDate []byte        `xml:"RescheduledDeliveryDate"`
	Activities              []xmlActivity `xml:"Activity"`
}

// xmlActivity leaves out ActivityLocation/Code and Description ("ML" BACK
// DOOR, "MX" LEFT AT): where at the address a parcel was left has no field
// in the canonical event, and using it to refine the type would make XML
// classify differently from JSON, which does not carry it.
type xmlActivity struct {
	Address     xmlAddress `xml:"ActivityLocation>Address"`
	Type        []byte     `xml:"Status>StatusType>Code"`
	Description []byte     `xml:"Status>StatusType>Description"`
	Code        []byte     `xml:"Status>StatusCode>Code"`
	Date        []byte     `xml:"Date"`
	Time        []byte     `xml:"Time"`
	GMTDate     []byte     `xml:"GMTDate"`
	GMTTime     []byte     `xml:"GMTTime"`
	GMTOffset   []byte     `xml:"GMTOffset"`
}

type xmlAddress struct {
	City              []byte `xml:"City"`
	StateProvinceCode []byte `xml:"StateProvinceCode"`
	PostalCode        []byte `xml:"PostalCode"`
	CountryCode       []byte `xml:"CountryCode"`
}

// Legacy error codes that mean "UPS has nothing for this number yet": the
// shipment is pending, as with TW0001 in JSON, not broken.
var xmlNotFoundCodes = map[string]bool{"151018": true, "151044": true}

// Legacy error codes that say the number itself is invalid: retrying will
// not help, so the record is rejected with UPS's own text.
var xmlInvalidCodes = map[string]bool{"150022": true, "151019": true, "154030": true}

func normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	var r xmlTrackResponse
	d := xml.NewDecoder(bytes.NewReader(in.Payload))
	d.CharsetReader = normalizers.XMLCharsetReader
	if err := d.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return normalizers.Errorf(normalizers.KindDecode, "ups", "not a UPS XML TrackResponse: the payload holds no XML element")
		}
		return normalizers.Errorf(normalizers.KindDecode, "ups", "malformed XML: %v", err)
	}
	if r.XMLName.Local != "TrackResponse" {
		return normalizers.Errorf(normalizers.KindDecode, "ups",
			"not a UPS XML TrackResponse: the root element is <%s>", r.XMLName.Local)
	}
	if r.Response != nil {
		status := string(bytes.TrimSpace(r.Response.StatusCode))
		// A failure carries no shipment; an Error beside shipments is a
		// warning about them and does not void their scans.
		if status == "0" || (len(r.Shipments) == 0 && len(r.Response.Errors) > 0) {
			return xmlErrorBody(r.Response, in, b)
		}
	}
	for i := range r.Shipments {
		if err := xmlShipmentScans(&r.Shipments[i], b); err != nil {
			return err
		}
	}
	return nil
}

func xmlErrorBody(r *xmlResponse, in *normalizers.Input, b *normalizers.Batch) error {
	if len(r.Errors) == 0 {
		return normalizers.Errorf(normalizers.KindCarrierError, "ups",
			"UPS answered ResponseStatusCode 0 (%s) without an Error", bytes.TrimSpace(r.StatusDescription))
	}
	e := &r.Errors[0]
	code, msg := string(bytes.TrimSpace(e.Code)), string(bytes.TrimSpace(e.Description))
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
	s := normalizers.Scan{Service: b.ServiceKey(sh.Service, "ups")}
	sh.Shipper.fill(&s.Origin, b)
	sh.ShipTo.fill(&s.Destination, b)
	for i := range sh.Packages {
		pkg := &sh.Packages[i]
		// The shipment's number is the lead package's: the best name left
		// for a package that does not carry its own.
		s.TrackingNumber = b.Upper(pkg.TrackingNumber)
		if s.TrackingNumber == "" {
			s.TrackingNumber = b.Upper(sh.IdentificationNumber)
		}
		if s.TrackingNumber == "" {
			return normalizers.Errorf(normalizers.KindValidate, "ups",
				"Package without TrackingNumber in a Shipment without ShipmentIdentificationNumber")
		}
		// The rescheduled date is UPS's newer promise, as RDD over SDD in JSON.
		s.EstimatedDelivery = xmlDate(pkg.RescheduledDeliveryDate, b)
		if s.EstimatedDelivery == "" {
			s.EstimatedDelivery = xmlDate(sh.ScheduledDeliveryDate, b)
		}
		for j := range pkg.Activities {
			xmlActivityScan(&pkg.Activities[j], &s, b)
		}
	}
	return nil
}

func xmlActivityScan(a *xmlActivity, s *normalizers.Scan, b *normalizers.Batch) {
	code := b.Upper(a.Code)
	typ := b.Upper(a.Type)
	desc := redactor.Text(b, b.Str(a.Description))
	classify(s, code, "", typ, desc)
	s.Raw = event.Raw{Code: code, Type: typ, Description: desc}
	s.Location = event.Location{}
	a.Address.fill(&s.Location, b)
	s.Time = activityTime(a.Date, a.Time, a.GMTOffset, func() ([]byte, []byte) { return a.GMTDate, a.GMTTime })
	b.Add(s)
}

func (a *xmlAddress) fill(l *event.Location, b *normalizers.Batch) {
	place(l, a.City, a.StateProvinceCode, a.PostalCode, a.CountryCode, b)
}

// xmlDate turns YYYYMMDD into YYYY-MM-DD. A value that is not a real date
// is dropped: a wrong estimate is worse than none.
func xmlDate(d []byte, b *normalizers.Batch) string {
	t, ok := normalizers.ParseCompact(d, nil)
	if !ok {
		return ""
	}
	var buf [16]byte
	return b.Str(t.AppendFormat(buf[:0], "2006-01-02"))
}
