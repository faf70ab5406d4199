package normalizers

// ServiceKey turns a carrier's service name into a short stable key for
// rules and analytics: "UPS Ground" -> "ground", "FedEx Priority Overnight"
// and "PRIORITY_OVERNIGHT" -> "priority_overnight",
// "USPS Ground Advantage<SUP>&#153;</SUP>" -> "ground_advantage". Markup,
// entities and symbols are dropped, and so is a leading word equal to
// prefix (the carrier's own name).
func (b *Batch) ServiceKey(raw []byte, prefix string) string {
	var buf [96]byte
	out := buf[:0]
	sep := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '<': // markup such as <SUP>
			for i < len(raw) && raw[i] != '>' {
				i++
			}
			sep = true
			continue
		case c == '&': // entities such as &#153; or &reg;
			j := i
			for j < len(raw) && raw[j] != ';' && j-i < 10 {
				j++
			}
			if j < len(raw) && raw[j] == ';' {
				i = j
				sep = true
				continue
			}
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if sep && len(out) > 0 && len(out) < len(buf) {
				out = append(out, '_')
			}
			sep = false
			if len(out) < len(buf) {
				out = append(out, c)
			}
			continue
		}
		sep = true
	}
	if prefix != "" && len(out) > len(prefix) && string(out[:len(prefix)]) == prefix && out[len(prefix)] == '_' {
		out = out[len(prefix)+1:]
	}
	return b.arena.String(out)
}
