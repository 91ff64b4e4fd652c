package yubikey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/verdict"
)

// Signer signs with the key of one enrolled YubiKey device on its card. It
// implements verdict.Signer: each SignBytes opens the card, checks it is
// the enrolled one, asks it to sign (the card waits for a touch) and
// releases it.
type Signer struct {
	k      *Keys
	dev    device.Device
	keyID  string
	reader string
	slot   piv.Slot
	pub    *ecdsa.PublicKey
	pp     piv.PINPolicy
	pin    string
}

var _ verdict.Signer = (*Signer)(nil)

// DeviceID implements verdict.Signer.
func (s *Signer) DeviceID() string { return s.dev.ID }

// KeyID implements verdict.Signer.
func (s *Signer) KeyID() string { return s.keyID }

// Alg implements verdict.Signer.
func (s *Signer) Alg() verdict.Alg { return verdict.ECDSAP256SHA256 }

// Device is the enrolled device this signer signs for.
func (s *Signer) Device() device.Device { return s.dev }

// Serial is the serial of the card it signs on.
func (s *Signer) Serial() uint32 { return s.dev.YubiKey.Serial }

// NeedsPIN reports whether a device's key needs the PIN to sign.
func NeedsPIN(d device.Device) bool { return d.YubiKey != nil && d.YubiKey.PINPolicy != "never" }

// Signer finds which of the enrolled devices has its card inserted and
// returns a signer for it. pin is used when that key's PIN policy needs
// it. It fails, saying what to do, when no card or only other cards are
// inserted, the card is busy or pcscd is down.
func (k *Keys) Signer(ctx context.Context, devs []device.Device, pin string) (*Signer, error) {
	if len(devs) == 0 {
		return nil, errors.New("no YubiKey is enrolled: run ony-tui enroll yubikey")
	}
	want := make([]uint32, 0, len(devs))
	for _, d := range devs {
		if d.YubiKey == nil || !d.Active() {
			return nil, fmt.Errorf("device %s is not an active yubikey", d.ID)
		}
		want = append(want, d.YubiKey.Serial)
	}
	var found []Card
	err := k.do(ctx, func() error {
		var busy int
		var err error
		found, busy, err = k.scanCards(ctx, false)
		if err != nil {
			return err
		}
		for _, c := range found {
			for _, d := range devs {
				if c.Serial == d.YubiKey.Serial {
					return nil
				}
			}
		}
		switch {
		case busy > 0:
			return wrap(ErrCardBusy, errors.New("a card is held exclusively by another program"))
		case len(found) == 0:
			return ErrNoCard
		}
		return &WrongCardError{Want: want, Found: serialsOf(found)}
	})
	if err != nil {
		return nil, err
	}
	for _, c := range found {
		for _, d := range devs {
			if c.Serial == d.YubiKey.Serial {
				return k.signerFor(d, c.Reader, pin)
			}
		}
	}
	return nil, ErrNoCard // not reached: do returned nil only on a match
}

func serialsOf(cs []Card) []uint32 {
	out := make([]uint32, len(cs))
	for i, c := range cs {
		out[i] = c.Serial
	}
	return out
}

// signerFor builds the signer of one device whose card is on reader.
func (k *Keys) signerFor(d device.Device, reader, pin string) (*Signer, error) {
	pub, err := publicKey(d)
	if err != nil {
		return nil, err
	}
	slot, err := slotOf(d.YubiKey.Slot)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	pp, err := ParsePINPolicy(d.YubiKey.PINPolicy)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	if pp != piv.PINPolicyNever && pin == "" {
		return nil, ErrPINRequired
	}
	keyID, err := verdict.ECDSAKeyID(pub)
	if err != nil {
		return nil, err
	}
	if keyID != d.KeyID {
		return nil, fmt.Errorf("device %s: its public key does not match its key id", d.ID)
	}
	return &Signer{k: k, dev: d, keyID: keyID, reader: reader, slot: slot, pub: pub, pp: pp, pin: pin}, nil
}

// PublicKey is the ECDSA P-256 public key a YubiKey device registered.
func PublicKey(d device.Device) (*ecdsa.PublicKey, error) { return publicKey(d) }

func publicKey(d device.Device) (*ecdsa.PublicKey, error) {
	der, err := hex.DecodeString(d.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("device %s: public key is not hex", d.ID)
	}
	p, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	pub, ok := p.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("device %s: public key is not ECDSA P-256", d.ID)
	}
	return pub, nil
}

// slotOf reads a slot as the registry stores it.
func slotOf(s string) (piv.Slot, error) {
	n, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		return piv.Slot{}, fmt.Errorf("slot %q is not hex", s)
	}
	for _, slot := range []piv.Slot{piv.SlotAuthentication, piv.SlotSignature, piv.SlotKeyManagement, piv.SlotCardAuthentication} {
		if uint64(slot.Key) == n {
			return slot, nil
		}
	}
	if slot, ok := piv.RetiredKeyManagementSlot(uint32(n)); ok {
		return slot, nil
	}
	return piv.Slot{}, fmt.Errorf("slot %q is not a PIV key slot", s)
}

// SignBytes implements verdict.Signer: an ASN.1 DER ECDSA signature over
// SHA-256(msg), made on the card. It blocks until the key is touched or the
// card gives up (ErrTouchTimeout); with a helper, never longer than the
// operation timeout.
func (s *Signer) SignBytes(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	var sig []byte
	err := s.k.do(context.Background(), func() error {
		if s.k.helper == nil {
			var err error
			sig, s.reader, err = signOnce(s.reader, s.Serial(), s.slot, s.pub, s.pp, s.pin, d[:])
			return err
		}
		der, err := x509.MarshalPKIXPublicKey(s.pub)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		resp, err := s.k.helper.call(ctx, helperRequest{Op: "sign", Reader: s.reader, Serial: s.Serial(), Slot: s.dev.YubiKey.Slot,
			PublicKey: hex.EncodeToString(der), PINPolicy: s.dev.YubiKey.PINPolicy, PIN: s.pin, Digest: hex.EncodeToString(d[:])})
		if resp.Reader != "" {
			s.reader = resp.Reader
		}
		if err != nil {
			return err
		}
		if sig, err = hex.DecodeString(resp.Signature); err != nil {
			return wrap(ErrCard, errors.New("the piv helper returned a signature that is not hex"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ecdsa.VerifyASN1(s.pub, d[:], sig) {
		return nil, ErrKeyMismatch
	}
	return sig, nil
}

// signOnce opens the card on reader (or wherever the card with serial went),
// checks its serial, signs digest with the key in slot and releases the
// card. It returns the reader the card was found on.
func signOnce(reader string, serial uint32, slot piv.Slot, pub *ecdsa.PublicKey, pp piv.PINPolicy, pin string, digest []byte) ([]byte, string, error) {
	yk, reader, err := openSerial(reader, serial, true)
	if err != nil {
		return nil, reader, err
	}
	defer yk.Close()
	priv, err := yk.PrivateKey(slot, pub, piv.KeyAuth{PIN: pin, PINPolicy: pp})
	if err != nil {
		return nil, reader, classifySign(err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, reader, wrap(ErrCard, errors.New("piv key is not a signer"))
	}
	sig, err := signer.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, reader, classifySign(err)
	}
	return sig, reader, nil
}

// openSerial opens the card on reader and checks its serial. If the card
// moved to another reader (unplugged and plugged back), it is looked for
// by serial once.
func openSerial(reader string, want uint32, retry bool) (*piv.YubiKey, string, error) {
	yk, err := piv.Open(reader)
	if err != nil {
		cerr := classifyOpen(err)
		if !errors.Is(cerr, ErrNoCard) || !retry {
			return nil, reader, cerr
		}
		cards, busy, serr := scan(false)
		if serr != nil {
			return nil, reader, serr
		}
		for _, c := range cards {
			if c.Serial == want {
				return openSerial(c.Reader, want, false)
			}
		}
		if busy > 0 {
			return nil, reader, wrap(ErrCardBusy, err)
		}
		if len(cards) > 0 {
			return nil, reader, &WrongCardError{Want: []uint32{want}, Found: serialsOf(cards)}
		}
		return nil, reader, cerr
	}
	got, err := yk.Serial()
	if err != nil {
		yk.Close()
		return nil, reader, classifySign(err)
	}
	if got != want {
		yk.Close()
		return nil, reader, &WrongCardError{Want: []uint32{want}, Found: []uint32{got}}
	}
	return yk, reader, nil
}
