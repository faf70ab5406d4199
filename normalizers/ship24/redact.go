package ship24

import "github.com/wismo/wismo/normalizers"

// Personal data in Ship24 trackings: shipment.delivery.signedBy, the
// recipient (name, address, postCode, city, subdivision), the tracker's
// recipient email and name, and the shipment and client references the
// sender sets. The decoder never reads them. The text an event keeps, its
// status, passes the common markers.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
