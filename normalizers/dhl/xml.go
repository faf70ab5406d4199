package dhl

import (
	"bytes"
	"strings"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// DHL's XML APIs, told apart by their root element:
//
//   - DHL Express XML-PI (XML Services) TrackingResponse: AWBInfo per air
//     waybill, its ShipmentInfo and ShipmentEvents, each with a checkpoint
//     EventCode (PU, PL, DF, OK ...), a local Date and Time without an
//     offset, and a ServiceArea ("LEIPZIG - GERMANY", "WOODSIDE,NY-USA")
//     whose place gives the zone;
//   - DHL Parcel DE's tracking XML (d-get-piece-detail): nested <data>
//     elements whose attributes hold everything, name="piece-shipment" for
//     the piece (piece-code, product, countries) and name="piece-event" for
//     each event (ice, ric, standard-event-code, event-timestamp
//     "17.03.2016 11:44" in German local time, event-country as a name).
//
// Both name their shipment by the number the Unified API uses (the AWB,
// the piece code), so one parcel read through two APIs is one shipment.
// Their services are the Unified API's keys: express and parcel_de.
const (
	serviceExpress  = "express"
	serviceParcelDE = "parcel_de"
)

// normalizeXML reads either XML API.
func (n *Normalizer) normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	sc := n.scanners.Get(in.Payload)
	defer n.scanners.Put(sc)
	k, err := sc.Next()
	if err != nil {
		return xmlError(err)
	}
	if k != normalizers.XMLStart {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "no root element")
	}
	hint := b.Upper(bytes.TrimSpace([]byte(in.TrackingHint)))
	switch root := string(sc.Name()); {
	case root == "TrackingResponse" || root == "ShipmentTrackingErrorResponse" || root == "ErrorResponse":
		d := xmlpi{sc: sc, b: b, hint: hint}
		return d.run()
	case root == "data" && string(sc.Attr("name")) == "piece-shipment-list":
		d := pieceDetail{sc: sc, b: b, in: in}
		return d.run()
	default:
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID,
			"not a DHL Express XML-PI TrackingResponse or a Parcel DE piece-shipment-list: the root element is <%s>", normalizers.Shown(root))
	}
}

func xmlError(err error) error {
	return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "malformed XML: %v", err)
}

// xmlpi decodes a DHL Express XML-PI TrackingResponse.
type xmlpi struct {
	sc   *normalizers.XMLScanner
	b    *normalizers.Batch
	hint string
	s    normalizers.Scan
	sh   shipment
	// the event being read
	date, clock, code, desc, area []byte
	// per AWBInfo
	awb, action, condCode, condData []byte
	events                          int
	awbs                            int
	timeBuf                         [32]byte
	descBuf                         [256]byte
}

func (d *xmlpi) run() error {
	for {
		k, err := d.sc.Next()
		if err != nil {
			return xmlError(err)
		}
		switch k {
		case normalizers.XMLEOF:
			if d.awbs == 0 {
				return d.condition()
			}
			return nil
		case normalizers.XMLStart:
			switch string(d.sc.Name()) {
			case "AWBInfo":
				d.awbs++
				d.awb, d.action, d.condCode, d.condData, d.events = nil, nil, nil, nil, 0
				d.s = normalizers.Scan{Service: serviceExpress}
				d.sh = shipment{}
			case "ShipmentEvent":
				d.date, d.clock, d.code, d.desc, d.area = nil, nil, nil, nil, nil
			}
		case normalizers.XMLEnd:
			switch string(d.sc.Name()) {
			case "ShipmentEvent":
				if string(d.sc.Parent(0)) == "ShipmentInfo" {
					if err := d.event(); err != nil {
						return err
					}
				}
			case "ShipmentInfo":
				d.shipmentCountry()
			case "AWBInfo":
				if err := d.endAWB(); err != nil {
					return err
				}
			}
		case normalizers.XMLText:
			d.text(d.sc.Text())
		}
	}
}

func (d *xmlpi) text(v []byte) {
	sc, b, s := d.sc, d.b, &d.s
	name, parent := string(sc.Name()), string(sc.Parent(1))
	switch parent {
	case "AWBInfo":
		if name == "AWBNumber" {
			d.awb = v
		}
	case "Status":
		if name == "ActionStatus" {
			d.action = v
		}
	case "Condition":
		switch name {
		case "ConditionCode":
			d.condCode = v
		case "ConditionData":
			d.condData = v
		}
	case "ShipmentInfo":
		switch name {
		case "EstDlvyDate":
			if v = bytes.TrimSpace(v); len(v) >= 10 && validDate(v[:10]) {
				s.EstimatedDelivery = b.Str(v[:10])
			}
		}
		// ShipperName and ConsigneeName name people or firms: never read
		// (redact.go).
	case "Shipper", "Consignee":
		l := &s.Origin
		if parent == "Consignee" {
			l = &s.Destination
		}
		switch name {
		case "City":
			l.City = b.Str(v)
		case "DivisionCode":
			if r := bytes.TrimSpace(v); isRegionCode(r) {
				l.Region = b.Str(r)
			}
		case "PostalCode":
			l.PostalCode = b.Str(v)
		case "CountryCode":
			if c := countryOf(v, true); c != "" {
				l.Country = c
			}
		}
	case "ServiceEvent":
		switch name {
		case "EventCode":
			d.code = v
		case "Description":
			d.desc = v
		}
	case "ShipmentEvent":
		switch name {
		case "Date":
			d.date = v
		case "Time":
			d.clock = v
		}
		// Signatory holds the signer of a delivery (or a service area, a
		// weight, a time): never read.
	case "ServiceArea":
		if name == "Description" && string(sc.Parent(2)) == "ShipmentEvent" {
			d.area = v
		}
	case "OriginServiceArea", "DestinationServiceArea":
		// The service area's country, for a shipment whose Shipper or
		// Consignee does not name one; its place is a service area, not
		// the city.
		l := &s.Origin
		if parent == "DestinationServiceArea" {
			l = &s.Destination
		}
		if name == "Description" {
			var area event.Location
			locality(v, &area, b)
			if l.Country == "" {
				l.Country, l.Region = area.Country, area.Region
			}
		}
	}
}

// shipmentCountry is the country events without a place stand in for: the
// shipment's own when it never leaves it.
func (d *xmlpi) shipmentCountry() {
	if o, dd := d.s.Origin.Country, d.s.Destination.Country; o != "" && o == dd {
		d.sh.country = o
	}
}

func (d *xmlpi) tracking() string {
	if v := bytes.TrimSpace(d.awb); len(v) > 0 {
		return d.b.Upper(v)
	}
	return d.hint
}

func (d *xmlpi) event() error {
	s, b := &d.s, d.b
	s.TrackingNumber = d.tracking()
	if s.TrackingNumber == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "an AWBInfo with events and no AWBNumber, and the record has no tracking number")
	}
	d.events++
	code := bytes.TrimSpace(d.code)
	desc := redactor.Text(b, b.Str(collapseSpace(d.descBuf[:0], d.desc)))
	k := keys{statusCode: "unknown", service: serviceExpress, desc: desc}
	s.Raw = event.Raw{Code: b.Upper(code), Description: desc}
	s.Type, s.Reason = nil, ""
	if m := expressCode(s.Raw.Code); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	} else if m := classify(&k); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.IDExtra = ""
	s.Location = event.Location{}
	locality(d.area, &s.Location, b)
	if s.Location.Country == "" {
		placeFromShipment(&s.Location, s, &d.sh)
	}
	s.Time = normalizers.Time{}
	stamp := append(append(append(d.timeBuf[:0], clip(bytes.TrimSpace(d.date), 10)...), 'T'), clip(bytes.TrimSpace(d.clock), 8)...)
	if t, ok := normalizers.ParseISO(stamp); ok {
		s.Time = t
	}
	b.Add(s)
	return nil
}

// expressCode is the table's row for an express checkpoint code: DHL's
// code says more than its wording, which names the place as often as the
// event.
func expressCode(code string) *normalizers.Mapping {
	if !isShortCode(code) {
		return nil
	}
	if m := Table.LookupCode(code, serviceExpress, ""); m != nil && m.Subcode == serviceExpress {
		return m
	}
	return nil
}

// endAWB handles an AWBInfo with no event: not found, or known without a
// checkpoint yet.
func (d *xmlpi) endAWB() error {
	if d.events > 0 {
		return nil
	}
	action := strings.ToLower(string(bytes.TrimSpace(d.action)))
	tracking := d.tracking()
	switch {
	case action == "success" || strings.Contains(action, "no shipments found") || strings.Contains(action, "not found"):
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID, "DHL Express has no checkpoint for the AWB yet (%s) and the record has no tracking number",
				normalizers.Quote(d.b.Str(d.action)))
		}
		d.b.Pending(tracking, d.b.Str(d.condCode), d.b.Str(d.action))
		return nil
	}
	return d.condition()
}

// condition is the error a response without shipments, or an AWBInfo that
// failed, stands for.
func (d *xmlpi) condition() error {
	code, data := d.b.Str(d.condCode), d.b.Str(d.condData)
	if code == "" && data == "" {
		if len(bytes.TrimSpace(d.action)) > 0 {
			data = d.b.Str(d.action)
		} else {
			return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a DHL Express TrackingResponse without AWBInfo and without a condition")
		}
	}
	if invalidTracking(data) || strings.Contains(strings.ToLower(data), "invalid awb") {
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "DHL Express error %s: %s", normalizers.Shown(code), normalizers.Quote(data))
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "DHL Express error %s: %s", normalizers.Shown(code), normalizers.Quote(data))
}

// pieceDetail decodes DHL Parcel DE's piece-shipment-list.
type pieceDetail struct {
	sc      *normalizers.XMLScanner
	b       *normalizers.Batch
	in      *normalizers.Input
	s       normalizers.Scan
	sh      shipment
	code    []byte // the list's code attribute: 0 is success
	errText []byte
	pieces  int
	events  int
	buf     [64]byte
}

func (d *pieceDetail) run() error {
	d.code = d.sc.Attr("code")
	d.errText = d.sc.Attr("error")
	for {
		k, err := d.sc.Next()
		if err != nil {
			return xmlError(err)
		}
		switch k {
		case normalizers.XMLEOF:
			return d.end()
		case normalizers.XMLStart:
			if string(d.sc.Name()) != "data" {
				continue
			}
			switch string(d.sc.Attr("name")) {
			case "piece-shipment":
				if err := d.piece(); err != nil {
					return err
				}
			case "piece-event":
				if err := d.event(); err != nil {
					return err
				}
			}
		case normalizers.XMLEnd:
			if d.sc.Depth() == 1 && d.pieces > 0 && d.events == 0 {
				// The piece ended with no event: DHL knows it, nothing more.
				d.b.Pending(d.s.TrackingNumber, "", "DHL knows the piece but has no event for it yet")
				d.events = -1
			}
		}
	}
}

// piece reads a piece-shipment's attributes: what every event of it shares.
func (d *pieceDetail) piece() error {
	sc, b := d.sc, d.b
	d.pieces++
	d.events = 0
	d.s = normalizers.Scan{Service: serviceParcelDE}
	for _, name := range [...]string{"piece-code", "searched-piece-code", "piece-identifier"} {
		if v := bytes.TrimSpace(sc.Attr(name)); len(v) > 0 {
			d.s.TrackingNumber = b.Upper(v)
			break
		}
	}
	if d.s.TrackingNumber == "" {
		d.s.TrackingNumber = b.Upper(bytes.TrimSpace([]byte(d.in.TrackingHint)))
	}
	if d.s.TrackingNumber == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "a piece-shipment without piece-code, and the record has no tracking number")
	}
	d.s.Origin.Country = countryOf(sc.Attr("origin-country"), true)
	d.s.Destination.Country = countryOf(sc.Attr("dest-country"), true)
	if pc := bytes.TrimSpace(sc.Attr("pan-recipient-postalcode")); len(pc) > 0 && len(pc) <= 10 {
		d.s.Destination.PostalCode = b.Str(pc)
	}
	// recipient-*, pan-recipient-name/-street/-address and shipper-* name
	// people and their addresses: never read (redact.go). The postal code
	// alone is kept, as for every carrier's destination.
	d.sh = shipment{}
	switch o, dd := d.s.Origin.Country, d.s.Destination.Country; {
	case o != "" && o == dd:
		d.sh.country = o
	case o == "" && dd == "":
		d.sh.country = "DE" // DHL's German network
	}
	return nil
}

func (d *pieceDetail) event() error {
	sc, b, s := d.sc, d.b, &d.s
	if d.pieces == 0 {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a piece-event outside any piece-shipment")
	}
	d.events++
	ice, ric := bytes.TrimSpace(sc.Attr("ice")), bytes.TrimSpace(sc.Attr("ric"))
	std := bytes.TrimSpace(sc.Attr("standard-event-code"))
	text := sc.Attr("event-text")
	if len(bytes.TrimSpace(text)) == 0 {
		text = sc.Attr("event-status")
	}
	k := keys{statusCode: "unknown", service: serviceParcelDE, desc: redactor.Text(b, b.Str(text))}
	if len(ice) > 0 {
		det := append(append(append(d.buf[:0], ice...), '_'), ric...)
		if len(std) > 0 {
			det = append(append(det, '_'), std...)
		}
		if v := b.Str(det); isDetailedCode(v) {
			k.detailed = v
		}
	}
	if v := b.Str(std); isShortCode(v) {
		k.short = v
	}
	s.Raw = event.Raw{Description: k.desc}
	switch {
	case k.detailed != "":
		s.Raw.Code = k.detailed
	default:
		s.Raw.Code = k.short
	}
	s.Type, s.Reason = nil, ""
	if m := classify(&k); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	if string(sc.Attr("ruecksendung")) == "true" && s.Type != nil && s.Type.Milestone == "delivered" {
		s.Type, s.Reason = returnedToSender, ""
	}
	s.IDExtra = ""
	if k.detailed == "" {
		s.IDExtra = s.Raw.Description
	}
	s.Location = event.Location{City: b.Str(sc.Attr("event-location")), Country: countryOf(sc.Attr("event-country"), true)}
	if s.Location.Country == "" {
		placeFromShipment(&s.Location, s, &d.sh)
	}
	s.Time = normalizers.Time{}
	if wall, ok := normalizers.ParseNumeric(sc.Attr("event-timestamp")); ok {
		s.Time.Wall = wall
	}
	b.Add(s)
	return nil
}

func (d *pieceDetail) end() error {
	if d.pieces > 0 {
		return nil
	}
	code, msg := d.b.Str(d.code), d.b.Str(d.errText)
	lower := strings.ToLower(msg)
	switch {
	case code == "0" || code == "":
		return pending(code, "DHL returned no piece for this number", "", d.in, d.b)
	case strings.Contains(lower, "keine daten") || strings.Contains(lower, "no data") || strings.Contains(lower, "not found"):
		return pending(code, msg, "", d.in, d.b)
	case invalidTracking(msg) || strings.Contains(lower, "sendungsnummer"):
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "DHL Parcel DE error %s: %s", normalizers.Shown(code), normalizers.Quote(msg))
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "DHL Parcel DE error %s: %s", normalizers.Shown(code), normalizers.Quote(msg))
}

// collapseSpace joins the lines of an XML-PI description ("Departed
// Facility in LONDON-HEATHROW -\n    UNITED KINGDOM") with single spaces.
func collapseSpace(dst, v []byte) []byte {
	v = bytes.TrimSpace(v)
	if !bytes.ContainsAny(v, "\n\r\t") && !bytes.Contains(v, []byte("  ")) {
		return v
	}
	space := false
	for _, c := range v {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			space = true
			continue
		}
		if space && len(dst) > 0 {
			dst = append(dst, ' ')
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

func clip(v []byte, n int) []byte {
	if len(v) > n {
		return v[:n+1] // one byte too many: the parser refuses it
	}
	return v
}
