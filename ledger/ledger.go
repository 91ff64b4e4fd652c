package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Ledger is an open, writable ledger. Use [Open] to get one; use
// [OpenReader] or [Verify] to read a ledger without writing to it. All
// methods are safe for concurrent use.
type Ledger struct {
	path   string
	opts   Options
	key    []byte
	origin string
	cps    *checkpointStore
	wdb    *sql.DB // one connection, used by the writer goroutine only
	r      *Reader

	reqs      chan *appendReq
	closing   chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	w writerState // owned by the writer goroutine (and Open/Close around it)

	mu     sync.Mutex
	status Status
	tally  tally // code state of every verified entry
}

// Status is a snapshot of what the ledger's writer knows, for the console.
type Status struct {
	Head          Link        // last entry this process verified or appended
	Checkpoint    *Checkpoint // latest checkpoint written or found, nil if none
	CheckpointErr error       // why the last checkpoint write failed; nil after a success
}

// Open opens the ledger at path for appending, creating it (and its audit
// and checkpoint keys, 0600 in their existing 0700 directory) when neither
// the file nor any checkpoint exists.
//
// Open refuses, rather than silently starting a new chain, when: the file is
// missing or empty but signed checkpoints exist; the ledger has entries but
// no checkpoint exists; the ledger is shorter than the latest checkpoint or
// does not contain it ([ErrCheckpoint]); a checkpoint file does not verify;
// the audit key does not fit ([ErrWrongKey]); or any entry does not verify
// ([ErrTampered]). Open verifies every entry, as verify does (about a
// second per million entries), so it never extends a chain verify would
// reject. It then writes a checkpoint of the head if that is not anchored
// yet, and starts the writer goroutine. Close the Ledger when done.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	notes, err := ReadCheckpoints(opts.CheckpointDir)
	if err != nil {
		return nil, err
	}
	signer, verifier, err := openCheckpointKeys(opts.CheckpointKeyFile, opts.CheckpointVerifierFile, opts.CheckpointKeyName, len(notes) == 0)
	if err != nil {
		return nil, err
	}
	cps := &checkpointStore{dir: opts.CheckpointDir, keep: opts.CheckpointHistory, signer: signer, verifier: verifier}
	anchors, err := cps.load()
	if err != nil {
		return nil, err
	}
	var latest *Checkpoint
	if n := len(anchors); n > 0 {
		latest = &anchors[n-1]
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && latest != nil {
		return nil, fmt.Errorf("%w: ledger %s is missing but %s holds a checkpoint of %d entries: restore the ledger file; to start a new chain deliberately, move the checkpoints aside",
			ErrCheckpoint, path, opts.CheckpointDir, latest.Size)
	}
	wdb, err := openWriteDB(ctx, path, opts.BusyTimeout)
	if err != nil {
		return nil, err
	}
	l, err := open(ctx, path, opts, wdb, cps, notes, latest)
	if err != nil {
		wdb.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

func open(ctx context.Context, path string, opts Options, wdb *sql.DB, cps *checkpointStore, notes [][]byte, latest *Checkpoint) (*Ledger, error) {
	headSeq, _, err := storedHead(ctx, wdb)
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", path, err)
	}
	if latest == nil && headSeq > 0 {
		// Another process may have created the ledger, anchored it and
		// appended since the checkpoints were read: read them again.
		if notes, err = ReadCheckpoints(opts.CheckpointDir); err != nil {
			return nil, err
		}
		anchors, err := cps.load()
		if err != nil {
			return nil, err
		}
		if n := len(anchors); n > 0 {
			latest = &anchors[n-1]
		}
	}
	key, err := openAuditKey(opts.AuditKeyFile, headSeq == 0 && (latest == nil || latest.Size == 0))
	if err != nil {
		return nil, err
	}
	r, err := OpenReader(ctx, path)
	if err != nil {
		return nil, err
	}
	l := &Ledger{
		path: path, opts: opts, key: key, origin: r.Origin(), cps: cps, wdb: wdb, r: r,
		reqs: make(chan *appendReq), closing: make(chan struct{}), done: make(chan struct{}),
	}
	if err := l.checkOnOpen(ctx, notes, latest, headSeq); err != nil {
		r.Close()
		return nil, err
	}
	return l, nil
}

// checkOnOpen verifies the whole ledger and compares it with the
// checkpoints, as verify would, builds the tally of code state from the
// verified entries, and anchors the head.
func (l *Ledger) checkOnOpen(ctx context.Context, notes [][]byte, latest *Checkpoint, headSeq uint64) error {
	if latest == nil && headSeq > 0 {
		// Open anchors a new ledger before anything can be appended, so a
		// ledger with entries and no checkpoint lost its checkpoints.
		return fmt.Errorf("%w: ledger %s has %d entries but %s holds no signed checkpoint: the checkpoints were deleted or the directory is wrong; restore them (run \"ony-tui verify\" to check the ledger itself)",
			ErrCheckpoint, l.path, headSeq, l.opts.CheckpointDir)
	}
	var t tally
	rep, err := verifyDB(ctx, l.r.db, VerifyOptions{Key: l.key, Checkpoints: notes, CheckpointVerifier: l.cps.verifier}, nil,
		func(r row) { t.note(r.hdr.seq, r.hdr.kind, r.step, r.hash) })
	if err != nil {
		return fmt.Errorf("opening ledger %s: %w", l.path, err)
	}
	if p := rep.Checkpoint.Problem; p != nil {
		return fmt.Errorf("opening ledger %s: %w: %w; run \"ony-tui verify\" for details; to start a new chain deliberately, move the ledger and %s aside",
			l.path, ErrCheckpoint, p, l.opts.CheckpointDir)
	}
	if p := rep.Break; p != nil {
		return fmt.Errorf("opening ledger %s: refusing to extend it: %w; run \"ony-tui verify\" for details", l.path, p)
	}
	l.w = writerState{seq: rep.Head.Seq, hash: rep.Head.Hash, m: newMacer(l.key)}
	l.status.Head = rep.Head
	l.tally = t
	if latest != nil {
		l.w.cpSize = latest.Size
		l.status.Checkpoint = latest
	}
	if latest == nil || rep.Head.Seq > latest.Size {
		if err := l.checkpoint(); err != nil {
			return fmt.Errorf("opening ledger %s: anchoring the head: %w", l.path, err)
		}
	}
	return nil
}

// Head returns the seq and stored hash of the last entry in the file, which
// other processes may have appended.
func (l *Ledger) Head(ctx context.Context) (seq uint64, h Hash, err error) { return l.r.Head(ctx) }

// Tail returns the newest n entries in ascending order (see [Reader.Tail]).
func (l *Ledger) Tail(ctx context.Context, n int) ([]Entry, error) { return l.r.Tail(ctx, n) }

// Since returns up to limit entries after afterSeq (see [Reader.Since]).
func (l *Ledger) Since(ctx context.Context, afterSeq uint64, limit int) ([]Entry, error) {
	return l.r.Since(ctx, afterSeq, limit)
}

// Origin returns the ledger's checkpoint origin.
func (l *Ledger) Origin() string { return l.origin }

// Status returns what the writer knows: its head and the latest checkpoint.
func (l *Ledger) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// Close stops accepting appends, commits those already handed to the
// writer, writes a final checkpoint and closes the file. It returns the
// first error of these steps; calling it again returns the same.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		close(l.closing)
		<-l.done
		var errs []error
		if l.w.seq > l.w.cpSize {
			if err := l.checkpoint(); err != nil {
				errs = append(errs, fmt.Errorf("closing ledger: writing final checkpoint: %w", err))
			}
		}
		errs = append(errs, l.r.Close(), l.wdb.Close())
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}
