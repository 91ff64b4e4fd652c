// Package yubikey is Ony's YubiKey channel: it finds YubiKeys through
// PC/SC (pcscd, via github.com/go-piv/piv-go/v2), enrols a PIV key that is
// generated on the card with touch policy "always" and attested to chain to
// Yubico's roots, and signs verdicts on the card, which waits for a touch.
//
// A card is opened for one operation and released at once, so other
// programs using the key (ssh agents, gpg) keep working. piv-go's YubiKey
// is not safe for concurrent use and its Sign cannot be cancelled, so every
// card operation of a process goes through one Keys, which runs them one
// at a time.
package yubikey

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/device"
)

// TouchTimeout is how long a YubiKey waits for a touch before it refuses
// (status 0x6982). The console counts it down.
const TouchTimeout = 15 * time.Second

// opTimeout bounds one card operation, touch included: a card or pcscd
// that stops answering must not hold the channel for ever.
const opTimeout = TouchTimeout + 15*time.Second

// DefaultSlot is where enrolment puts the key: 9c, "digital signature".
var DefaultSlot = piv.SlotSignature

// ParseSlot reads a slot for Ony's key: "9c" or a retired key-management
// slot "82".."95".
func ParseSlot(s string) (piv.Slot, error) {
	s = strings.ToLower(strings.TrimPrefix(strings.ToLower(s), "0x"))
	n, err := strconv.ParseUint(s, 16, 8)
	if err == nil {
		if n == 0x9c {
			return piv.SlotSignature, nil
		}
		if slot, ok := piv.RetiredKeyManagementSlot(uint32(n)); ok {
			return slot, nil
		}
	}
	return piv.Slot{}, fmt.Errorf("slot %q: use 9c or one of 82..95 (9a, 9d and 9e belong to PIV logins, encryption and card authentication)", s)
}

// Keys runs the card operations of one process one at a time. The zero
// value is not usable: use NewKeys.
type Keys struct {
	sem    chan struct{}
	helper *Helper // nil: card work runs in this process
}

// NewKeys returns the card channel of this process.
func NewKeys() *Keys { return &Keys{sem: make(chan struct{}, 1)} }

// do runs fn alone. If another operation does not finish within the
// operation timeout, it reports the channel as hung.
func (k *Keys) do(ctx context.Context, fn func() error) error {
	t := time.NewTimer(opTimeout)
	defer t.Stop()
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return wrap(ErrCardBusy, ctx.Err())
	case <-t.C:
		return wrap(ErrHung, errors.New("another YubiKey operation of this process has not returned"))
	}
	defer func() { <-k.sem }()
	return fn()
}

// Card is a YubiKey found on a reader.
type Card struct {
	Reader     string
	Serial     uint32
	Version    piv.Version
	FormFactor piv.Formfactor
}

func (c Card) String() string {
	s := fmt.Sprintf("YubiKey serial %d, firmware %s", c.Serial, versionString(c.Version))
	if c.FormFactor != 0 {
		s += ", " + c.FormFactor.String()
	}
	return s
}

func versionString(v piv.Version) string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// scan lists the YubiKeys on every reader. busy counts readers whose card
// another program holds. It must run inside Keys.do.
func scan(formFactor bool) (cards []Card, busy int, err error) {
	readers, err := piv.Cards()
	if err != nil {
		return nil, 0, classifyOpen(err)
	}
	for _, r := range readers {
		yk, err := piv.Open(r)
		if err != nil {
			if errors.Is(classifyOpen(err), ErrCardBusy) {
				busy++
			}
			continue // an empty reader, or not a PIV card
		}
		c := Card{Reader: r, Version: yk.Version()}
		c.Serial, err = yk.Serial()
		if err == nil && formFactor {
			c.FormFactor, _ = yk.FormFactor() // 0 when the key does not say
		}
		yk.Close()
		if err == nil {
			cards = append(cards, c)
		}
	}
	return cards, busy, nil
}

// scanCards is scan, in the helper when there is one. It must run inside
// Keys.do.
func (k *Keys) scanCards(ctx context.Context, formFactor bool) ([]Card, int, error) {
	if k.helper == nil {
		return scan(formFactor)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := k.helper.call(ctx, helperRequest{Op: "scan"})
	return resp.cards(), resp.Busy, err
}

// Cards lists the YubiKeys inserted now.
func (k *Keys) Cards(ctx context.Context) ([]Card, error) {
	var cards []Card
	err := k.do(ctx, func() error {
		var busy int
		var err error
		cards, busy, err = k.scanCards(ctx, true)
		if err == nil && len(cards) == 0 && busy > 0 {
			return wrap(ErrCardBusy, errors.New("a card is held exclusively by another program"))
		}
		return err
	})
	return cards, err
}

// Policy names as the registry stores them.
func pinPolicyName(p piv.PINPolicy) string {
	switch p {
	case piv.PINPolicyNever:
		return "never"
	case piv.PINPolicyOnce:
		return "once"
	case piv.PINPolicyAlways:
		return "always"
	}
	return "unknown"
}

func touchPolicyName(p piv.TouchPolicy) string {
	switch p {
	case piv.TouchPolicyNever:
		return "never"
	case piv.TouchPolicyAlways:
		return "always"
	case piv.TouchPolicyCached:
		return "cached"
	}
	return "unknown"
}

// ParsePINPolicy reads "never" or "once", the PIN policies Ony enrols.
func ParsePINPolicy(s string) (piv.PINPolicy, error) {
	switch s {
	case "", "never":
		return piv.PINPolicyNever, nil
	case "once":
		return piv.PINPolicyOnce, nil
	}
	return 0, fmt.Errorf("pin policy %q: use never or once", s)
}

// Enrolled is what an enrolment proved about a key.
type Enrolled struct {
	Card        Card
	Slot        piv.Slot
	PINPolicy   piv.PINPolicy
	Public      *ecdsa.PublicKey
	Attestation *x509.Certificate // the card's f9 certificate
	SlotCert    *x509.Certificate // the card's attestation of the key
}

// Device is the registry record of the enrolment (public data only).
func (e *Enrolled) Device() device.YubiKey {
	return device.YubiKey{
		Serial:          e.Card.Serial,
		Slot:            e.Slot.String(),
		Firmware:        versionString(e.Card.Version),
		FormFactor:      formFactorName(e.Card.FormFactor),
		PINPolicy:       pinPolicyName(e.PINPolicy),
		TouchPolicy:     "always",
		AttestationCert: base64.StdEncoding.EncodeToString(e.Attestation.Raw),
		SlotCert:        base64.StdEncoding.EncodeToString(e.SlotCert.Raw),
	}
}

func formFactorName(f piv.Formfactor) string {
	if f == 0 {
		return ""
	}
	return f.String()
}
