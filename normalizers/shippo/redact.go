package shippo

import "github.com/wismo/wismo/normalizers"

// Personal data in Shippo tracks: address_from and address_to may carry a
// name, company, street, phone and email beside the city; the decoder
// reads only city, state, zip and country. The texts an event keeps are
// status_details (or the substatus text), which pass the common name
// markers in case a carrier put a signer there.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
