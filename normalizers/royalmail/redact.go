package royalmail

import "github.com/wismo/wismo/normalizers"

// Personal data in Royal Mail answers: signature.recipientName (the person
// who signed) and the signature image, which the decoder never reads. The
// text an event keeps, its eventName, passes the common markers; Royal Mail
// writes "Delivered to Safeplace by ..." before the place, not a person,
// and the markers need a colon there.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
