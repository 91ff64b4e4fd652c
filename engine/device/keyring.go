package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

// Keyring returns a verdict.Keyring backed by the registry. Each lookup reads
// the registry afresh, so a revocation made by another process is seen by
// the next verification.
func (r *Registry) Keyring() verdict.Keyring { return keyring{r} }

type keyring struct{ r *Registry }

// Key implements verdict.Keyring.
func (k keyring) Key(id string) (*verdict.Key, error) {
	if !validID(id) {
		return nil, verdict.ErrUnknownDevice
	}
	d, err := k.r.Get(id)
	if errors.Is(err, ErrNotFound) {
		return nil, verdict.ErrUnknownDevice
	}
	if err != nil {
		return nil, err
	}
	key := &verdict.Key{DeviceID: d.ID, KeyID: d.KeyID, Alg: verdict.Alg(d.Alg), Revoked: !d.Active()}
	if key.Revoked {
		return key, nil
	}
	switch verdict.Alg(d.Alg) {
	case verdict.HMACSHA256:
		secret, err := k.r.Secret(id)
		if err != nil {
			return nil, err
		}
		key.Secret = secret
	case verdict.ECDSAP256SHA256:
		der, err := hex.DecodeString(d.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("device %s: public key is not hex", id)
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("device %s: parsing public key: %w", id, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("device %s: public key is not ECDSA P-256", id)
		}
		key.Public = ec
	default:
		return nil, fmt.Errorf("device %s does not sign verdicts", id)
	}
	return key, nil
}
