package vectorgen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the ledger's driver, for raw tampering

	"github.com/ony-dev/ony-tui/ledger"
)

// Build creates the base ledger of case c under dir and applies its
// tampering. The returned layout names the files to verify.
func Build(ctx context.Context, dir string, c Case) (Layout, error) {
	l, err := NewLayout(dir)
	if err != nil {
		return l, err
	}
	if err := c.build(ctx, l); err != nil {
		return l, fmt.Errorf("building vector %s: %w", c.Name, err)
	}
	if c.verifyKey != "" {
		l.VerifyKey = filepath.Join(dir, c.verifyKey)
	}
	return l, nil
}

// AppendSample opens the ledger of l, appends the sample entries from..to
// (inclusive) and closes it, which writes a final checkpoint.
func AppendSample(ctx context.Context, l Layout, from, to int) error {
	return appendEntries(ctx, l, from, to, SampleEntry)
}

// appendEntries appends gen(from)..gen(to), stamping entry i at Epoch plus
// i-1 seconds.
func appendEntries(ctx context.Context, l Layout, from, to int, gen func(int) ledger.Entry) error {
	o := l.Options()
	var i atomic.Int64
	i.Store(int64(from))
	o.Now = func() time.Time { return Epoch().Add(time.Duration(i.Load()-1) * time.Second) }
	lg, err := ledger.Open(ctx, l.DB, o)
	if err != nil {
		return err
	}
	for ; i.Load() <= int64(to); i.Add(1) {
		if _, err := lg.Append(ctx, gen(int(i.Load()))); err != nil {
			lg.Close()
			return err
		}
	}
	return lg.Close()
}

// base builds the 20-entry ledger most vectors start from; checkpoints are
// signed at sizes 0, 10 and 20.
func base(ctx context.Context, l Layout) error { return AppendSample(ctx, l, 1, 20) }

// withDB runs fn on a raw read-write connection to the ledger file.
func withDB(l Layout, fn func(db *sql.DB) error) error {
	db, err := sql.Open("sqlite3", "file:"+l.DB+"?_busy_timeout=5000")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	err = fn(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// readRow returns the record and hash stored at position seq.
func readRow(db *sql.DB, seq int) (rec, hash []byte, err error) {
	err = db.QueryRow(`SELECT rec, hash FROM entries WHERE seq = ?`, seq).Scan(&rec, &hash)
	return rec, hash, err
}

// editEntry decodes the entry at position seq, lets fn change it and stores
// the re-encoded record, keeping the stored hash.
func editEntry(db *sql.DB, seq int, fn func(*ledger.Entry)) error {
	rec, _, err := readRow(db, seq)
	if err != nil {
		return err
	}
	e, err := ledger.DecodeRecord(rec)
	if err != nil {
		return err
	}
	fn(&e)
	_, err = db.Exec(`UPDATE entries SET rec = ? WHERE seq = ?`, ledger.AppendRecord(nil, &e), seq)
	return err
}

// shift moves every row at position >= from up by n positions.
func shift(db *sql.DB, from, n int) error {
	const far = 1_000_000_000
	if _, err := db.Exec(`UPDATE entries SET seq = seq + ? WHERE seq >= ?`, far, from); err != nil {
		return err
	}
	_, err := db.Exec(`UPDATE entries SET seq = seq - ? + ? WHERE seq >= ?`, far, n, far)
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// copyLedger copies the ledger file (and its WAL, if any) of src to dst.
func copyLedger(src, dst string) error {
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(src+suffix, dst+suffix); err != nil && !(suffix != "" && errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyDir copies the regular files of src (one level of subdirectories)
// into dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		return copyFile(p, target)
	})
}

// replaceLedger replaces the ledger file of l with the one at src, removing
// l's WAL and shared-memory files as a copy over them would.
func replaceLedger(l Layout, src string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(l.DB + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return copyLedger(src, l.DB)
}
