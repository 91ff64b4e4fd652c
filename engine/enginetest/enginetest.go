// Package enginetest has helpers for tests that need a running engine: a
// journal that can be told to fail, and a registry in a temporary home.
// Production code never imports it.
package enginetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/ledger"
)

// Journal keeps records in memory. Like the real ledger it refuses an entry
// that does not validate (an unknown kind, an oversized field). Set Fail to
// make appends fail.
type Journal struct {
	mu   sync.Mutex
	recs []ledger.Entry
	fail error
}

// Append implements engine.Journal.
func (j *Journal) Append(_ context.Context, r ledger.Entry) (uint64, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return 0, j.fail
	}
	j.recs = append(j.recs, r)
	return uint64(len(j.recs)), nil
}

// Records returns a copy of what was appended.
func (j *Journal) Records() []ledger.Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]ledger.Entry(nil), j.recs...)
}

// SetFail makes later appends fail with err (nil to succeed again).
func (j *Journal) SetFail(err error) { j.mu.Lock(); j.fail = err; j.mu.Unlock() }

// Registry returns a device registry in a fresh private directory with an
// engine and a console device.
func Registry(t testing.TB) (*device.Registry, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	reg := device.Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
	for _, k := range []device.Kind{device.KindEngine, device.KindConsole} {
		if _, err := reg.Ensure(k, string(k)); err != nil {
			t.Fatal(err)
		}
	}
	return reg, dir
}

// RunnableByOthers copies the running test binary where another user can
// execute it (test binaries live in a private build directory) and returns
// its path. Tests use it to run a peer as another uid.
func RunnableByOthers(t testing.TB) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "peer.test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	OpenUp(exe)
	return exe
}

// OpenUp makes every directory above path, below the system temporary
// directory, traversable by other users.
func OpenUp(path string) {
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Dir(path); strings.HasPrefix(d, tmp+"/"); d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
	}
}
