package yubikey

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
)

// activeYubiKeys lists a registry's active YubiKey devices.
func activeYubiKeys(t testing.TB, reg *device.Registry) []device.Device {
	t.Helper()
	ds, err := reg.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []device.Device
	for _, d := range ds {
		if d.Kind == device.KindYubiKey && d.Active() {
			out = append(out, d)
		}
	}
	return out
}

// signVerdict signs a sample verdict on the card, touching it when asked
// unless touch is false.
func signVerdict(t testing.TB, k *Keys, c *vcard.Card, reg *device.Registry, pin string, touch bool) (*verdict.Verdict, error) {
	t.Helper()
	s, err := k.Signer(context.Background(), activeYubiKeys(t, reg), pin)
	if err != nil {
		return nil, err
	}
	if touch {
		stop := toucher(c)
		defer stop()
	}
	v := sample()
	return v, verdict.Sign(v, s)
}

// Both ways the channel runs (in this process, and in a helper process as
// the console runs it) sign a verdict the hook verifies with the enrolled
// public key alone.
func TestSignerRoundTrip(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3001}, 0)
	d, reg := registered(t, c, EnrollOptions{})
	for name, k := range map[string]*Keys{"in process": NewKeys(), "helper": isolatedKeys()} {
		t.Run(name, func(t *testing.T) {
			before := c.Signatures()
			v, err := signVerdict(t, k, c, reg, "", true)
			if err != nil {
				t.Fatal(err)
			}
			if v.ApproverDeviceID != d.ID || v.KeyID != d.KeyID || !strings.HasPrefix(v.Signature, "ecdsa-p256-sha256:") {
				t.Fatalf("verdict %+v", v)
			}
			if err := verdict.VerifySignature(v, reg.Keyring()); err != nil {
				t.Fatalf("hook-side verification: %v", err)
			}
			if c.Signatures() != before+1 {
				t.Fatal("the card did not sign")
			}
		})
	}
}

// The card is released as soon as the signature is made: another program
// can open it exclusively at once.
func TestSignerReleasesTheCard(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3002}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	for _, k := range []*Keys{NewKeys(), isolatedKeys()} {
		if _, err := signVerdict(t, k, c, reg, "", true); err != nil {
			t.Fatal(err)
		}
		cards, _ := piv.Cards()
		yk, err := piv.Open(cards[0]) // exclusive, like gpg's scdaemon
		if err != nil {
			t.Fatalf("the card is still held after signing: %v", err)
		}
		yk.Close()
	}
}

func TestSignerTouchTimeout(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3003, TouchTimeout: 300 * time.Millisecond}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	before := c.Signatures()
	for _, k := range []*Keys{NewKeys(), isolatedKeys()} {
		_, err := signVerdict(t, k, c, reg, "", false)
		if !errors.Is(err, ErrTouchTimeout) || !strings.Contains(Cause(err), "6982") {
			t.Fatalf("untouched: %v (cause %q)", err, Cause(err))
		}
	}
	if c.Signatures() != before {
		t.Fatal("the card signed without a touch")
	}
}

func TestSignerCardMissing(t *testing.T) {
	c, in := insert(t, vcard.Config{Serial: 3004}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	in.Remove()
	_, err := isolatedKeys().Signer(context.Background(), activeYubiKeys(t, reg), "")
	if !errors.Is(err, ErrNoCard) {
		t.Fatalf("no card: %v", err)
	}
}

func TestSignerAnotherCard(t *testing.T) {
	c, in := insert(t, vcard.Config{Serial: 3005}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	in.Remove()
	insert(t, vcard.Config{Serial: 3006}, 1)
	_, err := isolatedKeys().Signer(context.Background(), activeYubiKeys(t, reg), "")
	var wc *WrongCardError
	if !errors.As(err, &wc) || !strings.Contains(err.Error(), "YubiKey serial 3006 is inserted, but the enrolled key is serial 3005") {
		t.Fatalf("another card: %v", err)
	}
}

// A card another program holds (gpg's scdaemon keeps it open) is reported
// as busy, not as missing.
func TestSignerCardBusy(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3007}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	k := isolatedKeys()
	s, err := k.Signer(context.Background(), activeYubiKeys(t, reg), "")
	if err != nil {
		t.Fatal(err)
	}
	cards, _ := piv.Cards()
	holder, err := piv.Open(cards[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignBytes([]byte("x"))
	if !errors.Is(err, ErrCardBusy) {
		t.Fatalf("signing on a held card: %v", err)
	}
	if _, err := k.Signer(context.Background(), activeYubiKeys(t, reg), ""); !errors.Is(err, ErrCardBusy) {
		t.Fatalf("finding a held card: %v", err)
	}
	holder.Close()
	stop := toucher(c)
	defer stop()
	if _, err := s.SignBytes([]byte("x")); err != nil {
		t.Fatalf("after the other program let go: %v", err)
	}
}

// Pulling the card while it waits for the touch fails the signature; the
// card can be put back and used again.
func TestSignerCardPulledMidSignature(t *testing.T) {
	c, in := insert(t, vcard.Config{Serial: 3008}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	k := isolatedKeys()
	s, err := k.Signer(context.Background(), activeYubiKeys(t, reg), "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.SignBytes([]byte("x")); done <- err }()
	for !c.WaitingForTouch() {
		time.Sleep(5 * time.Millisecond)
	}
	in.Remove()
	if err := <-done; !errors.Is(err, ErrCardRemoved) {
		t.Fatalf("pulled mid-signature: %v (%s)", err, Cause(err))
	}
	plug(t, c, 0)
	stop := toucher(c)
	defer stop()
	if _, err := s.SignBytes([]byte("x")); err != nil {
		t.Fatalf("after putting it back: %v", err)
	}
}

func TestSignerPIN(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3009}, 0)
	_, reg := registered(t, c, EnrollOptions{PINPolicy: piv.PINPolicyOnce})
	k := isolatedKeys()
	if _, err := k.Signer(context.Background(), activeYubiKeys(t, reg), ""); !errors.Is(err, ErrPINRequired) {
		t.Fatalf("no PIN: %v", err)
	}
	if _, err := signVerdict(t, k, c, reg, vcard.DefaultPIN, true); err != nil {
		t.Fatal(err)
	}
	_, err := signVerdict(t, k, c, reg, "999999", true)
	var wp WrongPINError
	if !errors.As(err, &wp) || wp.Retries != 2 {
		t.Fatalf("wrong PIN: %v", err)
	}
	c.SetPINRetries(0)
	_, err = signVerdict(t, k, c, reg, vcard.DefaultPIN, true)
	if !errors.Is(err, ErrPINBlocked) {
		t.Fatalf("blocked PIN: %v", err)
	}
}

// A slot overwritten since enrolment signs with another key: the
// signature is refused before it leaves the channel.
func TestSignerKeyReplacedOrGone(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3010}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	if _, err := c.PutKey(0x9c, vcard.PINNever, vcard.TouchNever); err != nil {
		t.Fatal(err)
	}
	k := isolatedKeys()
	if _, err := signVerdict(t, k, c, reg, "", false); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("replaced key: %v", err)
	}
	c2, _ := insert(t, vcard.Config{Serial: 3011}, 1)
	d, _ := registered(t, c2, EnrollOptions{Slot: slot82})
	reg2 := device.Open(t.TempDir()+"/devices.json", t.TempDir(), nil)
	_ = reg2
	yk := d
	yk.YubiKey.Slot = "83" // a slot with no key
	s, err := k.signerFor(yk, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignBytes([]byte("x")); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("empty slot: %v", err)
	}
}

// With pcscd down, the channel says so and what to do.
func TestSignerPCSCDDown(t *testing.T) {
	c, _ := insert(t, vcard.Config{Serial: 3012}, 0)
	_, reg := registered(t, c, EnrollOptions{})
	pcscd.Stop()
	defer func() {
		if err := pcscd.Restart(); err != nil {
			t.Fatal(err)
		}
	}()
	for _, k := range []*Keys{NewKeys(), isolatedKeys()} {
		_, err := k.Signer(context.Background(), activeYubiKeys(t, reg), "")
		if !errors.Is(err, ErrNoService) || !strings.Contains(err.Error(), "pcscd") {
			t.Fatalf("pcscd down: %v", err)
		}
	}
}

// A verdict the card signed with a key that is not the device's does not
// verify: the hook denies it.
func TestVerdictFromAnotherCardDoesNotVerify(t *testing.T) {
	a, _ := insert(t, vcard.Config{Serial: 3013}, 0)
	b, _ := insert(t, vcard.Config{Serial: 3014}, 1)
	da, regA := registered(t, a, EnrollOptions{})
	_, regB := registered(t, b, EnrollOptions{})
	v, err := signVerdict(t, NewKeys(), b, regB, "", true)
	if err != nil {
		t.Fatal(err)
	}
	// Claim it came from a's device: the signature is b's.
	v.ApproverDeviceID, v.KeyID = da.ID, da.KeyID
	if err := verdict.VerifySignature(v, regA.Keyring()); !errors.Is(err, verdict.ErrBadSignature) {
		t.Fatalf("verdict signed by another card: %v", err)
	}
}

func TestClassification(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want error
	}{
		{"connecting to pcsc: the Smart card resource manager is not running", ErrNoService},
		{"connecting to smart card: the smart card cannot be accessed because of other connections outstanding", ErrCardBusy},
		{"connecting to smart card: the operation requires a Smart Card, but no Smart Card is currently in the device", ErrNoCard},
	} {
		if got := classifyOpen(errors.New(tc.msg)); !errors.Is(got, tc.want) {
			t.Errorf("%q: %v", tc.msg, got)
		}
	}
	for _, tc := range []struct {
		msg  string
		want error
	}{
		{"command failed: transmitting request: the smart card has been removed, so further communication is not possible", ErrCardRemoved},
		{"pin required but wasn't provided", ErrPINRequired},
		{"something else", ErrCard},
	} {
		if got := classifySign(errors.New(tc.msg)); !errors.Is(got, tc.want) {
			t.Errorf("%q: %v", tc.msg, got)
		}
	}
	d := sha256.Sum256(nil)
	_ = d
}

func TestHelperErrorsRoundTrip(t *testing.T) {
	for _, err := range []error{
		wrap(ErrTouchTimeout, errors.New("smart card error 6982")), ErrNoCard, WrongPINError{Retries: 2},
		&WrongCardError{Want: []uint32{1}, Found: []uint32{2, 3}}, errors.New("plain"),
	} {
		back := decodeError(encodeError(err))
		if back.Error() != err.Error() || Cause(back) != Cause(err) {
			t.Errorf("%v came back as %v", err, back)
		}
		for _, k := range errorKinds {
			if errors.Is(err, k) != errors.Is(back, k) {
				t.Errorf("%v: errors.Is(%v) differs after the trip", err, k)
			}
		}
	}
}
