package guard

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzLoad reads any bytes as policy.json: never a panic, and what loads
// saves and loads back the same.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	seed := Store{Path: filepath.Join(dir, "seed.json")}
	if _, err := Accept(seed, "", state("high"), "turned on", "engine", "", time.Unix(0, 0)); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(seed.Path)
	f.Add(b)
	f.Add([]byte(`{"version":1,"state":{"require_touch":"","config_sha256":"","taxonomy_sha256":"","risks":null,"devices":null},"at":"2026-01-01T00:00:00Z","change":"","by":""}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"extra":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Store{Path: filepath.Join(t.TempDir(), "policy.json")}
		if err := os.WriteFile(s.Path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := s.Load()
		if err != nil {
			return
		}
		_ = Diff(c.State, state("high"))
		if _, err := s.Save(c); err != nil {
			t.Fatal(err)
		}
		back, _, err := s.Load()
		if err != nil || !reflect.DeepEqual(back.State.Devices, c.State.Devices) || back.State.RequireTouch != c.State.RequireTouch {
			t.Fatalf("round trip: %+v %v", back, err)
		}
	})
}

// FuzzParseDetail reads any ledger detail: never a panic, and what parses
// names a sha256.
func FuzzParseDetail(f *testing.F) {
	f.Add("sha256:" + string(make([]byte, 64)) + " require_touch=high; x")
	f.Add(Detail("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", state("critical"), "turned on"))
	f.Add("require_touch=off sha256:")
	f.Fuzz(func(t *testing.T, d string) {
		a, err := ParseDetail(d)
		if err == nil && len(a.Hash) != 64 {
			t.Fatalf("parsed hash %q", a.Hash)
		}
	})
}
