package aftership

import "github.com/wismo/wismo/normalizers"

// Personal data in AfterShip trackings: signed_by, customer_name, emails,
// smses, the customers' phone numbers and names (customers[], newer API
// versions), title and note (free text the merchant sets, often a name),
// order ids, custom_fields, the recipient's address and postcode
// (destination_raw_location, tracking_postal_code) and the checkpoints'
// coordinates. The decoder never reads them. The text an event keeps, a
// checkpoint's message, passes the common markers: carriers write
// "Delivered - Signed for by: ..." into it and AfterShip passes it on.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
