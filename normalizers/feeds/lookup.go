package feeds

// CarrierBytes is Carrier for a name straight from a decoder's buffer: a
// name in the table costs no allocation (names of up to 64 bytes; a longer
// one, or one the table lacks, is Carrier's normalized id).
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
	return Normalize(string(name))
}
