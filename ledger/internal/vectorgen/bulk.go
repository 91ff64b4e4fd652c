package vectorgen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
)

// Bulk creates the ledger of l with n sample entries, fast: the schema and
// keys come from ledger.Open, the entries are inserted in one transaction
// with synchronous=OFF (test data, not durable until the final fsync at
// close), and no checkpoint covers them. Open the ledger afterwards to
// anchor them.
func Bulk(ctx context.Context, l Layout, n int) error {
	if err := AppendSample(ctx, l, 1, 0); err != nil {
		return err
	}
	key, err := ledger.LoadAuditKey(l.VerifyKey)
	if err != nil {
		return err
	}
	return withDB(l, func(db *sql.DB) error {
		if _, err := db.ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO entries(seq, rec, hash) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		m := hmac.New(sha256.New, key)
		var prev ledger.Hash
		var rec []byte
		for i := 1; i <= n; i++ {
			e := SampleEntry(i)
			e.Seq, e.Prev, e.Time = uint64(i), prev, Epoch().Add(time.Duration(i-1)*time.Millisecond)
			rec = ledger.AppendRecord(rec[:0], &e)
			m.Reset()
			m.Write([]byte(ledger.EntryDomain))
			m.Write(rec)
			copy(prev[:], m.Sum(nil))
			if _, err := ins.ExecContext(ctx, i, rec, prev[:]); err != nil {
				return fmt.Errorf("inserting entry %d: %w", i, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'head_seq'`, fmt.Sprint(n)); err != nil {
			return err
		}
		return tx.Commit()
	})
}
