// Package amazon normalizes Amazon Shipping API v2 getTracking JSON
// (trackingId, eventHistory, promisedDeliveryDate, summary), bare or in the
// Selling Partner API's {"payload": ...} envelope, and its error body
// ({"errors": [...]}).
//
// Event times are UTC instants ("2019-04-04T06:45:12Z"); the local offset
// comes from the event's place (country and state).
package amazon

import (
	_ "embed"
	"sync"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

//go:embed codes.tsv
var codesTSV []byte

// Table is the Amazon Shipping code table.
var Table = normalizers.MustLoadTable("amazon/codes.tsv", codesTSV)

// Spec is everything wismo knows about Amazon Shipping; its samples are in
// testdata/carriers/amazon.
var Spec = normalizers.Spec{ID: "amazon", Name: "Amazon Shipping", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// Normalizer reads Amazon Shipping tracking payloads.
type Normalizer struct {
	normalizers.Spec
	scratch sync.Pool // of *state
}

// state is one payload's scanner and the answers read, the envelope's and
// the one inside it.
type state struct {
	sc    normalizers.JSONScanner
	outer answer
	inner answer
}

// answer is what the decoder reads of a tracking answer, slices of the
// payload.
type answer struct {
	has                      uint32 // bits of answerKeys present
	tracking, promised, stat []byte
	errs                     int    // elements of errors
	errCode, errMsg          []byte // of the first
	events                   []fields
}

// answerKeys are the members of an answer the decoder reads, in the order
// of answer's has bits.
var answerKeys = []string{"trackingId", "promisedDeliveryDate", "summary", "errors", "eventHistory", "payload"}

const hasTracking, hasPayload = 1 << 0, 1 << 5

// fields are an event's: its code and time, and its place's city, region,
// postal code and country.
type fields [6][]byte

// New returns an Amazon Shipping normalizer.
func New() *Normalizer { return &Normalizer{Spec: Spec} }

func init() { normalizers.Register(New()) }

// MapCode maps an Amazon Shipping scan that arrives in another container.
func (*Normalizer) MapCode(code, _, _ string) *normalizers.Mapping {
	return Table.LookupCode(code, "", "")
}

// Normalize implements normalizers.Normalizer. It reads the payload in one
// pass (normalizers.JSONScanner), and acts once it proved well-formed.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	st := normalizers.Scratch[state](&n.scratch)
	defer n.scratch.Put(st)
	sc := &st.sc
	if err := normalizers.ScanObject(sc, in.Payload, Spec.ID, "an Amazon Shipping tracking answer"); err != nil {
		return err
	}
	st.outer.read(sc, &st.inner)
	if err := sc.Finish(Spec.ID); err != nil {
		return err
	}
	a := &st.outer
	if a.has&hasPayload != 0 { // the Selling Partner API's envelope
		a = &st.inner
	}
	if a.errs > 0 && a.has&hasTracking == 0 {
		return apiError(string(a.errCode), string(a.errMsg), in, b)
	}
	tracking := b.Upper(a.tracking)
	if tracking == "" {
		tracking = in.TrackingHint
	}
	if tracking == "" {
		return normalizers.Errorf(normalizers.KindDecode, Spec.ID, "not an Amazon Shipping tracking answer: no trackingId and no errors")
	}
	s := normalizers.Scan{TrackingNumber: tracking, EstimatedDelivery: b.Date(a.promised)}
	if len(a.events) == 0 {
		b.Pending(tracking, string(a.stat), "Amazon Shipping has no events for this shipment yet")
		return nil
	}
	for i := range a.events {
		f := &a.events[i]
		s.Raw = event.Raw{Code: b.Str(f[0])}
		s.Type, s.Reason = nil, ""
		if m := Table.LookupCode(s.Raw.Code, "", ""); m != nil {
			s.Type, s.Reason = m.Type, m.Reason
		}
		s.Location = event.Location{City: b.Str(f[2]), Region: b.Upper(f[3]), PostalCode: b.Str(f[4]), Country: b.Upper(f[5])}
		s.Time = normalizers.Time{}
		if t, ok := normalizers.ParseISO(f[1]); ok {
			s.Time = t
		}
		b.Add(&s)
	}
	return nil
}

// read reads an answer object whole into a; inner takes a payload member
// that is an object (its has bit is set only then).
func (a *answer) read(sc *normalizers.JSONScanner, inner *answer) {
	*a = answer{events: a.events[:0]}
	wrapped := false
	a.has = sc.Members(func(i int) {
		switch i {
		case 2:
			var f [1][]byte
			sc.Fields(f[:], "status")
			a.stat = f[0]
		case 3:
			a.readErrors(sc)
		case 4:
			if sc.Array() {
				for sc.Elem() {
					a.events = append(a.events, readEvent(sc))
				}
				return
			}
			sc.Skip()
		case 5:
			if sc.Kind() != normalizers.JSONObject || inner == nil {
				sc.Skip()
				return
			}
			inner.read(sc, nil)
			wrapped = true
		default:
			v := sc.Str()
			if i == 0 {
				a.tracking = v
			} else {
				a.promised = v
			}
		}
	}, answerKeys...)
	if !wrapped { // payload counts only as an object
		a.has &^= hasPayload
	}
}

// readErrors counts errors' elements and keeps the first's code and
// message; a value that is not an array counts none.
func (a *answer) readErrors(sc *normalizers.JSONScanner) {
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Elem() {
		if a.errs++; a.errs > 1 {
			sc.Skip()
			continue
		}
		var f [2][]byte
		sc.Fields(f[:], "code", "message")
		a.errCode, a.errMsg = f[0], f[1]
	}
}

// readEvent reads one element of eventHistory; one that is not an object
// gives nothing, and its scan has no time.
func readEvent(sc *normalizers.JSONScanner) (f fields) {
	sc.Members(func(i int) {
		if i < 2 {
			f[i] = sc.Str()
			return
		}
		sc.Fields(f[2:], "city", "stateOrRegion", "postalCode", "countryCode")
	}, "eventCode", "eventTime", "location")
	return f
}

// apiError reads the Selling Partner API's error: NotFound is Amazon having
// no data for the number yet; InvalidInput a malformed request.
func apiError(code, msg string, in *normalizers.Input, b *normalizers.Batch) error {
	switch code {
	case "NotFound":
		if in.TrackingHint == "" {
			return normalizers.Errorf(normalizers.KindNotFound, Spec.ID,
				"Amazon Shipping has no data yet (%s %s) and the payload does not name the tracking number", code, msg)
		}
		b.Pending(in.TrackingHint, code, msg)
		return nil
	case "InvalidInput":
		return normalizers.Errorf(normalizers.KindInvalidTracking, Spec.ID, "Amazon Shipping error %s: %s", code, msg)
	}
	return normalizers.Errorf(normalizers.KindCarrierError, Spec.ID, "Amazon Shipping error %s: %s", code, msg)
}
