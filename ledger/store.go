package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// migrations are the numbered schema steps, applied in order inside one
// IMMEDIATE transaction; PRAGMA user_version records the last one applied.
//
//go:embed migrations/*.sql
var migrations embed.FS

const (
	metaLedgerID = "ledger_id"
	metaHeadSeq  = "head_seq"
)

// dsn builds a go-sqlite3 data source name for path. Writers get WAL and
// synchronous=FULL, so a commit is on disk when it returns; readers open the
// file read-only.
func dsn(p string, write bool, busy time.Duration) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: p}).EscapedPath()}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	if write {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("mode", "ro")
		q.Set("_synchronous", "FULL") // the driver otherwise issues synchronous=NORMAL
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// errNoTables is migrate's refusal to create the ledger's tables in a file
// when it may not create a new chain.
var errNoTables = errors.New("an SQLite database without the ledger's tables")

// openWriteDB opens path for writing with one connection, and applies the
// migrations; it creates the ledger's tables in a file without them only
// when create is set. Two processes creating the same new file at once
// can see SQLITE_BUSY without the busy handler being consulted (while the
// other converts the file to WAL), so a locked open is retried until the
// busy timeout has passed.
func openWriteDB(ctx context.Context, p string, busy time.Duration, create bool) (*sql.DB, error) {
	deadline := time.Now().Add(busy)
	for {
		db, err := tryOpenWriteDB(ctx, p, busy, create)
		if err == nil || !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func tryOpenWriteDB(ctx context.Context, p string, busy time.Duration, create bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", dsn(p, true, busy))
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", p, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	err = migrate(ctx, db, create)
	if err == nil {
		err = checkWAL(ctx, db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening ledger %s: %w", p, err)
	}
	return db, nil
}

// checkWAL makes sure the connection really is in WAL mode: durability and
// concurrent readers depend on it.
func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("reading journal mode: %w", mapErr(err))
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

// openReadDB opens an existing ledger read-only and checks that it is one.
func openReadDB(ctx context.Context, p string, busy time.Duration) (*sql.DB, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("opening ledger: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("opening ledger: %s is not a regular file", p)
	}
	db, err := sql.Open("sqlite3", dsn(p, false, busy))
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", p, err)
	}
	// Verification uses a connection per reader and one to find chunks;
	// leave room for the console's reads alongside.
	db.SetMaxOpenConns(maxReaders + 2)
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening ledger %s: %w", p, mapErr(err))
	}
	switch n := len(migrationNames()); {
	case v < 1:
		db.Close()
		return nil, fmt.Errorf("%w: %s has no ledger tables (schema version %d)", ErrNotLedger, p, v)
	case v > n:
		db.Close()
		return nil, fmt.Errorf("%w: %s has schema version %d, this build reads 1 to %d: %w", ErrNotLedger, p, v, n, ErrNewerSchema)
	}
	return db, nil
}

func migrationNames() []string {
	ents, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic("ledger: embedded migrations missing: " + err.Error())
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names // ReadDir sorts by name; names start with a 4-digit number
}

// migrate applies the migrations the file lacks. The ledger's metadata (its
// id and head_seq) is written only with the tables: an existing ledger
// whose meta rows were deleted stays without them, and is refused.
func migrate(ctx context.Context, db *sql.DB, create bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning migration: %w", mapErr(err))
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("reading schema version: %w", mapErr(err))
	}
	names := migrationNames()
	if v > len(names) {
		return fmt.Errorf("%w: schema version %d is newer than this build's %d: %w: upgrade it", ErrNotLedger, v, len(names), ErrNewerSchema)
	}
	if v == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
			return fmt.Errorf("reading schema: %w", mapErr(err))
		}
		if tables > 0 {
			return fmt.Errorf("%w: an SQLite database of something else (%d schema objects, no ledger version)", ErrNotLedger, tables)
		}
		if !create {
			return errNoTables
		}
	}
	for i := v; i < len(names); i++ {
		n, err := strconv.Atoi(strings.SplitN(names[i], "_", 2)[0])
		if err != nil || n != i+1 {
			panic(fmt.Sprintf("ledger: migration %q is out of sequence, want number %d", names[i], i+1))
		}
		body, err := migrations.ReadFile(path.Join("migrations", names[i]))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("applying migration %s: %w", names[i], mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
			return fmt.Errorf("recording migration %s: %w", names[i], mapErr(err))
		}
	}
	if v == 0 {
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return fmt.Errorf("generating ledger id: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?), (?, '0')`,
			metaLedgerID, hex.EncodeToString(id), metaHeadSeq); err != nil {
			return fmt.Errorf("initialising ledger metadata: %w", mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing migration: %w", mapErr(err))
	}
	return nil
}

// meta is what the meta table says about a ledger.
type meta struct {
	origin  string // OriginPrefix + ledger id
	headSeq uint64 // highest seq ever committed
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readMeta(ctx context.Context, q queryer) (meta, error) {
	var m meta
	var id, head string
	for _, f := range []struct {
		key string
		v   *string
	}{{metaLedgerID, &id}, {metaHeadSeq, &head}} {
		err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, f.key).Scan(f.v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// The row is written with the tables and never deleted.
			return m, fmt.Errorf("%w: the meta table has no %s row: it was deleted", ErrTampered, f.key)
		case err != nil:
			return m, fmt.Errorf("%w: reading %s: %w", ErrNotLedger, f.key, mapErr(err))
		}
	}
	if len(id) != 32 || !isLowerHex(id, len(id)) {
		return m, fmt.Errorf("%w: the meta table's %s %q is not 32 lowercase hex digits", ErrTampered, metaLedgerID, safeMeta(id))
	}
	n, err := strconv.ParseUint(head, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != head {
		return m, fmt.Errorf("%w: the meta table's %s %q is not a number", ErrTampered, metaHeadSeq, safeMeta(head))
	}
	m.origin = OriginPrefix + id
	m.headSeq = n
	return m, nil
}

// safeMeta clips a meta value for an error message.
func safeMeta(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// storedHead returns the last row's seq and hash; (0, zero) for an empty
// ledger. It reports a row whose record names another seq.
func storedHead(ctx context.Context, q queryer) (uint64, Hash, error) {
	var pos int64
	var rec, h []byte
	err := q.QueryRowContext(ctx, `SELECT seq, rec, hash FROM entries ORDER BY seq DESC LIMIT 1`).Scan(&pos, &rec, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Hash{}, nil
	}
	if err != nil {
		return 0, Hash{}, fmt.Errorf("reading head: %w", mapErr(err))
	}
	hdr, ok := parseHeader(rec)
	if !ok || len(h) != HashSize || hdr.seq != uint64(pos) {
		return 0, Hash{}, fmt.Errorf("%w: the last row (position %d) does not hold entry %d", ErrTampered, pos, pos)
	}
	return uint64(pos), Hash(h), nil
}

// storedHash returns the stored hash of entry seq (zero for seq 0).
func storedHash(ctx context.Context, q queryer, seq uint64) (Hash, error) {
	if seq == 0 {
		return Hash{}, nil
	}
	var rec, h []byte
	err := q.QueryRowContext(ctx, `SELECT rec, hash FROM entries WHERE seq = ?`, int64(seq)).Scan(&rec, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return Hash{}, fmt.Errorf("entry %d is missing", seq)
	}
	if err != nil {
		return Hash{}, fmt.Errorf("reading entry %d: %w", seq, mapErr(err))
	}
	hdr, ok := parseHeader(rec)
	if !ok || len(h) != HashSize || hdr.seq != seq {
		return Hash{}, fmt.Errorf("%w: row %d does not hold entry %d", ErrTampered, seq, seq)
	}
	return Hash(h), nil
}

// mapErr wraps driver errors callers must branch on with the package's
// sentinels, keeping the driver's message.
func mapErr(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return fmt.Errorf("%w: %w", ErrLocked, err)
	case sqlite3.ErrFull:
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	case sqlite3.ErrConstraint:
		if se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || se.ExtendedCode == sqlite3.ErrConstraintUnique {
			return fmt.Errorf("%w: %w", ErrFork, err)
		}
	case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
		return fmt.Errorf("%w: %w", ErrNotLedger, err)
	}
	return err
}

// txQueryer is what syncHead needs from a transaction.
type txQueryer interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
