package vcard

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"time"
)

// Status words a YubiKey returns.
const (
	swOK            = 0x9000
	swWrongLength   = 0x6700
	swSecurity      = 0x6982 // security status not satisfied (also: not touched in time)
	swBlocked       = 0x6983 // authentication method blocked
	swConditions    = 0x6985
	swIncorrectData = 0x6a80
	swNotSupported  = 0x6a81
	swNotFound      = 0x6a82
	swIncorrectP1P2 = 0x6a86
	swINS           = 0x6d00
	swCLA           = 0x6e00
)

// Instructions.
const (
	insVerify       = 0x20
	insGenerate     = 0x47
	insAuthenticate = 0x87
	insSelect       = 0xa4
	insGetResponse  = 0xc0
	insGetData      = 0xcb
	insPutData      = 0xdb
	insGetMetadata  = 0xf7
	insGetSerial    = 0xf8
	insAttest       = 0xf9
	insGetVersion   = 0xfd
	insImport       = 0xfe
	insSetMgmtKey   = 0xff
	insReadConfig   = 0x1d
)

const (
	keyMgmt  = 0x9b
	pinRef   = 0x80
	algP256  = 0x11
	maxShort = 256 // response bytes per APDU before 61xx chaining
)

var (
	aidPIV  = []byte{0xa0, 0x00, 0x00, 0x03, 0x08}
	aidMgmt = []byte{0xa0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17}
)

func validKeySlot(s byte) bool {
	return s == 0x9a || s == 0x9c || s == 0x9d || s == 0x9e || (s >= 0x82 && s <= 0x95)
}

// apdu is a parsed command.
type apdu struct {
	cla, ins, p1, p2 byte
	data             []byte
}

func parseAPDU(b []byte) (apdu, bool) {
	if len(b) < 4 {
		return apdu{}, false
	}
	a := apdu{cla: b[0], ins: b[1], p1: b[2], p2: b[3]}
	if len(b) <= 5 { // case 1, or case 2 (Le only), or Lc=0
		return a, true
	}
	n := int(b[4])
	if len(b) < 5+n {
		return apdu{}, false
	}
	a.data = b[5 : 5+n]
	return a, true
}

// handle answers one command APDU. gone closes if the card is pulled
// while it works.
func (c *Card) handle(raw []byte, gone <-chan struct{}) []byte {
	resp := c.handleLocked(raw, gone)
	if a, ok := parseAPDU(raw); ok && c.cfg.OnChange != nil && changes(a.ins) {
		c.cfg.OnChange()
	}
	return resp
}

// changes reports whether an instruction can change what the card keeps.
func changes(ins byte) bool {
	switch ins {
	case insGenerate, insImport, insPutData, insSetMgmtKey, insVerify:
		return true
	}
	return false
}

func (c *Card) handleLocked(raw []byte, gone <-chan struct{}) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := parseAPDU(raw)
	if !ok {
		return sw(swWrongLength)
	}
	if a.ins == insGetResponse {
		return c.next()
	}
	c.s.out = nil
	if a.cla&0xef != 0 {
		return sw(swCLA)
	}
	if a.cla&0x10 != 0 { // command chaining: more data follows
		c.s.chain = append(c.s.chain, a.data...)
		return sw(swOK)
	}
	if c.s.chain != nil {
		a.data = append(c.s.chain, a.data...)
		c.s.chain = nil
	}
	if a.ins == insSelect {
		return c.selectApp(a)
	}
	var data []byte
	var st uint16
	switch c.s.app {
	case "piv":
		data, st = c.piv(a, gone)
	case "mgmt":
		data, st = c.mgmt(a)
	default:
		st = swConditions
	}
	if st != swOK {
		return sw(st)
	}
	c.s.out = data
	return c.next()
}

// next returns up to maxShort bytes of the pending response, with 61xx
// while more remain.
func (c *Card) next() []byte {
	out := c.s.out
	if out == nil {
		return sw(swOK)
	}
	if len(out) <= maxShort {
		c.s.out = nil
		return append(append([]byte(nil), out...), 0x90, 0x00)
	}
	chunk := append([]byte(nil), out[:maxShort]...)
	c.s.out = out[maxShort:]
	rest := len(c.s.out)
	if rest > 0xff {
		rest = 0
	}
	return append(chunk, 0x61, byte(rest))
}

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

func (c *Card) resetSession() { c.s = session{} }

func (c *Card) selectApp(a apdu) []byte {
	c.resetSession()
	switch {
	case len(a.data) >= len(aidPIV) && bytes.Equal(a.data[:len(aidPIV)], aidPIV):
		c.s.app = "piv"
		// Application property template: the AID and its authority.
		c.s.out = cat(enc(0x61, cat(enc(0x4f, []byte{0x00, 0x00, 0x10, 0x00, 0x01, 0x00}),
			enc(0x79, enc(0x4f, aidPIV)))))
		return c.next()
	case bytes.Equal(a.data, aidMgmt):
		c.s.app = "mgmt"
		c.s.out = []byte("Virtual mgr - FW version 5.7.2")
		return c.next()
	}
	return sw(swNotFound)
}

// mgmt answers the management applet (only READ CONFIG, for the form
// factor).
func (c *Card) mgmt(a apdu) ([]byte, uint16) {
	if a.ins != insReadConfig {
		return nil, swINS
	}
	info := cat(enc(0x02, binary.BigEndian.AppendUint32(nil, c.cfg.Serial)),
		enc(0x04, []byte{c.cfg.FormFactor}),
		enc(0x05, c.cfg.Version[:]))
	return append([]byte{byte(len(info))}, info...), swOK
}

func (c *Card) piv(a apdu, gone <-chan struct{}) ([]byte, uint16) {
	switch a.ins {
	case insGetVersion:
		return c.cfg.Version[:], swOK
	case insGetSerial:
		return binary.BigEndian.AppendUint32(nil, c.cfg.Serial), swOK
	case insGetMetadata:
		return c.metadata(a.p2)
	case insVerify:
		return nil, c.verify(a)
	case insAuthenticate:
		if a.p2 == keyMgmt {
			return c.mgmtAuth(a)
		}
		return c.sign(a, gone)
	case insGenerate:
		return c.generate(a)
	case insImport:
		return nil, c.importKey(a)
	case insAttest:
		return c.attest(a.p1)
	case insGetData:
		return c.getData(a)
	case insPutData:
		return nil, c.putData(a)
	case insSetMgmtKey:
		return nil, c.setMgmtKey(a)
	}
	return nil, swINS
}

func (c *Card) metadata(slot byte) ([]byte, uint16) {
	switch {
	case slot == keyMgmt:
		def := byte(0)
		if bytes.Equal(c.mgmtKey, DefaultManagementKey) {
			def = 1
		}
		return cat(enc(0x01, []byte{c.mgmtAlg}), enc(0x02, []byte{0x00, TouchNever}), enc(0x05, []byte{def})), swOK
	case slot == pinRef:
		def := byte(0)
		if c.cfg.PIN == DefaultPIN {
			def = 1
		}
		return cat(enc(0x01, []byte{0xff}), enc(0x05, []byte{def}),
			enc(0x06, []byte{byte(c.cfg.PINRetries), byte(c.pinRetries)})), swOK
	case !validKeySlot(slot):
		return nil, swIncorrectP1P2
	}
	k, ok := c.slots[slot]
	if !ok {
		return nil, swNotFound
	}
	origin := byte(0x02)
	if k.generated {
		origin = 0x01
	}
	return cat(enc(0x01, []byte{algP256}), enc(0x02, []byte{k.pin, k.touch}), enc(0x03, []byte{origin}),
		enc(0x04, pointTLV(&k.priv.PublicKey))), swOK
}

// pointTLV is a public key as PIV sends it: tag 86, the uncompressed point.
func pointTLV(pub *ecdsa.PublicKey) []byte {
	b, err := pub.Bytes()
	if err != nil {
		panic(err) // keys are generated or parsed here, always valid
	}
	return enc(0x86, b)
}

func (c *Card) verify(a apdu) uint16 {
	if a.p2 != pinRef {
		return swNotSupported
	}
	if len(a.data) == 0 { // "is the PIN verified?"
		switch {
		case c.pinRetries == 0:
			return swBlocked
		case c.s.pinOK:
			return swOK
		}
		return 0x63c0 | uint16(c.pinRetries)
	}
	if len(a.data) != 8 {
		return swWrongLength
	}
	if c.pinRetries == 0 {
		return swBlocked
	}
	want := []byte(c.cfg.PIN)
	for len(want) < 8 {
		want = append(want, 0xff)
	}
	if subtle.ConstantTimeCompare(want, a.data) != 1 {
		c.s.pinOK = false
		c.pinRetries--
		if c.pinRetries == 0 {
			return swBlocked
		}
		return 0x63c0 | uint16(c.pinRetries)
	}
	c.pinRetries = c.cfg.PINRetries
	c.s.pinOK = true
	return swOK
}

func (c *Card) block() (cipher.Block, int, error) {
	if c.mgmtAlg == Alg3DES {
		b, err := des.NewTripleDESCipher(c.mgmtKey)
		return b, 8, err
	}
	b, err := aes.NewCipher(c.mgmtKey)
	return b, 16, err
}

// mgmtAuth is the management key's mutual authentication: the card sends
// a random witness encrypted, the host proves the key by decrypting it and
// challenges the card in turn.
func (c *Card) mgmtAuth(a apdu) ([]byte, uint16) {
	if a.p1 != c.mgmtAlg {
		return nil, swIncorrectP1P2
	}
	outer, err := parseTLVs(a.data)
	if err != nil || len(outer) != 1 || outer[0].tag != 0x7c {
		return nil, swIncorrectData
	}
	inner, err := parseTLVs(outer[0].value)
	if err != nil {
		return nil, swIncorrectData
	}
	blk, n, err := c.block()
	if err != nil {
		return nil, swIncorrectData
	}
	w, hasW := find(inner, 0x80)
	chal, hasC := find(inner, 0x81)
	switch {
	case hasW && len(w) == 0 && !hasC: // step 1: ask for a witness
		c.s.mgmtOK = false
		c.s.witness = make([]byte, n)
		_, _ = rand.Read(c.s.witness)
		e := make([]byte, n)
		blk.Encrypt(e, c.s.witness)
		return enc(0x7c, enc(0x80, e)), swOK
	case hasW && hasC: // step 2: the decrypted witness and the host's challenge
		want := c.s.witness
		c.s.witness = nil
		if want == nil || len(w) != n || len(chal) != n || subtle.ConstantTimeCompare(want, w) != 1 {
			return nil, swSecurity
		}
		c.s.mgmtOK = true
		r := make([]byte, n)
		blk.Encrypt(r, chal)
		return enc(0x7c, enc(0x82, r)), swOK
	}
	return nil, swIncorrectData
}

func (c *Card) sign(a apdu, gone <-chan struct{}) ([]byte, uint16) {
	if !validKeySlot(a.p2) {
		return nil, swIncorrectP1P2
	}
	k, ok := c.slots[a.p2]
	if !ok {
		return nil, swNotFound
	}
	if a.p1 != algP256 {
		return nil, swIncorrectData
	}
	outer, err := parseTLVs(a.data)
	if err != nil || len(outer) != 1 || outer[0].tag != 0x7c {
		return nil, swIncorrectData
	}
	inner, err := parseTLVs(outer[0].value)
	if err != nil {
		return nil, swIncorrectData
	}
	digest, ok := find(inner, 0x81)
	if _, resp := find(inner, 0x82); !ok || !resp || len(digest) > 32 {
		return nil, swIncorrectData
	}
	if k.pin != PINNever && !c.s.pinOK {
		return nil, swSecurity
	}
	needTouch := k.touch == TouchAlways || (k.touch == TouchCached && time.Since(k.lastTouched) > 15*time.Second)
	if needTouch {
		if !c.waitTouch(gone) {
			return nil, swSecurity
		}
		k.lastTouched = time.Now()
	}
	if k.pin == PINAlways {
		c.s.pinOK = false
	}
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest)
	if err != nil {
		return nil, swIncorrectData
	}
	c.signed++
	return enc(0x7c, enc(0x82, sig)), swOK
}

func (c *Card) generate(a apdu) ([]byte, uint16) {
	if !c.s.mgmtOK {
		return nil, swSecurity
	}
	if !validKeySlot(a.p2) {
		return nil, swIncorrectP1P2
	}
	outer, err := parseTLVs(a.data)
	if err != nil || len(outer) != 1 || outer[0].tag != 0xac {
		return nil, swIncorrectData
	}
	inner, err := parseTLVs(outer[0].value)
	if err != nil {
		return nil, swIncorrectData
	}
	if alg, ok := find(inner, 0x80); !ok || len(alg) != 1 || alg[0] != algP256 {
		return nil, swIncorrectData
	}
	k := &slotKey{pin: PINAlways, touch: TouchNever, generated: true}
	if a.p2 == 0x9a || a.p2 == 0x9d || a.p2 == 0x9e || a.p2 >= 0x82 && a.p2 <= 0x95 {
		k.pin = PINOnce
	}
	if a.p2 == 0x9e {
		k.pin = PINNever
	}
	if v, ok := find(inner, 0xaa); ok && len(v) == 1 && v[0] >= PINNever && v[0] <= PINAlways {
		k.pin = v[0]
	}
	if v, ok := find(inner, 0xab); ok && len(v) == 1 && v[0] >= TouchNever && v[0] <= TouchCached {
		k.touch = v[0]
	}
	if c.cfg.ForceTouchPolicy != 0 {
		k.touch = c.cfg.ForceTouchPolicy
	}
	if k.priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, swIncorrectData
	}
	if c.cfg.ImportOnGenerate {
		k.generated = false
	}
	c.slots[a.p2] = k
	return enc(0x7f49, pointTLV(&k.priv.PublicKey)), swOK
}

func (c *Card) importKey(a apdu) uint16 {
	if !c.s.mgmtOK {
		return swSecurity
	}
	if !validKeySlot(a.p2) {
		return swIncorrectP1P2
	}
	if a.p1 != algP256 {
		return swIncorrectData
	}
	ts, err := parseTLVs(a.data)
	if err != nil {
		return swIncorrectData
	}
	d, ok := find(ts, 0x06)
	if !ok || len(d) != 32 {
		return swIncorrectData
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return swIncorrectData
	}
	k := &slotKey{priv: priv, pin: PINOnce, touch: TouchNever}
	if v, ok := find(ts, 0xaa); ok && len(v) == 1 {
		k.pin = v[0]
	}
	if v, ok := find(ts, 0xab); ok && len(v) == 1 {
		k.touch = v[0]
	}
	c.slots[a.p2] = k
	return swOK
}

func (c *Card) attest(slot byte) ([]byte, uint16) {
	if !validKeySlot(slot) {
		return nil, swIncorrectP1P2
	}
	k, ok := c.slots[slot]
	if !ok || !k.generated { // a YubiKey attests only keys it generated
		return nil, swIncorrectData
	}
	pub := &k.priv.PublicKey
	if c.cfg.AttestOtherKey {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, swIncorrectData
		}
		pub = &other.PublicKey
	}
	cert, err := slotCert(c.attCert, c.attKey, slot, pub, &c.cfg, k.pin, k.touch)
	if err != nil {
		return nil, swIncorrectData
	}
	return cert.Raw, swOK
}

// objectTag reads the 5C tag list of GET DATA and PUT DATA.
func objectTag(ts []tlv) (uint32, bool) {
	v, ok := find(ts, 0x5c)
	if !ok || len(v) != 3 {
		return 0, false
	}
	return uint32(v[0])<<16 | uint32(v[1])<<8 | uint32(v[2]), true
}

func (c *Card) getData(a apdu) ([]byte, uint16) {
	if a.p1 != 0x3f || a.p2 != 0xff {
		return nil, swIncorrectP1P2
	}
	ts, err := parseTLVs(a.data)
	if err != nil {
		return nil, swIncorrectData
	}
	tag, ok := objectTag(ts)
	if !ok {
		return nil, swIncorrectData
	}
	if tag == objProtected && !c.s.pinOK {
		return nil, swSecurity
	}
	obj, ok := c.objects[tag]
	if !ok {
		return nil, swNotFound
	}
	return enc(0x53, obj), swOK
}

func (c *Card) putData(a apdu) uint16 {
	if !c.s.mgmtOK {
		return swSecurity
	}
	if a.p1 != 0x3f || a.p2 != 0xff {
		return swIncorrectP1P2
	}
	ts, err := parseTLVs(a.data)
	if err != nil {
		return swIncorrectData
	}
	tag, ok := objectTag(ts)
	content, has := find(ts, 0x53)
	if !ok || !has {
		return swIncorrectData
	}
	if tag == objAttestation {
		return swSecurity // the attestation certificate is Yubico's
	}
	c.objects[tag] = append([]byte(nil), content...)
	return swOK
}

func (c *Card) setMgmtKey(a apdu) uint16 {
	if !c.s.mgmtOK {
		return swSecurity
	}
	if a.p1 != 0xff || (a.p2 != 0xff && a.p2 != 0xfe) || len(a.data) < 3 || a.data[1] != keyMgmt {
		return swIncorrectData
	}
	alg, key := a.data[0], a.data[3:]
	if int(a.data[2]) != len(key) || checkMgmtKey(alg, key) != nil {
		return swIncorrectData
	}
	c.mgmtAlg, c.mgmtKey = alg, append([]byte(nil), key...)
	return swOK
}
