package seventeentrack

import "github.com/wismo/wismo/normalizers"

// Personal data in 17TRACK answers: shipping_info's shipper_address and
// recipient_address (of which the decoder reads the country alone), an
// event's address.street (never read; city, state, postcode and country
// are), and param and tag, which the sender sets (a postcode or phone digits
// for carriers that need them, an order reference). The text an event
// keeps, its description, passes the common markers: carriers write
// "Delivered, signed by ..." into it and 17TRACK passes it on.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
