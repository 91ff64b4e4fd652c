package ledger

import (
	"context"
	"fmt"
	"sync"
)

// Opening from a checkpoint. A signed checkpoint anchors the size and head
// of the chain, so Open can trust entry Size's hash once it has checked the
// checkpoint's signature and found that entry stored, authentic and equal to
// the signed head; verifying the entries after it is then enough to extend
// the chain safely. Everything before the checkpoint is verified by a
// background pass over the whole file (the same streaming pass as verify),
// which also compares every checkpoint of the history and builds the part
// of the code state (the tally) that lies before the checkpoint. Until it
// has finished, the code-state queries wait for it; if it finds a problem,
// they fail, so no code is accepted against a history that does not verify.

// FullCheck is the state of the whole-chain verification of an open
// ledger: finished at Open, or running in the background after an Open
// from a checkpoint.
type FullCheck struct {
	// Anchor is the checkpoint Open trusted without verifying the entries
	// before it; zero when Open verified every entry itself.
	Anchor Link
	// Running is set while the background pass runs; Done and Total are
	// its progress in entries, Verified how many of them extend the
	// verified chain from the first entry.
	Running               bool
	Done, Total, Verified uint64
	// Report is the outcome once finished; nil while running, or when the
	// pass could not run (Err).
	Report *Report
	Err    error
}

// Finished reports whether the check has an outcome.
func (f FullCheck) Finished() bool { return !f.Running }

// Problem returns what the finished check found wrong, nil if nothing (or
// while it runs): the report's first problem, or why it could not run.
func (f FullCheck) Problem() error {
	switch {
	case f.Running:
		return nil
	case f.Err != nil:
		return f.Err
	case f.Report != nil:
		if p := f.Report.Problem(); p != nil {
			return p
		}
	}
	return nil
}

// fullCheck is the Ledger's side of FullCheck.
type fullCheck struct {
	mu    sync.Mutex
	state FullCheck
	done  chan struct{} // closed when finished
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// finishedCheck is the full check Open did itself.
func finishedCheck(rep Report) *fullCheck {
	f := &fullCheck{done: make(chan struct{})}
	f.state.Report = &rep
	close(f.done)
	return f
}

// FullCheck returns the state of the whole-chain verification.
func (l *Ledger) FullCheck() FullCheck {
	f := l.full
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// FullCheckDone returns a channel closed once the whole-chain verification
// has an outcome (at once when Open verified every entry).
func (l *Ledger) FullCheckDone() <-chan struct{} { return l.full.done }

// waitFullCheck waits for the whole-chain verification and fails if it
// found anything: the code state is built from every verified entry, so it
// cannot be answered before, nor after a problem.
func (l *Ledger) waitFullCheck(ctx context.Context) error {
	select {
	case <-l.full.done:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the ledger's full verification: %w", ctx.Err())
	}
	if err := l.FullCheck().Problem(); err != nil {
		return fmt.Errorf("%w: the full verification of the ledger found a problem, so the code state cannot be trusted: %w", ErrTampered, err)
	}
	return nil
}

// openFromCheckpoint verifies the checkpoint's entry and the entries after
// it. It returns false, with nothing changed, when anything does not check
// out (the caller then verifies the whole ledger for the exact diagnosis);
// otherwise it sets up the writer, anchors the head and starts the
// background pass.
func (l *Ledger) openFromCheckpoint(ctx context.Context, cp Checkpoint, notes [][]byte) (bool, error) {
	m, err := readMeta(ctx, l.r.db)
	if err != nil {
		return false, nil
	}
	head, headHash, err := storedHead(ctx, l.r.db)
	if err != nil || cp.Origin != l.origin || head < cp.Size || m.headSeq > head {
		return false, nil
	}
	var rec, h []byte
	if err := l.r.db.QueryRowContext(ctx, `SELECT rec, hash FROM entries WHERE seq = ?`, int64(cp.Size)).Scan(&rec, &h); err != nil {
		return false, nil
	}
	at := newMacer(l.key).prepare(cp.Size, rec, h)
	if !at.macOK || !at.hdrOK || at.hdr.seq != cp.Size || !at.hdr.kind.Valid() || at.hash != cp.Head {
		return false, nil
	}
	var t tally
	t.note(at.hdr.seq, at.hdr.kind, at.step, at.hash)
	v := NewVerifier(l.key, cp.Size+1, cp.Head)
	err = forEachRow(ctx, l.r.db, l.key, cp.Size+1, head, false, func(r row) {
		if v.check(r) == nil {
			t.note(r.hdr.seq, r.hdr.kind, r.step, r.hash)
		}
	})
	if err != nil {
		return false, fmt.Errorf("opening ledger %s: %w", l.path, err)
	}
	if vs, vh := v.Head(); v.Err() != nil || vs != head || vh != headHash {
		return false, nil
	}
	l.w = writerState{seq: head, hash: headHash, m: newMacer(l.key), cpSize: cp.Size}
	l.status.Head = Link{Seq: head, Hash: headHash}
	l.status.Checkpoint = &cp
	l.tally = t
	l.startFullCheck(Link{Seq: cp.Size, Hash: cp.Head}, notes)
	if head > cp.Size {
		if err := l.checkpoint(); err != nil {
			return false, fmt.Errorf("opening ledger %s: anchoring the head: %w", l.path, err)
		}
	}
	return true, nil
}

// startFullCheck verifies the whole file in the background, as verify
// does, and then merges the code state of the entries up to the anchor
// into the tally.
func (l *Ledger) startFullCheck(anchor Link, notes [][]byte) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fullCheck{done: make(chan struct{}), stop: cancel}
	f.state = FullCheck{Anchor: anchor, Running: true}
	l.full = f
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(f.done)
		lowerPriority()
		var prefix tally
		var verified uint64
		opts := VerifyOptions{Key: l.key, Checkpoints: notes, CheckpointVerifier: l.cps.verifier, background: true}
		rep, err := verifyDB(ctx, l.r.db, opts,
			func(done, total uint64) {
				f.mu.Lock()
				f.state.Done, f.state.Total, f.state.Verified = done, total, verified
				f.mu.Unlock()
			},
			func(r row) {
				verified++
				if r.hdr.seq <= anchor.Seq {
					prefix.note(r.hdr.seq, r.hdr.kind, r.step, r.hash)
				}
			})
		if err == nil && rep.Problem() == nil {
			l.mu.Lock()
			l.tally.maxStep = max(l.tally.maxStep, prefix.maxStep)
			for k, at := range prefix.last {
				if l.tally.last[k].Seq == 0 {
					l.tally.last[k] = at
				}
			}
			l.mu.Unlock()
		}
		f.mu.Lock()
		f.state.Running, f.state.Verified = false, verified
		if err != nil {
			f.state.Err = fmt.Errorf("verifying the whole ledger: %w", err)
		} else {
			f.state.Report = &rep
		}
		f.mu.Unlock()
	}()
}

// stopFullCheck cancels a background pass and waits for it to end.
func (l *Ledger) stopFullCheck() {
	if f := l.full; f != nil && f.stop != nil {
		f.stop()
		f.wg.Wait()
	}
}
