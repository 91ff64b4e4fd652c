package yubikey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/yubikey/internal/trust"
)

// Prompter is the person enrolling, at a terminal.
type Prompter interface {
	// ChooseCard picks one of several inserted YubiKeys.
	ChooseCard(cards []Card) (Card, error)
	// ManagementKey asks for the card's management key (hex) because the
	// factory default does not open it. An empty answer means it is
	// protected by the PIN.
	ManagementKey(c Card) (string, error)
	// PIN asks for the card's PIN, saying why.
	PIN(c Card, why string) (string, error)
	// Confirm shows what will be destroyed and goes on only if the person
	// types phrase exactly.
	Confirm(what, phrase string) (bool, error)
	// Touch tells the person to touch the key now, saying why.
	Touch(c Card, why string)
	// Say reports progress.
	Say(msg string)
}

// EnrollOptions configure Enroll.
type EnrollOptions struct {
	Keys   *Keys
	Prompt Prompter
	// Slot is where the key goes; zero means DefaultSlot (9c).
	Slot piv.Slot
	// Serial picks the card; 0 means the only one inserted, or ask.
	Serial uint32
	// PINPolicy is never (the zero value) or once.
	PINPolicy piv.PINPolicy
	// Force allows destroying a key already in the slot, after the person
	// types the confirmation naming it.
	Force bool
	// Rotating names the public key expected in the slot when a device is
	// rotated: it must be there, and the confirmation says it is replaced.
	Rotating *ecdsa.PublicKey
	// Trust are the roots the attestation must chain to. The zero value,
	// the only one code outside engine/yubikey can give, is Yubico's.
	Trust trust.Roots
}

// Enroll generates an ECDSA P-256 key on a YubiKey with touch policy
// "always", checks the card's attestation of it (chained to the trusted
// roots, generated on the card, touch always, this card's serial, this
// slot, this PIN policy), and asks for one touch to prove it signs. It
// returns what was proved; recording the device is the caller's job. Any
// failure refuses with the reason.
func Enroll(ctx context.Context, o EnrollOptions) (*Enrolled, error) {
	if o.Slot == (piv.Slot{}) {
		o.Slot = DefaultSlot
	}
	if o.PINPolicy == 0 {
		o.PINPolicy = piv.PINPolicyNever
	}
	if o.PINPolicy != piv.PINPolicyNever && o.PINPolicy != piv.PINPolicyOnce {
		return nil, errors.New("pin policy must be never or once")
	}
	var out *Enrolled
	err := o.Keys.do(ctx, func() error {
		c, err := pickCard(o)
		if err != nil {
			return err
		}
		yk, err := piv.Open(c.Reader)
		if err != nil {
			return classifyOpen(err)
		}
		defer yk.Close()
		if got, err := yk.Serial(); err != nil || got != c.Serial {
			return wrap(ErrCardRemoved, fmt.Errorf("the card on %s changed", c.Reader))
		}
		out, err = enrollOn(yk, c, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func pickCard(o EnrollOptions) (Card, error) {
	cards, busy, err := scan(true)
	if err != nil {
		return Card{}, err
	}
	if o.Serial != 0 {
		for _, c := range cards {
			if c.Serial == o.Serial {
				return c, nil
			}
		}
		if busy > 0 {
			return Card{}, wrap(ErrCardBusy, errors.New("a card is held by another program"))
		}
		if len(cards) > 0 {
			return Card{}, &WrongCardError{Want: []uint32{o.Serial}, Found: serialsOf(cards)}
		}
		return Card{}, ErrNoCard
	}
	switch {
	case len(cards) == 1:
		return cards[0], nil
	case len(cards) > 1:
		return o.Prompt.ChooseCard(cards)
	case busy > 0:
		return Card{}, wrap(ErrCardBusy, errors.New("a card is held by another program"))
	}
	return Card{}, errors.New("no YubiKey is inserted: insert one and run the command again")
}

func supports(v piv.Version, major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func enrollOn(yk *piv.YubiKey, c Card, o EnrollOptions) (*Enrolled, error) {
	p := o.Prompt
	if !supports(c.Version, 4, 3) {
		return nil, fmt.Errorf("%w: firmware %s cannot attest keys (4.3 or later needed)", ErrUnsupported, versionString(c.Version))
	}
	p.Say(fmt.Sprintf("Using %s, slot %s.", c, o.Slot))
	held, occupied, err := slotContents(yk, c, o.Slot)
	if err != nil {
		return nil, err
	}
	if err := mayDestroy(o, c, held, occupied, yk); err != nil {
		return nil, err
	}
	pubAny, err := generate(yk, c, p, o.Slot, piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: o.PINPolicy, TouchPolicy: piv.TouchPolicyAlways})
	if err != nil {
		return nil, err
	}
	pub, ok := pubAny.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the card returned a %T, not an ECDSA key", ErrAttestation, pubAny)
	}
	p.Say("Generated an ECDSA P-256 key on the card (touch policy always). Checking its attestation…")
	e, err := attest(yk, c, o, pub)
	if err != nil {
		return nil, fmt.Errorf("%w\nThe new key stays in slot %s but is not enrolled: nothing was recorded", err, o.Slot)
	}
	if err := prove(yk, c, o, pub); err != nil {
		return nil, fmt.Errorf("%w\nThe new key stays in slot %s but is not enrolled: nothing was recorded", err, o.Slot)
	}
	return e, nil
}

// slotContents describes what the slot holds now.
func slotContents(yk *piv.YubiKey, c Card, slot piv.Slot) (string, bool, error) {
	if supports(c.Version, 5, 3) {
		ki, err := yk.KeyInfo(slot)
		if errors.Is(err, piv.ErrNotFound) {
			return "", false, nil
		}
		if err != nil {
			return "", false, classifySign(err)
		}
		origin := "generated on the card"
		if ki.Origin == piv.OriginImported {
			origin = "imported"
		}
		return fmt.Sprintf("a key (%s, touch %s, PIN %s)", origin, touchPolicyName(ki.TouchPolicy), pinPolicyName(ki.PINPolicy)), true, nil
	}
	if _, err := yk.Attest(slot); err == nil {
		return "a key generated on the card", true, nil
	}
	if _, err := yk.Certificate(slot); err == nil {
		return "a key with a certificate", true, nil
	}
	return "", false, nil
}

// mayDestroy refuses an occupied slot unless forced and confirmed.
func mayDestroy(o EnrollOptions, c Card, held string, occupied bool, yk *piv.YubiKey) error {
	if o.Rotating != nil {
		ki, err := yk.KeyInfo(o.Slot)
		if err == nil && ki.PublicKey != nil && !sameKey(ki.PublicKey, o.Rotating) {
			return fmt.Errorf("%w: slot %s of YubiKey %d no longer holds the key being rotated", ErrKeyMismatch, o.Slot, c.Serial)
		}
	}
	if !occupied {
		return nil
	}
	if !o.Force {
		return fmt.Errorf("%w: slot %s of YubiKey %d holds %s.\nChoose another slot (--slot 82..95), or destroy it with --force", ErrSlotOccupied, o.Slot, c.Serial, held)
	}
	what := fmt.Sprintf("slot %s of YubiKey %d holds %s. It will be destroyed, with anything that uses it (an SSH or signing key kept there stops working).", o.Slot, c.Serial, held)
	phrase := fmt.Sprintf("destroy %s on %d", o.Slot, c.Serial)
	if o.Rotating != nil {
		what = fmt.Sprintf("slot %s of YubiKey %d holds the key being rotated. It will be replaced by a new key; verdicts signed by the old one stop verifying.", o.Slot, c.Serial)
		phrase = fmt.Sprintf("rotate %s on %d", o.Slot, c.Serial)
	}
	ok, err := o.Prompt.Confirm(what, phrase)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the confirmation did not match", ErrAborted)
	}
	return nil
}

func sameKey(a crypto.PublicKey, b *ecdsa.PublicKey) bool {
	ea, ok := a.(*ecdsa.PublicKey)
	return ok && ea.Equal(b)
}

// generate generates the key, trying the factory management key first and
// then asking for the card's own (or for the PIN that protects it). The
// management key is never stored.
func generate(yk *piv.YubiKey, c Card, p Prompter, slot piv.Slot, key piv.Key) (crypto.PublicKey, error) {
	mk := append([]byte(nil), piv.DefaultManagementKey...)
	defer func() { clear(mk) }()
	for attempt := 0; ; attempt++ {
		pub, err := yk.GenerateKey(mk, slot, key)
		if err == nil {
			return pub, nil
		}
		if !strings.Contains(err.Error(), "authenticating with management key") {
			return nil, classifySign(err)
		}
		if attempt == 3 {
			return nil, fmt.Errorf("%w: the card refused it 3 times; nothing was changed", ErrWrongMgmtKey)
		}
		if attempt > 0 && len(mk) > 0 {
			p.Say("That management key was refused (" + shortCause(err) + ").")
		}
		ans, err := p.ManagementKey(c)
		if err != nil {
			return nil, err
		}
		clear(mk)
		if mk, err = managementKey(yk, c, p, ans); err != nil {
			return nil, err
		}
		if len(mk) == 0 {
			p.Say("That is not a management key: type 32, 48 or 64 hex digits, or nothing to use the PIN.")
		}
	}
}

// managementKey reads a typed key, or unlocks a PIN-protected one.
func managementKey(yk *piv.YubiKey, c Card, p Prompter, typed string) ([]byte, error) {
	typed = strings.NewReplacer(" ", "", ":", "").Replace(strings.TrimSpace(typed))
	if typed != "" {
		k, err := hex.DecodeString(typed)
		if err != nil || (len(k) != 16 && len(k) != 24 && len(k) != 32) {
			return []byte{}, nil // refused by the card, counted as a wrong key
		}
		return k, nil
	}
	pin, err := p.PIN(c, "to unlock the management key it protects")
	if err != nil {
		return nil, err
	}
	md, err := yk.Metadata(pin)
	if err != nil {
		return nil, classifySign(err)
	}
	if md.ManagementKey == nil {
		return nil, fmt.Errorf("%w: YubiKey %d does not keep its management key behind the PIN: type the key itself", ErrWrongMgmtKey, c.Serial)
	}
	return append([]byte(nil), (*md.ManagementKey)...), nil
}

func shortCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// attest checks the card's attestation of the new key.
func attest(yk *piv.YubiKey, c Card, o EnrollOptions, pub *ecdsa.PublicKey) (*Enrolled, error) {
	att, err := yk.AttestationCertificate()
	if err != nil {
		return nil, fmt.Errorf("%w: the card has no attestation certificate (%v)", ErrAttestation, err)
	}
	slotCert, err := yk.Attest(o.Slot)
	if err != nil {
		return nil, fmt.Errorf("%w: the card would not attest the key; a YubiKey attests only keys it generated, never imported ones (%v)", ErrAttestation, err)
	}
	a, err := o.Trust.Verify(att, slotCert)
	if err != nil {
		return nil, fmt.Errorf("%w: it does not chain to Yubico's PIV roots (%v)", ErrAttestation, err)
	}
	certified, ok := slotCert.PublicKey.(*ecdsa.PublicKey)
	switch {
	case !ok || !certified.Equal(pub):
		return nil, fmt.Errorf("%w: it certifies another key than the one the card just generated", ErrAttestation)
	case a.Serial != c.Serial:
		return nil, fmt.Errorf("%w: it names serial %d, the card says %d", ErrAttestation, a.Serial, c.Serial)
	case a.TouchPolicy != piv.TouchPolicyAlways:
		return nil, fmt.Errorf("%w: the key's touch policy is %s, not always (the card ignored the policy asked for)", ErrAttestation, touchPolicyName(a.TouchPolicy))
	case a.PINPolicy != o.PINPolicy:
		return nil, fmt.Errorf("%w: the key's PIN policy is %s, not %s", ErrAttestation, pinPolicyName(a.PINPolicy), pinPolicyName(o.PINPolicy))
	case a.Slot != (piv.Slot{}) && a.Slot.Key != o.Slot.Key:
		return nil, fmt.Errorf("%w: it is for slot %s, not %s", ErrAttestation, a.Slot, o.Slot)
	}
	if supports(c.Version, 5, 3) {
		ki, err := yk.KeyInfo(o.Slot)
		if err != nil {
			return nil, fmt.Errorf("%w: reading the slot's metadata: %v", ErrAttestation, err)
		}
		if ki.Origin != piv.OriginGenerated {
			return nil, fmt.Errorf("%w: the card says the key was imported, not generated on it", ErrAttestation)
		}
		if ki.TouchPolicy != piv.TouchPolicyAlways {
			return nil, fmt.Errorf("%w: the card says the key's touch policy is %s, not always", ErrAttestation, touchPolicyName(ki.TouchPolicy))
		}
	}
	return &Enrolled{Card: c, Slot: o.Slot, PINPolicy: o.PINPolicy, Public: pub,
		Attestation: mustReparse(att), SlotCert: slotCert}, nil
}

// mustReparse returns a pristine copy of att: piv-go's Verifier marks the
// certificate as a CA in memory to accept old YubiKey 4 certificates, and
// the stored DER must be exactly what the card returned.
func mustReparse(att *x509.Certificate) *x509.Certificate {
	c, err := x509.ParseCertificate(att.Raw)
	if err != nil {
		return att
	}
	return c
}

// enrolPrefix separates the proving signature from anything else Ony signs.
const enrolPrefix = "ony/enrol-proof/v1\x00"

// prove asks for one touch and checks the signature.
func prove(yk *piv.YubiKey, c Card, o EnrollOptions, pub *ecdsa.PublicKey) error {
	var pin string
	if o.PINPolicy != piv.PINPolicyNever {
		var err error
		if pin, err = o.Prompt.PIN(c, "the new key asks for it (PIN policy once)"); err != nil {
			return err
		}
	}
	priv, err := yk.PrivateKey(o.Slot, pub, piv.KeyAuth{PIN: pin, PINPolicy: o.PINPolicy})
	if err != nil {
		return classifySign(err)
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	d := sha256.Sum256(append([]byte(enrolPrefix), nonce...))
	o.Prompt.Touch(c, "to prove the new key works")
	sig, err := priv.(crypto.Signer).Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		return classifySign(err)
	}
	if !ecdsa.VerifyASN1(pub, d[:], sig) {
		return fmt.Errorf("%w: the proving signature does not verify with the attested key", ErrAttestation)
	}
	return nil
}
