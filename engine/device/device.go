// Package device is Ony's registry of approving devices. Each device (the
// console keypad, the engine's automatic allows, a TOTP authenticator, a
// YubiKey, the phone channel) has its own id and key and can be revoked.
//
// The registry is a JSON file (devices.json) beside a 0700 keys directory
// holding one 0600 key file per device. The engine writes it; the hook reads
// it on every verification, so a revocation takes effect in the next hook
// that runs. Secret keys never leave the keys directory: they are not
// logged, not put in the registry file and not sent over the socket.
package device

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Kind is what sort of approver a device is.
type Kind string

// Device kinds.
const (
	KindConsole Kind = "console" // keypad approvals at the console
	KindEngine  Kind = "engine"  // automatic allows and deadline denies
	KindTOTP    Kind = "totp"    // an authenticator app holding the 6-digit code secret
	KindYubiKey Kind = "yubikey" // a PIV key on a YubiKey
	KindPhone   Kind = "phone"   // answers given on a phone call
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindConsole, KindEngine, KindTOTP, KindYubiKey, KindPhone:
		return true
	}
	return false
}

// Device is one registry entry.
type Device struct {
	ID      string     `json:"id"`
	Kind    Kind       `json:"kind"`
	Label   string     `json:"label"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	// KeyID identifies the device's current key (verdict.HMACKeyID or
	// verdict.ECDSAKeyID). Empty for TOTP devices, which do not sign.
	KeyID string `json:"key_id,omitempty"`
	// Alg is the signature algorithm of the key ("hmac-sha256",
	// "ecdsa-p256-sha256"); empty for TOTP devices.
	Alg string `json:"alg,omitempty"`
	// PublicKey is the PKIX DER public key in hex for public-key devices.
	PublicKey string `json:"public_key,omitempty"`
	// ReplacedBy names the device that replaced this one on rotation.
	ReplacedBy string `json:"replaced_by,omitempty"`
	// YubiKey is what enrolment learnt about a YubiKey device (public data
	// only); set exactly for kind yubikey.
	YubiKey *YubiKey `json:"yubikey,omitempty"`
}

// YubiKey describes the card and slot a YubiKey device's key lives in, and
// the attestation that proved the key was generated there. Everything in
// it is public.
type YubiKey struct {
	Serial      uint32 `json:"serial"`
	Slot        string `json:"slot"`     // PIV slot in hex: "9c", "82".."95"
	Firmware    string `json:"firmware"` // "5.7.2"
	FormFactor  string `json:"form_factor,omitempty"`
	PINPolicy   string `json:"pin_policy"`   // "never" or "once"
	TouchPolicy string `json:"touch_policy"` // "always"
	// AttestationCert is the card's own attestation certificate (slot f9,
	// issued by Yubico), DER in standard base64.
	AttestationCert string `json:"attestation_cert"`
	// SlotCert is the card's attestation of the key (signed by the f9
	// key), DER in standard base64.
	SlotCert string `json:"slot_cert"`
}

// check reports what is wrong with a YubiKey record.
func (y *YubiKey) check() error {
	switch {
	case y.Serial == 0:
		return errors.New("no serial")
	case len(y.Slot) != 2:
		return fmt.Errorf("slot %q is not two hex digits", y.Slot)
	case y.PINPolicy != "never" && y.PINPolicy != "once":
		return fmt.Errorf("pin policy %q is not never or once", y.PINPolicy)
	case y.TouchPolicy != "always":
		return fmt.Errorf("touch policy %q is not always", y.TouchPolicy)
	case y.AttestationCert == "" || y.SlotCert == "":
		return errors.New("attestation certificates missing")
	}
	return nil
}

// Active reports whether the device is not revoked.
func (d Device) Active() bool { return d.Revoked == nil }

// Errors.
var (
	ErrNotFound       = errors.New("no such device")
	ErrAlreadyRevoked = errors.New("device already revoked")
)

// NewID returns a fresh device id such as "dev_2b7e4a90".
func NewID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating device id: %w", err)
	}
	return "dev_" + hex.EncodeToString(b[:]), nil
}

// validID reports whether id has the shape NewID produces, so that an id
// read from a verdict can never name a path outside the keys directory.
func validID(id string) bool {
	if len(id) != 12 || id[:4] != "dev_" {
		return false
	}
	for _, c := range id[4:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
