package device

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRegistryFile reads any bytes as devices.json, as the hook does on
// every verification (the file is outside input: anything running as the
// user can write it). It never panics; a registry that loads has valid,
// unique ids, and every key lookup either fails or yields a key.
func FuzzRegistryFile(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"devices":[]}`,
		`{"version":1,"devices":[{"id":"dev_00000001","kind":"console","label":"c","created":"2026-01-01T00:00:00Z","key_id":"hk_1","alg":"hmac-sha256"}]}`,
		`{"version":2,"devices":[{"id":"dev_00000002","kind":"yubikey","label":"k","created":"2026-01-01T00:00:00Z","key_id":"ek_1","alg":"ecdsa-p256-sha256","public_key":"3059301306072a8648ce3d020106082a8648ce3d03010703420004","yubikey":{"serial":1,"slot":"9c","firmware":"5.7.2","pin_policy":"never","touch_policy":"always","attestation_cert":"MIIB","slot_cert":"MIIC"}}]}`,
		`{"version":1,"devices":[{"id":"dev_00000002","kind":"yubikey","yubikey":{}}]}`,
		`{"version":3}`, `[]`, `{"version":1,"devices":[{"id":"../x"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		_ = os.Chmod(dir, 0o700)
		path := filepath.Join(dir, "devices.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r := Open(path, filepath.Join(dir, "keys"), nil)
		ds, err := r.List()
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range ds {
			if !validID(d.ID) || seen[d.ID] {
				t.Fatalf("loaded an invalid or duplicate id %q", d.ID)
			}
			seen[d.ID] = true
			if k, err := r.Keyring().Key(d.ID); err == nil && k == nil {
				t.Fatal("a nil key without an error")
			}
		}
	})
}
