package postnl

import "github.com/wismo/wismo/normalizers"

// Personal data in PostNL answers: Address[] (FirstName, LastName, Name,
// CompanyName, Street, HouseNumber), whose city, postcode and country alone
// the decoder reads for the origin and destination; Customer.Name (the
// sender's business); and a delivery's signature (a separate call). The
// text an event keeps, its Description, passes the common markers and
// PostNL's Dutch ones ("Ontvangen door: ..." on a signed delivery).
var redactor = normalizers.NewRedactor(append([]string{"ONTVANGEN DOOR:", "GETEKEND DOOR", "AFGEHAALD DOOR:"}, normalizers.NameMarkers...)...)
