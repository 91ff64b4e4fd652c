package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MaxPage is the most entries one [Reader.Since] or [Reader.Tail] call
// returns.
const MaxPage = 10000

// Reader reads a ledger file without writing to it: no keys, no
// checkpoints, no migrations. The log command and auditors use it; a
// [Ledger] reads through one too. Entries come back as stored: feed them to
// a [Verifier] before trusting them. A Reader is safe for concurrent use.
type Reader struct {
	db     *sql.DB
	origin string
}

// OpenReader opens an existing ledger file read-only.
func OpenReader(ctx context.Context, path string) (*Reader, error) {
	db, err := openReadDB(ctx, path, 5*time.Second)
	if err != nil {
		return nil, err
	}
	m, err := readMeta(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Reader{db: db, origin: m.origin}, nil
}

// Origin returns the ledger's checkpoint origin ([OriginPrefix] and its id).
func (r *Reader) Origin() string { return r.origin }

// Head returns the seq and stored hash of the last entry; (0, zero) for an
// empty ledger.
func (r *Reader) Head(ctx context.Context) (seq uint64, h Hash, err error) {
	return storedHead(ctx, r.db)
}

// Tail returns the newest n entries in ascending seq order. Requires
// 0 < n <= MaxPage.
func (r *Reader) Tail(ctx context.Context, n int) ([]Entry, error) {
	if n <= 0 || n > MaxPage {
		return nil, fmt.Errorf("ledger: tail of %d entries, want 1 to %d", n, MaxPage)
	}
	return r.query(ctx, `SELECT seq, rec, hash FROM (SELECT seq, rec, hash FROM entries ORDER BY seq DESC LIMIT ?) ORDER BY seq`, n)
}

// Since returns up to limit entries with seq > afterSeq in ascending order.
// Requires 0 < limit <= MaxPage.
func (r *Reader) Since(ctx context.Context, afterSeq uint64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > MaxPage {
		return nil, fmt.Errorf("ledger: page of %d entries, want 1 to %d", limit, MaxPage)
	}
	return r.query(ctx, `SELECT seq, rec, hash FROM entries WHERE seq > ? ORDER BY seq LIMIT ?`, int64(afterSeq), limit)
}

func (r *Reader) query(ctx context.Context, q string, args ...any) ([]Entry, error) {
	rows, err := r.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading entries: %w", mapErr(err))
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var pos int64
		var rec, h []byte
		if err := rows.Scan(&pos, &rec, &h); err != nil {
			return nil, fmt.Errorf("reading entries: %w", mapErr(err))
		}
		out = append(out, decodeRow(uint64(pos), rec, h))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading entries: %w", mapErr(err))
	}
	return out, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.db.Close() }

// decodeRow turns a stored row into an Entry. A record that does not decode
// (only possible if it was tampered with) comes back with what its header
// holds (or Seq set to the row's position), KindInvalid if even that is
// unreadable, the stored hash, and Detail saying why; a [Verifier] then
// reports it as edited.
func decodeRow(pos uint64, rec, h []byte) Entry {
	e, err := DecodeRecord(rec)
	if err != nil {
		e = Entry{Seq: pos, Detail: "undecodable record: " + err.Error()}
		if hdr, ok := parseHeader(rec); ok {
			e.Seq, e.Prev, e.Kind = hdr.seq, hdr.prev, hdr.kind
		}
	}
	copy(e.Hash[:], h)
	return e
}
