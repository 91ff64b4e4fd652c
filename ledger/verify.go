package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// VerifyOptions configures [Verify].
type VerifyOptions struct {
	// Key is the audit key (AuditKeySize bytes).
	Key []byte
	// From is the first entry to check; 0 and 1 mean the genesis entry. When
	// From > 1 the stored hash of entry From-1 is trusted as the start of
	// the chain.
	From uint64
	// Checkpoints are signed checkpoint notes ([ReadCheckpoints] returns
	// those of a checkpoint directory). Read them before the ledger: a
	// checkpoint written after the ledger was read would look like
	// truncation.
	Checkpoints [][]byte
	// CheckpointVerifier checks the notes' signatures; required when
	// Checkpoints is not empty.
	CheckpointVerifier note.Verifier
	// BusyTimeout bounds waiting for a lock on the file; default 5s.
	BusyTimeout time.Duration

	background bool // one reader at the lowest priority (the ledger's own full check)
}

// Link is an entry's seq and stored hash.
type Link struct {
	Seq  uint64 `json:"seq"`
	Hash Hash   `json:"hash"`
}

// Report is the outcome of [Verify]: enough for a summary line, the JSON
// output of verify, and the console's ledger view.
type Report struct {
	Origin   string      // checkpoint origin of this ledger
	From     uint64      // first seq checked
	Entries  uint64      // entries read
	Verified uint64      // entries verified before the first break
	Head     Link        // last entry read, as stored; (From-1, its hash) if none
	Break    *ChainError // first break in the chain, nil if none
	BadAfter uint64      // entries after the first break that also fail on their own
	// HeadSeq is the highest seq the ledger says it ever committed (the
	// meta table's head_seq; not covered by the chain).
	HeadSeq uint64
	// Tail is what the end of the ledger shows besides the checkpoints:
	// head_seq past the last entry (truncated), or entries with no
	// checkpoint given to compare them with (no-checkpoint); nil if
	// neither.
	Tail *ChainError

	Checkpoint CheckpointReport
}

// CheckpointReport says what the signed checkpoints showed.
type CheckpointReport struct {
	Given   int         // checkpoint notes given
	Checked int         // checkpoints that verified and were compared with the ledger
	Latest  *Checkpoint // the largest checkpoint that verified, nil if none
	Problem *ChainError // the first checkpoint problem, nil if none
}

// Outcome classifies a report.
type Outcome uint8

// Outcomes; verify exits with their numeric value.
const (
	Intact       Outcome = 0 // every entry verified and every checkpoint matched
	Tampered     Outcome = 1 // the ledger or a checkpoint was altered
	Unverifiable Outcome = 2 // could not check: wrong key, unknown signer, newer format
)

// String returns "intact", "tampered" or "unverifiable".
func (o Outcome) String() string {
	switch o {
	case Intact:
		return "intact"
	case Tampered:
		return "tampered"
	case Unverifiable:
		return "unverifiable"
	}
	return fmt.Sprintf("outcome?<%d>", uint8(o))
}

// Outcome reports whether the ledger is intact, tampered with, or could not
// be checked. Tampering anywhere wins over a could-not-check reason.
func (r *Report) Outcome() Outcome {
	out := Intact
	for _, p := range []*ChainError{r.Break, r.Checkpoint.Problem, r.Tail} {
		switch {
		case p == nil:
		case p.Reason.CouldNotCheck():
			out = max(out, Unverifiable)
		default:
			return Tampered
		}
	}
	if r.Break != nil && r.Break.Reason != ReasonWrongKey && r.BadAfter > 0 {
		return Tampered
	}
	return out
}

// Problem returns the first problem to report: the one at the lowest seq;
// on a tie the chain break, then the checkpoint's, then the tail's. It is
// nil when the ledger is intact.
func (r *Report) Problem() *ChainError {
	var first *ChainError
	for _, p := range []*ChainError{r.Break, r.Checkpoint.Problem, r.Tail} {
		if p != nil && (first == nil || p.Seq < first.Seq) {
			first = p
		}
	}
	return first
}

// Verify checks the ledger file at path end to end with one streaming pass
// (constant memory whatever the ledger's size) and compares it with the
// signed checkpoints. progress, if not nil, is called now and then with the
// entries done and the entries expected. A non-nil error means the ledger
// could not be checked at all (missing or unreadable file, bad options);
// tampering is reported in the Report, never as an error.
func Verify(ctx context.Context, path string, opts VerifyOptions, progress func(done, total uint64)) (Report, error) {
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	db, err := openReadDB(ctx, path, busy)
	if err != nil {
		return Report{}, err
	}
	defer db.Close()
	return verifyDB(ctx, db, opts, progress, nil)
}

const progressEvery = 1 << 16

// verifyDB verifies the ledger in db. observe, if not nil, sees every entry
// that extends the verified chain.
func verifyDB(ctx context.Context, db *sql.DB, opts VerifyOptions, progress func(done, total uint64), observe func(row)) (Report, error) {
	var r Report
	if len(opts.Key) != AuditKeySize {
		return r, fmt.Errorf("verifying ledger: audit key is %d bytes, want %d", len(opts.Key), AuditKeySize)
	}
	if len(opts.Checkpoints) > 0 && opts.CheckpointVerifier == nil {
		return r, errors.New("verifying ledger: checkpoints given without a checkpoint verifier key")
	}
	m, err := readMeta(ctx, db)
	if err != nil {
		return r, err
	}
	r.Origin = m.origin
	cps := r.openCheckpoints(opts, m.origin)

	r.From = max(opts.From, 1)
	startPrev, err := storedHash(ctx, db, r.From-1)
	if err != nil {
		return r, fmt.Errorf("verifying from entry %d: %w", r.From, err)
	}
	var maxSeq sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(seq) FROM entries`).Scan(&maxSeq); err != nil {
		return r, fmt.Errorf("counting entries: %w", mapErr(err))
	}
	var total uint64
	if maxSeq.Valid && uint64(maxSeq.Int64) >= r.From {
		total = uint64(maxSeq.Int64) - r.From + 1
	}

	// Hashes the checkpoints need, found while streaming.
	found := make(map[uint64]Hash, len(cps))
	want := make(map[uint64]bool, len(cps))
	for _, c := range cps {
		switch {
		case c.Size == r.From-1:
			found[c.Size] = startPrev
		case c.Size < r.From-1:
			if h, err := storedHash(ctx, db, c.Size); err == nil {
				found[c.Size] = h
			}
		default:
			want[c.Size] = true
		}
	}

	v := NewVerifier(opts.Key, r.From, startPrev)
	var to uint64
	if maxSeq.Valid && maxSeq.Int64 > 0 {
		to = uint64(maxSeq.Int64)
	}
	err = forEachRow(ctx, db, opts.Key, r.From, to, opts.background, func(row row) {
		if v.check(row) == nil && observe != nil {
			observe(row)
		}
		at := v.lastStored()
		if want[at.seq] {
			if _, dup := found[at.seq]; !dup {
				found[at.seq] = at.hash
			}
		}
		if progress != nil && v.Seen()%progressEvery == 0 {
			progress(v.Seen(), total)
		}
	})
	if err != nil {
		return r, err
	}
	if progress != nil {
		progress(v.Seen(), total)
	}
	r.Entries = v.Seen()
	r.Verified = v.Verified()
	r.Break = v.Err()
	r.BadAfter = v.BadAfter()
	last := v.lastStored()
	r.Head = Link{Seq: last.seq, Hash: last.hash}
	r.HeadSeq = m.headSeq
	r.compareCheckpoints(cps, found, m.headSeq)
	r.checkTail(len(opts.Checkpoints) > 0)
	return r, nil
}

// checkTail compares the last entry with head_seq, the highest seq the
// ledger ever committed: a smaller last entry means the newest entries were
// deleted, which a chain alone cannot show. A truncation the checkpoints
// already report is not repeated. Without any checkpoint to compare with,
// a ledger that holds or held entries cannot be shown complete.
func (r *Report) checkTail(checkpointsGiven bool) {
	if p := r.Checkpoint.Problem; p != nil && (p.Reason == ReasonTruncated || p.Reason == ReasonRolledBack) {
		return
	}
	switch {
	case r.HeadSeq > r.Head.Seq:
		r.Tail = &ChainError{Seq: r.Head.Seq + 1, Reason: ReasonTruncated, WantSeq: r.HeadSeq, GotSeq: r.Head.Seq, byHeadSeq: true}
	case !checkpointsGiven && r.Head.Seq > 0:
		r.Tail = &ChainError{Seq: r.Head.Seq, Reason: ReasonNoCheckpoint, GotSeq: r.Head.Seq}
	}
}

// GoneReport is the report for a ledger whose file is missing, empty or
// not a readable ledger (st says which) while its checkpoints or audit key
// exist: the history was deleted or destroyed, which verify reports as
// tampering. It checks the given checkpoints' signatures (their origin
// cannot be compared) and names the latest that verifies.
func GoneReport(opts VerifyOptions, st FileState) Report {
	var r Report
	r.From = 1
	cps := r.openCheckpoints(opts, "")
	p := &ChainError{Seq: 1, Reason: ReasonLedgerDamaged, found: st.Found}
	switch st.Kind {
	case FileMissing:
		p.Reason, p.found = ReasonLedgerMissing, ""
	case FileEmpty:
		p.Reason = ReasonLedgerMissing
	}
	if n := len(cps); n > 0 {
		p.anchored, p.WantSeq, p.Want = true, cps[n-1].Size, cps[n-1].Head
	}
	r.Tail = p
	return r
}

// openCheckpoints verifies the given notes and returns those that verified
// and name this ledger (any ledger when origin is empty), in increasing
// size; the first problem goes to r.Checkpoint.Problem.
func (r *Report) openCheckpoints(opts VerifyOptions, origin string) []Checkpoint {
	r.Checkpoint.Given = len(opts.Checkpoints)
	var cps []Checkpoint
	for _, msg := range opts.Checkpoints {
		c, err := OpenCheckpoint(msg, opts.CheckpointVerifier)
		var p *ChainError
		switch {
		case errors.Is(err, ErrCheckpointUnknownKey):
			p = &ChainError{Seq: claimedSize(msg), Reason: ReasonUnknownCheckpointKey}
		case err != nil:
			p = &ChainError{Seq: claimedSize(msg), Reason: ReasonBadCheckpointSignature}
		case origin != "" && c.Origin != origin:
			p = &ChainError{Seq: c.Size, Reason: ReasonOtherLedger}
		default:
			cps = append(cps, c)
		}
		r.noteCheckpointProblem(p)
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Size < cps[j].Size })
	if n := len(cps); n > 0 {
		latest := cps[n-1]
		r.Checkpoint.Latest = &latest
	}
	return cps
}

// noteCheckpointProblem keeps the worst-first problem: tampering before
// could-not-check, then the lower seq.
func (r *Report) noteCheckpointProblem(p *ChainError) {
	if p == nil {
		return
	}
	cur := r.Checkpoint.Problem
	if cur == nil ||
		(cur.Reason.CouldNotCheck() && !p.Reason.CouldNotCheck()) ||
		(cur.Reason.CouldNotCheck() == p.Reason.CouldNotCheck() && p.Seq < cur.Seq) {
		r.Checkpoint.Problem = p
	}
}

// compareCheckpoints checks that the ledger contains every checkpoint it is
// long enough for, and is not shorter than the latest.
func (r *Report) compareCheckpoints(cps []Checkpoint, found map[uint64]Hash, highWater uint64) {
	if len(cps) == 0 {
		return
	}
	head := r.Head
	latest := cps[len(cps)-1]
	if head.Seq < latest.Size {
		reason := ReasonRolledBack
		if highWater > head.Seq {
			reason = ReasonTruncated
		}
		r.noteCheckpointProblem(&ChainError{Seq: head.Seq + 1, Reason: reason,
			WantSeq: latest.Size, GotSeq: head.Seq, Want: latest.Head, Got: head.Hash})
	}
	for _, c := range cps {
		if c.Size > head.Seq {
			continue
		}
		r.Checkpoint.Checked++
		h, ok := found[c.Size]
		if !ok {
			continue // the entry is missing: the chain break reports it
		}
		if h != c.Head {
			r.noteCheckpointProblem(&ChainError{Seq: c.Size, Reason: ReasonForked, Want: c.Head, Got: h})
		}
	}
}
