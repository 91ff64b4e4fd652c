package ledgercli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

// homeOpts are the options of `ony-tui verify` with no --db: the home's
// own ledger, key and checkpoints.
func homeOpts(l vectorgen.Layout) ledgercli.VerifyOptions {
	o := verifyOpts(l)
	o.Home = true
	return o
}

func build20(t *testing.T) vectorgen.Layout {
	t.Helper()
	l, err := vectorgen.Build(context.Background(), t.TempDir(), vectorgen.Cases()[0])
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func removeLedger(t *testing.T, l vectorgen.Layout) {
	t.Helper()
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(l.DB + s); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// wantGone checks verify's report of a home ledger whose history is gone:
// exit 1, what was found, and the recovery steps; and the same in JSON.
func wantGone(t *testing.T, opts ledgercli.VerifyOptions, reason string, says ...string) {
	t.Helper()
	code, stdout, stderr := runVerify(t, opts)
	if code != ledgercli.ExitTampered || stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %q, want exit 1", code, stdout, stderr)
	}
	for _, s := range append(says, "ony-tui: error: ledger tampered: ", "restore "+opts.DB, "serve --new-chain", "keep what is there") {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr does not say %q:\n%s", s, stderr)
		}
	}
	if strings.Contains(stderr, "--db PATH") {
		t.Errorf("stderr asks for --db although none was given:\n%s", stderr)
	}
	opts.JSON = true
	code, stdout, _ = runVerify(t, opts)
	var doc verifyDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 1 || doc.Status != "tampered" || doc.Problem == nil || doc.Problem.Reason != reason {
		t.Fatalf("--json: exit %d %s (%v), want tampered, %s", code, stdout, err, reason)
	}
}

// TestVerifyLedgerDeleted: the home's ledger file deleted while its
// checkpoints remain is evidence of tampering, not a wrong path.
func TestVerifyLedgerDeleted(t *testing.T) {
	l := build20(t)
	removeLedger(t, l)
	wantGone(t, homeOpts(l), "ledger-missing", "the ledger file is missing", "covers 20 entries")
}

// TestVerifyLedgerAndCheckpointsDeleted: with the checkpoints gone too, the
// audit key still shows a ledger was kept here.
func TestVerifyLedgerAndCheckpointsDeleted(t *testing.T) {
	l := build20(t)
	removeLedger(t, l)
	if err := os.RemoveAll(l.CheckpointDir); err != nil {
		t.Fatal(err)
	}
	wantGone(t, homeOpts(l), "ledger-missing", "audit key or checkpoints exist")
}

// TestVerifyLedgerDamaged replaces the home's ledger by what an attacker
// (or a bad disk) could leave: each is reported as tampering, saying what
// the file holds.
func TestVerifyLedgerDamaged(t *testing.T) {
	for name, tc := range map[string]struct {
		damage func(t *testing.T, l vectorgen.Layout)
		reason string
		says   string
	}{
		"truncated to 0 bytes": {func(t *testing.T, l vectorgen.Layout) { truncate(t, l, 0) }, "ledger-missing", "empty file (0 bytes)"},
		"truncated to 5000 bytes": {func(t *testing.T, l vectorgen.Layout) { truncate(t, l, 5000) }, "ledger-damaged",
			"cut short, not a whole number"},
		"truncated to 40 bytes": {func(t *testing.T, l vectorgen.Layout) { truncate(t, l, 40) }, "ledger-damaged", "cut short inside its"},
		"garbage": {func(t *testing.T, l vectorgen.Layout) {
			removeLedger(t, l)
			os.WriteFile(l.DB, []byte("\x1b[2Jrm -rf ~ and more garbage than a header"), 0o600)
		}, "ledger-damaged", "not an SQLite database (they start with 0x1b5b324a"},
		"an empty SQLite database": {func(t *testing.T, l vectorgen.Layout) {
			removeLedger(t, l)
			sqliteDB(t, l.DB, "PRAGMA user_version = 0")
		}, "ledger-damaged", "no ledger tables"},
		"another SQLite database": {func(t *testing.T, l vectorgen.Layout) {
			removeLedger(t, l)
			sqliteDB(t, l.DB, "CREATE TABLE notes (x TEXT)")
		}, "ledger-damaged", "no ledger tables"},
		"a directory": {func(t *testing.T, l vectorgen.Layout) {
			removeLedger(t, l)
			os.Mkdir(l.DB, 0o700)
		}, "ledger-damaged", "not a regular file"},
	} {
		t.Run(name, func(t *testing.T) {
			l := build20(t)
			tc.damage(t, l)
			wantGone(t, homeOpts(l), tc.reason, tc.says)
			// The same file passed explicitly with --db is a wrong input,
			// not evidence: exit 2.
			if code, _, stderr := runVerify(t, verifyOpts(l)); code != ledgercli.ExitCannot && code != ledgercli.ExitTampered {
				t.Fatalf("--db: exit %d %s", code, stderr)
			}
		})
	}
}

func truncate(t *testing.T, l vectorgen.Layout, n int64) {
	t.Helper()
	// Fold the WAL into the file first, as a copy made after a clean stop
	// would be, then cut it.
	sqliteDB(t, l.DB, "PRAGMA wal_checkpoint(TRUNCATE)")
	for _, s := range []string{"-wal", "-shm"} {
		os.Remove(l.DB + s)
	}
	if err := os.Truncate(l.DB, n); err != nil {
		t.Fatal(err)
	}
}

func sqliteDB(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyMetaRowsDeleted: deleting head_seq (which would hide a
// truncation) or the ledger id is tampering.
func TestVerifyMetaRowsDeleted(t *testing.T) {
	for _, key := range []string{"head_seq", "ledger_id"} {
		t.Run(key, func(t *testing.T) {
			l := build20(t)
			sqliteDB(t, l.DB, "DELETE FROM meta WHERE key = '"+key+"'")
			code, _, stderr := runVerify(t, homeOpts(l))
			if code != ledgercli.ExitTampered || !strings.Contains(stderr, "no "+key+" row") {
				t.Fatalf("exit %d stderr %q, want 1 naming the row", code, stderr)
			}
		})
	}
}

// TestVerifyFreshHome: a home where Ony never ran is not tampering: exit 2
// saying there is no ledger yet.
func TestVerifyFreshHome(t *testing.T) {
	dir := t.TempDir()
	l := vectorgen.Layout{DB: filepath.Join(dir, "ledger.db"), KeysDir: filepath.Join(dir, "keys"), CheckpointDir: filepath.Join(dir, "checkpoints"),
		VerifyKey: filepath.Join(dir, "keys", "audit.key")}
	code, stdout, stderr := runVerify(t, homeOpts(l))
	if code != ledgercli.ExitCannot || stdout != "" || !strings.Contains(stderr, "no ledger yet") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// An explicit --db that does not exist asks for the right path.
	opts := verifyOpts(build20(t))
	opts.DB += ".typo"
	if code, _, stderr := runVerify(t, opts); code != ledgercli.ExitCannot || !strings.Contains(stderr, "--db") {
		t.Fatalf("explicit missing --db: exit %d %q", code, stderr)
	}
}
