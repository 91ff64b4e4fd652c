package app

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/ony-dev/ony-tui/ledger"
)

func newLedger(t *testing.T) (*ledger.Ledger, string, *Chain) {
	t.Helper()
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o700)
	keys, ckpt := filepath.Join(dir, "keys"), filepath.Join(dir, "checkpoints")
	for _, d := range []string{keys, ckpt} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "ledger.db")
	opts := ledger.DefaultOptions(keys, ckpt)
	l, err := ledger.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	key, err := ledger.LoadAuditKey(opts.AuditKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChain(l, path, key, func() (ledger.VerifyOptions, error) {
		ver, err := ledger.LoadCheckpointVerifier(opts.CheckpointVerifierFile)
		if err != nil {
			return ledger.VerifyOptions{}, err
		}
		notes, err := ledger.ReadCheckpoints(ckpt)
		return ledger.VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: ver}, err
	})
	for i := 0; i < 12; i++ {
		if _, err := l.Append(context.Background(), ledger.Entry{Kind: ledger.KindAutoAllow, Action: "file.read", Risk: "low", Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
	}
	return l, path, c
}

func TestLatestVerifiesAsEntriesArrive(t *testing.T) {
	l, _, c := newLedger(t)
	es, st, err := c.Latest(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 5 || es[4].Seq != 12 || st.Entries != 12 || st.Verified != 12 || st.BreakSeq != 0 {
		t.Fatalf("entries %+v status %+v", es, st)
	}
	for _, e := range es {
		if !e.Verified || e.Broken {
			t.Fatalf("entry %+v not verified", e)
		}
	}
	if _, err := l.Append(context.Background(), ledger.Entry{Kind: ledger.KindVerdict, Action: "git.push.force", Decision: "deny"}); err != nil {
		t.Fatal(err)
	}
	es, st, _ = c.Latest(context.Background(), 5)
	if st.Verified != 13 || es[4].Action != "git.push.force" || !es[4].Verified {
		t.Fatalf("after an append: %+v %+v", es[4], st)
	}
}

// TestEditUnderneathShowsAtTheEntry edits an entry already verified: the
// live view marks it and every later entry, and a full re-verify agrees.
func TestEditUnderneathShowsAtTheEntry(t *testing.T) {
	_, path, c := newLedger(t)
	if _, _, err := c.Latest(context.Background(), 6); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rec []byte
	if err := db.QueryRow("SELECT rec FROM entries WHERE seq = 9").Scan(&rec); err != nil {
		t.Fatal(err)
	}
	rec[len(rec)-1] ^= 1
	if _, err := db.Exec("UPDATE entries SET rec = ? WHERE seq = 9", rec); err != nil {
		t.Fatal(err)
	}
	es, st, err := c.Latest(context.Background(), 6)
	if err != nil {
		t.Fatal(err)
	}
	if st.BreakSeq != 9 || !strings.Contains(st.BreakReason, "edited") || st.AfterBreak != 3 {
		t.Fatalf("status %+v", st)
	}
	for _, e := range es {
		if (e.Seq >= 9) != e.Broken || (e.Seq < 9) != e.Verified {
			t.Fatalf("entry %d: verified %v broken %v", e.Seq, e.Verified, e.Broken)
		}
	}
	full, err := c.Reverify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if full.BreakSeq != 9 || full.Verified != 8 {
		t.Fatalf("re-verify: %+v", full)
	}
	// After a full re-verify the live view keeps the break.
	_, st, _ = c.Latest(context.Background(), 6)
	if st.BreakSeq != 9 {
		t.Fatalf("break lost after re-verify: %+v", st)
	}
}

// TestDeletedEntryBreaksAtTheGap deletes a middle entry the view has not
// read yet: the incremental verifier names the missing seq.
func TestDeletedEntryBreaksAtTheGap(t *testing.T) {
	_, path, c := newLedger(t)
	db, _ := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	defer db.Close()
	if _, err := db.Exec("DELETE FROM entries WHERE seq = 7"); err != nil {
		t.Fatal(err)
	}
	_, st, err := c.Latest(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if st.BreakSeq != 7 || !strings.Contains(st.BreakReason, "deleted") {
		t.Fatalf("status %+v", st)
	}
}

// openAnchored builds a ledger of n entries anchored by a checkpoint, then
// opens it from that checkpoint, as the console does.
func openAnchored(t *testing.T, n int, tamper func(path string)) (*ledger.Ledger, *Chain) {
	t.Helper()
	dir := t.TempDir()
	keys, ckpt := filepath.Join(dir, "keys"), filepath.Join(dir, "checkpoints")
	for _, d := range []string{keys, ckpt} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "ledger.db")
	opts := ledger.DefaultOptions(keys, ckpt)
	l, err := ledger.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := l.Append(context.Background(), ledger.Entry{Kind: ledger.KindAutoAllow, Action: "file.read", Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(path)
	}
	opts.OpenFromCheckpoint = true
	if l, err = ledger.Open(context.Background(), path, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	key, _ := ledger.LoadAuditKey(opts.AuditKeyFile)
	return l, NewChain(l, path, key, func() (ledger.VerifyOptions, error) { return ledger.LoadVerifyOptions(opts.VerifySources()) })
}

func waitChecked(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	select {
	case <-l.FullCheckDone():
	case <-time.After(20 * time.Second):
		t.Fatal("full check never finished")
	}
}

// TestLatestStartsAtTheCheckpoint: the live view reads only the entries
// after the checkpoint the ledger opened from, and counts the chain as
// verified once the ledger's background check has passed it.
func TestLatestStartsAtTheCheckpoint(t *testing.T) {
	l, c := openAnchored(t, 300, nil)
	if c.seen != 300 || c.anchor.Seq != 300 {
		t.Fatalf("live view starts at %d (anchor %d), want 300", c.seen, c.anchor.Seq)
	}
	waitChecked(t, l)
	if _, err := l.Append(context.Background(), ledger.Entry{Kind: ledger.KindVerdict, Action: "git.push.force", Decision: "deny"}); err != nil {
		t.Fatal(err)
	}
	es, st, err := c.Latest(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 301 || st.Verified != 301 || st.Anchor != 300 || st.Checking || st.Broken() {
		t.Fatalf("status %+v", st)
	}
	for _, e := range es {
		if !e.Verified || e.Broken {
			t.Fatalf("entry %+v", e)
		}
	}
}

// TestLatestShowsABreakBeforeTheCheckpoint: an entry edited before the
// checkpoint is found by the background check and shown with its meaning.
func TestLatestShowsABreakBeforeTheCheckpoint(t *testing.T) {
	l, c := openAnchored(t, 50, func(path string) {
		db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("UPDATE entries SET hash = randomblob(32) WHERE seq = 20"); err != nil {
			t.Fatal(err)
		}
	})
	waitChecked(t, l)
	es, st, err := c.Latest(context.Background(), 40)
	if err != nil {
		t.Fatal(err)
	}
	if st.BreakSeq != 20 || !strings.Contains(st.BreakReason, "edited") || !strings.Contains(st.BreakMeaning, "signed checkpoint #50 was altered") ||
		st.Verified != 19 {
		t.Fatalf("status %+v", st)
	}
	for _, e := range es {
		if (e.Seq >= 20) != e.Broken || (e.Seq < 20) != e.Verified {
			t.Fatalf("entry %d: verified %v broken %v", e.Seq, e.Verified, e.Broken)
		}
	}
}
