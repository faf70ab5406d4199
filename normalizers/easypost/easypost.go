// Package easypost normalizes EasyPost's tracking feed: the Tracker object
// (POST/GET /v2/trackers, also a list {"trackers": [...]} or a JSON array
// of trackers) and the webhook Event whose description is tracker.created
// or tracker.updated, with the Tracker in result. The shapes are told apart
// by content, not by configuration.
//
// A tracker is a parcel of another carrier: its events name that carrier
// (tracker.carrier, through feeds.Carrier) and its tracking number, so an
// EasyPost tracker on UPS is the shipment ups:1Z..., and Event.Feed says
// easypost. Each tracking_details[] entry is one scan; where it passes the
// carrier's own code (carrier_code) and wismo has that carrier's table,
// that table decides, refined by EasyPost's status and status_detail
// (codes.tsv, through feeds.Classify). The tracker's own status never makes
// a scan; a tracker with no dated history yet gives one pending event.
//
// Times: a detail's datetime is an instant in UTC ("Z"), placed in the
// zone of its tracking_location (tz_source location), else kept as UTC.
package easypost

import (
	_ "embed"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table maps EasyPost's status and status_detail to canonical types.
var Table = normalizers.MustLoadTable("easypost/codes.tsv", codesTSV)

const feed = "easypost"

// Spec is everything wismo knows about the EasyPost feed.
var Spec = normalizers.Spec{ID: feed, Name: "EasyPost", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// New returns the decoder.
func New() *feeds.ScanNormalizer[entry, *entry] {
	return feeds.NewScan[entry](Spec, what, "trackers")
}

// what names EasyPost's payloads in errors.
const what = "an EasyPost tracker or event"

func init() { normalizers.Register(New()) }

// entry is one object of a payload: a Tracker (t), or an Event with its
// description and the Tracker in result, or an error answer.
type entry struct {
	kind, errKind, resultKind normalizers.JSONKind
	has                       uint32
	errCode, errMsg, desc     []byte
	t, result                 tracker
}

// tracker is a Tracker's fields: which of entryKeys it has, its
// tracking_code, carrier, carrier_detail's service, est_delivery_date_local
// and places, est_delivery_date, status (and its kind) and details.
type tracker struct {
	has                     uint32
	number, carrier, status []byte
	statusKind              normalizers.JSONKind
	service, estLocal, est  []byte
	from, to                [4][]byte
	details                 []detail
}

// detail is one tracking detail: its datetime as written, its
// tracking_location, and (f, detailKey's order from 2) message,
// description, carrier_code, status and status_detail.
type detail struct {
	date []byte
	loc  [4][]byte
	f    [5][]byte
}

// entryKeys are an entry's keys: a Tracker's from 3 to 9, trackers only at
// the root.
var entryKeys = [...]string{"error", "result", "description", "tracking_code", "tracking_details", "carrier",
	"carrier_detail", "est_delivery_date", "status", "trackers"}

const (
	hasError       = 1 << 0
	hasResult      = 1 << 1
	trackerBits    = 1<<3 | 1<<4
	hasDetail      = 1 << 6
	trackerKeysEnd = 9
)

// entryKey is the index of k in entryKeys, -1 if none.
func entryKey(k []byte) int {
	switch string(k) {
	case "error":
		return 0
	case "result":
		return 1
	case "description":
		return 2
	case "tracking_code":
		return 3
	case "tracking_details":
		return 4
	case "carrier":
		return 5
	case "carrier_detail":
		return 6
	case "est_delivery_date":
		return 7
	case "status":
		return 8
	case "trackers":
		return 9
	}
	return -1
}

// detailKey is the index of k among a detail's keys detail.read reads, -1
// if none.
func detailKey(k []byte) int {
	switch string(k) {
	case "datetime":
		return 0
	case "tracking_location":
		return 1
	case "message":
		return 2
	case "description":
		return 3
	case "carrier_code":
		return 4
	case "status":
		return 5
	case "status_detail":
		return 6
	}
	return -1
}

// Read implements feeds.ScanEntry.
func (e *entry) Read(st *feeds.ScanState[entry], root bool) {
	sc := &st.Scanner
	*e = entry{kind: sc.Kind(), t: e.t.reset(), result: e.result.reset()}
	hi := len(entryKeys)
	if !root {
		hi-- // trackers only at the root
	}
	e.has = feeds.Members(sc, entryKey, 0, hi, func(i int) {
		switch i {
		case 0:
			e.errKind = sc.Kind()
			var f [2][]byte
			sc.Fields(f[:], "code", "message")
			e.errCode, e.errMsg = f[0], f[1]
		case 1:
			e.resultKind = sc.Kind()
			e.result.has = feeds.Members(sc, entryKey, 3, trackerKeysEnd, func(i int) { e.result.field(sc, i) })
		case 2:
			e.desc = sc.Str()
		case 9:
			feeds.ReadList(st)
		default:
			e.t.field(sc, i)
		}
	})
	e.t.has = e.has
}

func (t tracker) reset() tracker {
	return tracker{details: t.details[:0]}
}

// field reads a Tracker's field entryKeys[i].
func (t *tracker) field(sc *normalizers.JSONScanner, i int) {
	switch i {
	case 3:
		t.number = feeds.ScanText(sc)
	case 4:
		feeds.Elems(sc, func() { feeds.Next(&t.details).read(sc) })
	case 5:
		t.carrier = sc.Str()
	case 6:
		sc.Members(func(i int) {
			switch i {
			case 0:
				t.service = sc.Str()
			case 1:
				t.estLocal = sc.Str()
			case 2:
				feeds.ReadPlace(sc, &t.from)
			case 3:
				feeds.ReadPlace(sc, &t.to)
			}
		}, "service", "est_delivery_date_local", "origin_tracking_location", "destination_tracking_location")
	case 7:
		t.est = sc.Str()
	case 8:
		t.statusKind = sc.Kind()
		t.status = sc.Str()
	}
}

// read reads a tracking detail; anything but an object has none of its
// fields.
func (d *detail) read(sc *normalizers.JSONScanner) {
	*d = detail{}
	feeds.Members(sc, detailKey, 0, 7, func(i int) {
		switch i {
		case 0:
			d.date = sc.Raw()
		case 1:
			feeds.ReadPlace(sc, &d.loc)
		case 4:
			d.f[2] = feeds.ScanText(sc)
		default:
			d.f[i-2] = sc.Str()
		}
	})
}

// Item implements feeds.ScanEntry: it reads one Tracker, or one Event carrying a Tracker in result.
func (e *entry) Item(in *normalizers.Input, b *normalizers.Batch) error {
	if e.kind != normalizers.JSONObject {
		return feeds.ListEntry(feed, what, e.kind)
	}
	if e.has&hasError != 0 && e.errKind == normalizers.JSONObject {
		return feeds.Refusal(feed, "EasyPost", string(e.errCode), string(e.errMsg))
	}
	if e.has&hasResult != 0 {
		if e.resultKind == normalizers.JSONObject && e.result.has&trackerBits != 0 {
			return e.result.add(in, b)
		}
		return normalizers.Errorf(normalizers.KindEmpty, feed, "EasyPost event %s carries no tracker in result",
			normalizers.Quote(string(e.desc)))
	}
	if e.t.has&trackerBits != 0 {
		return e.t.add(in, b)
	}
	return normalizers.Errorf(normalizers.KindDecode, feed, "not an EasyPost tracker or event: no tracking_code, tracking_details or result")
}

// add adds the scans of one Tracker.
func (t *tracker) add(in *normalizers.Input, b *normalizers.Batch) error {
	tracking, err := feeds.TrackingText(b, in, feed, t.number, "tracking_code")
	if err != nil {
		return err
	}
	carrier := feeds.CarrierBytes(feed, t.carrier)
	mapper := feeds.Mapper(carrier)
	s := normalizers.Scan{TrackingNumber: tracking, Carrier: carrier}
	if t.has&hasDetail != 0 {
		s.Service = b.ServiceKey(t.service, carrier)
		s.EstimatedDelivery = feeds.Date(b, t.estLocal)
		feeds.PlaceText(&t.from, &s.Origin, b)
		feeds.PlaceText(&t.to, &s.Destination, b)
	}
	if s.EstimatedDelivery == "" {
		s.EstimatedDelivery = feeds.Date(b, t.est)
	}
	feeds.FillCountry(&s.Origin, carrier, &s.Destination)
	feeds.FillCountry(&s.Destination, carrier, &s.Origin)
	var h feeds.History
	for i := range t.details {
		d := &t.details[i]
		// "Shipment Information Unavailable" has no time; it is not a scan.
		when, ok := h.TimeRaw(b, tracking, d.date, "datetime")
		if !ok {
			continue
		}
		sc := s
		sc.Time = when
		feeds.PlaceText(&d.loc, &sc.Location, b)
		feeds.FillCountry(&sc.Location, carrier, &s.Destination, &s.Origin)
		text := d.f[0]
		if len(text) == 0 {
			text = d.f[1]
		}
		desc := redactor.Text(b, b.Str(text))
		e := feeds.Event{
			Mapper: mapper,
			Code:   b.Str(d.f[2]),
			Status: b.Str(d.f[3]),
			Sub:    b.Str(d.f[4]),
			Text:   desc,
		}
		feeds.Add(b, Table, &sc, &e)
		h.Scans++
	}
	if h.Scans > 0 || h.Refused > 0 {
		return nil // the pending event's text is not worth reading
	}
	var text []byte
	if len(t.details) > 0 {
		text = t.details[0].f[0]
	}
	notString := t.statusKind != normalizers.JSONInvalid && t.statusKind != normalizers.JSONString && t.statusKind != normalizers.JSONNull
	return h.PendingText(b, feed, carrier, tracking, notString, t.status, redactor.Text(b, b.Str(text)), "status")
}
