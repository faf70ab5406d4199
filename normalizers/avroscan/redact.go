package avroscan

import "github.com/wismo/wismo/normalizers"

// Personal data in the generic feed. Its schema has no field for a person,
// but its texts come from any 3PL or aggregator, which may copy a
// carrier's "signed for by" line into description, or a "LEFT WITH: name"
// into facility: both pass the common markers.
var redactor = normalizers.NewRedactor(normalizers.NameMarkers...)
