package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func sampleYubiKey() YubiKey {
	return YubiKey{Serial: 12345678, Slot: "9c", Firmware: "5.7.2", FormFactor: "USB-C Keychain",
		PINPolicy: "never", TouchPolicy: "always", AttestationCert: "MIIB", SlotCert: "MIIC"}
}

// A registry without YubiKeys stays version 1, so builds that read only
// version 1 keep working; the first YubiKey makes it version 2.
func TestRegistryVersionFollowsYubiKeys(t *testing.T) {
	r, dir := newRegistry(t)
	if _, err := r.Create(KindConsole, "c"); err != nil {
		t.Fatal(err)
	}
	if v := fileVersionOf(t, dir); v != 1 {
		t.Fatalf("version %d without yubikeys, want 1", v)
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d, err := r.CreateYubiKey("key", &priv.PublicKey, sampleYubiKey())
	if err != nil {
		t.Fatal(err)
	}
	if v := fileVersionOf(t, dir); v != 2 {
		t.Fatalf("version %d with a yubikey, want 2", v)
	}
	got, err := r.Get(d.ID)
	if err != nil || got.YubiKey == nil || got.YubiKey.Serial != 12345678 || got.YubiKey.Slot != "9c" {
		t.Fatalf("read back %+v %v", got, err)
	}
}

// The registry is read strictly: a yubikey object in a version 1 file, a
// YubiKey without one, another kind with one, or a YubiKey whose record
// says its touch policy is not "always", are all refused.
func TestRegistryRefusesInconsistentYubiKeys(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, edit := range map[string]func(f map[string]any, d map[string]any){
		"yubikey object in version 1": func(f, _ map[string]any) { f["version"] = 1 },
		"yubikey without object":      func(_, d map[string]any) { delete(d, "yubikey") },
		"console with yubikey object": func(_, d map[string]any) { d["kind"] = "console" },
		"touch policy never": func(_, d map[string]any) {
			d["yubikey"].(map[string]any)["touch_policy"] = "never"
		},
		"no serial":     func(_, d map[string]any) { d["yubikey"].(map[string]any)["serial"] = 0 },
		"unknown field": func(_, d map[string]any) { d["yubikey"].(map[string]any)["pin"] = "123456" },
		"version 3":     func(f, _ map[string]any) { f["version"] = 3 },
		"hmac alg":      func(_, d map[string]any) { d["alg"] = "hmac-sha256" },
	} {
		t.Run(name, func(t *testing.T) {
			r, dir := newRegistry(t)
			if _, err := r.CreateYubiKey("key", &priv.PublicKey, sampleYubiKey()); err != nil {
				t.Fatal(err)
			}
			path := dir + "/devices.json"
			var f map[string]any
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			edit(f, f["devices"].([]any)[0].(map[string]any))
			b, _ = json.Marshal(f)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			fresh := Open(path, dir+"/keys", nil)
			if _, err := fresh.List(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestCreatePublicRefusesYubiKeys(t *testing.T) {
	r, _ := newRegistry(t)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := r.CreatePublic(KindYubiKey, "k", &priv.PublicKey); err == nil || !strings.Contains(err.Error(), "CreateYubiKey") {
		t.Fatalf("CreatePublic(yubikey) = %v", err)
	}
	bad := sampleYubiKey()
	bad.PINPolicy = "always"
	if _, err := r.CreateYubiKey("k", &priv.PublicKey, bad); err == nil {
		t.Fatal("pin policy always accepted")
	}
}

func TestReplaceRevokesAndLinks(t *testing.T) {
	r, _ := newRegistry(t)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	old, _ := r.CreateYubiKey("k", &priv.PublicKey, sampleYubiKey())
	repl, _ := r.CreateYubiKey("k", &priv.PublicKey, sampleYubiKey())
	got, err := r.Replace(old.ID, repl.ID)
	if err != nil || got.Active() || got.ReplacedBy != repl.ID {
		t.Fatalf("replace: %+v %v", got, err)
	}
	if _, err := r.Replace(old.ID, repl.ID); err == nil {
		t.Fatal("replacing a revoked device again succeeded")
	}
}

func fileVersionOf(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(dir + "/devices.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Version int }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Version
}
