package paths_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

func TestSystemLayout(t *testing.T) {
	l, err := paths.System("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{l.ConfigFile: "/etc/ony/config.yaml", l.DevicesFile: "/var/lib/ony/devices.json",
		l.LedgerFile: "/var/lib/ony/ledger.db", l.KeysDir: "/var/lib/ony/keys", l.Socket: "/run/ony/ony.sock",
		l.CheckpointDir: "/var/lib/ony/checkpoints", l.Root: "/"}
	for got, w := range want {
		if got != w {
			t.Errorf("got %s, want %s", got, w)
		}
	}
	if !l.System {
		t.Error("not marked as a system layout")
	}
	r, err := paths.System("/tmp/fake/../root")
	if err != nil || r.Socket != "/tmp/root/run/ony/ony.sock" || r.Root != "/tmp/root" {
		t.Fatalf("install root: %+v %v", r, err)
	}
	if _, err := paths.System("relative/root"); err == nil {
		t.Fatal("a relative install root was accepted")
	}
	if _, err := paths.System("/" + strings.Repeat("x", 100)); err == nil {
		t.Fatal("a socket path over the limit was accepted")
	}
	if u, err := l.EngineUID(); err == nil && u == os.Getuid() {
		t.Fatal("EngineUID returned the caller's own uid")
	}
	if _, err := (paths.Layout{}).EngineUID(); !errors.Is(err, paths.ErrSystemLayout) {
		t.Fatalf("a per-user layout passed as a system one: %v", err)
	}
}

func TestCheckRootChainRealDirs(t *testing.T) {
	for _, d := range []string{"/", "/usr", "/usr/bin"} {
		if err := paths.CheckRootChain(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// fakeRoot makes a root-owned install root with the system directories,
// the state and runtime directories given to engineUID and group gid.
func fakeRoot(t *testing.T, engineUID, gid int) paths.Layout {
	t.Helper()
	dir, err := os.MkdirTemp("", "onysys")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := paths.System(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, l.ConfigDir, filepath.Dir(l.StateDir), filepath.Dir(filepath.Dir(l.StateDir)), filepath.Dir(l.RuntimeDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{l.StateDir, l.RuntimeDir} {
		if err := os.Mkdir(d, paths.SystemSharedDirMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, engineUID, gid); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestEngineUIDRefusesWhatOthersCouldChange builds a system install and
// then undoes, one at a time, each property the hook relies on to know it
// talks to root's engine: each must be refused.
func TestEngineUIDRefusesWhatOthersCouldChange(t *testing.T) {
	e2e.RequireRoot(t)
	const engine, other = 65534, 65533
	l := fakeRoot(t, engine, 65534)
	uid, err := l.EngineUID()
	if err != nil || uid != engine {
		t.Fatalf("a sound install: uid %d, %v", uid, err)
	}
	breakIt := []struct {
		name       string
		do, undo   func() error
		wantSubstr string
	}{
		{"install root owned by a user", func() error { return os.Chown(l.Root, other, 0) }, func() error { return os.Chown(l.Root, 0, 0) }, "not root"},
		{"var writable by others", func() error { return os.Chmod(filepath.Join(l.Root, "var"), 0o777) }, func() error { return os.Chmod(filepath.Join(l.Root, "var"), 0o755) }, "others can change"},
		{"config dir owned by a user", func() error { return os.Chown(l.ConfigDir, other, 0) }, func() error { return os.Chown(l.ConfigDir, 0, 0) }, "not root"},
		{"state dir owned by root", func() error { return os.Chown(l.StateDir, 0, 0) }, func() error { return os.Chown(l.StateDir, engine, 65534) }, "owned by root"},
		{"state dir group-writable", func() error { return os.Chmod(l.StateDir, 0o770) }, func() error { return os.Chmod(l.StateDir, 0o710) }, "others can change"},
		{"runtime dir of another user", func() error { return os.Chown(l.RuntimeDir, other, 65534) }, func() error { return os.Chown(l.RuntimeDir, engine, 65534) }, "owned by uid"},
		{"runtime dir missing", func() error { return os.Remove(l.RuntimeDir) }, func() error {
			if err := os.Mkdir(l.RuntimeDir, 0o710); err != nil {
				return err
			}
			return os.Chown(l.RuntimeDir, engine, 65534)
		}, "install --system service"},
		{"state dir a symlink", func() error {
			if err := os.Rename(l.StateDir, l.StateDir+".real"); err != nil {
				return err
			}
			return os.Symlink(l.StateDir+".real", l.StateDir)
		}, func() error {
			if err := os.Remove(l.StateDir); err != nil {
				return err
			}
			return os.Rename(l.StateDir+".real", l.StateDir)
		}, "not a directory"},
	}
	for _, b := range breakIt {
		if err := b.do(); err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		_, err := l.EngineUID()
		if !errors.Is(err, paths.ErrSystemLayout) || !strings.Contains(err.Error(), b.wantSubstr) {
			t.Errorf("%s: got %v, want an error naming %q", b.name, err, b.wantSubstr)
		}
		if err := b.undo(); err != nil {
			t.Fatalf("%s: undo: %v", b.name, err)
		}
		if _, err := l.EngineUID(); err != nil {
			t.Fatalf("%s: after undo: %v", b.name, err)
		}
	}
}

func TestCheckRootChainSticky(t *testing.T) {
	e2e.RequireRoot(t)
	l := fakeRoot(t, 65534, 65534)
	sticky := filepath.Join(l.Root, "tmp")
	if err := os.Mkdir(sticky, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(sticky, "inner")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootChain(inner); err != nil {
		t.Fatalf("a root directory in a sticky one: %v", err)
	}
	if err := paths.CheckRootChain(sticky); err == nil {
		t.Fatal("a world-writable directory was accepted as the directory itself")
	}
	if err := os.Chmod(sticky, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootChain(inner); err == nil {
		t.Fatal("a world-writable, non-sticky parent was accepted")
	}
}

func TestCheckRootFile(t *testing.T) {
	e2e.RequireRoot(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "config.yaml")
	if err := paths.CheckRootFile(f); err != nil {
		t.Fatalf("a missing file: %v", err)
	}
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootFile(f); err != nil {
		t.Fatalf("root 0644: %v", err)
	}
	if err := os.Chmod(f, 0o664); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootFile(f); err == nil {
		t.Fatal("a group-writable policy file was accepted")
	}
	if err := os.Chmod(f, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(f, 1000, 0); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootFile(f); err == nil {
		t.Fatal("a policy file owned by a user was accepted")
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("/etc/hostname", link); err != nil {
		t.Fatal(err)
	}
	if err := paths.CheckRootFile(link); err == nil {
		t.Fatal("a symbolic link was accepted as a policy file")
	}
}
