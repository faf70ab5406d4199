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

	"github.com/valyala/fastjson"
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
func New() *feeds.Normalizer {
	return feeds.New(Spec, "an EasyPost tracker or event", "trackers", item)
}

func init() { normalizers.Register(New()) }

// item reads one Tracker, or one Event carrying a Tracker in result.
func item(v *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	if e := v.Get("error"); e != nil && e.Type() == fastjson.TypeObject {
		return errorBody(e)
	}
	if r := v.Get("result"); r != nil {
		if r.Type() == fastjson.TypeObject && (r.Exists("tracking_code") || r.Exists("tracking_details")) {
			return tracker(r, in, b)
		}
		return normalizers.Errorf(normalizers.KindEmpty, feed, "EasyPost event %s carries no tracker in result",
			normalizers.Quote(string(v.GetStringBytes("description"))))
	}
	if v.Exists("tracking_code") || v.Exists("tracking_details") {
		return tracker(v, in, b)
	}
	return normalizers.Errorf(normalizers.KindDecode, feed, "not an EasyPost tracker or event: no tracking_code, tracking_details or result")
}

// errorBody is EasyPost's error answer, {"error": {"code", "message"}}.
func errorBody(e *fastjson.Value) error {
	return feeds.Refusal(feed, "EasyPost", string(e.GetStringBytes("code")), string(e.GetStringBytes("message")))
}

// tracker adds the scans of one Tracker.
func tracker(t *fastjson.Value, in *normalizers.Input, b *normalizers.Batch) error {
	tracking, err := feeds.Tracking(b, in, feed, t, "tracking_code")
	if err != nil {
		return err
	}
	carrier := feeds.CarrierBytes(feed, t.GetStringBytes("carrier"))
	mapper := feeds.Mapper(carrier)
	cd := t.Get("carrier_detail")
	s := normalizers.Scan{TrackingNumber: tracking, Carrier: carrier}
	if cd != nil {
		s.Service = b.ServiceKey(cd.GetStringBytes("service"), carrier)
		s.EstimatedDelivery = feeds.Date(b, cd.GetStringBytes("est_delivery_date_local"))
		feeds.Place(cd.Get("origin_tracking_location"), &s.Origin, b)
		feeds.Place(cd.Get("destination_tracking_location"), &s.Destination, b)
	}
	if s.EstimatedDelivery == "" {
		s.EstimatedDelivery = feeds.Date(b, t.GetStringBytes("est_delivery_date"))
	}
	feeds.FillCountry(&s.Origin, carrier, &s.Destination)
	feeds.FillCountry(&s.Destination, carrier, &s.Origin)
	var h feeds.History
	details := t.GetArray("tracking_details")
	for _, d := range details {
		// "Shipment Information Unavailable" has no time; it is not a scan.
		when, ok := h.Time(b, tracking, d, "datetime")
		if !ok {
			continue
		}
		sc := s
		sc.Time = when
		feeds.Place(d.Get("tracking_location"), &sc.Location, b)
		feeds.FillCountry(&sc.Location, carrier, &s.Destination, &s.Origin)
		text := d.GetStringBytes("message")
		if len(text) == 0 {
			text = d.GetStringBytes("description")
		}
		desc := redactor.Text(b, b.Str(text))
		e := feeds.Event{
			Mapper: mapper,
			Code:   b.Str(feeds.Text(d, "carrier_code")),
			Status: b.Str(d.GetStringBytes("status")),
			Sub:    b.Str(d.GetStringBytes("status_detail")),
			Text:   desc,
		}
		feeds.Add(b, Table, &sc, &e)
		h.Scans++
	}
	if h.Scans > 0 || h.Refused > 0 {
		return nil // the pending event's text is not worth reading
	}
	var text []byte
	if len(details) > 0 {
		text = details[0].GetStringBytes("message")
	}
	return h.Pending(b, feed, carrier, tracking, t, redactor.Text(b, b.Str(text)), "status")
}
