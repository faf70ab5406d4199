package dhl

import (
	"bytes"
	"slices"

	"github.com/wismo/wismo/normalizers"
)

// Personal data in DHL answers. The names are in details.receiver,
// details.sender and details.proofOfDelivery.signed (name, givenName,
// familyName) of the Unified API, in receiverDetails, shipperDetails and
// signedBy of MyDHL, in ShipperName, ConsigneeName and Signatory of
// XML-PI, and in the recipient-*, pan-recipient-* (but for the postal
// code, kept as the destination's) and shipper-* attributes of Parcel DE's
// piece-detail, which the decoder never reads. The texts an event keeps are
// an event's description and status: both pass the common markers. And
// DHL Express puts the signatory itself in the description of a delivery:
// DHL's own example event has status "DELIVERED" and description
// "JESSICA". Such a description (see signatory) is withheld whole.
var redactor = normalizers.NewRedactor(slices.Concat(normalizers.NameMarkers, germanNameMarkers)...)

// germanNameMarkers are the common markers as parcel-de writes them in
// German, the language it answers in unless asked otherwise.
var germanNameMarkers = []string{"ZUGESTELLT AN:", "EMPFANGEN VON:", "UNTERSCHRIFT:"}

// maxNameWords bounds how many words a description that is only a name
// may have: given name, middle initial, family name.
const maxNameWords = 3

// signatory reports whether an event's description is the signatory's name:
// the event says it was delivered (statusCode or status), and its
// description is not DHL wording the code table knows (as "Delivered" or
// "Zugestellt" are) but one to three words of letters and . ' -.
func signatory(k *keys, status []byte) bool {
	// Most events are not deliveries: the length test keeps them from the
	// case-folding compare (no letter of "delivered" has a non-ASCII fold).
	if k.desc == "" || (k.statusCode != "delivered" && (len(status) != len("delivered") || !bytes.EqualFold(status, []byte("delivered")))) {
		return false
	}
	words, inWord, letters := 0, false, 0
	for i := 0; i < len(k.desc); i++ {
		switch c := k.desc[i]; {
		case c == ' ':
			inWord = false
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= 0x80:
			letters++
		case c == '.', c == '\'', c == '-':
		default:
			return false
		}
		if !inWord {
			words++
			inWord = true
		}
	}
	return letters > 0 && words <= maxNameWords && !bytes.EqualFold([]byte(k.desc), status) &&
		textRows.lookup(k.desc, k.statusCode) == nil
}
