package vcard

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"strconv"
)

// A card's state can be saved and restored, so that ony-vcard keeps its
// keys (and its CA) across runs, as a real key would.

type savedSlot struct {
	Key       []byte `json:"key"` // PKCS #8
	PIN       byte   `json:"pin"`
	Touch     byte   `json:"touch"`
	Generated bool   `json:"generated"`
}

type savedCard struct {
	Serial     uint32               `json:"serial"`
	Version    [3]byte              `json:"version"`
	FormFactor byte                 `json:"form_factor"`
	PIN        string               `json:"pin"`
	PINTries   int                  `json:"pin_tries"`
	PINLeft    int                  `json:"pin_left"`
	MgmtAlg    byte                 `json:"mgmt_alg"`
	MgmtKey    []byte               `json:"mgmt_key"`
	CACert     []byte               `json:"ca_cert"`
	CAKey      []byte               `json:"ca_key"`
	AttCert    []byte               `json:"att_cert"`
	AttKey     []byte               `json:"att_key"`
	Slots      map[string]savedSlot `json:"slots"`
	Objects    map[string][]byte    `json:"objects"`
}

// Save returns the card's state (keys included: it is a test card).
func (c *Card) Save() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := savedCard{Serial: c.cfg.Serial, Version: c.cfg.Version, FormFactor: c.cfg.FormFactor, PIN: c.cfg.PIN,
		PINTries: c.cfg.PINRetries, PINLeft: c.pinRetries, MgmtAlg: c.mgmtAlg, MgmtKey: c.mgmtKey,
		CACert: c.ca.Cert.Raw, AttCert: c.attCert.Raw, Slots: map[string]savedSlot{}, Objects: map[string][]byte{}}
	var err error
	if s.CAKey, err = x509.MarshalPKCS8PrivateKey(c.ca.key); err != nil {
		return nil, err
	}
	if s.AttKey, err = x509.MarshalPKCS8PrivateKey(c.attKey); err != nil {
		return nil, err
	}
	for slot, k := range c.slots {
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil {
			return nil, err
		}
		s.Slots[fmt.Sprintf("%02x", slot)] = savedSlot{Key: der, PIN: k.pin, Touch: k.touch, Generated: k.generated}
	}
	for tag, v := range c.objects {
		s.Objects[fmt.Sprintf("%06x", tag)] = v
	}
	return json.MarshalIndent(s, "", "  ")
}

// Restore rebuilds a saved card. cfg supplies what is not saved (the touch
// timeout and callback).
func Restore(b []byte, cfg Config) (*Card, error) {
	var s savedCard
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("vcard state: %w", err)
	}
	caCert, err := x509.ParseCertificate(s.CACert)
	if err != nil {
		return nil, fmt.Errorf("vcard state: %w", err)
	}
	caKey, err := parseKey(s.CAKey)
	if err != nil {
		return nil, err
	}
	cfg.Serial, cfg.Version, cfg.FormFactor, cfg.PIN, cfg.PINRetries = s.Serial, s.Version, s.FormFactor, s.PIN, s.PINTries
	cfg.ManagementAlg, cfg.ManagementKey = s.MgmtAlg, s.MgmtKey
	cfg.CA = &CA{Cert: caCert, key: caKey}
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if c.attKey, err = parseKey(s.AttKey); err != nil {
		return nil, err
	}
	if c.attCert, err = x509.ParseCertificate(s.AttCert); err != nil {
		return nil, err
	}
	c.pinRetries = s.PINLeft
	for name, ss := range s.Slots {
		n, err := strconv.ParseUint(name, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("vcard state: slot %q", name)
		}
		k, err := parseKey(ss.Key)
		if err != nil {
			return nil, err
		}
		c.slots[byte(n)] = &slotKey{priv: k, pin: ss.PIN, touch: ss.Touch, generated: ss.Generated}
	}
	c.objects = map[uint32][]byte{}
	for name, v := range s.Objects {
		n, err := strconv.ParseUint(name, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("vcard state: object %q", name)
		}
		c.objects[uint32(n)] = v
	}
	return c, nil
}

func parseKey(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("vcard state: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("vcard state: not an ECDSA key")
	}
	return ek, nil
}
