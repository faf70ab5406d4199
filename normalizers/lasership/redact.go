package lasership

import "github.com/wismo/wismo/normalizers"

// Personal data in LaserShip answers: Signature and Signature2 (the name
// the driver took at the door), which the decoder never reads. The texts an
// event keeps, EventShortText and EventLongText, pass the common markers.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
