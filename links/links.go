// Package links signs and checks the tokens of tracking links: a token
// names one shipment, the time it expires and the id of the key that signed
// it, under HMAC-SHA256. It holds no personal data (a shipment id is the
// carrier and its tracking number).
//
// Keys rotate: a Keyring signs with one key and verifies with every key it
// holds, so links signed before a rotation keep working until their key is
// retired (removed from the ring: its links then fail as forged) or revoked
// (listed as revoked: its links are refused, as after a leak).
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The token's layout (before base64url): version, key id length, key id,
// expiry (Unix seconds, 8 bytes big-endian), shipment id length (2 bytes),
// shipment id, then the 32-byte MAC of everything before it.
const (
	version = 1
	macLen  = sha256.Size
	// MaxKeyID and MaxShipmentID bound the fields, so a token stays short
	// enough for a text message and a decoder never allocates much.
	MaxKeyID      = 32
	MaxShipmentID = 128
	// MaxTokenLen is the longest token Verify reads.
	MaxTokenLen = (1 + 1 + MaxKeyID + 8 + 2 + MaxShipmentID + macLen + 2) * 4 / 3
	// MinSecret is the shortest key accepted: 32 bytes, as long as the MAC.
	MinSecret = 32
)

// domain separates these MACs from any other use of the same key.
var domain = []byte("wismo tracking link v1\x00")

// Errors of Verify. A page answers ErrInvalid and ErrRevoked with 401 and
// ErrExpired with 410; none of them with data.
var (
	ErrInvalid = errors.New("links: the token is not valid (altered, cut short or signed with an unknown key)")
	ErrRevoked = errors.New("links: the token was signed with a revoked key")
	ErrExpired = errors.New("links: the token has expired")
)

// Key is one signing key.
type Key struct {
	ID     string
	Secret []byte
}

// Claims is what a valid token says.
type Claims struct {
	ShipmentID string
	Expires    time.Time
	KeyID      string
}

// Keyring signs with its signing key and verifies with all its keys.
type Keyring struct {
	sign    Key
	keys    map[string][]byte
	revoked map[string]bool
}

// ParseKeys reads keys written ID:SECRET, separated by commas, spaces or
// new lines, the secret in base64 (standard or URL alphabet, padded or not)
// of at least MinSecret bytes. setting names the setting in errors.
func ParseKeys(setting, s string) ([]Key, error) {
	var keys []Key
	var errs []error
	seen := map[string]bool{}
	for i, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		id, sec, ok := strings.Cut(f, ":")
		if !ok {
			errs = append(errs, fmt.Errorf("%s: key %d is not ID:SECRET (the secret in base64; make one with `head -c 32 /dev/urandom | base64`)", setting, i+1))
			continue
		}
		if err := checkKeyID(id); err != nil {
			errs = append(errs, fmt.Errorf("%s: key %d: %w", setting, i+1, err))
			continue
		}
		b, err := decodeSecret(sec)
		if err != nil || len(b) < MinSecret {
			errs = append(errs, fmt.Errorf("%s: key %q: the secret must be base64 of at least %d bytes (`head -c 32 /dev/urandom | base64`)", setting, id, MinSecret))
			continue
		}
		if seen[id] {
			errs = append(errs, fmt.Errorf("%s: key id %q is given twice", setting, id))
			continue
		}
		seen[id] = true
		keys = append(keys, Key{ID: id, Secret: b})
	}
	return keys, errors.Join(errs...)
}

func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// checkKeyID: 1 to MaxKeyID letters, digits, '-' and '_'.
func checkKeyID(id string) error {
	if id == "" || len(id) > MaxKeyID {
		return fmt.Errorf("key id %q: want 1 to %d letters, digits, '-' or '_'", id, MaxKeyID)
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("key id %q: want 1 to %d letters, digits, '-' or '_'", id, MaxKeyID)
		}
	}
	return nil
}

// NewKeyring builds a ring that signs with the key signID and verifies with
// every key of keys that is not revoked. signID may be "" for a ring that
// only verifies.
func NewKeyring(keys []Key, signID string, revoked []string) (*Keyring, error) {
	k := &Keyring{keys: map[string][]byte{}, revoked: map[string]bool{}}
	for _, id := range revoked {
		k.revoked[id] = true
	}
	for _, key := range keys {
		if err := checkKeyID(key.ID); err != nil {
			return nil, err
		}
		if len(key.Secret) < MinSecret {
			return nil, fmt.Errorf("links: key %q: secret of %d bytes, want at least %d", key.ID, len(key.Secret), MinSecret)
		}
		k.keys[key.ID] = key.Secret
		if key.ID == signID {
			k.sign = key
		}
	}
	switch {
	case signID == "":
	case k.revoked[signID]:
		return nil, fmt.Errorf("links: the signing key %q is revoked; sign with another key", signID)
	case k.sign.ID == "":
		return nil, fmt.Errorf("links: the signing key %q is not among the keys", signID)
	}
	return k, nil
}

// Sign returns the token of shipment, expiring at exp.
func (k *Keyring) Sign(shipment string, exp time.Time) (string, error) {
	if k.sign.ID == "" {
		return "", errors.New("links: this keyring has no signing key")
	}
	if shipment == "" || len(shipment) > MaxShipmentID {
		return "", fmt.Errorf("links: shipment id of %d bytes, want 1 to %d", len(shipment), MaxShipmentID)
	}
	b := make([]byte, 0, 1+1+len(k.sign.ID)+8+2+len(shipment)+macLen)
	b = append(b, version, byte(len(k.sign.ID)))
	b = append(b, k.sign.ID...)
	b = binary.BigEndian.AppendUint64(b, uint64(exp.Unix()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(shipment)))
	b = append(b, shipment...)
	b = append(b, mac(k.sign.Secret, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func mac(secret, payload []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(domain)
	h.Write(payload)
	return h.Sum(nil)
}

// Verify checks token at now and returns its claims, or ErrInvalid,
// ErrRevoked or ErrExpired. The MAC is checked before the expiry, so a
// forged token never learns whether its shipment exists.
func (k *Keyring) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, ErrInvalid
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) < 2+8+2+macLen || b[0] != version {
		return Claims{}, ErrInvalid
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	n := int(b[1])
	if n == 0 || n > MaxKeyID || len(body) < 2+n+8+2 {
		return Claims{}, ErrInvalid
	}
	kid := string(body[2 : 2+n])
	rest := body[2+n:]
	exp := int64(binary.BigEndian.Uint64(rest))
	sl := int(binary.BigEndian.Uint16(rest[8:]))
	if sl == 0 || sl > MaxShipmentID || len(rest) != 8+2+sl {
		return Claims{}, ErrInvalid
	}
	if k.revoked[kid] {
		return Claims{}, ErrRevoked
	}
	secret, ok := k.keys[kid]
	if !ok || !hmac.Equal(mac(secret, body), sum) {
		return Claims{}, ErrInvalid
	}
	c := Claims{ShipmentID: string(rest[10:]), Expires: time.Unix(exp, 0).UTC(), KeyID: kid}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// Policy says when a link expires.
type Policy struct {
	// AfterEnd: a link stays valid this long after the shipment was
	// delivered or expired (90 days by default).
	AfterEnd time.Duration
	// Open: a link of a shipment still under way is valid this long after
	// it was made; the page also refuses it AfterEnd after the end, once
	// the end is known.
	Open time.Duration
}

// Defaults of the policy (links.after_end, links.open_ttl).
const (
	DefaultAfterEnd = 90 * 24 * time.Hour
	DefaultOpen     = 180 * 24 * time.Hour
)

// Expiry is when a link made at made expires: AfterEnd after end when the
// shipment has ended (end not zero), else Open after made.
func (p Policy) Expiry(end, made time.Time) time.Time {
	if !end.IsZero() {
		return end.Add(p.AfterEnd)
	}
	return made.Add(p.Open)
}

// EndMilestones are the milestones after which a shipment's links count
// down AfterEnd: delivered, back with the sender, or given up.
var EndMilestones = []string{"delivered", "returned", "expired"}

// IsEnd reports whether milestone is one of EndMilestones.
func IsEnd(milestone string) bool { return slices.Contains(EndMilestones, milestone) }

// Ended reports whether a shipment that ended at end is past its links'
// life at now (end zero: not ended).
func (p Policy) Ended(end, now time.Time) bool {
	return !end.IsZero() && !now.Before(end.Add(p.AfterEnd))
}

// Maker makes the tracking URLs of commands: base + "/t/" + token.
type Maker struct {
	Base   string
	Ring   *Keyring
	Policy Policy
}

// URL returns the tracking URL of shipment; end is when it was delivered
// or expired (zero while under way), made when the link is made.
func (m *Maker) URL(shipment string, end, made time.Time) (string, error) {
	tok, err := m.Ring.Sign(shipment, m.Policy.Expiry(end, made))
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(m.Base, "/") + "/t/" + tok, nil
}
