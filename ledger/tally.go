package ledger

import (
	"context"
	"fmt"
	"time"
)

// Code state. The engine keeps no state of its own for the 6-digit code
// path: the last accepted TOTP step, the recent wrong codes and the lock are
// read from the ledger, so that neither a restart nor a second process can
// reset them. The answers come only from entries whose hashes and links
// verified: Open builds a tally of every entry (after an Open from a
// checkpoint, the background pass adds the entries before it, and the
// queries wait for it), the writer adds each entry it appends or reads from
// another process, and each query first has the writer read (and verify)
// what other processes appended.

// tally is what the code state needs from all verified entries.
type tally struct {
	maxStep uint64
	last    [kindEnd]Link // newest verified entry of each kind (Seq 0: none)
}

func (t *tally) note(seq uint64, kind Kind, step uint64, h Hash) {
	t.maxStep = max(t.maxStep, step)
	if kind.Valid() {
		t.last[kind] = Link{Seq: seq, Hash: h}
	}
}

// sync makes the writer read and verify the entries other processes
// appended, so that the tally is current.
func (l *Ledger) sync(ctx context.Context) error {
	req := &appendReq{ctx: ctx, sync: true, res: make(chan appendRes, 1)}
	select {
	case l.reqs <- req:
	case <-l.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("reading the ledger head: %w", ctx.Err())
	}
	return (<-req.res).err
}

// MaxStep returns the largest TOTP time step recorded in any entry, 0 if
// none: the last step a code was accepted for.
func (l *Ledger) MaxStep(ctx context.Context) (uint64, error) {
	if err := l.waitFullCheck(ctx); err != nil {
		return 0, err
	}
	if err := l.sync(ctx); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tally.maxStep, nil
}

// LastOf returns the newest entry whose kind is one of kinds; ok is false
// when there is none. The entry is read back and its hash checked again.
func (l *Ledger) LastOf(ctx context.Context, kinds ...Kind) (e Entry, ok bool, err error) {
	if err := l.waitFullCheck(ctx); err != nil {
		return Entry{}, false, err
	}
	return l.lastVerified(ctx, kinds...)
}

// lastVerified is the newest entry of kinds among the verified ones the
// tally knows.
func (l *Ledger) lastVerified(ctx context.Context, kinds ...Kind) (e Entry, ok bool, err error) {
	if err := l.sync(ctx); err != nil {
		return Entry{}, false, err
	}
	var at Link
	l.mu.Lock()
	for _, k := range kinds {
		if k.Valid() && l.tally.last[k].Seq > at.Seq {
			at = l.tally.last[k]
		}
	}
	l.mu.Unlock()
	if at.Seq == 0 {
		return Entry{}, false, nil
	}
	var rec, h []byte
	if err := l.r.db.QueryRowContext(ctx, `SELECT rec, hash FROM entries WHERE seq = ?`, int64(at.Seq)).Scan(&rec, &h); err != nil {
		return Entry{}, false, fmt.Errorf("reading entry %d: %w", at.Seq, mapErr(err))
	}
	if got := RecordHash(l.key, rec); got != at.Hash || string(h) != string(at.Hash[:]) {
		return Entry{}, false, fmt.Errorf("%w: entry %d changed after it was verified", ErrTampered, at.Seq)
	}
	if e, err = DecodeRecord(rec); err != nil {
		return Entry{}, false, fmt.Errorf("%w: entry %d: %w", ErrTampered, at.Seq, err)
	}
	e.Hash = at.Hash
	return e, true, nil
}

// CountSince returns how many entries of kind are stamped at or after
// since. It walks back from the verified head, checking every hash and
// link, and stops at the first entry stamped before since (entries are
// stamped in append order; a clock stepped back ends the count early).
func (l *Ledger) CountSince(ctx context.Context, kind Kind, since time.Time) (int, error) {
	if err := l.sync(ctx); err != nil {
		return 0, err
	}
	l.mu.Lock()
	want := l.status.Head
	l.mu.Unlock()
	m := newMacer(l.key)
	n := 0
	for want.Seq > 0 {
		rows, err := l.r.db.QueryContext(ctx, `SELECT seq, rec, hash FROM entries WHERE seq <= ? ORDER BY seq DESC LIMIT 256`, int64(want.Seq))
		if err != nil {
			return 0, fmt.Errorf("reading entries: %w", mapErr(err))
		}
		read := 0
		for rows.Next() {
			var pos int64
			var rec, h []byte
			if err := rows.Scan(&pos, &rec, &h); err != nil {
				rows.Close()
				return 0, fmt.Errorf("reading entries: %w", mapErr(err))
			}
			read++
			r := m.prepare(uint64(pos), rec, h)
			if !r.macOK || r.pos != want.Seq || r.hdr.seq != want.Seq || r.hash != want.Hash {
				rows.Close()
				return 0, fmt.Errorf("%w: entry %d does not verify while counting back from the head", ErrTampered, want.Seq)
			}
			if r.hdr.time < since.UnixNano() {
				rows.Close()
				return n, nil
			}
			if r.hdr.kind == kind {
				n++
			}
			want = Link{Seq: want.Seq - 1, Hash: r.hdr.prev}
			if want.Seq == 0 {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("reading entries: %w", mapErr(err))
		}
		if read == 0 && want.Seq > 0 {
			return 0, fmt.Errorf("%w: entry %d is missing", ErrTampered, want.Seq)
		}
	}
	return n, nil
}

// LastOfSoFar is LastOf without waiting for the background full check of a
// ledger opened from a checkpoint: ok reports an entry among those verified
// so far (the checkpoint's entry and every entry after it), and complete
// whether the whole ledger has been verified, so that !ok && complete means
// there is none. Once the full check has ended it answers as LastOf.
func (l *Ledger) LastOfSoFar(ctx context.Context, kinds ...Kind) (e Entry, ok, complete bool, err error) {
	select {
	case <-l.full.done:
		e, ok, err = l.LastOf(ctx, kinds...)
		return e, ok, err == nil, err
	default:
	}
	l.mu.Lock()
	known := false
	for _, k := range kinds {
		if k.Valid() && l.tally.last[k].Seq > 0 {
			known = true
		}
	}
	l.mu.Unlock()
	if !known {
		return Entry{}, false, false, nil
	}
	// The newest of these kinds is after the checkpoint, so verified:
	// LastOf reads it without waiting for entries it does not need.
	e, ok, err = l.lastVerified(ctx, kinds...)
	return e, ok, false, err
}
