package ups

import "github.com/wismo/wismo/normalizers"

// Personal data in UPS answers. The names are in fields of their own,
// which the decoder never reads: deliveryInformation.receivedBy and
// signature (JSON), ActivityLocation/SignedForByName (XML), and the
// ShipTo/Shipper attention names. ActivityLocation/Description ("FRONT
// DOOR", "LEFT AT") is not read either. The one text an event keeps is the
// status description, UPS's own wording; it passes the common markers in
// case a signer's name is put there ("DELIVERED - SIGNED BY: ...").
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
