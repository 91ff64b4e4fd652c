package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
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

	full *fullCheck // the whole-chain verification, at Open or in the background
}

// Status is a snapshot of what the ledger's writer knows, for the console.
type Status struct {
	Head          Link        // last entry this process verified or appended
	Checkpoint    *Checkpoint // latest checkpoint written or found, nil if none
	CheckpointErr error       // why the last checkpoint write failed; nil after a success
}

// Open opens the ledger at path for appending, creating it (and its audit
// and checkpoint keys, 0600 in their existing 0700 directory) when no
// earlier chain was kept here: no ledger file, no key file, no checkpoint
// and none of [Options.PriorFiles].
//
// Open refuses, rather than silently starting a new chain, when: the file
// is missing, empty or an SQLite database without the ledger's tables, or
// holds no entries and no checkpoint, while any of those exist
// ([ErrNoChain]; the missing file with checkpoints is [ErrCheckpoint]);
// the file is not an SQLite database at all ([ErrNotLedger], saying what it
// holds); the ledger has entries but no checkpoint exists; the ledger is
// shorter than the latest checkpoint or does not contain it, or its
// head_seq shows deleted entries ([ErrCheckpoint]); a checkpoint file does
// not verify; the audit key does not fit ([ErrWrongKey]); or an entry does
// not verify ([ErrTampered]). Open verifies every entry, as verify does
// (about a second per million entries), so it never extends a chain verify
// would reject; with [Options.OpenFromCheckpoint] it verifies the entries
// after the latest checkpoint and leaves the rest to a background pass
// ([Ledger.FullCheck]). It then writes a checkpoint of the head if that is
// not anchored yet, and starts the writer goroutine. Close the Ledger when
// done.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	unlock, err := lockOpen(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return openLedger(ctx, path, opts, nil)
}

// lockOpen serialises opening (and creating) the ledger at path between
// processes, on path.lock: two first starts at once must not each take the
// other's half-made files for the remains of an earlier chain. It is held
// until the ledger is anchored, not while it is used.
func lockOpen(path string) (unlock func(), err error) { return lockFile(path + ".lock") }

// openLedger is Open, under lockOpen; with first set it starts a new chain
// whose first entry is first, and the ledger's place must be empty.
func openLedger(ctx context.Context, path string, opts Options, first *Entry) (*Ledger, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	notes, err := ReadCheckpoints(opts.CheckpointDir)
	if err != nil {
		return nil, err
	}
	st, err := InspectFile(path)
	if err != nil {
		return nil, err
	}
	if st.Kind == FileNotRegular || st.Kind == FileNotSQLite {
		return nil, fmt.Errorf("%w: ledger %s is damaged: it holds %s", ErrNotLedger, path, st.Found)
	}
	prior, err := opts.priorChain()
	if err != nil {
		return nil, err
	}
	create := first != nil || len(prior) == 0
	switch {
	case first != nil && st.Kind != FileMissing:
		return nil, fmt.Errorf("ledger: a new chain needs %s moved aside first", path)
	case (st.Kind == FileMissing && len(notes) == 0 || st.Kind == FileEmpty) && !create:
		return nil, noChain(path, st.Found, prior)
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
	if st.Kind == FileMissing && latest != nil {
		return nil, fmt.Errorf("%w: ledger %s is missing but %s holds a checkpoint of %d entries: the ledger was deleted or moved; restore it",
			ErrCheckpoint, path, opts.CheckpointDir, latest.Size)
	}
	wdb, err := openWriteDB(ctx, path, opts.BusyTimeout, create)
	switch {
	case errors.Is(err, errNoTables):
		return nil, noChain(path, errNoTables.Error(), prior)
	case errors.Is(err, ErrNotLedger) && st.Kind == FileSQLite:
		return nil, fmt.Errorf("%w; the file holds %s", err, st.Found)
	case err != nil:
		return nil, err
	}
	l, err := open(ctx, path, opts, wdb, cps, notes, latest, openPlan{create: create, prior: prior, first: first})
	if err != nil {
		wdb.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

// openPlan is what openLedger decided before the file was opened.
type openPlan struct {
	create bool     // a new chain may start here
	prior  []string // what shows an earlier chain, if anything
	first  *Entry   // the first entry of a deliberately started chain
}

// noChain is the refusal to start a new chain silently.
func noChain(path, found string, prior []string) error {
	shown := prior
	if len(shown) > 3 {
		shown = append(shown[:3:3], fmt.Sprintf("%d more", len(prior)-3))
	}
	return fmt.Errorf("%w: ledger %s is %s, but %s show that a chain was kept here: refusing to start a new one silently",
		ErrNoChain, path, found, strings.Join(shown, ", "))
}

// priorChain lists what shows that a chain was kept here before: the key
// files, anything in the checkpoint directory but its lock and temporary
// files, and Options.PriorFiles. A path that cannot be examined counts as
// present.
func (o *Options) priorChain() ([]string, error) {
	var out []string
	for _, p := range append([]string{o.AuditKeyFile, o.CheckpointKeyFile, o.CheckpointVerifierFile}, o.PriorFiles...) {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			out = append(out, p)
		}
	}
	ents, err := os.ReadDir(o.CheckpointDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listing checkpoint directory: %w", err)
	}
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	if n > 0 {
		out = append(out, fmt.Sprintf("%s (%d files)", o.CheckpointDir, n))
	}
	return out, nil
}

func open(ctx context.Context, path string, opts Options, wdb *sql.DB, cps *checkpointStore, notes [][]byte, latest *Checkpoint, plan openPlan) (*Ledger, error) {
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
	key, err := openAuditKey(opts.AuditKeyFile, plan.create && headSeq == 0 && (latest == nil || latest.Size == 0))
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
	if err := l.checkOnOpen(ctx, notes, latest, headSeq, plan); err != nil {
		l.stopFullCheck()
		r.Close()
		return nil, err
	}
	return l, nil
}

// checkOnOpen verifies the ledger and compares it with the checkpoints, as
// verify would, builds the tally of code state from the verified entries,
// and anchors the head. With OpenFromCheckpoint and a checkpoint of any
// entries, it verifies the tail after that checkpoint and starts the full
// pass in the background; anything that tail check does not accept gets the
// full verification at once, for its exact diagnosis.
func (l *Ledger) checkOnOpen(ctx context.Context, notes [][]byte, latest *Checkpoint, headSeq uint64, plan openPlan) error {
	if latest == nil && headSeq > 0 {
		// Open anchors a new ledger before anything can be appended, so a
		// ledger with entries and no checkpoint lost its checkpoints.
		return fmt.Errorf("%w: ledger %s has %d entries but %s holds no signed checkpoint: the checkpoints were deleted or the directory is wrong; restore them (run \"ony-tui verify\" to check the ledger itself)",
			ErrCheckpoint, l.path, headSeq, l.opts.CheckpointDir)
	}
	if l.opts.OpenFromCheckpoint && latest != nil && latest.Size > 0 && plan.first == nil {
		ok, err := l.openFromCheckpoint(ctx, *latest, notes)
		if ok || err != nil {
			return err
		}
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
	if p := rep.Tail; p != nil && p.Reason == ReasonTruncated {
		return fmt.Errorf("opening ledger %s: %w: %w; run \"ony-tui verify\" for details", l.path, ErrCheckpoint, p)
	}
	if latest == nil && rep.Head.Seq == 0 && !plan.create {
		return noChain(l.path, "a ledger with no entries and no signed checkpoint", plan.prior)
	}
	l.w = writerState{seq: rep.Head.Seq, hash: rep.Head.Hash, m: newMacer(l.key)}
	l.status.Head = rep.Head
	l.tally = t
	l.full = finishedCheck(rep)
	if latest != nil {
		l.w.cpSize = latest.Size
		l.status.Checkpoint = latest
	}
	if plan.first != nil {
		req := &appendReq{ctx: ctx, e: *plan.first, res: make(chan appendRes, 1)}
		if err := l.commitBatch([]*appendReq{req}, 1); err != nil {
			return fmt.Errorf("opening ledger %s: recording the start of a new chain: %w", l.path, err)
		}
	}
	if latest == nil || l.w.seq > latest.Size {
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
		l.stopFullCheck()
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
