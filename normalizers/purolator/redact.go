package purolator

import "github.com/wismo/wismo/normalizers"

// Personal data in Purolator answers. A delivery scan's ScanDetails names
// the person who signed (DeliverySignature) and may carry the signature
// image, and a scan's Comment holds the driver's free notes: the decoder
// never reads them. The text an event keeps is the scan's Description,
// Purolator's fixed wording, which passes the common markers in case a
// name is put there ("Shipment delivered to: ...").
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
