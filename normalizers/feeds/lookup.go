package feeds

import "sync"

// CarrierBytes is Carrier for a name straight from a decoder's buffer: a
// name in the table costs no allocation (names of up to 64 bytes; a longer
// one is Carrier's), nor does an ASCII one the table lacks once its
// normalized id is remembered (normalizedID).
func CarrierBytes(feed string, name []byte) string {
	var low [64]byte
	if len(name) > len(low) {
		return Carrier(feed, string(name))
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	if id, ok := carriers[feed][string(low[:len(name)])]; ok {
		return id
	}
	return normalizedID(low[:len(name)])
}

// normalized remembers the ids Normalize gave names no table lists (a
// feed's courier code for a carrier wismo has no entry for comes with
// every tracker), by the id's letters; at most maxNormalized of them, so
// that payloads naming ever new carriers cannot grow it without bound.
var normalized = struct {
	sync.RWMutex
	ids map[string]string
}{ids: map[string]string{}}

const maxNormalized = 1024

// normalizedID is Normalize(string(name)) for a name of at most 64 bytes
// in lower case, without allocating when the id is remembered. A name
// that is not ASCII goes to Normalize, whose lower-casing is Unicode's.
func normalizedID(name []byte) string {
	var buf [64]byte
	key := buf[:0]
	for _, c := range name {
		switch {
		case c >= 0x80:
			return Normalize(string(name))
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			key = append(key, c)
		}
	}
	normalized.RLock()
	id, ok := normalized.ids[string(key)]
	normalized.RUnlock()
	if ok {
		return id
	}
	id = Normalize(string(name))
	normalized.Lock()
	if len(normalized.ids) < maxNormalized {
		normalized.ids[string(key)] = id
	}
	normalized.Unlock()
	return id
}
