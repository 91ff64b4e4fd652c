package ledger

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testOptions returns options for a ledger in a fresh temp directory.
func testOptions(t *testing.T) (path string, o Options) {
	t.Helper()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	o = DefaultOptions(keys, filepath.Join(dir, "checkpoints"))
	o.CheckpointInterval = -1
	return filepath.Join(dir, "ledger.db"), o
}

func testEntry(i int) Entry {
	return Entry{Kind: KindVerdict, RequestID: "req-" + string(rune('a'+i%26)), Action: "git.push", Target: "origin/main", Risk: "high", Decision: "deny"}
}

func TestDurabilitySettings(t *testing.T) {
	ctx := context.Background()
	path, o := testOptions(t)
	l, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, testEntry(1)); err != nil {
		t.Fatal(err)
	}
	// Ask the writer's own connection.
	var mode string
	var sync int
	if err := l.wdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := l.wdb.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Fatalf("writer connection: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
	// A fresh connection built from the same DSN gets the same settings.
	db, err := sql.Open("sqlite3", dsn(path, true, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Fatalf("fresh writer connection: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(migrationNames()) {
		t.Fatalf("user_version %d (%v), want %d", v, err, len(migrationNames()))
	}
}

// TestAppendFailsWhenLocked holds the write lock from another connection
// past the busy timeout: Append must fail with ErrLocked, record nothing,
// and work again once the lock is released, with no gap.
func TestAppendFailsWhenLocked(t *testing.T) {
	ctx := context.Background()
	path, o := testOptions(t)
	o.BusyTimeout = 100 * time.Millisecond
	l, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, testEntry(1)); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", dsn(path, true, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, testEntry(2)); !errors.Is(err, ErrLocked) {
		t.Fatalf("Append under a held lock: %v, want ErrLocked", err)
	}
	tx.Rollback()
	e, err := l.Append(ctx, testEntry(3))
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 2 {
		t.Fatalf("append after the lock is released got seq %d, want 2 (the failed append must leave no trace)", e.Seq)
	}
}

// TestAppendFailsWhenFull caps the database size so that inserts fail with
// SQLITE_FULL: every Append that reported success is in the file, none that
// failed is, and the chain verifies.
func TestAppendFailsWhenFull(t *testing.T) {
	ctx := context.Background()
	path, o := testOptions(t)
	o.CheckpointEvery = -1
	l, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var pages int
	if err := l.wdb.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := l.wdb.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages+3)); err != nil {
		t.Fatal(err)
	}
	var ok []Entry
	var full error
	for i := 0; i < 10000 && full == nil; i++ {
		e := testEntry(i)
		e.Detail = string(make([]byte, 900))
		got, err := l.Append(ctx, e)
		if err != nil {
			full = err
			break
		}
		ok = append(ok, got)
	}
	if !errors.Is(full, ErrDiskFull) {
		t.Fatalf("after %d appends: %v, want ErrDiskFull", len(ok), full)
	}
	if len(ok) == 0 {
		t.Fatal("no append succeeded before the database filled up")
	}
	seq, h, err := l.Head(ctx)
	if err != nil || seq != ok[len(ok)-1].Seq || h != ok[len(ok)-1].Hash {
		t.Fatalf("head %d %s (%v), want the last successful entry %d", seq, h, err, ok[len(ok)-1].Seq)
	}
	if _, err := l.wdb.ExecContext(ctx, "PRAGMA max_page_count = 1000000"); err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(ctx, testEntry(0))
	if err != nil || e.Seq != seq+1 {
		t.Fatalf("append after space returned: seq %d err %v, want %d", e.Seq, err, seq+1)
	}
	// No checkpoint is given: the chain itself must verify (the tail is
	// then reported as not anchored).
	rep, err := verifyDB(ctx, l.r.db, VerifyOptions{Key: l.key}, nil, nil)
	if err != nil || rep.Break != nil || rep.Tail == nil || rep.Tail.Reason != ReasonNoCheckpoint || rep.Entries != seq+1 {
		t.Fatalf("verify after disk full: %+v %v", rep, err)
	}
}

// TestAppendRefusesTamperedHead deletes the head behind an open ledger's
// back: the next Append must fail with ErrTampered instead of extending a
// rolled-back chain, and keep failing.
func TestAppendRefusesTamperedHead(t *testing.T) {
	ctx := context.Background()
	path, o := testOptions(t)
	l, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 3; i++ {
		if _, err := l.Append(ctx, testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	other, err := sql.Open("sqlite3", dsn(path, true, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, "DELETE FROM entries WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := l.Append(ctx, testEntry(9)); !errors.Is(err, ErrTampered) {
			t.Fatalf("Append %d after the head was deleted: %v, want ErrTampered", i, err)
		}
	}
}
