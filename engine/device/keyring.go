package device

import (
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
		pub, err := k.r.publicKey(d)
		if err != nil {
			return nil, err
		}
		key.Public = pub
	default:
		return nil, fmt.Errorf("device %s does not sign verdicts", id)
	}
	return key, nil
}
