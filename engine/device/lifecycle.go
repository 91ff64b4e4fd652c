package device

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

// Create registers a new device of the given kind. For console, engine and
// phone devices it generates a 32-byte HMAC key with crypto/rand (in a
// shared registry: an ECDSA P-256 key) and stores it 0600 in the keys
// directory before the device is registered. TOTP and YubiKey devices are
// created with CreateWithSecret and CreatePublic.
func (r *Registry) Create(kind Kind, label string) (Device, error) {
	switch kind {
	case KindConsole, KindEngine, KindPhone:
	default:
		return Device{}, fmt.Errorf("creating device: kind %q does not take a generated key", kind)
	}
	if r.access.Shared {
		return r.createECDSA(kind, label)
	}
	id, err := NewID()
	if err != nil {
		return Device{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Device{}, fmt.Errorf("generating device key: %w", err)
	}
	if err := r.writeKey(id, key); err != nil {
		return Device{}, err
	}
	d := Device{ID: id, Kind: kind, Label: label, Created: r.now().UTC(), KeyID: verdict.HMACKeyID(key), Alg: string(verdict.HMACSHA256)}
	return d, r.update(func(f *registryFile) error {
		f.Devices = append(f.Devices, d)
		return nil
	})
}

// CreateYubiKey registers a YubiKey: a device that signs with an ECDSA
// P-256 key held on the card. Only the public key and the public facts of
// the enrolment are stored.
func (r *Registry) CreateYubiKey(label string, pub *ecdsa.PublicKey, yk YubiKey) (Device, error) {
	if err := yk.check(); err != nil {
		return Device{}, fmt.Errorf("registering yubikey: %w", err)
	}
	return r.createPublic(KindYubiKey, label, pub, &yk)
}

// CreatePublic registers a device that signs with an ECDSA P-256 key held
// elsewhere; only its public key is stored. YubiKeys are registered with
// CreateYubiKey.
func (r *Registry) CreatePublic(kind Kind, label string, pub *ecdsa.PublicKey) (Device, error) {
	if kind == KindYubiKey {
		return Device{}, errors.New("creating device: register a yubikey with CreateYubiKey")
	}
	return r.createPublic(kind, label, pub, nil)
}

func (r *Registry) createPublic(kind Kind, label string, pub *ecdsa.PublicKey, yk *YubiKey) (Device, error) {
	id, err := NewID()
	if err != nil {
		return Device{}, err
	}
	keyID, err := verdict.ECDSAKeyID(pub)
	if err != nil {
		return Device{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return Device{}, fmt.Errorf("encoding public key: %w", err)
	}
	d := Device{ID: id, Kind: kind, Label: label, Created: r.now().UTC(), KeyID: keyID,
		Alg: string(verdict.ECDSAP256SHA256), PublicKey: hex.EncodeToString(der), YubiKey: yk}
	return d, r.update(func(f *registryFile) error {
		f.Devices = append(f.Devices, d)
		return nil
	})
}

// CreateWithSecret registers a device whose secret is supplied by the
// caller (a TOTP secret). The secret is stored 0600 in the keys directory.
func (r *Registry) CreateWithSecret(kind Kind, label string, secret []byte) (Device, error) {
	id, err := NewID()
	if err != nil {
		return Device{}, err
	}
	if err := r.writeKey(id, secret); err != nil {
		return Device{}, err
	}
	d := Device{ID: id, Kind: kind, Label: label, Created: r.now().UTC()}
	return d, r.update(func(f *registryFile) error {
		f.Devices = append(f.Devices, d)
		return nil
	})
}

// Revoke marks a device revoked and deletes its secret key file. Verdicts it
// signed stop verifying at once.
func (r *Registry) Revoke(id string) (Device, error) {
	var out Device
	err := r.update(func(f *registryFile) error {
		for i := range f.Devices {
			if f.Devices[i].ID != id {
				continue
			}
			if !f.Devices[i].Active() {
				return fmt.Errorf("device %s: %w", id, ErrAlreadyRevoked)
			}
			t := r.now().UTC()
			f.Devices[i].Revoked = &t
			out = f.Devices[i]
			return nil
		}
		return fmt.Errorf("device %s: %w", id, ErrNotFound)
	})
	if err != nil {
		return Device{}, err
	}
	if err := os.Remove(r.keyPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return out, fmt.Errorf("device %s revoked, but removing its key file failed: %w", id, err)
	}
	return out, nil
}

// Replace records that old was replaced by repl (a YubiKey rotated to a new
// key) and revokes old.
func (r *Registry) Replace(oldID, replID string) (Device, error) {
	if err := r.update(func(f *registryFile) error {
		found := false
		for i := range f.Devices {
			if f.Devices[i].ID == oldID {
				f.Devices[i].ReplacedBy, found = replID, true
			}
		}
		if !found {
			return fmt.Errorf("device %s: %w", oldID, ErrNotFound)
		}
		return nil
	}); err != nil {
		return Device{}, err
	}
	return r.Revoke(oldID)
}

// Rotate issues a new device of the same kind and label with a fresh key and
// revokes the old one. Only devices with generated HMAC keys can be rotated.
func (r *Registry) Rotate(id string) (old, repl Device, err error) {
	old, err = r.Get(id)
	if err != nil {
		return Device{}, Device{}, err
	}
	if !old.Active() {
		return Device{}, Device{}, fmt.Errorf("device %s: %w", id, ErrAlreadyRevoked)
	}
	repl, err = r.Create(old.Kind, old.Label)
	if err != nil {
		return Device{}, Device{}, fmt.Errorf("rotating device %s: %w", id, err)
	}
	if err := r.update(func(f *registryFile) error {
		for i := range f.Devices {
			if f.Devices[i].ID == id {
				f.Devices[i].ReplacedBy = repl.ID
			}
		}
		return nil
	}); err != nil {
		return Device{}, Device{}, err
	}
	old, err = r.Revoke(id)
	return old, repl, err
}
