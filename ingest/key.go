package ingest

import "github.com/valyala/fastjson"

// keyPaths are, per source, where its bodies give the tracking number, in
// the order tried: the record key, so that one parcel's webhooks land in
// one partition and stay in order. A source not listed, or a body without
// any of them, gives records without a key.
var keyPaths = map[string][][]string{
	"easypost":     {{"result", "tracking_code"}, {"tracking_code"}},                                           // Event, Tracker
	"shippo":       {{"data", "tracking_number"}, {"tracking_number"}},                                         // track_updated, Track
	"aftership":    {{"msg", "tracking_number"}, {"data", "tracking", "tracking_number"}, {"tracking_number"}}, // webhook msg, v4 tracking
	"17track":      {{"data", "number"}},                                                                       // TRACKING_UPDATED push
	"karrio":       {{"data", "tracking_number"}, {"tracking_number"}},                                         // tracker_updated, tracker
	"ship24":       {{"trackings", "0", "tracker", "trackingNumber"}, {"tracker", "trackingNumber"}},           // webhook, tracking result
	"trackingmore": {{"data", "tracking_number"}, {"tracking_number"}},                                         // webhook and tracking (v4)
	"ups":          {{"trackResponse", "shipment", "0", "package", "0", "trackingNumber"}},
	"fedex":        {{"output", "completeTrackResults", "0", "trackingNumber"}},
}

// maxKey bounds a key taken from a body (the longest real tracking
// numbers have 34 characters; normalize refuses more than 64).
const maxKey = 64

// trackingKey appends to dst the tracking number in v at the first of
// paths that has a string there (nothing when none has).
func trackingKey(dst []byte, v *fastjson.Value, paths [][]string) []byte {
	for _, p := range paths {
		s := v.GetStringBytes(p...)
		if len(s) > 0 && len(s) <= maxKey {
			return append(dst, s...)
		}
	}
	return dst
}
