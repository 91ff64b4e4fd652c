package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

// createECDSA registers a software device that signs with an ECDSA P-256
// key: the private key (PKCS #8, hex) goes 0600 into the keys directory
// before the device is registered, the public key into the registry, where
// the hook of a system install reads it without being able to read any
// private key.
func (r *Registry) createECDSA(kind Kind, label string) (Device, error) {
	id, err := NewID()
	if err != nil {
		return Device{}, err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Device{}, fmt.Errorf("generating device key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Device{}, fmt.Errorf("encoding device key: %w", err)
	}
	if err := r.writeKey(id, der); err != nil {
		return Device{}, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return Device{}, fmt.Errorf("encoding public key: %w", err)
	}
	keyID, err := verdict.ECDSAKeyID(&priv.PublicKey)
	if err != nil {
		return Device{}, err
	}
	d := Device{ID: id, Kind: kind, Label: label, Created: r.now().UTC(), KeyID: keyID,
		Alg: string(verdict.ECDSAP256SHA256), PublicKey: hex.EncodeToString(pubDER)}
	return d, r.update(func(f *registryFile) error {
		f.Devices = append(f.Devices, d)
		return nil
	})
}

// ecdsaSigner loads a software device's private key and checks it is the
// key the registry names.
func (r *Registry) ecdsaSigner(d Device) (verdict.Signer, error) {
	der, err := r.Secret(d.ID)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("device %s: parsing its key: %w", d.ID, err)
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("device %s: its key is not ECDSA P-256", d.ID)
	}
	s, err := verdict.NewECDSASigner(d.ID, priv)
	if err != nil {
		return nil, err
	}
	if s.KeyID() != d.KeyID {
		return nil, fmt.Errorf("device %s: key file does not match the registered key id", d.ID)
	}
	return s, nil
}

// publicKey returns a public-key device's key, parsed once per version of
// the registry file.
func (r *Registry) publicKey(d Device) (*ecdsa.PublicKey, error) {
	r.mu.Lock()
	pub, ok := r.publics[d.ID]
	r.mu.Unlock()
	if ok {
		return pub, nil
	}
	der, err := hex.DecodeString(d.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("device %s: public key is not hex", d.ID)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("device %s: parsing public key: %w", d.ID, err)
	}
	pub, ok = k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("device %s: public key is not ECDSA P-256", d.ID)
	}
	r.mu.Lock()
	if r.publics == nil {
		r.publics = map[string]*ecdsa.PublicKey{}
	}
	r.publics[d.ID] = pub
	r.mu.Unlock()
	return pub, nil
}
