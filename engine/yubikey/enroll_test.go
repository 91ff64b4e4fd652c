package yubikey

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/yubikey/internal/trust"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
)

func TestEnrolEmptySlot(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1001}, 0)
	p := &prompter{}
	e, err := enroll(t, c, p, EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	onCard, ok := c.SlotPublicKey(0x9c)
	if !ok || !onCard.Equal(e.Public) {
		t.Fatal("the enrolled key is not the key in slot 9c")
	}
	d := e.Device()
	if d.Serial != 1001 || d.Slot != "9c" || d.Firmware != "5.7.2" || d.PINPolicy != "never" || d.TouchPolicy != "always" ||
		d.FormFactor != "USB-C Keychain" || d.AttestationCert == "" || d.SlotCert == "" {
		t.Fatalf("device record %+v", d)
	}
	if !p.askedFor("touch") || c.Signatures() != 1 {
		t.Fatalf("no proving touch: asked %v, %d signatures", p.asked, c.Signatures())
	}
	if p.askedFor("management key") || p.askedFor("pin") {
		t.Fatalf("asked %v with a factory-default card", p.asked)
	}
}

func TestEnrolRetiredSlotAndPINPolicyOnce(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1002}, 0)
	p := &prompter{pins: []string{vcard.DefaultPIN}}
	e, err := enroll(t, c, p, EnrollOptions{Slot: slot82, PINPolicy: piv.PINPolicyOnce})
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Device(); d.Slot != "82" || d.PINPolicy != "once" {
		t.Fatalf("record %+v", d)
	}
	if !p.askedFor("pin") {
		t.Fatal("the proving signature of a PIN-once key did not ask for the PIN")
	}
}

func TestEnrolRefusesOccupiedSlot(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1003}, 0)
	old, _ := c.PutKey(0x9c, vcard.PINNever, vcard.TouchNever)
	_, err := enroll(t, c, &prompter{}, EnrollOptions{})
	if !errors.Is(err, ErrSlotOccupied) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("occupied slot: %v", err)
	}
	if now, _ := c.SlotPublicKey(0x9c); !now.Equal(old) {
		t.Fatal("the key in the occupied slot was replaced")
	}
}

// --force still needs the person to type a phrase naming what is
// destroyed; anything else leaves the slot alone.
func TestEnrolForceNeedsTypedConfirmation(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1004}, 0)
	old, _ := c.PutKey(0x9c, vcard.PINNever, vcard.TouchNever)
	p := &prompter{confirm: "yes"}
	_, err := enroll(t, c, p, EnrollOptions{Force: true})
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("wrong confirmation: %v", err)
	}
	if now, _ := c.SlotPublicKey(0x9c); !now.Equal(old) {
		t.Fatal("destroyed without the confirmation")
	}
	if !p.askedFor("confirm: destroy 9c on 1004 | slot 9c of YubiKey 1004 holds a key (generated on the card, touch never, PIN never)") {
		t.Fatalf("confirmation did not name what is destroyed: %v", p.asked)
	}
	e, err := enroll(t, c, &prompter{confirm: "destroy 9c on 1004"}, EnrollOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.Public.Equal(old) {
		t.Fatal("the old key survived")
	}
}

// The shipped roots (Yubico's) refuse a virtual card: nothing outside
// engine/yubikey can make an enrolment trust another CA.
func TestEnrolRefusesAttestationNotFromYubico(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1005}, 0)
	_, err := Enroll(context.Background(), EnrollOptions{Keys: NewKeys(), Prompt: &prompter{t: t, card: c}, Serial: 1005})
	if !errors.Is(err, ErrAttestation) || !strings.Contains(err.Error(), "does not chain to Yubico's PIV roots") {
		t.Fatalf("virtual card with Yubico's roots: %v", err)
	}
	other, _ := vcard.NewCA("another CA")
	_, err = enroll(t, c, &prompter{confirm: "destroy 9c on 1005"}, EnrollOptions{Force: true, Trust: trust.Test(other.Pool())})
	if !errors.Is(err, ErrAttestation) || !strings.Contains(err.Error(), "nothing was recorded") {
		t.Fatalf("attestation from an untrusted CA: %v", err)
	}
}

func TestEnrolRefusesTouchPolicyNotAlways(t *testing.T) {
	for _, tp := range []byte{vcard.TouchNever, vcard.TouchCached} {
		c, in := insert(t, vcard.Config{Serial: 1006, ForceTouchPolicy: tp}, 0)
		_, err := enroll(t, c, &prompter{}, EnrollOptions{})
		if !errors.Is(err, ErrAttestation) || !strings.Contains(err.Error(), "touch policy is") {
			t.Fatalf("touch policy %#x: %v", tp, err)
		}
		in.Remove()
	}
}

func TestEnrolRefusesImportedKey(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1007, ImportOnGenerate: true}, 0)
	_, err := enroll(t, c, &prompter{}, EnrollOptions{})
	if !errors.Is(err, ErrAttestation) || !strings.Contains(err.Error(), "imported") {
		t.Fatalf("imported key: %v", err)
	}
}

func TestEnrolRefusesAttestationOfAnotherKey(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1008, AttestOtherKey: true}, 0)
	_, err := enroll(t, c, &prompter{}, EnrollOptions{})
	if !errors.Is(err, ErrAttestation) || !strings.Contains(err.Error(), "another key") {
		t.Fatalf("attestation of another key: %v", err)
	}
}

var customKey = []byte{
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27}

const customKeyHex = "101112131415161718191a1b1c1d1e1f2021222324252627"

func TestEnrolWrongManagementKey(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1009, ManagementKey: customKey, ManagementAlg: vcard.AlgAES192}, 0)
	p := &prompter{mgmt: []string{"00" + customKeyHex[2:], "not hex", strings.Repeat("11", 24)}}
	_, err := enroll(t, c, p, EnrollOptions{})
	if !errors.Is(err, ErrWrongMgmtKey) {
		t.Fatalf("three wrong management keys: %v", err)
	}
	if _, ok := c.SlotPublicKey(0x9c); ok {
		t.Fatal("a key was generated without the management key")
	}
	// The right one, on the second try, with spaces as ykman prints it.
	p = &prompter{mgmt: []string{strings.Repeat("22", 24), "1011121314151617 18191a1b1c1d1e1f 2021222324252627"}}
	if _, err := enroll(t, c, p, EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEnrolPINProtectedManagementKey(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1010, ManagementKey: customKey, ManagementKeyProtected: true}, 0)
	p := &prompter{mgmt: []string{""}, pins: []string{"000000", vcard.DefaultPIN}}
	_, err := enroll(t, c, p, EnrollOptions{})
	var wrong WrongPINError
	if !errors.As(err, &wrong) || wrong.Retries != 2 {
		t.Fatalf("wrong PIN: %v", err)
	}
	p = &prompter{mgmt: []string{""}, pins: []string{vcard.DefaultPIN}}
	if _, err := enroll(t, c, p, EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEnrolTouchNotGiven(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1011, TouchTimeout: 300 * time.Millisecond}, 0)
	_, err := enroll(t, c, &prompter{noTouch: true}, EnrollOptions{})
	if !errors.Is(err, ErrTouchTimeout) || !strings.Contains(err.Error(), "nothing was recorded") {
		t.Fatalf("no touch: %v", err)
	}
}

func TestEnrolPicksAmongSeveralCards(t *testing.T) {
	a, _ := insert(t, vcard.Config{Serial: 2001}, 0)
	b, _ := insert(t, vcard.Config{Serial: 2002}, 1)
	p := &prompter{t: t, choose: 2002, card: b}
	k := NewKeys()
	e, err := Enroll(context.Background(), EnrollOptions{Keys: k, Prompt: p, Trust: trust.Test(b.CA().Pool())})
	if err != nil {
		t.Fatal(err)
	}
	if e.Card.Serial != 2002 || !p.askedFor("choose among 2") {
		t.Fatalf("picked %d after %v", e.Card.Serial, p.asked)
	}
	if _, ok := a.SlotPublicKey(0x9c); ok {
		t.Fatal("the other card was changed")
	}
	_, err = Enroll(context.Background(), EnrollOptions{Keys: k, Prompt: p, Serial: 9999})
	var wc *WrongCardError
	if !errors.As(err, &wc) || !strings.Contains(err.Error(), "serial 9999") {
		t.Fatalf("absent serial: %v", err)
	}
}

func TestEnrolledKeyIsTheAttestedOne(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 1012}, 0)
	e, err := enroll(t, c, &prompter{}, EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.SlotCert.PublicKey.(*ecdsa.PublicKey).Equal(e.Public) {
		t.Fatal("slot certificate is for another key")
	}
	a, err := trust.Test(c.CA().Pool()).Verify(e.Attestation, e.SlotCert)
	if err != nil || a.Serial != 1012 {
		t.Fatalf("stored certificates do not verify again: %v", err)
	}
}
