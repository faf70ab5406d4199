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

	"github.com/valyala/fastjson"
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
func New() *feeds.Normalizer { return feeds.New(Spec, "a Shippo track or webhook", "results", item) }

func init() { normalizers.Register(New()) }

// item reads one Track, or one webhook carrying a Track in data.
func item(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if d := v.Get("data"); d != nil {
		if d.Type() == fastjson.TypeObject && isTrack(d) {
			return track(d, in, b)
		}
		return normalizers.Errorf(normalizers.KindEmpty, feed, "Shippo webhook %s carries no track in data",
			normalizers.Quote(string(v.GetStringBytes("event"))))
	}
	if isTrack(v) {
		return track(v, in, b)
	}
	if detail := v.GetStringBytes("detail"); len(detail) > 0 {
		// Shippo's error answer, {"detail": "Not found."}
		return normalizers.Errorf(normalizers.KindCarrierError, feed, "Shippo error: %s", normalizers.Quote(string(detail)))
	}
	return normalizers.Errorf(normalizers.KindDecode, feed, "not a Shippo track or webhook: no tracking_number, tracking_history, tracking_status or data")
}

func isTrack(v *fastjson.Value) bool {
	return v.Exists("tracking_number") || v.Exists("tracking_history") || v.Exists("tracking_status")
}

// track adds the scans of one Track.
func track(t *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	tracking, err := feeds.Tracking(b, in, feed, t, "tracking_number")
	if err != nil {
		return err
	}
	carrier := feeds.CarrierBytes(feed, t.GetStringBytes("carrier"))
	s := normalizers.Scan{TrackingNumber: tracking, Carrier: carrier}
	service := t.GetStringBytes("servicelevel", "token")
	if len(service) == 0 {
		service = t.GetStringBytes("servicelevel", "name")
	}
	s.Service = b.ServiceKey(service, carrier)
	s.EstimatedDelivery = feeds.Date(b, t.GetStringBytes("eta"))
	feeds.Place(t.Get("address_from"), &s.Origin, b)
	feeds.Place(t.Get("address_to"), &s.Destination, b)
	feeds.FillCountry(&s.Origin, carrier, &s.Destination)
	feeds.FillCountry(&s.Destination, carrier, &s.Origin)
	var h feeds.History
	for _, entry := range t.GetArray("tracking_history") {
		add(entry, &s, &h, b)
	}
	status := t.Get("tracking_status")
	if h.Scans == 0 && h.Refused == 0 && status != nil && status.Type() == fastjson.TypeObject {
		add(status, &s, &h, b) // the summary is a scan only when it is all there is
	}
	if h.Scans > 0 || h.Refused > 0 {
		return nil // the pending event's text is not worth reading
	}
	return h.Pending(b, feed, carrier, tracking, t, redactor.Text(b, b.Str(status.GetStringBytes("status_details"))),
		"tracking_status", "status")
}

// add turns one tracking status (a history entry) into a scan, counted
// in h.
func add(v *fastjson.Value, base *normalizers.Scan, h *feeds.History, b *normalizers.Batch) {
	if v.Type() != fastjson.TypeObject {
		return
	}
	o, _ := v.Object()
	var date, loc, details, status, substatus *fastjson.Value
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch string(k) {
		case "status_date":
			date = feeds.First(date, x)
		case "location":
			loc = feeds.First(loc, x)
		case "status_details":
			details = feeds.First(details, x)
		case "status":
			status = feeds.First(status, x)
		case "substatus":
			substatus = feeds.First(substatus, x)
		}
	})
	when, ok := h.TimeOf(b, base.TrackingNumber, date, "status_date")
	if !ok {
		return
	}
	s := *base
	s.Time = when
	feeds.Place(loc, &s.Location, b)
	feeds.FillCountry(&s.Location, s.Carrier, &base.Destination, &base.Origin)
	desc := redactor.Text(b, b.Str(details.GetStringBytes()))
	if desc == "" {
		desc = redactor.Text(b, b.Str(substatus.GetStringBytes("text")))
	}
	e := feeds.Event{
		Status: b.Upper(status.GetStringBytes()),
		Sub:    b.Str(substatus.GetStringBytes("code")),
		Text:   desc,
	}
	feeds.Add(b, Table, &s, &e)
	h.Scans++
}
