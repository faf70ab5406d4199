package australiapost

import "github.com/wismo/wismo/normalizers"

// Personal data in Australia Post answers: the track items answer names no
// one in a field of its own. The text an event keeps, its description,
// passes the common markers ("Signed for by: ...").
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
