package usps

import "github.com/wismo/wismo/normalizers"

// Personal data in USPS answers. The signer's name and the firm delivered
// to are in fields of their own, which the decoders never read: name and
// firm (Tracking API v3), Name and FirmName (Web Tools). The text an event
// keeps is the event wording, USPS's fixed phrases ("Delivered, Left with
// Individual", which the colon-only markers leave alone); it passes the
// common markers in case a name is put there.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
