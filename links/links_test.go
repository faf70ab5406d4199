package links

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secretA = bytes.Repeat([]byte{'a'}, 32)
	secretB = bytes.Repeat([]byte{'b'}, 32)
	now     = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	ship    = "ups:1Z999AA10123456784"
)

func ring(t *testing.T, sign string, revoked ...string) *Keyring {
	t.Helper()
	k, err := NewKeyring([]Key{{"k1", secretA}, {"k2", secretB}}, sign, revoked)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerify(t *testing.T) {
	k := ring(t, "k1")
	tok, err := k.Sign(ship, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Verify(tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.ShipmentID != ship || c.KeyID != "k1" || !c.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("claims %+v", c)
	}
	if strings.Contains(tok, "1Z999") {
		t.Error("the token should not show the tracking number in clear")
	}
}

// Every byte of the token, changed, makes it invalid: the version, the key
// id, its length, the expiry, the shipment id and its length, the MAC.
func TestTamperEachByte(t *testing.T) {
	k := ring(t, "k1")
	tok, _ := k.Sign(ship, now.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		for _, x := range []byte{0x01, 0x80} {
			b := bytes.Clone(raw)
			b[i] ^= x
			if c, err := k.Verify(base64.RawURLEncoding.EncodeToString(b), now); !errors.Is(err, ErrInvalid) {
				t.Errorf("byte %d ^ %#x: got %+v, %v; want ErrInvalid", i, x, c, err)
			}
		}
	}
	// cut short, lengthened, not base64, empty, huge
	for _, bad := range []string{tok[:len(tok)-1], tok + "A", tok[:20], "", "!!!!", strings.Repeat("A", 10_000), tok + "=="} {
		if _, err := k.Verify(bad, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%.30q: %v, want ErrInvalid", bad, err)
		}
	}
}

// A token re-signed with a field changed but under another key's id
// does not verify: the key id is bound by the MAC.
func TestKeyIDSwap(t *testing.T) {
	k := ring(t, "k1")
	tok, _ := k.Sign(ship, now.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	b := bytes.Clone(raw)
	copy(b[2:4], "k2")
	if _, err := k.Verify(base64.RawURLEncoding.EncodeToString(b), now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("key id swapped: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	k := ring(t, "k1")
	tok, _ := k.Sign(ship, now)
	if _, err := k.Verify(tok, now.Add(-time.Second)); err != nil {
		t.Fatalf("a second before the expiry: %v", err)
	}
	if _, err := k.Verify(tok, now); !errors.Is(err, ErrExpired) {
		t.Fatalf("at the expiry: %v, want ErrExpired", err)
	}
}

func TestRotation(t *testing.T) {
	old := ring(t, "k1")
	tok, _ := old.Sign(ship, now.Add(time.Hour))
	// rotated: k2 signs, k1 still verifies
	rotated := ring(t, "k2")
	if _, err := rotated.Verify(tok, now); err != nil {
		t.Fatalf("an old key's token after rotation: %v", err)
	}
	tok2, _ := rotated.Sign(ship, now.Add(time.Hour))
	if c, err := rotated.Verify(tok2, now); err != nil || c.KeyID != "k2" {
		t.Fatalf("new key: %+v %v", c, err)
	}
	// retired: k1 removed from the ring
	retired, err := NewKeyring([]Key{{"k2", secretB}}, "k2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := retired.Verify(tok, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("retired key: %v, want ErrInvalid", err)
	}
	// revoked: k1 listed
	revoked := ring(t, "k2", "k1")
	if _, err := revoked.Verify(tok, now); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked key: %v, want ErrRevoked", err)
	}
	if _, err := revoked.Verify(tok2, now); err != nil {
		t.Fatalf("the other key after a revocation: %v", err)
	}
	if _, err := NewKeyring([]Key{{"k1", secretA}}, "k1", []string{"k1"}); err == nil {
		t.Fatal("a revoked signing key was accepted")
	}
	if _, err := NewKeyring([]Key{{"k1", secretA}}, "k9", nil); err == nil {
		t.Fatal("a signing key not in the ring was accepted")
	}
}

func TestParseKeys(t *testing.T) {
	a := base64.StdEncoding.EncodeToString(secretA)
	b := base64.RawURLEncoding.EncodeToString(secretB)
	keys, err := ParseKeys("links.keys", "k1:"+a+",\nk2:"+b+"\n")
	if err != nil || len(keys) != 2 || !bytes.Equal(keys[0].Secret, secretA) || !bytes.Equal(keys[1].Secret, secretB) {
		t.Fatalf("%v %v", keys, err)
	}
	for _, bad := range []string{"k1", "k1:short", "k 1:" + a, "k1:" + a + ",k1:" + b, ":" + a} {
		if _, err := ParseKeys("links.keys", bad); err == nil || !strings.HasPrefix(err.Error(), "links.keys") {
			t.Errorf("%q: %v", bad, err)
		} else if strings.Contains(err.Error(), a) {
			t.Errorf("%q: the error shows the secret: %v", bad, err)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{AfterEnd: DefaultAfterEnd, Open: DefaultOpen}
	if got := p.Expiry(now, now.Add(time.Hour)); !got.Equal(now.Add(90 * 24 * time.Hour)) {
		t.Errorf("ended: %v", got)
	}
	if got := p.Expiry(time.Time{}, now); !got.Equal(now.Add(180 * 24 * time.Hour)) {
		t.Errorf("open: %v", got)
	}
	if p.Ended(time.Time{}, now) || p.Ended(now, now.Add(89*24*time.Hour)) || !p.Ended(now, now.Add(90*24*time.Hour)) {
		t.Error("Ended")
	}
	m := Maker{Base: "https://shop.example/track/", Ring: ring(t, "k1"), Policy: p}
	u, err := m.URL(ship, time.Time{}, now)
	if err != nil || !strings.HasPrefix(u, "https://shop.example/track/t/") {
		t.Fatalf("%s %v", u, err)
	}
	if _, err := m.Ring.Verify(strings.TrimPrefix(u, "https://shop.example/track/t/"), now); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	k, _ := NewKeyring([]Key{{"k1", secretA}}, "k1", nil)
	tok, _ := k.Sign(ship, now.Add(time.Hour))
	f.Add(tok)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := k.Verify(s, now)
		if err == nil && s != tok {
			// a different string that verifies must decode to the same bytes
			a, _ := base64.RawURLEncoding.DecodeString(s)
			b, _ := base64.RawURLEncoding.DecodeString(tok)
			if !bytes.Equal(a, b) {
				t.Fatalf("forged token verified: %q -> %+v", s, c)
			}
		}
	})
}
