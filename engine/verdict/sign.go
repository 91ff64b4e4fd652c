package verdict

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// Signer signs verdicts for one device.
type Signer interface {
	// DeviceID is the id of the signing device.
	DeviceID() string
	// KeyID identifies the key the device signs with.
	KeyID() string
	// Alg is the key's algorithm.
	Alg() Alg
	// SignBytes signs the canonical bytes. HMAC signers return the MAC;
	// ECDSA signers return an ASN.1 DER signature over their SHA-256.
	SignBytes(msg []byte) ([]byte, error)
}

// Sign fills in the device and key ids of v from s and signs it. It refuses a
// verdict whose decision is not approve or deny.
func Sign(v *Verdict, s Signer) error {
	if v.Decision != Approve && v.Decision != Deny {
		return fmt.Errorf("signing verdict: invalid decision %q", v.Decision)
	}
	v.ApproverDeviceID = s.DeviceID()
	v.KeyID = s.KeyID()
	v.IssuedAt = At(v.IssuedAt.Time)
	v.ExpiresAt = At(v.ExpiresAt.Time)
	sig, err := s.SignBytes(SigningBytes(v, s.Alg()))
	if err != nil {
		return fmt.Errorf("signing verdict for device %s: %w", s.DeviceID(), err)
	}
	v.Signature = string(s.Alg()) + ":" + hex.EncodeToString(sig)
	return nil
}

// HMACSigner signs with an HMAC-SHA256 device key.
type HMACSigner struct {
	device, keyID string
	key           []byte
}

// NewHMACSigner returns a signer for the device with the given secret key.
// The key must be at least 32 bytes.
func NewHMACSigner(deviceID string, key []byte) (*HMACSigner, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("hmac key for device %s is %d bytes, need at least 32", deviceID, len(key))
	}
	return &HMACSigner{device: deviceID, keyID: HMACKeyID(key), key: append([]byte(nil), key...)}, nil
}

// DeviceID implements Signer.
func (s *HMACSigner) DeviceID() string { return s.device }

// KeyID implements Signer.
func (s *HMACSigner) KeyID() string { return s.keyID }

// Alg implements Signer.
func (s *HMACSigner) Alg() Alg { return HMACSHA256 }

// SignBytes implements Signer.
func (s *HMACSigner) SignBytes(msg []byte) ([]byte, error) {
	m := hmac.New(sha256.New, s.key)
	m.Write(msg)
	return m.Sum(nil), nil
}

// ECDSASigner signs with a P-256 private key, such as one held on a YubiKey
// (any crypto.Signer whose public key is P-256).
type ECDSASigner struct {
	device, keyID string
	priv          crypto.Signer
}

// NewECDSASigner returns a signer for the device. priv's public key must be
// an ECDSA P-256 key.
func NewECDSASigner(deviceID string, priv crypto.Signer) (*ECDSASigner, error) {
	pub, ok := priv.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("device %s: signer is not an ECDSA P-256 key", deviceID)
	}
	id, err := ECDSAKeyID(pub)
	if err != nil {
		return nil, err
	}
	return &ECDSASigner{device: deviceID, keyID: id, priv: priv}, nil
}

// DeviceID implements Signer.
func (s *ECDSASigner) DeviceID() string { return s.device }

// KeyID implements Signer.
func (s *ECDSASigner) KeyID() string { return s.keyID }

// Alg implements Signer.
func (s *ECDSASigner) Alg() Alg { return ECDSAP256SHA256 }

// SignBytes implements Signer.
func (s *ECDSASigner) SignBytes(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return s.priv.Sign(rand.Reader, d[:], crypto.SHA256)
}

// keyIDPrefix separates key-id hashes from other hashes.
const keyIDPrefix = "ony/keyid/v1\x00"

// HMACKeyID derives the public id of an HMAC key: "hk_" and the first 8
// bytes of SHA-256(prefix ‖ key) in hex. It reveals nothing usable about key.
func HMACKeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte(keyIDPrefix))
	h.Write([]byte(HMACSHA256))
	h.Write(key)
	return "hk_" + hex.EncodeToString(h.Sum(nil)[:8])
}

// ECDSAKeyID derives the id of a P-256 public key from its PKIX encoding.
func ECDSAKeyID(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(keyIDPrefix))
	h.Write([]byte(ECDSAP256SHA256))
	h.Write(der)
	return "ek_" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// errNoKey is returned by a Key with neither secret nor public key.
var errNoKey = errors.New("device key has no material")
