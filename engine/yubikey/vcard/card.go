// Package vcard is a virtual YubiKey: a PIV card written in Go that plugs
// into a real pcscd through vsmartcard-vpcd, so Ony's YubiKey channel is
// tested through the same PC/SC stack (libpcsclite, pcscd, piv-go) a real
// key is used through. It is test tooling: the ony-tui binary never
// imports it (TestShippedBinaryDoesNotImportTheVirtualCard checks).
//
// The card answers the APDUs piv-go sends with the status words a YubiKey
// 5 returns: SELECT, GET VERSION, GET SERIAL, GET METADATA, VERIFY PIN,
// management-key mutual authentication (3DES and AES), GENERATE
// ASYMMETRIC KEY PAIR, IMPORT, ATTEST, GET/PUT DATA with command chaining
// and 61xx/GET RESPONSE, GENERAL AUTHENTICATE (ECDSA P-256 signatures) and
// the management applet's READ CONFIG. Its attestation chains to a test CA
// (see CA). A signature by a key with touch policy "always" waits for
// Touch, or fails after the touch timeout with 0x6982, as a YubiKey does
// when nobody touches it.
package vcard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"sync"
	"time"
)

// Management key algorithms, as PIV numbers them.
const (
	Alg3DES   byte = 0x03
	AlgAES128 byte = 0x08
	AlgAES192 byte = 0x0a
	AlgAES256 byte = 0x0c
)

// Policies as the card encodes them.
const (
	PINNever  byte = 0x01
	PINOnce   byte = 0x02
	PINAlways byte = 0x03

	TouchNever  byte = 0x01
	TouchAlways byte = 0x02
	TouchCached byte = 0x03
)

// DefaultManagementKey is the factory management key (the same bytes are
// the 3DES key of older keys and the AES-192 key of firmware 5.7).
var DefaultManagementKey = []byte{
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
}

// DefaultPIN is the factory PIN.
const DefaultPIN = "123456"

// ATR is a YubiKey 5's answer to reset; it offers T=1, the only protocol
// piv-go connects with.
var ATR = []byte{0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73, 0xc0, 0x21, 0xc0,
	0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40}

// Config describes a virtual card. Zero fields take the defaults noted.
type Config struct {
	Serial     uint32  // default 12345678
	Version    [3]byte // firmware; default 5.7.2
	FormFactor byte    // default 0x03, USB-C keychain

	ManagementKey []byte // default DefaultManagementKey
	ManagementAlg byte   // default Alg3DES
	// ManagementKeyProtected stores the management key on the card behind
	// the PIN, as `ykman piv access change-management-key --protect` does.
	ManagementKeyProtected bool

	PIN        string // default DefaultPIN
	PINRetries int    // default 3; a negative value means blocked

	// TouchTimeout is how long a signature waits for a touch; default
	// 15 s, a YubiKey's.
	TouchTimeout time.Duration
	// OnTouchRequest, if set, is called (without locks held) whenever a
	// signature starts waiting for a touch.
	OnTouchRequest func()

	// CA is the attestation root; nil makes a fresh one.
	CA *CA
	// OnChange, if set, is called (without locks held) after a command
	// changed what the card keeps (a key generated or imported, data
	// stored, the PIN's tries), so a caller can Save it.
	OnChange func()

	// Faults, for tests of a lying or broken card.

	// ForceTouchPolicy, if non-zero, replaces the touch policy GENERATE
	// is asked for (firmware that ignores it).
	ForceTouchPolicy byte
	// ImportOnGenerate makes GENERATE put a key made off the card into the
	// slot: its origin is "imported" and it cannot be attested.
	ImportOnGenerate bool
	// AttestOtherKey makes ATTEST certify a fresh key instead of the
	// slot's.
	AttestOtherKey bool
}

// slotKey is a private key in a slot with its policies.
type slotKey struct {
	priv        *ecdsa.PrivateKey
	pin, touch  byte
	generated   bool
	lastTouched time.Time // for the cached touch policy
}

// Card is one virtual PIV card. Its methods are safe for concurrent use.
type Card struct {
	cfg     Config
	ca      *CA
	attKey  *ecdsa.PrivateKey
	attCert *x509.Certificate

	mu         sync.Mutex
	slots      map[byte]*slotKey
	objects    map[uint32][]byte // data objects, the content inside tag 53
	pinRetries int
	mgmtKey    []byte
	mgmtAlg    byte
	s          session
	autoTouch  bool
	touch      chan struct{} // non-nil while a signature waits for a touch
	signed     int           // signatures made
}

// session is the state a SELECT or a power cycle resets.
type session struct {
	app     string // "piv", "mgmt" or ""
	pinOK   bool
	mgmtOK  bool
	witness []byte // the management-key witness awaiting its answer
	chain   []byte // data of chained commands so far
	out     []byte // response data not yet fetched with GET RESPONSE
}

// New makes a card. Its attestation key and certificate are issued by
// cfg.CA (or a fresh CA).
func New(cfg Config) (*Card, error) {
	if cfg.Serial == 0 {
		cfg.Serial = 12345678
	}
	if cfg.Version == [3]byte{} {
		cfg.Version = [3]byte{5, 7, 2}
	}
	if cfg.FormFactor == 0 {
		cfg.FormFactor = 0x03
	}
	if cfg.ManagementKey == nil {
		cfg.ManagementKey = DefaultManagementKey
	}
	if cfg.ManagementAlg == 0 {
		cfg.ManagementAlg = Alg3DES
	}
	if cfg.PIN == "" {
		cfg.PIN = DefaultPIN
	}
	if cfg.PINRetries == 0 {
		cfg.PINRetries = 3
	}
	if cfg.PINRetries < 0 {
		cfg.PINRetries = 0
	}
	if cfg.TouchTimeout <= 0 {
		cfg.TouchTimeout = 15 * time.Second
	}
	if err := checkMgmtKey(cfg.ManagementAlg, cfg.ManagementKey); err != nil {
		return nil, err
	}
	ca := cfg.CA
	if ca == nil {
		var err error
		if ca, err = NewCA("Ony test PIV root CA"); err != nil {
			return nil, err
		}
	}
	attKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	attCert, err := ca.deviceCert(cfg.Serial, attKey)
	if err != nil {
		return nil, err
	}
	c := &Card{cfg: cfg, ca: ca, attKey: attKey, attCert: attCert, slots: map[byte]*slotKey{},
		objects: map[uint32][]byte{}, pinRetries: cfg.PINRetries,
		mgmtKey: append([]byte(nil), cfg.ManagementKey...), mgmtAlg: cfg.ManagementAlg}
	c.objects[objAttestation] = certObject(attCert.Raw)
	if cfg.ManagementKeyProtected {
		// ykman's layout: 88{89 <key>} in the PIN-protected object, and
		// the "management key stored" flag in the admin data object.
		c.objects[objProtected] = enc(0x88, enc(0x89, c.mgmtKey))
		c.objects[objAdmin] = enc(0x80, enc(0x81, []byte{0x02}))
	}
	return c, nil
}

// Data objects the card keeps.
const (
	objAttestation uint32 = 0x5fff01
	objAdmin       uint32 = 0x5fff00
	objProtected   uint32 = 0x5fc109
)

func certObject(der []byte) []byte { return cat(enc(0x70, der), enc(0x71, []byte{0}), enc(0xfe, nil)) }

func checkMgmtKey(alg byte, key []byte) error {
	want := map[byte]int{Alg3DES: 24, AlgAES128: 16, AlgAES192: 24, AlgAES256: 32}[alg]
	if want == 0 || len(key) != want {
		return fmt.Errorf("vcard: management key of %d bytes does not fit algorithm %#x", len(key), alg)
	}
	return nil
}

// Serial is the card's serial number.
func (c *Card) Serial() uint32 { return c.cfg.Serial }

// CA is the card's attestation root.
func (c *Card) CA() *CA { return c.ca }

// Touch touches the card: it releases the signature waiting for a touch,
// and reports whether one was waiting.
func (c *Card) Touch() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.touch == nil {
		return false
	}
	close(c.touch)
	c.touch = nil
	return true
}

// WaitingForTouch reports whether a signature waits for a touch.
func (c *Card) WaitingForTouch() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touch != nil
}

// SetAutoTouch makes every signature proceed as if touched at once.
func (c *Card) SetAutoTouch(on bool) {
	c.mu.Lock()
	c.autoTouch = on
	c.mu.Unlock()
}

// SetPINRetries sets the PIN's remaining tries; 0 blocks it.
func (c *Card) SetPINRetries(n int) {
	c.mu.Lock()
	c.pinRetries = n
	c.mu.Unlock()
}

// PINRetries is the PIN's remaining tries.
func (c *Card) PINRetries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinRetries
}

// Signatures counts the signatures the card has made.
func (c *Card) Signatures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signed
}

// SlotPublicKey returns the public key in a slot, if any.
func (c *Card) SlotPublicKey(slot byte) (*ecdsa.PublicKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.slots[slot]
	if !ok {
		return nil, false
	}
	return &k.priv.PublicKey, true
}

// PutKey puts a key generated on the card into a slot directly, as if
// GENERATE had run; tests use it to prepare an occupied slot.
func (c *Card) PutKey(slot byte, pin, touch byte) (*ecdsa.PublicKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slots[slot] = &slotKey{priv: priv, pin: pin, touch: touch, generated: true}
	return &priv.PublicKey, nil
}

// waitTouch waits for Touch, the timeout, or gone. It is called with c.mu
// held and returns with it held.
func (c *Card) waitTouch(gone <-chan struct{}) bool {
	if c.autoTouch {
		return true
	}
	ch := make(chan struct{})
	c.touch = ch
	cb, timeout := c.cfg.OnTouchRequest, c.cfg.TouchTimeout
	c.mu.Unlock()
	if cb != nil {
		cb()
	}
	t := time.NewTimer(timeout)
	ok := false
	select {
	case <-ch:
		ok = true
	case <-t.C:
	case <-gone:
	}
	t.Stop()
	c.mu.Lock()
	if c.touch == ch {
		c.touch = nil
	}
	return ok
}
