package fedex

import "github.com/wismo/wismo/normalizers"

// Personal data in FedEx answers. The names are in fields of their own,
// which the decoder never reads: deliveryDetails.receivedByName and
// signedByName, the recipient's and shipper's contact.personName (JSON),
// DeliverySignatureName (Web Services). The texts an event keeps are the
// event and exception descriptions (joined by describe); they pass the
// common markers in case a signer's name is put there ("Signed for by:
// J.DOE", as fedex.com shows it).
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
