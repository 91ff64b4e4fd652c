package ledger

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Group commit. Append hands its entry to one writer goroutine over an
// unbuffered channel. The writer takes the first request, then every
// request already waiting (up to MaxBatch), and commits them in one
// IMMEDIATE transaction: read the head (verifying entries other processes
// appended since), insert each entry linked to the one before, record the
// head seq in meta, COMMIT. With WAL and synchronous=FULL the commit returns
// after the WAL is fsynced, so one fsync covers the whole batch. Only then
// does each caller get its entry; if anything fails, every caller in the
// batch gets the error and nothing of the batch is visible.

type appendReq struct {
	ctx  context.Context
	e    Entry
	sync bool // no entry: only read and verify what other processes appended
	res  chan appendRes
}

type appendRes struct {
	e   Entry
	err error
}

// writerState is the writer goroutine's view of the chain.
type writerState struct {
	seq       uint64 // head seq this process verified or appended
	hash      Hash   // its hash
	cpSize    uint64 // size of the latest checkpoint this process knows of
	cpAttempt uint64 // head seq at the last failed checkpoint write
	m         *macer
	buf       []byte
}

// Append validates e, appends it and returns it with Seq, Time, Prev and
// Hash set. It returns only after the entry is durably committed, or with an
// error; an entry it reports appended survives a crash or power cut. An
// error means the entry must be treated as not recorded (the engine denies);
// in rare cases (an fsync error at commit) it may still be on disk, never
// the reverse. Once the writer has taken e, Append waits for the commit
// even if ctx ends; before that, ctx ending abandons e.
func (l *Ledger) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	req := &appendReq{ctx: ctx, e: e, res: make(chan appendRes, 1)}
	select {
	case l.reqs <- req:
	case <-l.closing:
		return Entry{}, ErrClosed
	case <-ctx.Done():
		return Entry{}, fmt.Errorf("appending entry: %w", ctx.Err())
	}
	res := <-req.res
	return res.e, res.err
}

// run is the writer goroutine.
func (l *Ledger) run() {
	defer close(l.done)
	var tick <-chan time.Time
	if l.opts.CheckpointInterval > 0 {
		t := time.NewTicker(l.opts.CheckpointInterval)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]*appendReq, 0, l.opts.MaxBatch)
	for {
		select {
		case r := <-l.reqs:
			batch = l.collect(append(batch[:0], r))
			l.commit(batch)
			l.maybeCheckpoint(false)
		case <-tick:
			l.maybeCheckpoint(true)
		case <-l.closing:
			// Commit the senders already waiting, then stop.
			for {
				batch = l.collect(batch[:0])
				if len(batch) == 0 {
					return
				}
				l.commit(batch)
			}
		}
	}
}

// collect adds the requests already waiting to batch.
func (l *Ledger) collect(batch []*appendReq) []*appendReq {
	for len(batch) < l.opts.MaxBatch {
		select {
		case r := <-l.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit commits the live requests of batch and answers every request.
// Sync requests ride along: the batch's transaction reads the head anyway.
func (l *Ledger) commit(batch []*appendReq) {
	live := batch[:0]
	entries := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- appendRes{err: fmt.Errorf("appending entry: %w", err)}
			continue
		}
		live = append(live, r)
		if !r.sync {
			entries++
		}
	}
	if len(live) == 0 {
		return
	}
	err := l.commitBatch(live, entries)
	for _, r := range live {
		if err != nil {
			r.res <- appendRes{err: err}
		} else {
			r.res <- appendRes{e: r.e}
		}
	}
}

// commitBatch appends the entries of reqs (entries of them are not sync
// requests) in one transaction; with no entries it only syncs the head.
func (l *Ledger) commitBatch(reqs []*appendReq, entries int) (err error) {
	ctx := context.Background()
	tx, err := l.wdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn)
	if err != nil {
		return fmt.Errorf("appending: beginning transaction: %w", mapErr(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := l.syncHead(ctx, tx); err != nil {
		return err
	}
	if entries == 0 {
		return tx.Rollback()
	}
	seq, prev := l.w.seq, l.w.hash
	first := seq + 1
	for _, r := range reqs {
		if r.sync {
			continue
		}
		e := &r.e
		seq++
		e.Seq, e.Prev = seq, prev
		e.Time = time.Unix(0, l.opts.Now().UnixNano()).UTC()
		l.w.buf = AppendRecord(l.w.buf[:0], e)
		e.Hash = l.w.m.hash(l.w.buf)
		if _, err := tx.ExecContext(ctx, `INSERT INTO entries(seq, rec, hash) VALUES (?, ?, ?)`, int64(seq), l.w.buf, e.Hash[:]); err != nil {
			return fmt.Errorf("appending entry %d: %w", seq, mapErr(err))
		}
		prev = e.Hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = ?`, strconv.FormatUint(seq, 10), metaHeadSeq); err != nil {
		return fmt.Errorf("appending entries %d to %d: recording head: %w", first, seq, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing entries %d to %d: %w", first, seq, mapErr(err))
	}
	l.w.seq, l.w.hash = seq, prev
	l.mu.Lock()
	l.status.Head = Link{Seq: seq, Hash: prev}
	for _, r := range reqs {
		if !r.sync {
			l.tally.note(r.e.Seq, r.e.Kind, r.e.Step, r.e.Hash)
		}
	}
	l.mu.Unlock()
	return nil
}

// syncHead reads the head inside the batch transaction. Entries another
// process appended since are verified before this process extends them; a
// head that went back or changed is tampering, and every append fails until
// the ledger is repaired.
func (l *Ledger) syncHead(ctx context.Context, tx txQueryer) error {
	seq, h, err := storedHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("appending: %w", err)
	}
	switch {
	case seq == l.w.seq && h == l.w.hash:
		return nil
	case seq < l.w.seq:
		return fmt.Errorf("appending: %w: the head went back from entry %d to %d while open", ErrTampered, l.w.seq, seq)
	case seq == l.w.seq:
		return fmt.Errorf("appending: %w: head entry %d was replaced while open", ErrTampered, seq)
	}
	v := NewVerifier(l.key, l.w.seq+1, l.w.hash)
	l.mu.Lock()
	t := l.tally
	l.mu.Unlock()
	rows, err := tx.QueryContext(ctx, `SELECT seq, rec, hash FROM entries WHERE seq > ? ORDER BY seq`, int64(l.w.seq))
	if err != nil {
		return fmt.Errorf("appending: reading entries of other writers: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var rec, hh []byte
		if err := rows.Scan(&pos, &rec, &hh); err != nil {
			return fmt.Errorf("appending: reading entries of other writers: %w", mapErr(err))
		}
		r := v.m.prepare(uint64(pos), rec, hh)
		if v.check(r) == nil {
			t.note(r.hdr.seq, r.hdr.kind, r.step, r.hash)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("appending: reading entries of other writers: %w", mapErr(err))
	}
	if p := v.Err(); p != nil {
		return fmt.Errorf("appending: entries written by another process do not verify: %w", p)
	}
	if vs, vh := v.Head(); vs != seq || vh != h {
		return fmt.Errorf("appending: %w: entries of other writers end at %d, head is %d", ErrTampered, vs, seq)
	}
	l.w.seq, l.w.hash = seq, h
	l.mu.Lock()
	l.status.Head = Link{Seq: seq, Hash: h}
	l.tally = t
	l.mu.Unlock()
	return nil
}

// maybeCheckpoint writes a checkpoint when CheckpointEvery entries are
// unanchored, or when force is set and any are.
func (l *Ledger) maybeCheckpoint(force bool) {
	if l.w.seq <= l.w.cpSize {
		return
	}
	since := l.w.seq - max(l.w.cpSize, l.w.cpAttempt)
	if !force && (l.opts.CheckpointEvery < 0 || since < uint64(l.opts.CheckpointEvery)) {
		return
	}
	l.checkpoint()
}

// checkpoint signs and stores a checkpoint of the writer's head.
func (l *Ledger) checkpoint() error {
	c := Checkpoint{Origin: l.origin, Size: l.w.seq, Head: l.w.hash}
	err := l.cps.write(c, func(seq uint64) (Hash, error) {
		return storedHash(context.Background(), l.r.db, seq)
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.w.cpAttempt = l.w.seq
		l.status.CheckpointErr = err
		return err
	}
	l.w.cpSize = c.Size
	l.status.Checkpoint = &c
	l.status.CheckpointErr = nil
	return nil
}
