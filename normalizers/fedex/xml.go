package fedex

// The legacy FedEx Web Services Track reply (TrackReply, SOAP or bare XML),
// v5 and later. FedEx has retired these services in favour of the Track API,
// but pollers written against them still feed raw topics.
//
// The shape moved between versions: v5 puts TrackDetails straight under
// TrackReply; later versions group them in CompletedTrackDetails (one per
// queried number, with its own HighestSeverity and Notifications). From
// v10 the service is Service/Type and the estimate a DatesOrTimes entry
// instead of ServiceType and EstimatedDeliveryTimestamp. Every version's
// namespace differs (http://fedex.com/ws/track/v5, .../v16, ...) and so do
// the prefixes clients and gateways use, so elements are matched by local
// name only: encoding/xml does that for struct tags without a namespace.
//
// An Events element carries the same codes as a Track API scan (EventType,
// StatusExceptionCode and their descriptions), so it is classified by the
// same table and the same function as the JSON scans: a scan seen through
// either API gets the same type and, its fields being equal, the same id.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

type wsReply struct {
	HighestSeverity string           `xml:"HighestSeverity"`
	Notifications   []wsNotification `xml:"Notifications"`
	TrackDetails    []wsDetail       `xml:"TrackDetails"`          // v5
	Completed       []wsCompleted    `xml:"CompletedTrackDetails"` // later versions
}

type wsCompleted struct {
	HighestSeverity string           `xml:"HighestSeverity"`
	Notifications   []wsNotification `xml:"Notifications"`
	TrackDetails    []wsDetail       `xml:"TrackDetails"`
}

type wsNotification struct {
	Severity         string `xml:"Severity"`
	Code             string `xml:"Code"`
	Message          string `xml:"Message"`
	LocalizedMessage string `xml:"LocalizedMessage"`
}

type wsDetail struct {
	// The schema allows one Notification; a slice keeps a second one from
	// being merged into the first.
	Notification   []wsNotification `xml:"Notification"`
	TrackingNumber string           `xml:"TrackingNumber"`
	ServiceType    string           `xml:"ServiceType"` // up to v9
	ServiceInfo    string           `xml:"ServiceInfo"`
	Service        struct {
		Type        string `xml:"Type"`
		Description string `xml:"Description"`
	} `xml:"Service"` // v10 and later

	ShipperAddress                wsAddress `xml:"ShipperAddress"`
	OriginLocationAddress         wsAddress `xml:"OriginLocationAddress"`
	LastUpdatedDestinationAddress wsAddress `xml:"LastUpdatedDestinationAddress"`
	DestinationAddress            wsAddress `xml:"DestinationAddress"`
	ActualDeliveryAddress         wsAddress `xml:"ActualDeliveryAddress"`

	EstimatedDeliveryTimestamp string `xml:"EstimatedDeliveryTimestamp"` // up to v9
	DatesOrTimes               []struct {
		Type            string `xml:"Type"`
		DateOrTimestamp string `xml:"DateOrTimestamp"`
	} `xml:"DatesOrTimes"` // v10 and later

	Events []wsEvent `xml:"Events"`
}

type wsAddress struct {
	City                string `xml:"City"`
	StateOrProvinceCode string `xml:"StateOrProvinceCode"`
	PostalCode          string `xml:"PostalCode"`
	CountryCode         string `xml:"CountryCode"`
}

type wsEvent struct {
	Timestamp                  string    `xml:"Timestamp"`
	EventType                  string    `xml:"EventType"`
	EventDescription           string    `xml:"EventDescription"`
	StatusExceptionCode        string    `xml:"StatusExceptionCode"`
	StatusExceptionDescription string    `xml:"StatusExceptionDescription"`
	Address                    wsAddress `xml:"Address"`
	StationID                  string    `xml:"StationId"`
	ArrivalLocation            string    `xml:"ArrivalLocation"`
}

// wsFault is a SOAP 1.1 fault; FedEx answers a request it cannot read (a
// schema violation, bad credentials) with one instead of a TrackReply.
type wsFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Desc   string `xml:"desc"`
		Reason string `xml:"fault>reason"`
	} `xml:"detail"`
}

// Notification codes of the Track service. 9040 is "No information for the
// following shipments has been received by our system yet" (or, for some
// numbers, "This tracking number cannot be found"): like the Track API's
// NOTFOUND, FedEx has no scan yet. 6035 "Invalid tracking numbers" and 5508
// "Invalid tracking number." mean the number itself is wrong. Codes such as
// 9045, 9075, 9080 and 6330 read "Sorry, we are unable to process your
// tracking request": a FedEx-side failure, not a verdict on the number.
var (
	wsNotFoundCodes = map[string]bool{"9040": true}
	wsInvalidCodes  = map[string]bool{"6035": true, "5508": true}
)

// normalizeXML reads a TrackReply.
func normalizeXML(in *normalizers.Input, b *normalizers.Batch) error {
	d := xml.NewDecoder(bytes.NewReader(in.Payload))
	d.CharsetReader = normalizers.XMLCharsetReader
	start, err := replyElement(d)
	if err != nil {
		return err
	}
	switch start.Name.Local {
	case "TrackReply":
	case "Fault":
		var f wsFault
		if err := d.DecodeElement(&f, &start); err != nil {
			return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
		}
		return normalizers.Errorf(normalizers.KindCarrierError, carrier, "FedEx SOAP fault: %s",
			joinText(f.Code, f.String, f.Detail.Desc, f.Detail.Reason))
	default:
		return normalizers.Errorf(normalizers.KindDecode, carrier,
			"not a FedEx Web Services TrackReply: the reply element is <%s>", start.Name.Local)
	}
	var r wsReply
	if err := d.DecodeElement(&r, &start); err != nil {
		return normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
	}

	// v5's details are one group, without group-level notifications.
	groups := append(r.Completed, wsCompleted{TrackDetails: r.TrackDetails})
	details := 0
	for i := range groups {
		details += len(groups[i].TrackDetails)
	}
	if details == 0 {
		// An answer about no number in particular (bad credentials, an
		// invalid or unknown number in a v5 reply): it concerns the whole
		// payload, the reply's own notifications first.
		if n := wsError(r.HighestSeverity, r.Notifications); n != nil {
			return wsAnswer(n, in.TrackingHint, b)
		}
		for i := range groups {
			if n := wsError(groups[i].HighestSeverity, groups[i].Notifications); n != nil {
				return wsAnswer(n, in.TrackingHint, b)
			}
		}
		return nil
	}
	// An error of one group or one detail does not spoil the payload's
	// other numbers: it is recorded as the rejection of that number alone.
	for i := range groups {
		g := &groups[i]
		if len(g.TrackDetails) == 0 {
			if n := wsError(g.HighestSeverity, g.Notifications); n != nil {
				if err := wsRecord(wsAnswer(n, in.TrackingHint, b), b); err != nil {
					return err
				}
			}
		}
		for j := range g.TrackDetails {
			if err := wsRecord(wsTrackDetail(&g.TrackDetails[j], in, b), b); err != nil {
				return err
			}
		}
	}
	return nil
}

// wsRecord records the error of one number as its rejection. A not-found
// answer that names no number is returned instead, to reject the payload,
// as the JSON decoder does: no pending event can be made of it.
func wsRecord(err error, b *normalizers.Batch) error {
	var ne *normalizers.Error
	if errors.As(err, &ne) && ne.Kind != normalizers.KindNotFound {
		b.Reject(ne.Kind, ne.Tracking, ne.Msg)
		return nil
	}
	return err
}

// replyElement finds the reply: the root element, or the first element of
// the Body of a SOAP Envelope. The decoder is left inside it.
func replyElement(d *xml.Decoder) (xml.StartElement, error) {
	start, err := nextElement(d)
	if err != nil {
		return start, err
	}
	if start.Name.Local != "Envelope" {
		return start, nil
	}
	for {
		if start, err = nextElement(d); err != nil {
			return start, err
		}
		if start.Name.Local == "Body" {
			break
		}
		if err := d.Skip(); err != nil { // Header
			return start, normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
		}
	}
	return nextElement(d)
}

// nextElement returns the next start element at the decoder's level,
// skipping text, comments and processing instructions. Reaching the end
// of the enclosing element or of the payload is a decode error.
func nextElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		switch {
		case err == io.EOF:
			return xml.StartElement{}, normalizers.Errorf(normalizers.KindDecode, carrier,
				"not a FedEx Web Services TrackReply: no reply element")
		case err != nil:
			return xml.StartElement{}, normalizers.Errorf(normalizers.KindDecode, carrier, "malformed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, normalizers.Errorf(normalizers.KindDecode, carrier,
				"not a FedEx Web Services TrackReply: <%s> holds no reply element", t.Name.Local)
		}
	}
}

func isErrorSeverity(s string) bool {
	s = strings.TrimSpace(s)
	return strings.EqualFold(s, "ERROR") || strings.EqualFold(s, "FAILURE")
}

// wsError returns the first error among notifications, or nil. A reply
// whose HighestSeverity is an error but whose notifications carry no
// severity gets its first notification.
func wsError(highest string, ns []wsNotification) *wsNotification {
	for i := range ns {
		code := strings.TrimSpace(ns[i].Code)
		if isErrorSeverity(ns[i].Severity) || wsNotFoundCodes[code] || wsInvalidCodes[code] {
			return &ns[i]
		}
	}
	if isErrorSeverity(highest) {
		if len(ns) > 0 {
			return &ns[0]
		}
		return &wsNotification{Severity: highest}
	}
	return nil
}

// wsAnswer turns an error notification about tracking (which may be "")
// into a pending event, or returns the error for the caller to record.
func wsAnswer(n *wsNotification, tracking string, b *normalizers.Batch) error {
	code := strings.TrimSpace(n.Code)
	msg := joinText(n.Message)
	if msg == "" {
		msg = joinText(n.LocalizedMessage)
	}
	if wsNotFoundCodes[code] {
		if tracking == "" {
			return normalizers.Errorf(normalizers.KindNotFound, carrier,
				"FedEx has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
		}
		b.Pending(tracking, b.Str([]byte(code)), b.Str([]byte(msg)))
		return nil
	}
	kind := normalizers.KindCarrierError
	if wsInvalidCodes[code] || strings.Contains(strings.ToLower(msg), "invalid tracking number") {
		kind = normalizers.KindInvalidTracking
	}
	what := "FedEx error " + code
	if code == "" {
		what = "FedEx " + strings.ToLower(strings.TrimSpace(n.Severity))
	}
	return &normalizers.Error{Kind: kind, Carrier: carrier, Tracking: tracking, Msg: what + ": " + msg}
}

// wsTrackDetail adds the scans of one TrackDetails. Its error notification
// counts only when it has no scans: FedEx sends notes beside real histories.
func wsTrackDetail(d *wsDetail, in *normalizers.Input, b *normalizers.Batch) error {
	tracking := b.Upper([]byte(d.TrackingNumber))
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if len(d.Events) == 0 {
		if n := wsError("", d.Notification); n != nil {
			return wsAnswer(n, tracking, b)
		}
		return nil
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, carrier, "TrackDetails without a TrackingNumber")
	}
	// The type enum first, as the JSON decoder does, so that one shipment
	// gets one service key whichever API it was tracked through.
	service := firstNonEmpty(d.Service.Type, d.ServiceType, d.Service.Description, d.ServiceInfo)
	s := normalizers.Scan{
		TrackingNumber:    tracking,
		Service:           b.ServiceKey([]byte(service), carrier),
		EstimatedDelivery: wsEstimatedDelivery(d, b),
	}
	// The shipper's own address first: OriginLocationAddress is the FedEx
	// station. The last updated destination first: it follows a redirect;
	// where the parcel was actually delivered is the last resort.
	for _, a := range []*wsAddress{&d.ShipperAddress, &d.OriginLocationAddress} {
		if wsSetAddress(a, &s.Origin, b); !s.Origin.IsZero() {
			break
		}
	}
	for _, a := range []*wsAddress{&d.LastUpdatedDestinationAddress, &d.DestinationAddress, &d.ActualDeliveryAddress} {
		if wsSetAddress(a, &s.Destination, b); !s.Destination.IsZero() {
			break
		}
	}
	for i := range d.Events {
		wsScan(&d.Events[i], &s, b)
	}
	return nil
}

func wsScan(ev *wsEvent, s *normalizers.Scan, b *normalizers.Batch) {
	code := b.Upper([]byte(ev.EventType))
	sub := b.Upper([]byte(ev.StatusExceptionCode))
	desc := describe(b, []byte(ev.EventDescription), []byte(ev.StatusExceptionDescription))
	// No derived status code in this API: the table alone decides.
	classify(s, code, sub, desc, func() []byte { return nil }, b)
	s.Raw = event.Raw{Code: code, Type: sub, Description: desc}

	s.Location = event.Location{}
	wsSetAddress(&ev.Address, &s.Location, b)
	// StationId is FedEx's location id, the JSON locationId; only CSR
	// accounts get it. Otherwise ArrivalLocation at least says what kind of
	// place it was (SORT_FACILITY, DESTINATION_FEDEX_FACILITY, VEHICLE).
	s.Location.Facility = b.Str([]byte(firstNonEmpty(ev.StationID, ev.ArrivalLocation)))

	s.Time = normalizers.Time{}
	if t, ok := normalizers.ParseISO([]byte(ev.Timestamp)); ok {
		s.Time = t
	}
	b.Add(s)
}

func wsSetAddress(a *wsAddress, l *event.Location, b *normalizers.Batch) {
	l.City = b.Str([]byte(a.City))
	l.Region = b.Upper([]byte(a.StateOrProvinceCode))
	l.PostalCode = b.Str([]byte(a.PostalCode))
	l.Country = b.Upper([]byte(a.CountryCode))
}

// wsEstimatedDelivery is the local date (YYYY-MM-DD) of FedEx's estimate:
// the date FedEx wrote, not that of the instant in UTC.
func wsEstimatedDelivery(d *wsDetail, b *normalizers.Batch) string {
	if v := isoDate([]byte(d.EstimatedDeliveryTimestamp)); v != nil {
		return b.Str(v)
	}
	for _, dt := range d.DatesOrTimes {
		if strings.TrimSpace(dt.Type) == "ESTIMATED_DELIVERY" {
			if v := isoDate([]byte(dt.DateOrTimestamp)); v != nil {
				return b.Str(v)
			}
		}
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// joinText joins the non-empty parts with ": " and collapses white space,
// so that a message pretty-printed over several lines fits the one-line
// error header of the dead-letter topic.
func joinText(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ": ")
}
