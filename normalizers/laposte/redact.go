package laposte

import "github.com/wismo/wismo/normalizers"

// Personal data in La Poste answers: none in a field the decoder reads
// (contextData.removalPoint names a shop, and is not read either). The
// text an event keeps, its label, passes the common markers and La Poste's
// French one ("Signataire : ...").
var redactor = normalizers.NewRedactor(append([]string{"SIGNATAIRE"}, normalizers.NameMarkers...)...)
