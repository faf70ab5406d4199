package trackingmore

import "github.com/wismo/wismo/normalizers"

// Personal data in TrackingMore trackings: customer_name, customer_email,
// customer_phone, order_number, title, note, the recipient's postcode and
// address fields the sender adds (tracking_postal_code, destination
// address), and signed_by. The decoder never reads them. The text an event
// keeps, a checkpoint's tracking_detail, passes the common markers.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
