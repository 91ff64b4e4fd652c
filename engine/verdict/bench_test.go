package verdict

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
)

// BenchmarkSignVerify compares the two signature algorithms on a typical
// verdict: HMAC-SHA256 (the per-user install's software devices) and ECDSA
// P-256 (YubiKeys, and every software device of a system install, where
// the hook holds public keys only). Sign is the engine's cost per verdict,
// Verify the hook's.
func BenchmarkSignVerify(b *testing.B) {
	key := bytes.Repeat([]byte{0x42}, 32)
	hs, err := NewHMACSigner("dev_2b7e4a90", key)
	if err != nil {
		b.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	es, err := NewECDSASigner("dev_5c1d9e02", priv)
	if err != nil {
		b.Fatal(err)
	}
	kr := testKeyring{
		"dev_2b7e4a90": {DeviceID: "dev_2b7e4a90", KeyID: hs.KeyID(), Alg: HMACSHA256, Secret: key},
		"dev_5c1d9e02": {DeviceID: "dev_5c1d9e02", KeyID: es.KeyID(), Alg: ECDSAP256SHA256, Public: &priv.PublicKey},
	}
	for _, s := range []Signer{hs, es} {
		b.Run(string(s.Alg())+"/sign", func(b *testing.B) {
			v := sampleVerdict()
			for b.Loop() {
				if err := Sign(v, s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(s.Alg())+"/verify", func(b *testing.B) {
			v := sampleVerdict()
			if err := Sign(v, s); err != nil {
				b.Fatal(err)
			}
			want := expectFor(v)
			for b.Loop() {
				if err := Verify(v, kr, want); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
