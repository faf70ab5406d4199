package karrio

import "github.com/wismo/wismo/normalizers"

// Personal data in karrio trackers: info.customer_name and info.signed_by
// name people, and the decoder never reads them; the shipment's ends are
// read as country and postal code only. The text an event keeps is its
// description, which passes the common name markers in case a carrier put
// a signer there.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
