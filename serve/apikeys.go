package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// APIKeys are the lookup API's keys, held as SHA-256 hashes: the
// configuration never holds a key itself, so a leaked file grants nothing.
type APIKeys struct {
	names  []string
	hashes [][sha256.Size]byte
}

// ParseAPIKeys reads NAME:SHA256HEX entries; the names in revoked are left
// out (refused).
func ParseAPIKeys(entries, revoked []string) (*APIKeys, error) {
	k := &APIKeys{}
	gone := map[string]bool{}
	for _, n := range revoked {
		gone[n] = true
	}
	for i, e := range entries {
		name, h, ok := strings.Cut(e, ":")
		b, err := hex.DecodeString(h)
		if !ok || name == "" || err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("serve.api_keys[%d]: want NAME:SHA256HEX", i)
		}
		if gone[name] {
			continue
		}
		k.names = append(k.names, name)
		k.hashes = append(k.hashes, [sha256.Size]byte(b))
	}
	return k, nil
}

// HashKey is the hash serve.api_keys holds of key.
func HashKey(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// Check reports whether key is one of the keys (comparing every hash in
// constant time).
func (k *APIKeys) Check(key string) bool {
	if k == nil || key == "" {
		return false
	}
	s := sha256.Sum256([]byte(key))
	ok := 0
	for _, h := range k.hashes {
		ok |= subtle.ConstantTimeCompare(h[:], s[:])
	}
	return ok == 1
}
