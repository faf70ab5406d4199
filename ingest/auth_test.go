package ingest

import (
	"net/http"
	"strings"
	"testing"
)

// The expected proofs were computed outside Go, with Python's hmac and
// hashlib from each source's documented recipe, so a mistake in the
// schemes table cannot agree with itself.
const vectorBody = `{"description":"tracker.updated","result":{"tracking_code":"EZ4000000004"}}`

func TestSchemesMatchTheirSources(t *testing.T) {
	for _, tc := range []struct {
		scheme        Scheme
		key           string
		header, value string
	}{
		// EasyPost keys the HMAC with the secret in NFKD ("ﬁ" becomes "fi").
		{EasyPost, "sécret-ﬁ", "X-Hmac-Signature", "hmac-sha256-hex=76877d0201af241619c5adb3b525295db3d809be864c6eddb791969ef8b1f32e"},
		{AfterShip, "as-secret", "aftership-hmac-sha256", "0W5vWdHV+i+1VHj72nI+Ahfjjzsw0PUZyK/2k6sAsPM="},
		{SeventeenTrack, "17-key", "sign", "8c6405a0718e3f446cf3041cad752a2f028eaa70b57d60e9a9668652876ba74b"},
		{Karrio, "karrio-webhook-secret", "X-Event-Id", "karrio-webhook-secret"},
		{Ship24, "ship24-webhook-secret", "Authorization", "Bearer ship24-webhook-secret"},
	} {
		t.Run(string(tc.scheme), func(t *testing.T) {
			v, err := NewVerifier(tc.scheme, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set(tc.header, tc.value)
			if err := verify(v, h, "", []byte(vectorBody)); err != nil {
				t.Errorf("the source's own signature is refused: %v", err)
			}
			if name, value := Sign(tc.scheme, tc.key, []byte(vectorBody)); !strings.EqualFold(name, tc.header) || value != tc.value {
				t.Errorf("Sign = %s: %s, want %s: %s", name, value, tc.header, tc.value)
			}
			// Hex proofs are compared regardless of case.
			if tc.scheme == SeventeenTrack {
				h.Set(tc.header, strings.ToUpper(tc.value))
				if err := verify(v, h, "", []byte(vectorBody)); err != nil {
					t.Errorf("upper-case hex refused: %v", err)
				}
			}
			for what, h := range map[string]http.Header{
				"no header":      {},
				"other body":     {http.CanonicalHeaderKey(tc.header): {tc.value}},
				"truncated":      {http.CanonicalHeaderKey(tc.header): {tc.value[:len(tc.value)-1]}},
				"another header": {"X-Signature": {tc.value}},
			} {
				body := vectorBody
				if what == "other body" {
					body = strings.Replace(body, "EZ4", "EZ5", 1)
					if tc.scheme == Karrio || tc.scheme == Ship24 {
						continue // their secret does not depend on the body
					}
				}
				if err := verify(v, h, "", []byte(body)); err == nil {
					t.Errorf("%s: accepted", what)
				}
			}
			if tc.scheme != Karrio && tc.scheme != Ship24 {
				if err := verify(v, http.Header{http.CanonicalHeaderKey(tc.header): {tc.value}}, tc.value, []byte(vectorBody+" ")); err == nil {
					t.Error("a body changed after signing is accepted")
				}
			}
		})
	}
}

func TestEasyPostPrefixRequired(t *testing.T) {
	v, _ := NewVerifier(EasyPost, "sécret-ﬁ")
	bare := strings.TrimPrefix("hmac-sha256-hex=76877d0201af241619c5adb3b525295db3d809be864c6eddb791969ef8b1f32e", "hmac-sha256-hex=")
	if verify(v, http.Header{"X-Hmac-Signature": {bare}}, "", []byte(vectorBody)) == nil {
		t.Error("a signature without its hmac-sha256-hex= prefix is accepted")
	}
}

func TestTokenInPath(t *testing.T) {
	v, err := NewVerifier(Token, "0123456789abcdef-token")
	if err != nil {
		t.Fatal(err)
	}
	if !v.InPath() {
		t.Fatal("the token scheme reads no path")
	}
	if err := verify(v, http.Header{}, "0123456789abcdef-token", []byte("{}")); err != nil {
		t.Errorf("the right token is refused: %v", err)
	}
	for _, bad := range []string{"", "0123456789abcdef-toke", "0123456789abcdef-token2", "0123456789ABCDEF-TOKEN"} {
		if verify(v, http.Header{}, bad, []byte("{}")) == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
}

func TestRotationAcceptsBothKeys(t *testing.T) {
	for _, s := range []Scheme{EasyPost, AfterShip, SeventeenTrack, Karrio, Ship24, Token} {
		v, err := NewVerifier(s, "new-key-0123456789", "old-key-0123456789")
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(vectorBody)
		for _, key := range []string{"new-key-0123456789", "old-key-0123456789", "other-key-0123456789"} {
			name, value := Sign(s, key, body)
			h, token := http.Header{}, ""
			if name == "" {
				token = value
			} else {
				h.Set(name, value)
			}
			err := verify(v, h, token, body)
			if want := key != "other-key-0123456789"; (err == nil) != want {
				t.Errorf("%s with %s: accepted %v, want %v", s, key, err == nil, want)
			}
		}
	}
}

func TestVerifierRefusesBadKeys(t *testing.T) {
	for _, keys := range [][]string{nil, {""}, {"a", ""}, {"a", "b", "c"}} {
		if _, err := NewVerifier(AfterShip, keys...); err == nil {
			t.Errorf("keys %q accepted", keys)
		}
	}
	if _, err := NewVerifier("hmac", "k"); err == nil {
		t.Error("an unknown scheme is accepted")
	}
	if DefaultScheme("easypost") != EasyPost || DefaultScheme("shippo") != Token || DefaultScheme("ups") != Token {
		t.Error("DefaultScheme: each aggregator's own, token for those that sign nothing")
	}
}

// verify is v.Verify on the proof a request with headers h and path token
// token carries, picked as the gateway picks it.
func verify(v *Verifier, h http.Header, token string, body []byte) error {
	proof := token
	if !v.InPath() {
		proof = h.Get(v.Header())
	}
	return v.Verify([]byte(proof), body)
}

// Ship24's proof is the secret as a bearer token: the scheme word in any
// case (RFC 6750), but the secret exactly, and nothing without the word.
func TestShip24Bearer(t *testing.T) {
	v, _ := NewVerifier(Ship24, "ship24-webhook-secret")
	for value, want := range map[string]bool{
		"Bearer ship24-webhook-secret":  true,
		"bearer ship24-webhook-secret":  true,
		"ship24-webhook-secret":         false,
		"Bearer ship24-webhook-secreT":  false,
		"Bearer ship24-webhook-secret ": false,
		"Basic ship24-webhook-secret":   false,
		"Bearer ":                       false,
	} {
		if got := verify(v, http.Header{"Authorization": {value}}, "", []byte("{}")) == nil; got != want {
			t.Errorf("Authorization: %q accepted %v, want %v", value, got, want)
		}
	}
}
