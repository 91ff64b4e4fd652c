package verdict

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Key is what a verifier knows about one device's key.
type Key struct {
	DeviceID string
	KeyID    string
	Alg      Alg
	Secret   []byte           // HMAC key; nil for public-key devices
	Public   *ecdsa.PublicKey // ECDSA key; nil for HMAC devices
	Revoked  bool
}

// Keyring finds the key of a device. It returns ErrUnknownDevice for a device
// it does not know.
type Keyring interface {
	Key(deviceID string) (*Key, error)
}

// Errors from Verify. Every one of them means the verdict must be treated as
// a deny.
var (
	ErrMalformed       = errors.New("malformed verdict")
	ErrUnknownDevice   = errors.New("unknown device")
	ErrRevoked         = errors.New("device revoked")
	ErrKeyMismatch     = errors.New("key id does not match the device's key")
	ErrAlgMismatch     = errors.New("signature algorithm does not match the device's key")
	ErrBadSignature    = errors.New("bad signature")
	ErrWrongRequest    = errors.New("verdict is for another request")
	ErrWrongNonce      = errors.New("verdict does not carry this request's nonce")
	ErrWrongDigest     = errors.New("verdict is for a different tool call")
	ErrExpired         = errors.New("verdict expired")
	ErrNotYetValid     = errors.New("verdict issued in the future")
	ErrInvalidLifetime = errors.New("verdict lifetime invalid")
)

// Expect is what the hook knows independently of the verdict: the request it
// sent and the clock.
type Expect struct {
	RequestID     string    // from the engine's accepted message
	Nonce         string    // the hook's own nonce
	RequestDigest string    // recomputed by the hook from what it read
	Now           time.Time // the hook's clock
	Skew          time.Duration
	MaxLifetime   time.Duration // longest allowed expires_at - issued_at
}

// DefaultSkew is the clock-skew allowance for issued_at and expires_at.
const DefaultSkew = 5 * time.Second

// DefaultMaxLifetime is the longest lifetime a verdict may claim.
const DefaultMaxLifetime = 10 * time.Minute

// Verify checks the signature of v with the device's registered key and then
// its binding to the expected request. It returns nil only if every check
// passes; the error wraps one of the Err values otherwise. The signature is
// checked first, so nothing unauthenticated is interpreted.
func Verify(v *Verdict, kr Keyring, want Expect) error {
	if err := VerifySignature(v, kr); err != nil {
		return err
	}
	return CheckBinding(v, want)
}

// VerifySignature checks only that v was signed by the registered, unrevoked
// key of the device it names.
func VerifySignature(v *Verdict, kr Keyring) error {
	if v == nil {
		return fmt.Errorf("%w: empty", ErrMalformed)
	}
	alg, hexSig, ok := splitSignature(v.Signature)
	if !ok {
		return fmt.Errorf("%w: signature field is not <alg>:<hex>", ErrMalformed)
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrMalformed)
	}
	if v.ApproverDeviceID == "" {
		return fmt.Errorf("%w: no approver device", ErrMalformed)
	}
	key, err := kr.Key(v.ApproverDeviceID)
	if err != nil {
		if errors.Is(err, ErrUnknownDevice) {
			return fmt.Errorf("device %s: %w", v.ApproverDeviceID, ErrUnknownDevice)
		}
		return fmt.Errorf("looking up device %s: %w", v.ApproverDeviceID, err)
	}
	if key.Revoked {
		return fmt.Errorf("device %s: %w", v.ApproverDeviceID, ErrRevoked)
	}
	if subtle.ConstantTimeCompare([]byte(key.KeyID), []byte(v.KeyID)) != 1 {
		return fmt.Errorf("device %s: %w", v.ApproverDeviceID, ErrKeyMismatch)
	}
	if alg != key.Alg {
		return fmt.Errorf("device %s signs with %s, verdict claims %s: %w", v.ApproverDeviceID, key.Alg, alg, ErrAlgMismatch)
	}
	msg := SigningBytes(v, alg)
	switch key.Alg {
	case HMACSHA256:
		if len(key.Secret) < 32 {
			return fmt.Errorf("device %s: %w", v.ApproverDeviceID, errNoKey)
		}
		m := hmac.New(sha256.New, key.Secret)
		m.Write(msg)
		if !hmac.Equal(m.Sum(nil), sig) {
			return fmt.Errorf("device %s: %w", v.ApproverDeviceID, ErrBadSignature)
		}
	case ECDSAP256SHA256:
		if key.Public == nil {
			return fmt.Errorf("device %s: %w", v.ApproverDeviceID, errNoKey)
		}
		d := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(key.Public, d[:], sig) {
			return fmt.Errorf("device %s: %w", v.ApproverDeviceID, ErrBadSignature)
		}
	default:
		return fmt.Errorf("device %s: unsupported algorithm %q: %w", v.ApproverDeviceID, key.Alg, ErrAlgMismatch)
	}
	return nil
}

// CheckBinding checks that an authenticated verdict answers the expected
// request, within its lifetime, with a valid decision.
func CheckBinding(v *Verdict, want Expect) error {
	if v.Decision != Approve && v.Decision != Deny {
		return fmt.Errorf("%w: decision %q", ErrMalformed, v.Decision)
	}
	if want.RequestID == "" || v.RequestID != want.RequestID {
		return ErrWrongRequest
	}
	if want.Nonce == "" || subtle.ConstantTimeCompare([]byte(v.Nonce), []byte(want.Nonce)) != 1 {
		return ErrWrongNonce
	}
	if want.RequestDigest == "" || subtle.ConstantTimeCompare([]byte(v.RequestDigest), []byte(want.RequestDigest)) != 1 {
		return ErrWrongDigest
	}
	skew := want.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	maxLife := want.MaxLifetime
	if maxLife <= 0 {
		maxLife = DefaultMaxLifetime
	}
	issued, expires := v.IssuedAt.Time, v.ExpiresAt.Time
	if issued.IsZero() || expires.IsZero() || !expires.After(issued) || expires.Sub(issued) > maxLife {
		return ErrInvalidLifetime
	}
	now := want.Now
	if now.IsZero() {
		now = time.Now()
	}
	if issued.After(now.Add(skew)) {
		return ErrNotYetValid
	}
	if now.After(expires.Add(skew)) {
		return ErrExpired
	}
	return nil
}
