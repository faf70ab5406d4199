package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

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
	// Token: sources that sign nothing (Shippo, carriers' own pushes) post
	// to /webhooks/<source>/<token>; the token is the secret.
	Token Scheme = "token"
)

// scheme says where a request carries its proof and what the proof of a
// body under a key is.
type scheme struct {
	// header holds the proof; "" means the path's last segment.
	header string
	// prefix precedes the proof in the header.
	prefix string
	// fold: the proof is hex, compared regardless of case.
	fold bool
	// proof is what a sender holding key presents for body.
	proof func(key, body []byte) []byte
}

func hmacSHA256(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

func hexProof(b []byte) []byte { return []byte(hex.EncodeToString(b)) }

func secretItself(key, _ []byte) []byte { return key }

// schemes are the facts of each scheme, in one place.
var schemes = map[Scheme]scheme{
	EasyPost: {header: "X-Hmac-Signature", prefix: "hmac-sha256-hex=", fold: true, proof: func(key, body []byte) []byte {
		return hexProof(hmacSHA256(norm.NFKD.Bytes(key), body))
	}},
	AfterShip: {header: "Aftership-Hmac-Sha256", proof: func(key, body []byte) []byte {
		return []byte(base64.StdEncoding.EncodeToString(hmacSHA256(key, body)))
	}},
	SeventeenTrack: {header: "Sign", fold: true, proof: func(key, body []byte) []byte {
		h := sha256.New()
		h.Write(body)
		h.Write([]byte("/"))
		h.Write(key)
		return hexProof(h.Sum(nil))
	}},
	Karrio: {header: "X-Event-Id", proof: secretItself},
	Token:  {proof: secretItself},
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
	keys [][]byte
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
		v.keys = append(v.keys, []byte(k))
	}
	return v, nil
}

// Scheme is the verifier's scheme.
func (v *Verifier) Scheme() Scheme { return v.name }

// InPath reports whether the proof is the path's last segment.
func (v *Verifier) InPath() bool { return v.s.header == "" }

// Verify checks the proof of body: the header's, or token (the path's
// last segment) for Token. Every key is tried, so the time taken does not
// say which matched.
func (v *Verifier) Verify(h http.Header, token string, body []byte) error {
	got := token
	if v.s.header != "" {
		got = h.Get(v.s.header)
		if v.s.prefix != "" {
			var ok bool
			if got, ok = cutPrefixFold(got, v.s.prefix); !ok {
				return ErrUnauthorized
			}
		}
	}
	if got == "" {
		return ErrUnauthorized
	}
	if v.s.fold {
		got = strings.ToLower(got)
	}
	match := 0
	for _, k := range v.keys {
		match |= subtle.ConstantTimeCompare([]byte(got), v.s.proof(k, body))
	}
	if match != 1 {
		return ErrUnauthorized
	}
	return nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
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
	return sc.header, sc.prefix + string(sc.proof([]byte(key), body))
}
