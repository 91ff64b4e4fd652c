package vcard

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"
)

var pcscd *PCSCD

func TestMain(m *testing.M) { os.Exit(MainWithPCSCD(m, &pcscd)) }

// insert puts a fresh card in reader i for the test.
func insert(t *testing.T, cfg Config, reader int) (*Card, *Inserted) {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, err := c.Insert(ctx, pcscd.ReaderAddr(reader))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Remove)
	return c, in
}

func openReader(t *testing.T, reader int) *piv.YubiKey {
	t.Helper()
	var last error
	for i := 0; i < 100; i++ {
		cards, err := piv.Cards()
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) > reader {
			yk, err := piv.Open(cards[reader])
			if err == nil {
				return yk
			}
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("opening reader %d: %v", reader, last)
	return nil
}

func TestPIVGoRoundTrip(t *testing.T) {
	c, _ := insert(t, Config{Serial: 424242}, 0)
	yk := openReader(t, 0)
	defer yk.Close()
	if v := yk.Version(); v != (piv.Version{Major: 5, Minor: 7, Patch: 2}) {
		t.Fatalf("version %v", v)
	}
	s, err := yk.Serial()
	if err != nil || s != 424242 {
		t.Fatalf("serial %d %v", s, err)
	}
	pub, err := yk.GenerateKey(piv.DefaultManagementKey, piv.SlotSignature, piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: piv.PINPolicyNever, TouchPolicy: piv.TouchPolicyAlways})
	if err != nil {
		t.Fatal(err)
	}
	att, err := yk.AttestationCertificate()
	if err != nil {
		t.Fatal(err)
	}
	slot, err := yk.Attest(piv.SlotSignature)
	if err != nil {
		t.Fatal(err)
	}
	a, err := (&piv.Verifier{Roots: c.CA().Pool()}).Verify(att, slot)
	if err != nil {
		t.Fatal(err)
	}
	if a.Serial != 424242 || a.TouchPolicy != piv.TouchPolicyAlways || a.Slot != piv.SlotSignature {
		t.Fatalf("attestation %+v", a)
	}
	ki, err := yk.KeyInfo(piv.SlotSignature)
	if err != nil || ki.Origin != piv.OriginGenerated || ki.TouchPolicy != piv.TouchPolicyAlways {
		t.Fatalf("key info %+v %v", ki, err)
	}
	priv, err := yk.PrivateKey(piv.SlotSignature, pub, piv.KeyAuth{PINPolicy: piv.PINPolicyNever})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for !c.WaitingForTouch() {
			time.Sleep(5 * time.Millisecond)
		}
		c.Touch()
	}()
	d := sha256.Sum256([]byte("hello"))
	sig, err := priv.(crypto.Signer).Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("bad signature")
	}
}

func TestSaveRestoreKeepsKeysAndCA(t *testing.T) {
	c, err := New(Config{Serial: 777})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := c.PutKey(0x9c, PINNever, TouchAlways)
	c.SetPINRetries(2)
	b, err := c.Save()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Restore(b, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.SlotPublicKey(0x9c); !got.Equal(pub) || r.Serial() != 777 || r.PINRetries() != 2 || !r.CA().Cert.Equal(c.CA().Cert) {
		t.Fatal("restored card differs")
	}
}
