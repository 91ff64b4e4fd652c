package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestResolveHomeFlagAndEnv(t *testing.T) {
	l, err := Resolve("/tmp/h", env(map[string]string{EnvHome: "/tmp/other"}))
	if err != nil || l.Socket != "/tmp/h/run/ony.sock" || l.LedgerFile != "/tmp/h/state/ledger.db" || l.ConfigFile != "/tmp/h/config/config.yaml" {
		t.Fatalf("--home: %+v %v", l, err)
	}
	l, _ = Resolve("", env(map[string]string{EnvHome: "/tmp/other"}))
	if l.Socket != "/tmp/other/run/ony.sock" {
		t.Fatalf("ONY_HOME: %s", l.Socket)
	}
}

func TestResolveXDG(t *testing.T) {
	l, err := Resolve("", env(map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/st", "XDG_RUNTIME_DIR": "/run/user/1000"}))
	if err != nil || l.ConfigDir != "/cfg/ony" || l.StateDir != "/st/ony" || l.Socket != "/run/user/1000/ony/ony.sock" {
		t.Fatalf("%+v %v", l, err)
	}
	l, _ = Resolve("", env(map[string]string{"HOME": "/home/u"}))
	if l.ConfigDir != "/home/u/.config/ony" || l.StateDir != "/home/u/.local/state/ony" {
		t.Fatalf("defaults: %+v", l)
	}
	if _, err := Resolve("", env(map[string]string{"HOME": "/h", "XDG_STATE_HOME": "relative"})); err == nil {
		t.Fatal("relative XDG_STATE_HOME accepted")
	}
}

// TestStrippedEnvironmentAgrees: a hook run with HOME and XDG_RUNTIME_DIR
// stripped must find the same socket as a console that had them.
func TestStrippedEnvironmentAgrees(t *testing.T) {
	rt := userRuntimeDir()
	home := accountHome()
	if home == "" {
		t.Skip("no account home for this uid")
	}
	full := map[string]string{"HOME": home}
	if rt != "" {
		full["XDG_RUNTIME_DIR"] = rt
	}
	console, err := Resolve("", env(full))
	if err != nil {
		t.Fatal(err)
	}
	hook, err := Resolve("", env(map[string]string{}))
	if err != nil {
		t.Fatalf("stripped environment: %v", err)
	}
	if console.Socket != hook.Socket || console.DevicesFile != hook.DevicesFile || console.ConfigFile != hook.ConfigFile {
		t.Fatalf("console %s / %s, stripped hook %s / %s", console.Socket, console.DevicesFile, hook.Socket, hook.DevicesFile)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	if _, err := Resolve("/tmp/"+strings.Repeat("x", 120), nil); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Fatalf("long socket path: %v", err)
	}
}

func TestEnsurePrivateDir(t *testing.T) {
	d := filepath.Join(t.TempDir(), "a", "b")
	if err := EnsurePrivateDir(d); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v", fi.Mode())
	}
	_ = os.Chmod(d, 0o755)
	if err := EnsurePrivateDir(d); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("open dir accepted: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	_ = os.Symlink(d, link)
	if err := EnsurePrivateDir(link); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlink accepted: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	_ = os.WriteFile(f, nil, 0o600)
	if err := EnsurePrivateDir(f); err == nil {
		t.Fatal("a file accepted as a directory")
	}
}
