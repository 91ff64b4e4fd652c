package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// The cheapest calls an agent running as the owner could make to get a
// fresh, empty chain in place of the recorded history. Each must make Open
// refuse, create nothing, and leave what is there as it was.

func rmLedger(t *testing.T, l vectorgen.Layout) {
	t.Helper()
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(l.DB + s); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

func rmCheckpoints(t *testing.T, l vectorgen.Layout) {
	t.Helper()
	if err := os.RemoveAll(l.CheckpointDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(l.CheckpointDir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// snapshot lists the files under dir with their sizes.
func snapshot(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasSuffix(p, "-shm") && !strings.HasSuffix(p, ".lock") {
			out[p] = fi.Size()
		}
		return nil
	})
	return out
}

func TestOpenNeverStartsANewChainSilently(t *testing.T) {
	for name, tc := range map[string]struct {
		attack func(t *testing.T, l vectorgen.Layout)
		want   error
		says   string
	}{
		"ledger deleted": {func(t *testing.T, l vectorgen.Layout) { rmLedger(t, l) },
			ledger.ErrCheckpoint, "holds a checkpoint of 20 entries"},
		"checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) { rmCheckpoints(t, l) },
			ledger.ErrCheckpoint, "holds no signed checkpoint"},
		"ledger and checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) { rmLedger(t, l); rmCheckpoints(t, l) },
			ledger.ErrNoChain, "is missing, but"},
		"ledger truncated to 0 bytes": {func(t *testing.T, l vectorgen.Layout) {
			rmLedger(t, l)
			os.WriteFile(l.DB, nil, 0o600)
		}, ledger.ErrNoChain, "an empty file (0 bytes)"},
		"ledger truncated to 0 bytes and checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) {
			rmLedger(t, l)
			rmCheckpoints(t, l)
			os.WriteFile(l.DB, nil, 0o600)
		}, ledger.ErrNoChain, "an empty file (0 bytes)"},
		"ledger replaced by an empty SQLite database": {func(t *testing.T, l vectorgen.Layout) {
			rmLedger(t, l)
			rmCheckpoints(t, l)
			rawExec(t, l.DB, "PRAGMA user_version = 0")
		}, ledger.ErrNoChain, "without the ledger's tables"},
		"ledger replaced by a fresh ledger of its own": {func(t *testing.T, l vectorgen.Layout) {
			other := newLayout(t)
			if err := vectorgen.AppendSample(context.Background(), other, 1, 0); err != nil {
				t.Fatal(err)
			}
			rmLedger(t, l)
			rmCheckpoints(t, l)
			b, _ := os.ReadFile(other.DB)
			os.WriteFile(l.DB, b, 0o600)
		}, ledger.ErrNoChain, "no entries and no signed checkpoint"},
		"every entry deleted, head_seq reset, checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) {
			rawExec(t, l.DB, "DELETE FROM entries", "UPDATE meta SET value = '0' WHERE key = 'head_seq'")
			rmCheckpoints(t, l)
		}, ledger.ErrNoChain, "no entries and no signed checkpoint"},
		"every entry deleted, checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) {
			rawExec(t, l.DB, "DELETE FROM entries")
			rmCheckpoints(t, l)
		}, ledger.ErrCheckpoint, "truncated"},
		"meta rows deleted": {func(t *testing.T, l vectorgen.Layout) {
			rawExec(t, l.DB, "DELETE FROM meta")
		}, ledger.ErrTampered, "no ledger_id row"},
		"meta rows and entries deleted, checkpoints deleted": {func(t *testing.T, l vectorgen.Layout) {
			rawExec(t, l.DB, "DELETE FROM entries", "DELETE FROM meta")
			rmCheckpoints(t, l)
		}, ledger.ErrTampered, "no ledger_id row"},
		"ledger overwritten with garbage": {func(t *testing.T, l vectorgen.Layout) {
			rmLedger(t, l)
			os.WriteFile(l.DB, []byte("garbage, not a database"), 0o600)
		}, ledger.ErrNotLedger, "not an SQLite database"},
		"ledger, checkpoints and ledger keys deleted, device registry kept": {func(t *testing.T, l vectorgen.Layout) {
			rmLedger(t, l)
			rmCheckpoints(t, l)
			for _, k := range []string{ledger.AuditKeyName, ledger.CheckpointKeyName, ledger.CheckpointVerifierName} {
				os.Remove(filepath.Join(l.KeysDir, k))
			}
		}, ledger.ErrNoChain, "devices.json"},
	} {
		t.Run(name, func(t *testing.T) {
			l := build20(t)
			devices := filepath.Join(l.Dir, "devices.json")
			if err := os.WriteFile(devices, []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			tc.attack(t, l)
			before := snapshot(t, l.Dir)
			opts := l.Options()
			opts.PriorFiles = []string{devices}
			for _, fromCheckpoint := range []bool{false, true} {
				opts.OpenFromCheckpoint = fromCheckpoint
				lg, err := ledger.Open(context.Background(), l.DB, opts)
				if err == nil {
					lg.Close()
					t.Fatalf("Open started on it (from checkpoint: %v)", fromCheckpoint)
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("Open: %v\nwant an error matching %v that says %q", err, tc.want, tc.says)
				}
			}
			after := snapshot(t, l.Dir)
			for p, n := range after {
				if m, ok := before[p]; !ok {
					t.Errorf("Open created %s although it refused", p)
				} else if m != n && !strings.HasSuffix(p, "-wal") {
					t.Errorf("Open changed %s (%d bytes, was %d) although it refused", p, n, m)
				}
			}
		})
	}
}

// TestOpenCreatesOnlyOnAFreshPlace: with nothing of an earlier chain
// there, Open creates the ledger (the first start); a crash during that
// first start, before any key existed, leaves a file Open may take over.
func TestOpenCreatesOnlyOnAFreshPlace(t *testing.T) {
	l := newLayout(t)
	os.WriteFile(l.DB, nil, 0o600) // the driver had created the file, then the process died
	lg := openLedger(t, l, l.Options())
	if c := lg.Status().Checkpoint; c == nil || c.Size != 0 {
		t.Fatalf("first start checkpoint %+v, want size 0", c)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	// Restarting an empty chain its size-0 checkpoint anchors is no new chain.
	lg = openLedger(t, l, l.Options())
	lg.Close()
}

func TestStartNewChainRecordsThePreviousHead(t *testing.T) {
	ctx := context.Background()
	l := build20(t)
	old := verifyLayout(t, l)
	rmLedger(t, l) // what the owner found: the ledger gone, its checkpoints kept
	archive := filepath.Join(l.Dir, "archive")
	lg, prev, err := ledger.StartNewChain(ctx, l.DB, l.Options(), ledger.NewChain{ArchiveDir: archive, By: "alice@host at a terminal"})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	if prev.Head == nil || prev.Head.Size != 20 || prev.Head.Head != old.Head.Hash || prev.File.Kind != ledger.FileMissing {
		t.Fatalf("previous chain %+v, want the checkpoint of 20 (head %s)", prev, old.Head.Hash)
	}
	es, err := lg.Since(ctx, 0, 10)
	if err != nil || len(es) != 1 {
		t.Fatalf("new chain: %d entries, %v", len(es), err)
	}
	first := es[0]
	for _, s := range []string{"alice@host at a terminal", "size 20", "head " + old.Head.Hash.String(), prev.Archive} {
		if !strings.Contains(first.Detail, s) {
			t.Errorf("first entry's detail %q lacks %q", first.Detail, s)
		}
	}
	if first.Seq != 1 || first.Kind != ledger.KindChainStarted || first.Target != old.Origin {
		t.Fatalf("first entry %+v", first)
	}
	// The checkpoints moved with the history; the new chain has its own.
	if _, err := os.Stat(filepath.Join(prev.Archive, "checkpoints", "checkpoint")); err != nil {
		t.Fatalf("archived checkpoints: %v", err)
	}
	if c := lg.Status().Checkpoint; c == nil || c.Size != 1 || c.Origin == old.Origin {
		t.Fatalf("new chain's checkpoint %+v", c)
	}
	if _, err := lg.Append(ctx, vectorgen.SampleEntry(1)); err != nil {
		t.Fatal(err)
	}
	lg.Close()
	if rep := verifyLayout(t, l); rep.Outcome() != ledger.Intact || rep.Entries != 2 {
		t.Fatalf("new chain verifies %s, %d entries: %v", rep.Outcome(), rep.Entries, rep.Problem())
	}
	// And a normal start continues it.
	openLedger(t, l, l.Options()).Close()
}

// TestStartNewChainKeepsADamagedLedger: the damaged file and its
// checkpoints are moved aside intact, still verifiable where they are.
func TestStartNewChainKeepsADamagedLedger(t *testing.T) {
	ctx := context.Background()
	l := build20(t)
	rawExec(t, l.DB, "DELETE FROM entries WHERE seq > 15")
	lg, prev, err := ledger.StartNewChain(ctx, l.DB, l.Options(), ledger.NewChain{ArchiveDir: filepath.Join(l.Dir, "archive"), By: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	lg.Close()
	moved := l
	moved.DB = filepath.Join(prev.Archive, "ledger.db")
	moved.CheckpointDir = filepath.Join(prev.Archive, "checkpoints")
	rep := verifyLayout(t, moved)
	if p := rep.Problem(); p == nil || p.Reason != ledger.ReasonTruncated || p.Seq != 16 {
		t.Fatalf("archived ledger: %v, want truncated at 16", p)
	}
}

// TestStartNewChainInterrupted: a start killed after the old files were
// moved, before the new chain's first entry, leaves Open refusing; the
// next StartNewChain finds the previous head in the archive.
func TestStartNewChainInterrupted(t *testing.T) {
	ctx := context.Background()
	l := build20(t)
	old := verifyLayout(t, l)
	archive := filepath.Join(l.Dir, "archive")
	// What the first start left: the files moved into the archive.
	dst := filepath.Join(archive, "20260501T100000.000000000Z")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{l.DB + "-wal", l.DB + "-shm", l.DB, l.CheckpointDir} {
		if _, err := os.Stat(p); err == nil {
			if err := os.Rename(p, filepath.Join(dst, filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.Mkdir(l.CheckpointDir, 0o700)
	if _, err := ledger.Open(ctx, l.DB, l.Options()); !errors.Is(err, ledger.ErrNoChain) {
		t.Fatalf("Open after an interrupted start: %v, want ErrNoChain", err)
	}
	lg, prev, err := ledger.StartNewChain(ctx, l.DB, l.Options(), ledger.NewChain{ArchiveDir: archive, By: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	if prev.Head == nil || prev.Head.Size != 20 || prev.Head.Head != old.Head.Hash || !strings.HasPrefix(prev.HeadFrom, dst) {
		t.Fatalf("previous head %+v from %s, want 20 from %s", prev.Head, prev.HeadFrom, dst)
	}
}
