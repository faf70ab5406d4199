package event

import "sync"

var (
	namesMu sync.RWMutex
	// names starts with carriers that reach wismo through aggregators' feeds
	// without a normalizer of their own; normalizers add theirs.
	names = map[string]string{
		"gls": "GLS", "dpd": "DPD", "royalmail": "Royal Mail", "postnl": "PostNL",
		"canadapost": "Canada Post", "ontrac": "OnTrac",
		"lasership": "LaserShip", "hermes": "Hermes", "evri": "Evri", "australiapost": "Australia Post", "laposte": "La Poste",
	}
)

// RegisterCarrier records a carrier's display name ("FedEx" for "fedex").
// Normalizers register themselves; the name is used in customer messages.
func RegisterCarrier(carrier, display string) {
	namesMu.Lock()
	names[carrier] = display
	namesMu.Unlock()
}

// DisplayName returns the registered display name, or the carrier key in
// capitals when none was registered.
func DisplayName(carrier string) string {
	namesMu.RLock()
	n, ok := names[carrier]
	namesMu.RUnlock()
	if ok {
		return n
	}
	b := []byte(carrier)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
