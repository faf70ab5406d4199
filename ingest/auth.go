package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// Scheme is how a source proves that a webhook comes from it.
type Scheme string

// The schemes, each as its source documents it.
const (
	// EasyPost: X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the
	// body>, keyed by the webhook secret in Unicode NFKD (as EasyPost's
	// client libraries' validate_webhook normalize it).
	EasyPost Scheme = "easypost"
	// AfterShip: aftership-hmac-sha256: <base64 HMAC-SHA256 of the body>,
	// keyed by the account's webhook secret.
	AfterShip Scheme = "aftership"
	// 17TRACK: sign: <hex SHA-256 of the body, "/" and the API key>.
	SeventeenTrack Scheme = "17track"
	// karrio: X-Event-Id: the webhook's secret itself (karrio signs
	// nothing; it sends the secret it generated for the webhook).
	Karrio Scheme = "karrio"
	// Ship24: Authorization: Bearer <the webhook secret> (Ship24 signs
	// nothing; it sends the secret its dashboard shows, as a bearer token,
	// per docs.ship24.com/webhooks/authentication).
	Ship24 Scheme = "ship24"
	// Token: sources that sign nothing (Shippo, carriers' own pushes) post
	// to /webhooks/<source>/<token>; the token is the secret.
	Token Scheme = "token"
)

// scheme says where a request carries its proof and how the proof of a
// body under a key is made.
type scheme struct {
	// header holds the proof; "" means the path's last segment.
	header string
	// prefix precedes the proof in the header.
	prefix string
	// enc is how the proof is written in the header.
	enc encoding
	// key is the secret as the source keys its hash with (nil: as set).
	key func(secret string) []byte
	// hash is a new hash whose sum over the body is the proof under key;
	// nil: the proof is the secret itself.
	hash func(key []byte) hash.Hash
}

// encoding is how a proof is written.
type encoding int

// The zero encoding is the secret itself, as it is.
const (
	// hexEnc: hex, read regardless of case.
	hexEnc encoding = iota + 1
	// base64Enc: standard base64, padded.
	base64Enc
)

// encode writes sum as e writes it.
func (e encoding) encode(sum []byte) string {
	switch e {
	case hexEnc:
		return hex.EncodeToString(sum)
	case base64Enc:
		return base64.StdEncoding.EncodeToString(sum)
	}
	return string(sum)
}

// decode reads a proof into dst (which it may reuse), or fails: a proof
// that does not decode matches no key.
func (e encoding) decode(dst, proof []byte) ([]byte, bool) {
	switch e {
	case hexEnc:
		if len(proof)%2 != 0 || len(proof)/2 > cap(dst) {
			return nil, false
		}
		n, err := hex.Decode(dst[:len(proof)/2], proof)
		return dst[:n], err == nil
	case base64Enc:
		if base64.StdEncoding.DecodedLen(len(proof)) > cap(dst) {
			return nil, false
		}
		n, err := base64.StdEncoding.Decode(dst[:cap(dst)], proof)
		return dst[:n], err == nil
	}
	return proof, true
}

// suffixed is SHA-256 over what is written and then suffix (17TRACK's
// body + "/" + key). Its Sum writes the suffix, so it serves once per
// Reset, which is how Verify uses it.
type suffixed struct {
	hash.Hash
	suffix []byte
}

func (s *suffixed) Sum(b []byte) []byte {
	s.Hash.Write(s.suffix)
	return s.Hash.Sum(b)
}

// schemes are the facts of each scheme, in one place.
var schemes = map[Scheme]scheme{
	EasyPost: {header: "X-Hmac-Signature", prefix: "hmac-sha256-hex=", enc: hexEnc,
		key:  func(secret string) []byte { return norm.NFKD.Bytes([]byte(secret)) },
		hash: func(key []byte) hash.Hash { return hmac.New(sha256.New, key) }},
	AfterShip: {header: "Aftership-Hmac-Sha256", enc: base64Enc,
		hash: func(key []byte) hash.Hash { return hmac.New(sha256.New, key) }},
	SeventeenTrack: {header: "Sign", enc: hexEnc,
		hash: func(key []byte) hash.Hash { return &suffixed{sha256.New(), append([]byte("/"), key...)} }},
	Karrio: {header: "X-Event-Id"},
	Ship24: {header: "Authorization", prefix: "Bearer "},
	Token:  {},
}

// Schemes lists the known schemes, for settings and errors.
func Schemes() []string {
	var out []string
	for s := range schemes {
		out = append(out, string(s))
	}
	slices.Sort(out)
	return out
}

// DefaultScheme is the scheme of a source named name: an aggregator's own
// when it has one, else Token.
func DefaultScheme(name string) Scheme {
	if s := Scheme(name); s != Token {
		if _, ok := schemes[s]; ok {
			return s
		}
	}
	return Token
}

// ParseScheme checks a scheme's name.
func ParseScheme(s string) (Scheme, error) {
	if _, ok := schemes[Scheme(s)]; !ok {
		return "", fmt.Errorf("auth %q: want one of %s", s, strings.Join(Schemes(), ", "))
	}
	return Scheme(s), nil
}

// ErrUnauthorized is a request whose proof is missing or matches no key.
var ErrUnauthorized = errors.New("unauthorized")

// Verifier checks requests against one or two keys: two while a key is
// being rotated, so that senders can switch at their own pace.
type Verifier struct {
	name Scheme
	s    scheme
	keys []verifierKey
}

// verifierKey is one key, as its scheme keys its hash, with a pool of
// hashes keyed by it (keying an HMAC costs more than hashing a webhook).
type verifierKey struct {
	key    []byte
	hashes *sync.Pool
}

// NewVerifier makes the verifier of scheme s with keys (one or two,
// none empty).
func NewVerifier(s Scheme, keys ...string) (*Verifier, error) {
	sc, ok := schemes[s]
	if !ok {
		return nil, fmt.Errorf("auth %q: want one of %s", s, strings.Join(Schemes(), ", "))
	}
	if len(keys) == 0 || len(keys) > 2 {
		return nil, fmt.Errorf("auth %s: %d keys, want 1 or 2 (the current and, while rotating, the previous)", s, len(keys))
	}
	v := &Verifier{name: s, s: sc}
	for _, k := range keys {
		if k == "" {
			return nil, fmt.Errorf("auth %s: an empty key", s)
		}
		v.keys = append(v.keys, sc.newKey(k))
	}
	return v, nil
}

func (sc scheme) newKey(secret string) verifierKey {
	vk := verifierKey{key: []byte(secret)}
	if sc.key != nil {
		vk.key = sc.key(secret)
	}
	if sc.hash != nil {
		vk.hashes = &sync.Pool{New: func() any { return sc.hash(vk.key) }}
	}
	return vk
}

// sum appends the proof of body under k (not encoded) to dst.
func (k verifierKey) sum(dst, body []byte) []byte {
	if k.hashes == nil {
		return append(dst, k.key...)
	}
	h := k.hashes.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	dst = h.Sum(dst)
	k.hashes.Put(h)
	return dst
}

// Scheme is the verifier's scheme.
func (v *Verifier) Scheme() Scheme { return v.name }

// InPath reports whether the proof is the path's last segment.
func (v *Verifier) InPath() bool { return v.s.header == "" }

// Header is the request header that holds the proof ("" when it is the
// path's last segment).
func (v *Verifier) Header() string { return v.s.header }

// Verify checks proof, as the request carries it (the value of Header, or
// the path's last segment), for body. Every key is tried, so the time
// taken does not say which matched; the comparisons are in constant time.
func (v *Verifier) Verify(proof, body []byte) error {
	if v.s.prefix != "" {
		var ok bool
		if proof, ok = cutPrefixFold(proof, v.s.prefix); !ok {
			return ErrUnauthorized
		}
	}
	if len(proof) == 0 {
		return ErrUnauthorized
	}
	var gotBuf, wantBuf [2 * sha256.Size]byte
	got, ok := v.s.enc.decode(gotBuf[:0], proof)
	if !ok {
		return ErrUnauthorized
	}
	match := 0
	for _, k := range v.keys {
		match |= subtle.ConstantTimeCompare(got, k.sum(wantBuf[:0], body))
	}
	if match != 1 {
		return ErrUnauthorized
	}
	return nil
}

func cutPrefixFold(s []byte, prefix string) ([]byte, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(string(s[:len(prefix)]), prefix) {
		return nil, false
	}
	return s[len(prefix):], true
}

// Sign is what a sender holding key presents for body under scheme s (the
// header value, or the path token): for tests and the load generator.
func Sign(s Scheme, key string, body []byte) (header, value string) {
	sc, ok := schemes[s]
	if !ok {
		return "", ""
	}
	return sc.header, sc.prefix + sc.enc.encode(sc.newKey(key).sum(nil, body))
}
