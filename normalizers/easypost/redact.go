package easypost

import "github.com/wismo/wismo/normalizers"

// Personal data in EasyPost trackers: signed_by names the person who
// signed for the parcel, and the decoder never reads it; tracking_location
// stops at the city and postal code. The text an event keeps is a detail's
// message (or description), which passes the common name markers in case
// a carrier put a signer there.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
