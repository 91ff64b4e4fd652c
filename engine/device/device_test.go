package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

func newRegistry(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil), dir
}

func signSample(t *testing.T, s verdict.Signer) *verdict.Verdict {
	t.Helper()
	now := time.Now()
	v := &verdict.Verdict{RequestID: "req_1", Decision: verdict.Approve, Risk: "high",
		IssuedAt: verdict.At(now), ExpiresAt: verdict.At(now.Add(time.Minute)),
		Nonce: strings.Repeat("a", 32), RequestDigest: strings.Repeat("b", 64), Factors: []string{"keypad"}}
	if err := verdict.Sign(v, s); err != nil {
		t.Fatal(err)
	}
	return v
}

func expect(v *verdict.Verdict) verdict.Expect {
	return verdict.Expect{RequestID: v.RequestID, Nonce: v.Nonce, RequestDigest: v.RequestDigest}
}

func TestCreateSignVerify(t *testing.T) {
	r, dir := newRegistry(t)
	d, err := r.Create(KindConsole, "console on test")
	if err != nil {
		t.Fatal(err)
	}
	if !validID(d.ID) || d.KeyID == "" || d.Alg != "hmac-sha256" {
		t.Fatalf("bad device %+v", d)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys", d.ID+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(dir, "keys")); fi.Mode().Perm() != 0o700 {
		t.Fatalf("keys dir mode %04o", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(dir, "devices.json")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("registry mode %04o", fi.Mode().Perm())
	}
	reg, _ := os.ReadFile(filepath.Join(dir, "devices.json"))
	key, _ := r.Secret(d.ID)
	if strings.Contains(string(reg), string(key)) || strings.Contains(string(reg), hex.EncodeToString(key)) {
		t.Fatal("registry file contains the secret key")
	}
	s, err := r.Signer(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := signSample(t, s)
	if err := verdict.Verify(v, r.Keyring(), expect(v)); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestRevokeStopsVerificationAtOnce(t *testing.T) {
	r, dir := newRegistry(t)
	d, _ := r.Create(KindConsole, "c")
	s, _ := r.Signer(d.ID)
	v := signSample(t, s)
	// A second registry handle, as the hook process would have.
	hook := Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
	if err := verdict.Verify(v, hook.Keyring(), expect(v)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Revoke(d.ID); err != nil {
		t.Fatal(err)
	}
	if err := verdict.Verify(v, hook.Keyring(), expect(v)); !errors.Is(err, verdict.ErrRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", d.ID+".key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("revoked key file still there: %v", err)
	}
	if _, err := r.Signer(d.ID); err == nil {
		t.Fatal("revoked device still gives a signer")
	}
	if _, err := r.Revoke(d.ID); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := r.Revoke("dev_00000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestRotate(t *testing.T) {
	r, _ := newRegistry(t)
	d, _ := r.Create(KindConsole, "c")
	s, _ := r.Signer(d.ID)
	old := signSample(t, s)
	oldDev, repl, err := r.Rotate(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if oldDev.Active() || oldDev.ReplacedBy != repl.ID || repl.KeyID == d.KeyID || repl.Kind != KindConsole {
		t.Fatalf("rotate: old %+v new %+v", oldDev, repl)
	}
	if err := verdict.Verify(old, r.Keyring(), expect(old)); !errors.Is(err, verdict.ErrRevoked) {
		t.Fatalf("old verdict after rotate: %v", err)
	}
	s2, _ := r.Signer(repl.ID)
	v := signSample(t, s2)
	if err := verdict.Verify(v, r.Keyring(), expect(v)); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.ActiveOf(KindConsole); got.ID != repl.ID {
		t.Fatalf("active console %s, want %s", got.ID, repl.ID)
	}
}

func TestPublicKeyDevice(t *testing.T) {
	r, _ := newRegistry(t)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d, err := r.CreateYubiKey("yubikey 5", &priv.PublicKey, sampleYubiKey())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := verdict.NewECDSASigner(d.ID, priv)
	v := signSample(t, s)
	if err := verdict.Verify(v, r.Keyring(), expect(v)); err != nil {
		t.Fatal(err)
	}
	// A registered key on another curve is not an ecdsa-p256-sha256 key.
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	d2, err := r.CreateYubiKey("wrong curve", &p384.PublicKey, sampleYubiKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Keyring().Key(d2.ID); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Fatalf("P-384 key accepted: %v", err)
	}
}

func TestKeyringRefusesHostileIDsAndFiles(t *testing.T) {
	r, dir := newRegistry(t)
	d, _ := r.Create(KindConsole, "c")
	for _, id := range []string{"../devices", "dev_../../x", "", "dev_2B7E4A90", "dev_2b7e4a9"} {
		if _, err := r.Keyring().Key(id); !errors.Is(err, verdict.ErrUnknownDevice) {
			t.Errorf("Key(%q) = %v", id, err)
		}
	}
	keyFile := filepath.Join(dir, "keys", d.ID+".key")
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Keyring().Key(d.ID); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
	_ = os.Chmod(keyFile, 0o600)
	// A key file replaced by a symlink is refused.
	real := filepath.Join(dir, "elsewhere.key")
	b, _ := os.ReadFile(keyFile)
	_ = os.WriteFile(real, b, 0o600)
	_ = os.Remove(keyFile)
	_ = os.Symlink(real, keyFile)
	if _, err := r.Keyring().Key(d.ID); err == nil {
		t.Fatal("symlinked key file accepted")
	}
}

func TestRegistryTamperRefused(t *testing.T) {
	r, dir := newRegistry(t)
	_, _ = r.Create(KindConsole, "c")
	file := filepath.Join(dir, "devices.json")
	b, _ := os.ReadFile(file)
	for name, mutated := range map[string]string{
		"unknown field": strings.Replace(string(b), `"kind"`, `"trusted": true, "kind"`, 1),
		"bad id":        strings.Replace(string(b), `"id": "dev_`, `"id": "../dev_`, 1),
		"bad kind":      strings.Replace(string(b), `"console"`, `"god"`, 1),
		"not json":      "{",
	} {
		_ = os.WriteFile(file, []byte(mutated), 0o600)
		if _, err := r.List(); err == nil {
			t.Errorf("%s: registry accepted", name)
		}
	}
}

func TestConcurrentCreatesLoseNothing(t *testing.T) {
	r, dir := newRegistry(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate handles, like separate processes.
			h := Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
			if _, err := h.Create(KindPhone, "p"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ds, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 16 {
		t.Fatalf("%d devices after 16 concurrent creates", len(ds))
	}
}

func TestEnsure(t *testing.T) {
	r, _ := newRegistry(t)
	a, err := r.Ensure(KindEngine, "engine")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Ensure(KindEngine, "engine")
	if a.ID != b.ID {
		t.Fatal("Ensure created a second engine device")
	}
	if _, err := r.Create(KindTOTP, "x"); err == nil {
		t.Fatal("Create made a TOTP device with a generated hmac key")
	}
}

// TestLoadIdentityNamesTheBytesRead: the identity the cache is keyed on
// must belong to the bytes that were read, not to whatever file sits at
// the path a moment later. Otherwise a revocation landing between the read
// and the identity check is cached away as "still active".
func TestLoadIdentityNamesTheBytesRead(t *testing.T) {
	r, dir := newRegistry(t)
	other := Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
	d, err := other.Create(KindPhone, "p")
	if err != nil {
		t.Fatal(err)
	}
	f, id, err := r.load() // reads "d active"
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Revoke(d.ID); err != nil { // a new file renamed over it
		t.Fatal(err)
	}
	now, err := identOf(r.file)
	if err != nil {
		t.Fatal(err)
	}
	if now == id {
		t.Fatal("load's identity names the file written after the read")
	}
	// What read() caches from that load is refreshed at the next lookup.
	r.mu.Lock()
	r.cached, r.ident = &f, id
	r.mu.Unlock()
	if got, err := r.Get(d.ID); err != nil || got.Active() {
		t.Fatalf("revoked device read as active=%v (%v)", got.Active(), err)
	}
}

// TestUpdateNeverWritesFromTheCache poisons a handle's cache with a copy
// from before a revocation, keyed as current, and then writes through
// that handle: the revocation must survive on disk.
func TestUpdateNeverWritesFromTheCache(t *testing.T) {
	r, dir := newRegistry(t)
	d, _ := r.Create(KindPhone, "p")
	before, _, _ := r.load()
	if _, err := r.Revoke(d.ID); err != nil {
		t.Fatal(err)
	}
	id, _ := identOf(r.file)
	r.mu.Lock()
	r.cached, r.ident = &before, id // stale content under the current identity
	r.mu.Unlock()
	if _, err := r.Create(KindConsole, "c"); err != nil {
		t.Fatal(err)
	}
	fresh := Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
	if got, err := fresh.Get(d.ID); err != nil || got.Active() {
		t.Fatalf("a write through a stale cache undid the revocation: active=%v (%v)", got.Active(), err)
	}
}

// TestWarmNeverHidesARevocation warms a hook's registry handle (as the hook
// does while the engine decides), revokes the device through another handle
// in between, and checks the verification that follows sees the revocation,
// both when the revocation lands before the warm-up and while it runs.
func TestWarmNeverHidesARevocation(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		r, dir := newRegistry(t)
		d, _ := r.Create(KindConsole, "c")
		other, _ := r.Create(KindEngine, "e")
		s, _ := r.Signer(d.ID)
		v := signSample(t, s)
		hook := Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
		hook.Warm()
		var wg sync.WaitGroup
		if concurrent {
			wg.Go(hook.Warm)
		}
		if _, err := r.Revoke(d.ID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := verdict.Verify(v, hook.Keyring(), expect(v)); !errors.Is(err, verdict.ErrRevoked) {
			t.Fatalf("concurrent=%v: a revoked device verified after Warm: %v", concurrent, err)
		}
		// The other device's key is still served, from the warmed cache or not.
		if k, err := hook.Keyring().Key(other.ID); err != nil || k.Revoked || len(k.Secret) == 0 {
			t.Fatalf("concurrent=%v: active device after Warm: %+v %v", concurrent, k, err)
		}
	}
}
