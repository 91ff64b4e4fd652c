package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

func build20(t *testing.T) vectorgen.Layout {
	t.Helper()
	l := newLayout(t)
	if err := vectorgen.AppendSample(context.Background(), l, 1, 20); err != nil {
		t.Fatal(err)
	}
	return l
}

func wantOpenError(t *testing.T, l vectorgen.Layout, opts ledger.Options, target error, contains string) {
	t.Helper()
	lg, err := ledger.Open(context.Background(), l.DB, opts)
	if err == nil {
		lg.Close()
		t.Fatalf("Open succeeded, want an error containing %q", contains)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("Open error %v, want one matching %v", err, target)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("Open error %q does not say %q", err, contains)
	}
}

func TestOpenCreatesPrivateKeys(t *testing.T) {
	l := newLayout(t)
	lg := openLedger(t, l, l.Options())
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{
		ledger.AuditKeyName:           0o600,
		ledger.CheckpointKeyName:      0o600,
		ledger.CheckpointVerifierName: 0o644,
	} {
		fi, err := os.Stat(filepath.Join(l.KeysDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", name, fi.Mode().Perm(), want)
		}
	}
	key := mustKey(t, l)
	if len(key) != ledger.AuditKeySize {
		t.Fatalf("audit key is %d bytes", len(key))
	}
	// The audit key is its own: not the checkpoint key's seed.
	skey, _ := os.ReadFile(filepath.Join(l.KeysDir, ledger.CheckpointKeyName))
	if strings.Contains(string(skey), string(key)) {
		t.Fatal("audit key found inside the checkpoint key")
	}
}

func TestOpenRefusesMissingLedgerWithCheckpoints(t *testing.T) {
	l := build20(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(l.DB + suffix)
	}
	wantOpenError(t, l, l.Options(), ledger.ErrCheckpoint, "holds a checkpoint of 20 entries")
	if _, err := os.Stat(l.DB); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created a new ledger file although it refused: %v", err)
	}
}

func TestOpenRefusesLedgerOfAnotherOrigin(t *testing.T) {
	ctx := context.Background()
	l := build20(t)
	other := newLayout(t)
	// A new ledger made with the same keys (a deliberate new chain in
	// another directory), in place of the old one.
	entries, _ := os.ReadDir(l.KeysDir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(l.KeysDir, e.Name()))
		os.WriteFile(filepath.Join(other.KeysDir, e.Name()), b, 0o600)
	}
	lg, _, err := ledger.StartNewChain(ctx, other.DB, other.Options(), ledger.NewChain{ArchiveDir: filepath.Join(other.Dir, "archive"), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lg.Close()
	if err := vectorgen.AppendSample(ctx, other, 1, 25); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(l.DB + suffix)
	}
	b, err := os.ReadFile(other.DB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.DB, b, 0o600); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, l, l.Options(), ledger.ErrCheckpoint, "another ledger")
	rep := verifyLayout(t, l)
	if p := rep.Problem(); p == nil || p.Reason != ledger.ReasonOtherLedger || rep.Outcome() != ledger.Tampered {
		t.Fatalf("verify: problem %v outcome %s, want other-ledger and tampered", p, rep.Outcome())
	}
}

func TestOpenRefusesWrongAuditKey(t *testing.T) {
	l := build20(t)
	if err := os.WriteFile(l.VerifyKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, l, l.Options(), ledger.ErrWrongKey, "wrong audit key")
}

func TestOpenRefusesMissingAuditKey(t *testing.T) {
	l := build20(t)
	os.Remove(l.VerifyKey)
	wantOpenError(t, l, l.Options(), nil, "restore the key file")
}

func TestOpenRefusesLooseKeyPermissions(t *testing.T) {
	l := build20(t)
	if err := os.Chmod(l.VerifyKey, 0o644); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, l, l.Options(), nil, "chmod 600")
	os.Chmod(l.VerifyKey, 0o600)
	if err := os.Chmod(l.KeysDir, 0o755); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, l, l.Options(), nil, "chmod 700")
}

func TestOpenRefusesMissingCheckpointKey(t *testing.T) {
	l := build20(t)
	os.Remove(filepath.Join(l.KeysDir, ledger.CheckpointKeyName))
	wantOpenError(t, l, l.Options(), nil, "restore the signing key")
}

func TestOpenRewritesMissingVerifierKey(t *testing.T) {
	l := build20(t)
	pub := filepath.Join(l.KeysDir, ledger.CheckpointVerifierName)
	want, _ := os.ReadFile(pub)
	os.Remove(pub)
	lg := openLedger(t, l, l.Options())
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(pub)
	if string(got) != string(want) {
		t.Fatalf("rewritten verifier key %q, want %q", got, want)
	}
}

func TestOpenRefusesMismatchedVerifierKey(t *testing.T) {
	l := build20(t)
	other := newLayout(t)
	if err := vectorgen.AppendSample(context.Background(), other, 1, 0); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(other.KeysDir, ledger.CheckpointVerifierName))
	os.WriteFile(filepath.Join(l.KeysDir, ledger.CheckpointVerifierName), b, 0o644)
	wantOpenError(t, l, l.Options(), nil, "does not match the signing key")
}

// TestOpenAnchorsUncheckpointedHead: entries appended without a checkpoint
// (a crash before one was due) are verified and anchored on the next Open.
func TestOpenAnchorsUncheckpointedHead(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	opts := l.Options()
	opts.CheckpointEvery = -1
	lg := openLedger(t, l, opts)
	var last ledger.Entry
	var err error
	for i := 1; i <= 4; i++ {
		if last, err = lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Reopen while lg is still open, as a second process would: it sees
	// four entries no checkpoint covers.
	lg2 := openLedger(t, l, opts)
	if c := lg2.Status().Checkpoint; c == nil || c.Size != 4 || c.Head != last.Hash {
		t.Fatalf("second Open's checkpoint %+v, want size 4 head %s", c, last.Hash)
	}
}

func TestOpenRefusesMissingCheckpoints(t *testing.T) {
	l := build20(t)
	if err := os.RemoveAll(l.CheckpointDir); err != nil {
		t.Fatal(err)
	}
	wantOpenError(t, l, l.Options(), ledger.ErrCheckpoint, "holds no signed checkpoint")
}
