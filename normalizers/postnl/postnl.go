// Package postnl normalizes PostNL Shipping Status API v2 JSON: the
// CurrentStatus answer (a shipment's latest status) and the CompleteStatus
// answer (its events and old statuses), by barcode or reference, and the
// API's warnings and errors.
//
// Times are "dd-mm-yyyy hh:mm:ss" without an offset: the wall clock of the
// Netherlands for PostNL's own network, so the shipment's country decides
// the zone. Descriptions are Dutch unless another language was asked for.
package postnl

import (
	"bytes"
	_ "embed"
	"sync"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the PostNL code table.
var Table = normalizers.MustLoadTable("postnl/codes.tsv", codesTSV)

// wording remembers the text rows PostNL's descriptions match.
var wording = normalizers.NewTextCache()

// Spec is everything wismo knows about PostNL; its samples are in
// testdata/carriers/postnl.
var Spec = normalizers.Spec{ID: "postnl", Name: "PostNL", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads PostNL shipping status payloads.
type Normalizer struct {
	normalizers.Spec
	scratch sync.Pool // of *state
}

// state is one payload's scanner and the events of the shipment being read.
type state struct {
	sc      normalizers.JSONScanner
	events  []fields
	warning warning
}

// fields are the parts of an event or a status the decoder reads, slices of
// the payload.
type fields struct{ code, phase, desc, at, place []byte }

// New returns a PostNL normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps a PostNL scan that arrives in another container: code is an
// event code or a status code.
func (*Normalizer) MapCode(code, _, desc string) *normalizers.Mapping { return classify(code, desc) }

// classify is the code's row refined by the wording (see
// normalizers.TextCache.Refine): status 11 is any delivery, and "Shipment
// delivered at neighbours" says which.
func classify(code, desc string) *normalizers.Mapping { return wording.Refine(Table, code, "", desc) }

// Normalize implements normalizers.Normalizer. It reads the payload in one
// pass (normalizers.JSONScanner): a CompleteStatus answer is mostly
// addresses, dimensions and amounts the decoder never reads. What it finds
// wrong is reported only once the whole payload has proved well-formed.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[state](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.sc
	if err := normalizers.ScanObject(sc, in.Payload, Spec.ID, "a PostNL shipping status answer"); err != nil {
		return err
	}
	// CompleteStatus wins over CurrentStatus, read after the payload when
	// it is the only one; Errors and fault only count without either.
	var (
		found bool
		raw   [4][]byte // of the members but CompleteStatus, for later
		res   error
	)
	present := sc.Members(func(i int) {
		if i == 0 {
			found, res = status(st, sc, in, b)
			return
		}
		raw[i] = sc.Raw()
	}, "CompleteStatus", "CurrentStatus", "Errors", "fault")
	if err := sc.Finish(Spec.ID); err != nil {
		return err
	}
	complete := present&3 != 0
	if present&1 == 0 && complete {
		sc.Reset(raw[1])
		found, res = status(st, sc, in, b)
	}
	switch {
	case res != nil:
		return res
	case complete && !found:
		return noShipment(st, in, b)
	case complete:
		return nil
	case present&4 != 0:
		return apiError(sc, raw[2])
	case present&8 != 0:
		sc.Reset(raw[3])
		msg := field(sc, "faultstring")
		return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "PostNL error: %s", msg)
	}
	return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not a PostNL shipping status answer: no CompleteStatus, CurrentStatus or Errors")
}

// status reads a CompleteStatus or CurrentStatus value whole: its
// shipments into b, and reports whether it had any (else its warning is
// kept in st for noShipment).
func status(st *state, sc *normalizers.JSONScanner, in *normalizers.Input, b *normalizers.Batch) (found bool, err error) {
	st.warning = warning{}
	present := sc.Members(func(i int) {
		if i == 1 {
			st.warning.code, st.warning.desc, st.warning.ok = first(sc, "Code", "Description")
			return
		}
		if !sc.Array() {
			err = shipment(st, sc, in, b)
			return
		}
		for sc.Elem() {
			if e := shipment(st, sc, in, b); e != nil && err == nil {
				err = e
			}
		}
	}, "Shipment", "Warnings")
	found = present&1 != 0
	return found, err
}

// noShipment is PostNL's answer without a shipment: a warning ("No
// shipment found").
func noShipment(st *state, in *normalizers.Input, b *normalizers.Batch) error {
	code, msg := "no-shipment", "PostNL returned no shipment for this barcode"
	if st.warning.ok {
		code, msg = string(st.warning.code), string(st.warning.desc)
	}
	if in.TrackingHint == "" {
		return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
			"PostNL has no data yet (%s %s) and the payload does not name the barcode", code, msg)
	}
	b.Pending(in.TrackingHint, code, msg)
	return nil
}

// warning is a status's first warning.
type warning struct {
	ok         bool
	code, desc []byte
}

// first reads the value at sc, itself or its first element when it is an
// array (PostNL writes a list of one as either), and returns the string
// fields a and b of it; ok is false for an empty array.
func first(sc *normalizers.JSONScanner, a, b string) (va, vb []byte, ok bool) {
	if !sc.Array() {
		va, vb = fields2(sc, a, b)
		return va, vb, true
	}
	for sc.Elem() {
		if !ok {
			va, vb = fields2(sc, a, b)
			ok = true
			continue
		}
		sc.Skip()
	}
	return va, vb, ok
}

// fields2 reads an object's string fields a and b (the first of each);
// nil for a value that is not an object.
func fields2(sc *normalizers.JSONScanner, a, b string) (va, vb []byte) {
	var f [2][]byte
	sc.Fields(f[:], a, b)
	return f[0], f[1]
}

// field reads an object's string field name.
func field(sc *normalizers.JSONScanner, name string) []byte {
	var f [1][]byte
	sc.Fields(f[:], name)
	return f[0]
}

func apiError(sc *normalizers.JSONScanner, errs []byte) error {
	sc.Reset(errs)
	c, m, _ := first(sc, "Code", "Description")
	code, msg := string(c), string(m)
	if msg == "" {
		sc.Reset(errs)
		_, m, _ = first(sc, "", "ErrorMsg")
		msg = string(m)
	}
	if bytes.Contains(bytes.ToLower([]byte(msg)), []byte("barcode")) {
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "PostNL error %s: %s", code, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "PostNL error %s: %s", code, msg)
}

// shipment reads one shipment value whole and adds its scans: its events,
// else its status, else a pending event.
func shipment(st *state, sc *normalizers.JSONScanner, in *normalizers.Input, b *normalizers.Batch) error {
	if k := sc.Kind(); k != normalizers.JSONObject {
		sc.Skip()
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "a shipment is a JSON %s, not an object", k)
	}
	var (
		eta, etaFrom         []byte
		s                    normalizers.Scan
		hasEvents, hasStatus bool
		status               fields
	)
	st.events = st.events[:0]
	var str [4][]byte // Barcode, MainBarcode, ProductDescription, DeliveryDate
	sc.Members(func(i int) {
		switch i {
		case 4:
			eta, etaFrom = fields2(sc, "ETATo", "ETAFrom")
		case 5:
			addresses(sc, &s, b)
		case 6:
			hasEvents = true
			events(st, sc)
		case 7:
			status, hasStatus = statusFields(sc)
		default:
			str[i] = sc.Str()
		}
	}, "Barcode", "MainBarcode", "ProductDescription", "DeliveryDate", "Expectation", "Address", "Event", "Status")
	barcode, main, product, delivery := str[0], str[1], str[2], str[3]
	tracking := b.Upper(barcode)
	if tracking == "" {
		tracking = b.Upper(main)
	}
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindValidate, Spec.ID, "shipment without Barcode or MainBarcode")
	}
	s.TrackingNumber = tracking
	s.Service = b.ServiceKey(product, Spec.ID)
	s.EstimatedDelivery = estimatedDelivery(b, eta, etaFrom, delivery)
	here := ""
	if s.Origin.Country == s.Destination.Country {
		here = s.Origin.Country
	}
	if hasEvents && len(st.events) > 0 {
		for i := range st.events {
			f := &st.events[i]
			scan(&s, f.code, nil, f.desc, f.at, f.place, here, b)
		}
		return nil
	}
	// CurrentStatus, or a CompleteStatus without events: the status is the
	// scan there is.
	if hasStatus {
		scan(&s, status.code, status.phase, status.desc, status.at, nil, here, b)
		return nil
	}
	b.Pending(tracking, "no-events", "PostNL knows the shipment but has no events for it yet")
	return nil
}

// events reads Event, one event or a list of them, into st.events.
func events(st *state, sc *normalizers.JSONScanner) {
	if !sc.Array() {
		st.events = append(st.events, eventFields(sc))
		return
	}
	for sc.Elem() {
		st.events = append(st.events, eventFields(sc))
	}
}

func eventFields(sc *normalizers.JSONScanner) fields {
	var f [4][]byte
	sc.Fields(f[:], "Code", "Description", "TimeStamp", "LocationCode")
	return fields{code: f[0], desc: f[1], at: f[2], place: f[3]}
}

// statusFields reads Status (or its first element) and reports whether it
// has a TimeStamp, of whatever kind.
func statusFields(sc *normalizers.JSONScanner) (f fields, stamped bool) {
	one := func() {
		var v [4][]byte
		stamped = sc.Fields(v[:], "StatusCode", "PhaseCode", "StatusDescription", "TimeStamp")&8 != 0
		f = fields{code: v[0], phase: v[1], desc: v[2], at: v[3]}
	}
	if !sc.Array() {
		one()
		return f, stamped
	}
	done := false
	for sc.Elem() {
		if !done {
			one()
			done = true
			continue
		}
		sc.Skip()
	}
	return f, stamped
}

// addresses reads the receiver (AddressType 01) as the destination and the
// sender (02) as the origin: city, postcode and country only.
func addresses(sc *normalizers.JSONScanner, s *normalizers.Scan, b *normalizers.Batch) {
	if !sc.Array() {
		address(sc, s, b)
		return
	}
	for sc.Elem() {
		address(sc, s, b)
	}
}

func address(sc *normalizers.JSONScanner, s *normalizers.Scan, b *normalizers.Batch) {
	var f [4][]byte
	sc.Fields(f[:], "AddressType", "City", "Zipcode", "CountryCode")
	var l *event.Location
	switch string(f[0]) {
	case "01":
		l = &s.Destination
	case "02":
		l = &s.Origin
	default:
		return
	}
	l.City = b.Str(f[1])
	l.PostalCode = b.Str(f[2])
	l.Country = b.Upper(f[3])
}

func scan(s *normalizers.Scan, code, phase, desc, at, place []byte, country string, b *normalizers.Batch) {
	s.Raw = event.Raw{Code: b.Upper(code), Type: b.Str(phase), Description: redactor.Text(b, b.Str(desc))}
	s.Type, s.Reason = nil, ""
	if m := classify(s.Raw.Code, s.Raw.Description); m != nil {
		s.Type, s.Reason = m.Type, m.Reason
	}
	s.Location = event.Location{Facility: b.Str(place), Country: country}
	s.Time = normalizers.Time{}
	if t, ok := parseTime(at); ok {
		s.Time = t
	}
	b.Add(s)
}

// parseTime reads PostNL's "26-03-2021 15:06:53" (fractional seconds may
// follow), and the ISO form its Expectation uses.
func parseTime(v []byte) (normalizers.Time, bool) {
	v = bytes.TrimSpace(v)
	if len(v) >= 19 && len(v) <= 32 && v[2] == '-' && v[5] == '-' && v[10] == ' ' {
		var buf [40]byte
		iso := append(buf[:0], v[6:10]...)
		iso = append(iso, '-', v[3], v[4], '-', v[0], v[1], 'T')
		iso = append(iso, v[11:]...)
		return normalizers.ParseISO(iso)
	}
	return normalizers.ParseISO(v)
}

// estimatedDelivery is the date of Expectation.ETATo (the end of the
// window PostNL promises), else ETAFrom, else DeliveryDate.
func estimatedDelivery(b *normalizers.Batch, values ...[]byte) string {
	for _, v := range values {
		t, ok := parseTime(v)
		if !ok {
			continue
		}
		w := t.Wall
		if w.IsZero() {
			w = t.UTC
		}
		return b.DateOf(w)
	}
	return ""
}
