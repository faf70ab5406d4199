package dpd

import (
	"slices"

	"github.com/wismo/wismo/normalizers"
)

// Personal data in DPD answers. shipmentInfo/receiver holds the
// consignee's name and address, and predictInformation may repeat the
// consignee's contact: the decoder never reads them. The texts an event
// keeps are statusInfo's description (or label), DPD's fixed wording per
// status and language, which pass the common markers in case a name is put
// there, and their German, Dutch and French forms ("Zugestellt an: ...").
var redactor = normalizers.NewRedactor(slices.Concat(normalizers.NameMarkers,
	[]string{"ZUGESTELLT AN:", "UNTERSCHRIFT:", "AFGELEVERD AAN:", "LIVRÉ À:"})...)
