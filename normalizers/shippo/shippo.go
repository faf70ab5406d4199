// Package shippo normalizes Shippo's tracking feed: the Track object (GET
// /tracks/{carrier}/{number}, POST /tracks; also a list {"results": [...]}
// or a JSON array of tracks) and the track_updated webhook, {"event":
// "track_updated", "data": <Track>}. The shapes are told apart by content.
//
// A track is a parcel of another carrier: its events name that carrier
// (the Track's carrier token, through feeds.Carrier) and its tracking
// number, and Event.Feed says shippo. Each tracking_history[] entry is one
// scan, classified by Shippo's status and substatus.code and the wording
// of status_details (codes.tsv, through feeds.Classify); Shippo passes no
// carrier code. tracking_status, the summary, never makes a scan of its
// own unless the history is empty and it is dated: then it is the only
// scan there is. A track with neither gives one pending event.
//
// Times: status_date is an instant in UTC ("Z"), placed in the zone of the
// entry's location (tz_source location), else kept as UTC.
package shippo

import (
	_ "embed"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/feeds"
)

//go:embed codes.tsv
var codesTSV []byte

// Table maps Shippo's status and substatus to canonical types.
var Table = normalizers.MustLoadTable("shippo/codes.tsv", codesTSV)

const feed = "shippo"

// Spec is everything wismo knows about the Shippo feed.
var Spec = normalizers.Spec{ID: feed, Name: "Shippo", Reads: []normalizers.Format{normalizers.JSON}, Table: Table}

// New returns the decoder.
func New() *feeds.ScanNormalizer[entry, *entry] {
	return feeds.NewScan[entry](Spec, what, "results")
}

// what names Shippo's payloads in errors.
const what = "a Shippo track or webhook"

func init() { normalizers.Register(New()) }

// entry is one object of a payload: a Track (t), or a webhook with its
// event and the Track in data, or an error's detail.
type entry struct {
	kind, dataKind normalizers.JSONKind
	has            uint32
	event, detail  []byte
	t, data        track
}

// track is a Track's fields: which of entryKeys it has (isTrack), its
// tracking_number, carrier, servicelevel token and name, eta, the places
// from and to, its history and its tracking_status.
type track struct {
	has                  uint32
	number, carrier, eta []byte
	token, name          []byte
	from, to             [4][]byte
	history              []status
	statusKind           normalizers.JSONKind
	status               status
}

// status is one tracking status: its status_date as written, location,
// status_details, status (and its kind), substatus code and text.
type status struct {
	kind     normalizers.JSONKind
	date     []byte
	loc      [4][]byte
	details  []byte
	code     []byte
	codeKind normalizers.JSONKind
	sub      [2][]byte
}

// entryKeys are an entry's keys: a Track's from 3 to 10, results only at
// the root.
var entryKeys = [...]string{"data", "event", "detail", "tracking_number", "tracking_history", "tracking_status",
	"carrier", "servicelevel", "eta", "address_from", "address_to", "results"}

const (
	hasData   = 1 << 0
	trackBits = 1<<3 | 1<<4 | 1<<5
)

// Read implements feeds.ScanEntry.
func (e *entry) Read(st *feeds.ScanState[entry], root bool) {
	sc := &st.Scanner
	*e = entry{kind: sc.Kind(), t: e.t.reset(), data: e.data.reset()}
	hi := len(entryKeys)
	if !root {
		hi-- // results only at the root
	}
	e.has = feeds.Members(sc, entryKey, 0, hi, func(i int) {
		switch i {
		case 0:
			e.dataKind = sc.Kind()
			e.data.has = feeds.Members(sc, entryKey, 3, 11, func(i int) { e.data.field(sc, i) })
		case 1:
			e.event = sc.Str()
		case 2:
			e.detail = sc.Str()
		case 11:
			feeds.ReadList(st)
		default:
			e.t.field(sc, i)
		}
	})
	e.t.has = e.has
}

// entryKey is the index of k in entryKeys, -1 if none.
func entryKey(k []byte) int {
	switch string(k) {
	case "data":
		return 0
	case "event":
		return 1
	case "detail":
		return 2
	case "tracking_number":
		return 3
	case "tracking_history":
		return 4
	case "tracking_status":
		return 5
	case "carrier":
		return 6
	case "servicelevel":
		return 7
	case "eta":
		return 8
	case "address_from":
		return 9
	case "address_to":
		return 10
	case "results":
		return 11
	}
	return -1
}

func (t track) reset() track {
	return track{history: t.history[:0]}
}

// field reads a Track's field entryKeys[i].
func (t *track) field(sc *normalizers.JSONScanner, i int) {
	switch i {
	case 3:
		t.number = feeds.ScanText(sc)
	case 4:
		feeds.Elems(sc, func() { feeds.Next(&t.history).read(sc) })
	case 5:
		t.statusKind = sc.Kind()
		t.status.read(sc)
	case 6:
		t.carrier = sc.Str()
	case 7:
		var f [2][]byte
		sc.Fields(f[:], "token", "name")
		t.token, t.name = f[0], f[1]
	case 8:
		t.eta = sc.Str()
	case 9:
		feeds.ReadPlace(sc, &t.from)
	case 10:
		feeds.ReadPlace(sc, &t.to)
	}
}

// statusKey is the index of k among a status's keys status.read reads, -1
// if none.
func statusKey(k []byte) int {
	switch string(k) {
	case "status_date":
		return 0
	case "location":
		return 1
	case "status_details":
		return 2
	case "status":
		return 3
	case "substatus":
		return 4
	}
	return -1
}

// read reads a tracking status; anything but an object is none.
func (s *status) read(sc *normalizers.JSONScanner) {
	*s = status{kind: sc.Kind()}
	feeds.Members(sc, statusKey, 0, 5, func(i int) {
		switch i {
		case 0:
			s.date = sc.Raw()
		case 1:
			feeds.ReadPlace(sc, &s.loc)
		case 2:
			s.details = sc.Str()
		case 3:
			s.codeKind = sc.Kind()
			s.code = sc.Str()
		case 4:
			sc.Fields(s.sub[:], "code", "text")
		}
	})
}

// Item implements feeds.ScanEntry: it reads one Track, or one webhook carrying a Track in data.
func (e *entry) Item(in *normalizers.Input, b *normalizers.Batch) error {
	if e.kind != normalizers.JSONObject {
		return feeds.ListEntry(feed, what, e.kind)
	}
	if e.has&hasData != 0 {
		if e.dataKind == normalizers.JSONObject && e.data.has&trackBits != 0 {
			return e.data.add(in, b)
		}
		return normalizers.Errorf(normalizers.KindEmpty, feed, "Shippo webhook %s carries no track in data",
			normalizers.Quote(string(e.event)))
	}
	if e.t.has&trackBits != 0 {
		return e.t.add(in, b)
	}
	if len(e.detail) > 0 {
		// Shippo's error answer, {"detail": "Not found."}
		return normalizers.Errorf(normalizers.KindCarrierError, feed, "Shippo error: %s", normalizers.Quote(string(e.detail)))
	}
	return normalizers.Errorf(normalizers.KindDecode, feed, "not a Shippo track or webhook: no tracking_number, tracking_history, tracking_status or data")
}

// add adds the scans of one Track.
func (t *track) add(in *normalizers.Input, b *normalizers.Batch) error {
	tracking, err := feeds.TrackingText(b, in, feed, t.number, "tracking_number")
	if err != nil {
		return err
	}
	carrier := feeds.CarrierBytes(feed, t.carrier)
	s := normalizers.Scan{TrackingNumber: tracking, Carrier: carrier}
	service := t.token
	if len(service) == 0 {
		service = t.name
	}
	s.Service = b.ServiceKey(service, carrier)
	s.EstimatedDelivery = feeds.Date(b, t.eta)
	feeds.PlaceText(&t.from, &s.Origin, b)
	feeds.PlaceText(&t.to, &s.Destination, b)
	feeds.FillCountry(&s.Origin, carrier, &s.Destination)
	feeds.FillCountry(&s.Destination, carrier, &s.Origin)
	var h feeds.History
	for i := range t.history {
		add(&t.history[i], &s, &h, b)
	}
	if h.Scans == 0 && h.Refused == 0 && t.statusKind == normalizers.JSONObject {
		add(&t.status, &s, &h, b) // the summary is a scan only when it is all there is
	}
	if h.Scans > 0 || h.Refused > 0 {
		return nil // the pending event's text is not worth reading
	}
	st := &t.status
	notString := st.codeKind != normalizers.JSONInvalid && st.codeKind != normalizers.JSONString && st.codeKind != normalizers.JSONNull
	return h.PendingText(b, feed, carrier, tracking, notString, st.code, redactor.Text(b, b.Str(st.details)),
		"tracking_status", "status")
}

// add turns one tracking status (a history entry) into a scan, counted
// in h.
func add(v *status, base *normalizers.Scan, h *feeds.History, b *normalizers.Batch) {
	if v.kind != normalizers.JSONObject {
		return
	}
	when, ok := h.TimeRaw(b, base.TrackingNumber, v.date, "status_date")
	if !ok {
		return
	}
	s := *base
	s.Time = when
	feeds.PlaceText(&v.loc, &s.Location, b)
	feeds.FillCountry(&s.Location, s.Carrier, &base.Destination, &base.Origin)
	desc := redactor.Text(b, b.Str(v.details))
	if desc == "" {
		desc = redactor.Text(b, b.Str(v.sub[1]))
	}
	e := feeds.Event{
		Status: b.Upper(v.code),
		Sub:    b.Str(v.sub[0]),
		Text:   desc,
	}
	feeds.Add(b, Table, &s, &e)
	h.Scans++
}
