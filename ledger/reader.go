package ledger

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Streaming a ledger (docs/LEDGER-FORMAT.md §7). Reading a row from SQLite
// costs more than hashing it, and a row's hash can be checked on its own:
// only the links between rows need order. So the rows are cut into chunks
// of at most chunkRows: a finder seeks the seq index for where each chunk
// starts, readers (one per core, at most maxReaders, each with its own
// connection) take chunks in turn, read each row and check its hash, and
// hand over batches of prepared rows; the caller consumes the chunks in
// order and checks the links. Each reader may run batchesAhead batches
// ahead, enough for two chunks, and batches are recycled, so memory stays
// flat whatever the ledger's size. Chunks start at existing rows, so there
// are never more chunks than rows, however sparse a tampered ledger's seqs.
const (
	chunkRows    = 8192
	batchRows    = 1024
	batchesAhead = 2 * chunkRows / batchRows
	maxReaders   = 4
)

// rowBatch carries prepared rows from a reader to the consumer.
type rowBatch struct {
	rows []row
	last bool // the last batch of its chunk
	done bool // the reader has no more chunks
	err  error
}

// chunk is a range of rows: seq in [lo, hi].
type chunk struct{ lo, hi uint64 }

// forEachRow calls fn, in seq order, with every row whose seq is in
// [from, to], its hash already checked under key. With background set it
// uses one reader, at the lowest CPU priority (see lowerPriority), so that
// the process's foreground work goes first.
func forEachRow(ctx context.Context, db *sql.DB, key []byte, from, to uint64, background bool, fn func(row)) error {
	if to < from {
		return nil
	}
	// The finder's connection is taken first, so that readers holding
	// theirs can never starve it.
	fconn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("reading entries: %w", mapErr(err))
	}
	defer fconn.Close()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait() // no goroutine outlives the call, nor uses fconn after it
	}()
	readers := max(min(runtime.GOMAXPROCS(0), maxReaders), 1)
	if background {
		readers = 1
	}
	tasks := make([]chan chunk, readers)
	outs := make([]chan *rowBatch, readers)
	frees := make([]chan *rowBatch, readers)
	for w := range outs {
		tasks[w] = make(chan chunk, 2)
		outs[w] = make(chan *rowBatch, batchesAhead)
		frees[w] = make(chan *rowBatch, batchesAhead+2)
		for i := 0; i < batchesAhead+1; i++ {
			frees[w] <- &rowBatch{rows: make([]row, 0, batchRows)}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if background {
				lowerPriority()
			}
			readChunks(ctx, db, key, tasks[w], outs[w], frees[w])
		}()
	}
	finderErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		finderErr <- findChunks(ctx, fconn, from, to, tasks)
	}()
	for c := 0; ; c++ {
		w := c % readers
		for {
			var b *rowBatch
			select {
			case b = <-outs[w]:
			case <-ctx.Done():
				return ctx.Err()
			}
			if b.err != nil {
				return b.err
			}
			if b.done {
				return <-finderErr
			}
			for i := range b.rows {
				fn(b.rows[i])
			}
			last := b.last
			b.rows, b.last = b.rows[:0], false
			frees[w] <- b
			if last {
				break
			}
		}
	}
}

// findChunks hands chunk c to reader c mod len(tasks), then closes every
// task channel. Each chunk starts at an existing row (one index seek) and
// spans at most chunkRows seqs.
func findChunks(ctx context.Context, db *sql.Conn, from, to uint64, tasks []chan chunk) error {
	defer func() {
		for _, t := range tasks {
			close(t)
		}
	}()
	for c, lo := 0, from; ; c++ {
		var first sql.NullInt64
		if err := db.QueryRowContext(ctx, `SELECT min(seq) FROM entries WHERE seq >= ? AND seq <= ?`, int64(lo), int64(to)).Scan(&first); err != nil {
			return fmt.Errorf("reading entries: %w", mapErr(err))
		}
		if !first.Valid {
			return nil
		}
		lo = uint64(first.Int64)
		hi := to
		if to-lo >= chunkRows {
			hi = lo + chunkRows - 1
		}
		select {
		case tasks[c%len(tasks)] <- chunk{lo: lo, hi: hi}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if hi == to {
			return nil
		}
		lo = hi + 1
	}
}

// readChunks reads the chunks it is given and sends their rows to out,
// then a done batch. It stops at the first error (sent as a batch) or when
// ctx ends.
func readChunks(ctx context.Context, db *sql.DB, key []byte, tasks <-chan chunk, out chan<- *rowBatch, free chan *rowBatch) {
	send := func(b *rowBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	take := func() *rowBatch {
		select {
		case b := <-free:
			return b
		case <-ctx.Done():
			return nil
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		send(&rowBatch{err: fmt.Errorf("reading entries: %w", mapErr(err))})
		return
	}
	defer conn.Close()
	m := newMacer(key)
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("reading entries: sqlite driver cannot query")
		}
		dest := make([]driver.Value, 3)
		for ch := range tasks {
			rows, err := qc.QueryContext(ctx, `SELECT seq, rec, hash FROM entries WHERE seq >= ? AND seq <= ? ORDER BY seq`,
				[]driver.NamedValue{{Ordinal: 1, Value: int64(ch.lo)}, {Ordinal: 2, Value: int64(ch.hi)}})
			if err != nil {
				return fmt.Errorf("reading entries: %w", mapErr(err))
			}
			b := take()
			if b == nil {
				rows.Close()
				return ctx.Err()
			}
			for {
				err := rows.Next(dest)
				if err == io.EOF {
					break
				}
				if err != nil {
					rows.Close()
					return fmt.Errorf("reading entries: %w", mapErr(err))
				}
				pos, _ := dest[0].(int64)
				b.rows = append(b.rows, m.prepare(uint64(pos), asBytes(dest[1]), asBytes(dest[2])))
				if len(b.rows) == cap(b.rows) {
					if !send(b) {
						rows.Close()
						return ctx.Err()
					}
					if b = take(); b == nil {
						rows.Close()
						return ctx.Err()
					}
				}
			}
			rows.Close()
			b.last = true
			if !send(b) {
				return ctx.Err()
			}
		}
		return nil
	})
	if err != nil {
		send(&rowBatch{err: err})
		return
	}
	send(&rowBatch{done: true})
}

// prepare parses a stored row's header and checks its hash.
func (m *macer) prepare(pos uint64, rec, hash []byte) row {
	r := row{pos: pos}
	copy(r.hash[:], hash)
	r.hdr, r.hdrOK = parseHeader(rec)
	if r.hdrOK && len(hash) == HashSize {
		got := m.hash(rec)
		r.macOK = subtle.ConstantTimeCompare(got[:], hash) == 1
	}
	if r.macOK {
		r.step = recordStep(rec)
	}
	return r
}

// asBytes returns a column value as bytes. The driver hands out a fresh
// slice per BLOB; a TEXT value (only in a tampered schema) is converted.
func asBytes(v driver.Value) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}
