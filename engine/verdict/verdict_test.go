package verdict

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

type testKeyring map[string]*Key

func (k testKeyring) Key(id string) (*Key, error) {
	if key, ok := k[id]; ok {
		return key, nil
	}
	return nil, ErrUnknownDevice
}

var t0 = time.Date(2026, 6, 30, 14, 22, 7, 0, time.UTC)

func sampleVerdict() *Verdict {
	return &Verdict{
		RequestID:      "req_9f3a1c84b27d",
		AgentSessionID: "sess_claude_prod_api_0427",
		Action:         "deploy.production",
		Target:         "env/production",
		Risk:           "critical",
		Decision:       Approve,
		Reason:         "approved at the console",
		IssuedAt:       At(t0),
		ExpiresAt:      At(t0.Add(2 * time.Minute)),
		Nonce:          "00112233445566778899aabbccddeeff",
		RequestDigest:  strings.Repeat("ab", 32),
		Factors:        []string{FactorKeypad, FactorTOTP},
		LedgerSeq:      42,
	}
}

func hmacSetup(t *testing.T) (*HMACSigner, testKeyring) {
	t.Helper()
	key := bytes.Repeat([]byte{0x42}, 32)
	s, err := NewHMACSigner("dev_2b7e4a90", key)
	if err != nil {
		t.Fatal(err)
	}
	return s, testKeyring{"dev_2b7e4a90": {DeviceID: "dev_2b7e4a90", KeyID: s.KeyID(), Alg: HMACSHA256, Secret: key}}
}

func expectFor(v *Verdict) Expect {
	return Expect{RequestID: v.RequestID, Nonce: v.Nonce, RequestDigest: v.RequestDigest, Now: t0.Add(time.Second)}
}

// TestSigningBytesLayout builds the canonical bytes by hand from the spec and
// compares them with SigningBytes.
func TestSigningBytesLayout(t *testing.T) {
	v := &Verdict{RequestID: "r", Decision: Deny, IssuedAt: At(time.UnixMilli(1000)),
		ExpiresAt: At(time.UnixMilli(2000)), Factors: []string{"keypad"}, LedgerSeq: 7,
		KeyID: "k", ApproverDeviceID: "d"}
	var want []byte
	want = append(want, "ony/verdict/v1\x00"...)
	for _, s := range []string{"hmac-sha256", "k", "d", "r", "", "", "", "", "deny", ""} {
		want = binary.BigEndian.AppendUint32(want, uint32(len(s)))
		want = append(want, s...)
	}
	want = append(want, 0, 0, 0, 0, 0, 0, 0x03, 0xe8) // issued_at 1000 ms
	want = append(want, 0, 0, 0, 0, 0, 0, 0x07, 0xd0) // expires_at 2000 ms
	want = append(want, 0, 0, 0, 0)                   // nonce ""
	want = append(want, 0, 0, 0, 0)                   // request_digest ""
	want = append(want, 0, 0, 0, 1, 0, 0, 0, 6)       // one factor of 6 bytes
	want = append(want, "keypad"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 7) // ledger_seq
	if got := SigningBytes(v, HMACSHA256); !bytes.Equal(got, want) {
		t.Fatalf("SigningBytes:\n got %x\nwant %x", got, want)
	}
}

// TestLengthPrefixPreventsShifts checks that moving bytes between adjacent
// fields changes the signed bytes.
func TestLengthPrefixPreventsShifts(t *testing.T) {
	a, b := sampleVerdict(), sampleVerdict()
	a.Action, a.Target = "deploy.production", "x"
	b.Action, b.Target = "deploy.productionx", ""
	if bytes.Equal(SigningBytes(a, HMACSHA256), SigningBytes(b, HMACSHA256)) {
		t.Fatal("field boundary shift produced identical signing bytes")
	}
	c, d := sampleVerdict(), sampleVerdict()
	c.Factors = []string{"keypadtotp"}
	d.Factors = []string{"keypad", "totp"}
	if bytes.Equal(SigningBytes(c, HMACSHA256), SigningBytes(d, HMACSHA256)) {
		t.Fatal("factor split produced identical signing bytes")
	}
}

type vector struct {
	Desc      string          `json:"desc"`
	KeyHex    string          `json:"key_hex"`
	DeviceID  string          `json:"device_id"`
	Verdict   json.RawMessage `json:"verdict"`
	Signature string          `json:"signature"`
}

// TestVectors checks the frozen vectors in testdata/vectors.json, which
// docs/VERDICT-FORMAT.md reproduces. Regenerate only for a new format
// version.
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 2 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for _, vec := range vs {
		t.Run(vec.Desc, func(t *testing.T) {
			key, _ := hex.DecodeString(vec.KeyHex)
			s, err := NewHMACSigner(vec.DeviceID, key)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Parse(vec.Verdict)
			if err != nil {
				t.Fatal(err)
			}
			want := v.Signature
			v.Signature = ""
			if err := Sign(v, s); err != nil {
				t.Fatal(err)
			}
			if v.Signature != want || want != vec.Signature {
				t.Fatalf("signature %s, vector says %s / %s", v.Signature, want, vec.Signature)
			}
			kr := testKeyring{vec.DeviceID: {DeviceID: vec.DeviceID, KeyID: s.KeyID(), Alg: HMACSHA256, Secret: key}}
			if err := VerifySignature(v, kr); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s, kr := hmacSetup(t)
	v := sampleVerdict()
	if err := Sign(v, s); err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(got, kr, expectFor(v)); err != nil {
		t.Fatalf("genuine verdict rejected: %v", err)
	}
}

// TestVerifyRejects tries every way to forge, tamper with, misdirect or
// replay a verdict. Each must fail with the named error.
func TestVerifyRejects(t *testing.T) {
	s, kr := hmacSetup(t)
	other, _ := NewHMACSigner("dev_2b7e4a90", bytes.Repeat([]byte{0x43}, 32))
	cases := []struct {
		name   string
		mutate func(v *Verdict, want *Expect, kr testKeyring)
		err    error
	}{
		{"decision flipped", func(v *Verdict, _ *Expect, _ testKeyring) { v.Decision = Deny }, ErrBadSignature},
		{"action changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.Action = "file.read" }, ErrBadSignature},
		{"target changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.Target = "env/staging" }, ErrBadSignature},
		{"risk lowered", func(v *Verdict, _ *Expect, _ testKeyring) { v.Risk = "low" }, ErrBadSignature},
		{"reason changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.Reason = "x" }, ErrBadSignature},
		{"session changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.AgentSessionID = "s2" }, ErrBadSignature},
		{"factor dropped", func(v *Verdict, _ *Expect, _ testKeyring) { v.Factors = v.Factors[:1] }, ErrBadSignature},
		{"ledger seq changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.LedgerSeq++ }, ErrBadSignature},
		{"expiry extended", func(v *Verdict, _ *Expect, _ testKeyring) { v.ExpiresAt = At(v.ExpiresAt.Add(time.Minute)) }, ErrBadSignature},
		{"issued moved", func(v *Verdict, _ *Expect, _ testKeyring) { v.IssuedAt = At(v.IssuedAt.Add(-time.Second)) }, ErrBadSignature},
		{"nonce changed", func(v *Verdict, _ *Expect, _ testKeyring) { v.Nonce = strings.Repeat("0", 32) }, ErrBadSignature},
		{"signature bit flipped", func(v *Verdict, _ *Expect, _ testKeyring) {
			b := []byte(v.Signature)
			if b[len(b)-1] == '0' {
				b[len(b)-1] = '1'
			} else {
				b[len(b)-1] = '0'
			}
			v.Signature = string(b)
		}, ErrBadSignature},
		{"signature truncated", func(v *Verdict, _ *Expect, _ testKeyring) { v.Signature = v.Signature[:len(v.Signature)-2] }, ErrBadSignature},
		{"signature empty", func(v *Verdict, _ *Expect, _ testKeyring) { v.Signature = "" }, ErrMalformed},
		{"signature not hex", func(v *Verdict, _ *Expect, _ testKeyring) { v.Signature = "hmac-sha256:zz" }, ErrMalformed},
		{"signed by another key", func(v *Verdict, _ *Expect, _ testKeyring) {
			v.Signature = ""
			_ = Sign(v, other)
		}, ErrKeyMismatch},
		{"other key claiming the right key id", func(v *Verdict, _ *Expect, _ testKeyring) {
			id := v.KeyID
			v.Signature = ""
			_ = Sign(v, other)
			v.KeyID = id
			v.Signature = ""
			sig, _ := other.SignBytes(SigningBytes(v, HMACSHA256))
			v.Signature = "hmac-sha256:" + hex.EncodeToString(sig)
		}, ErrBadSignature},
		{"algorithm switched", func(v *Verdict, _ *Expect, _ testKeyring) {
			v.Signature = "ecdsa-p256-sha256:" + strings.SplitN(v.Signature, ":", 2)[1]
		}, ErrAlgMismatch},
		{"unknown device", func(v *Verdict, _ *Expect, _ testKeyring) { v.ApproverDeviceID = "dev_ffffffff" }, ErrUnknownDevice},
		{"no device", func(v *Verdict, _ *Expect, _ testKeyring) { v.ApproverDeviceID = "" }, ErrMalformed},
		{"revoked device", func(_ *Verdict, _ *Expect, kr testKeyring) { kr["dev_2b7e4a90"].Revoked = true }, ErrRevoked},
		{"another request", func(_ *Verdict, w *Expect, _ testKeyring) { w.RequestID = "req_other" }, ErrWrongRequest},
		{"replayed to another hook", func(_ *Verdict, w *Expect, _ testKeyring) { w.Nonce = strings.Repeat("f", 32) }, ErrWrongNonce},
		{"different tool call", func(_ *Verdict, w *Expect, _ testKeyring) { w.RequestDigest = strings.Repeat("cd", 32) }, ErrWrongDigest},
		{"empty expectations", func(_ *Verdict, w *Expect, _ testKeyring) { *w = Expect{Now: w.Now} }, ErrWrongRequest},
		{"expired", func(_ *Verdict, w *Expect, _ testKeyring) { w.Now = t0.Add(3 * time.Minute) }, ErrExpired},
		{"issued in the future", func(_ *Verdict, w *Expect, _ testKeyring) { w.Now = t0.Add(-time.Minute) }, ErrNotYetValid},
		{"lifetime too long", func(_ *Verdict, w *Expect, _ testKeyring) { w.MaxLifetime = time.Minute }, ErrInvalidLifetime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kr2 := testKeyring{}
			for k, v := range kr {
				cp := *v
				kr2[k] = &cp
			}
			v := sampleVerdict()
			if err := Sign(v, s); err != nil {
				t.Fatal(err)
			}
			want := expectFor(v)
			c.mutate(v, &want, kr2)
			err := Verify(v, kr2, want)
			if !errors.Is(err, c.err) {
				t.Fatalf("Verify = %v, want %v", err, c.err)
			}
		})
	}
}

func TestSignRefusesInvalidDecision(t *testing.T) {
	s, _ := hmacSetup(t)
	v := sampleVerdict()
	v.Decision = "maybe"
	if err := Sign(v, s); err == nil {
		t.Fatal("signed a verdict with an invalid decision")
	}
}

func TestInvalidDecisionRejectedEvenIfSigned(t *testing.T) {
	s, kr := hmacSetup(t)
	v := sampleVerdict()
	v.ApproverDeviceID, v.KeyID, v.Decision = s.DeviceID(), s.KeyID(), "allow"
	sig, _ := s.SignBytes(SigningBytes(v, HMACSHA256))
	v.Signature = "hmac-sha256:" + hex.EncodeToString(sig)
	if err := Verify(v, kr, expectFor(v)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify = %v, want ErrMalformed", err)
	}
}

func TestECDSARoundTripAndTamper(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewECDSASigner("dev_yubikey01", priv)
	if err != nil {
		t.Fatal(err)
	}
	kr := testKeyring{"dev_yubikey01": {DeviceID: "dev_yubikey01", KeyID: s.KeyID(), Alg: ECDSAP256SHA256, Public: &priv.PublicKey}}
	v := sampleVerdict()
	if err := Sign(v, s); err != nil {
		t.Fatal(err)
	}
	if err := Verify(v, kr, expectFor(v)); err != nil {
		t.Fatalf("genuine ECDSA verdict rejected: %v", err)
	}
	v.Risk = "low"
	if err := Verify(v, kr, expectFor(v)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered ECDSA verdict: %v", err)
	}
	// An HMAC signature claiming to be from the ECDSA device is refused by
	// algorithm, not tried as HMAC with the public key.
	v.Risk = "critical"
	v.Signature = "hmac-sha256:" + strings.Repeat("00", 32)
	if err := Verify(v, kr, expectFor(v)); !errors.Is(err, ErrAlgMismatch) {
		t.Fatalf("alg confusion: %v", err)
	}
}

func TestParseStrict(t *testing.T) {
	s, _ := hmacSetup(t)
	v := sampleVerdict()
	_ = Sign(v, s)
	b, _ := Marshal(v)
	for name, in := range map[string][]byte{
		"unknown field": bytes.Replace(b, []byte(`{`), []byte(`{"allow_all":true,`), 1),
		"trailing data": append(append([]byte{}, b...), []byte(`{}`)...),
		"oversized":     bytes.Repeat([]byte(" "), MaxSize+1),
		"bad time":      bytes.Replace(b, []byte(`"2026-06-30T14:22:07.000Z"`), []byte(`"yesterday"`), 1),
		"not json":      []byte("approve"),
	} {
		if _, err := Parse(in); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func TestTimeJSON(t *testing.T) {
	tm := At(time.Date(2026, 6, 30, 14, 22, 7, 123456789, time.FixedZone("x", 3600)))
	b, _ := json.Marshal(tm)
	if string(b) != `"2026-06-30T13:22:07.123Z"` {
		t.Fatalf("got %s", b)
	}
}

func TestNewHMACSignerRefusesShortKey(t *testing.T) {
	if _, err := NewHMACSigner("d", make([]byte, 31)); err == nil {
		t.Fatal("accepted a 31-byte key")
	}
}
