package device

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

// sharedRegistry is a registry of a system install in a directory shaped
// like its state directory (0710).
func sharedRegistry(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o710); err != nil {
		t.Fatal(err)
	}
	return OpenWith(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil,
		Access{Owner: os.Getuid(), Shared: true}), dir
}

// TestSharedRegistryHoldsPublicKeysOnly: in a system install the software
// devices sign with ECDSA P-256; the registry the hook reads is readable by
// the hook's group and holds no secret: a verifier with the registry alone
// (no keys directory) verifies their verdicts.
func TestSharedRegistryHoldsPublicKeysOnly(t *testing.T) {
	r, dir := sharedRegistry(t)
	var devs []Device
	for _, k := range []Kind{KindEngine, KindConsole, KindPhone} {
		d, err := r.Create(k, string(k))
		if err != nil {
			t.Fatal(err)
		}
		if d.Alg != string(verdict.ECDSAP256SHA256) || d.PublicKey == "" || !strings.HasPrefix(d.KeyID, "ek_") {
			t.Fatalf("%s device: %+v", k, d)
		}
		devs = append(devs, d)
	}
	fi, err := os.Stat(filepath.Join(dir, "devices.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("shared registry mode %04o, want 0640", fi.Mode().Perm())
	}
	var dst syscall.Stat_t
	_ = syscall.Stat(dir, &dst)
	if fi.Sys().(*syscall.Stat_t).Gid != dst.Gid {
		t.Fatalf("registry group %d, its directory's %d", fi.Sys().(*syscall.Stat_t).Gid, dst.Gid)
	}
	reg, err := os.ReadFile(filepath.Join(dir, "devices.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		kf := filepath.Join(dir, "keys", d.ID+".key")
		kfi, err := os.Stat(kf)
		if err != nil || kfi.Mode().Perm() != 0o600 {
			t.Fatalf("key file of %s: %v %v", d.ID, kfi, err)
		}
		raw, _ := os.ReadFile(kf)
		der, _ := hex.DecodeString(strings.TrimSpace(string(raw)))
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatalf("key file of %s: %v", d.ID, err)
		}
		scalar := k.(*ecdsa.PrivateKey).D.Bytes()
		if bytes.Contains(reg, []byte(hex.EncodeToString(scalar))) || bytes.Contains(reg, scalar) {
			t.Fatalf("the registry holds the private key of %s", d.ID)
		}
		s, err := r.Signer(d.ID)
		if err != nil {
			t.Fatal(err)
		}
		v := signSample(t, s)
		if !strings.HasPrefix(v.Signature, "ecdsa-p256-sha256:") {
			t.Fatalf("signature %s", v.Signature)
		}
		// The hook's view: the registry file, no keys directory at all.
		hook := OpenWith(filepath.Join(dir, "devices.json"), filepath.Join(t.TempDir(), "no-keys"), nil, Access{Owner: os.Getuid(), Shared: true})
		if err := verdict.Verify(v, hook.Keyring(), expect(v)); err != nil {
			t.Fatalf("verifying %s with public keys only: %v", d.ID, err)
		}
		v.Reason = "tampered"
		if err := verdict.Verify(v, hook.Keyring(), expect(v)); !errors.Is(err, verdict.ErrBadSignature) {
			t.Fatalf("tampered verdict: %v", err)
		}
	}
	// Rotation keeps to ECDSA and revokes the old key.
	old, repl, err := r.Rotate(devs[1].ID)
	if err != nil || repl.Alg != string(verdict.ECDSAP256SHA256) || old.Active() {
		t.Fatalf("rotate: %+v %+v %v", old, repl, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", old.ID+".key")); !os.IsNotExist(err) {
		t.Fatalf("the rotated key file is still there: %v", err)
	}
}

// TestSharedRegistryRefusesHMAC: an HMAC device written into a system
// registry (which only the engine could verify) makes the registry refused.
func TestSharedRegistryRefusesHMAC(t *testing.T) {
	priv, dir := newRegistry(t)
	if _, err := priv.Create(KindConsole, "console"); err != nil {
		t.Fatal(err)
	}
	shared := OpenWith(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil, Access{Owner: os.Getuid(), Shared: true})
	if _, err := shared.List(); err == nil || !strings.Contains(err.Error(), "hmac") {
		t.Fatalf("an hmac device in a shared registry: %v", err)
	}
}

// TestSharedRegistryFileChecks: the hook trusts the registry only when
// nobody but the engine's user can have written it.
func TestSharedRegistryFileChecks(t *testing.T) {
	r, dir := sharedRegistry(t)
	d, err := r.Create(KindEngine, "engine")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "devices.json")
	hook := func() error {
		_, err := OpenWith(file, filepath.Join(dir, "keys"), nil, Access{Owner: os.Getuid(), Shared: true}).Keyring().Key(d.ID)
		return err
	}
	if err := hook(); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o660, 0o646, 0o666} {
		_ = os.Chmod(file, mode)
		if err := hook(); err == nil || !strings.Contains(err.Error(), "others could change it") {
			t.Fatalf("registry mode %04o: %v", mode, err)
		}
	}
	_ = os.Chmod(file, 0o644) // readable by all, writable by none: public data
	if err := hook(); err != nil {
		t.Fatalf("0644: %v", err)
	}
	other := OpenWith(file, filepath.Join(dir, "keys"), nil, Access{Owner: os.Getuid() + 1, Shared: true})
	if _, err := other.Keyring().Key(d.ID); err == nil || !strings.Contains(err.Error(), "not by the engine's user") {
		t.Fatalf("a registry owned by someone other than the engine's user: %v", err)
	}
	if _, err := other.Create(KindConsole, "x"); err == nil {
		t.Fatal("a registry of another user was written")
	}
}
