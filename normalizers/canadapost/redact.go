package canadapost

import "github.com/wismo/wismo/normalizers"

// Personal data in Canada Post answers. The person who signed for an item
// is in signatory-name, and the customer numbers and references
// (mailed-by-customer-number, customer-ref-1/2) identify the shipper's
// account and order: the decoder never reads them. The text an event keeps
// is event-description, Canada Post's fixed wording, which passes the common
// markers in case a name is put there. event-retail-name is the name of a
// post office, not of a person, and is kept as the facility.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
