package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/internal/humanize"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/live"
)

// catchUpBatch is how many new entries one poll reads at a time.
const catchUpBatch = 4096

// Chain connects the console's ledger panel to the audit
// ledger. New entries are checked as they arrive by the ledger's own
// incremental Verifier (the same code `ony-tui verify` runs), starting
// where the ledger's Open left off: after the signed checkpoint it opened
// from, whose earlier entries the ledger verifies in the background (the
// panel shows that pass's progress and outcome). The visible tail is
// re-checked on every poll so an entry edited underneath shows at once, and
// a full re-verification streams the whole file. It implements the
// console's tui.Chain.
type Chain struct {
	l    *ledger.Ledger
	path string
	key  []byte
	opts func() (ledger.VerifyOptions, error) // fresh checkpoints for a full verify

	mu     sync.Mutex
	v      *ledger.Verifier
	anchor ledger.Link // where v starts: the checkpoint the ledger opened from
	seen   uint64      // last seq given to v
	full   *ledger.Report
}

// NewChain returns a Chain. key is the audit key; opts returns the options of a
// full verification (key and current checkpoints).
func NewChain(l *ledger.Ledger, path string, key []byte, opts func() (ledger.VerifyOptions, error)) *Chain {
	a := l.FullCheck().Anchor
	return &Chain{l: l, path: path, key: key, opts: opts, anchor: a, seen: a.Seq, v: ledger.NewVerifier(key, a.Seq+1, a.Hash)}
}

// Latest implements the console's tui.Chain.
func (c *Chain) Latest(ctx context.Context, n int) ([]live.Entry, live.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		es, err := c.l.Since(ctx, c.seen, catchUpBatch)
		if err != nil {
			return nil, live.Status{}, fmt.Errorf("reading the ledger: %w", err)
		}
		for _, e := range es {
			_ = c.v.Check(e) // the verifier keeps the first break and counts the rest
			c.seen = e.Seq
		}
		if len(es) < catchUpBatch {
			break
		}
	}
	tail, err := c.l.Tail(ctx, n)
	if err != nil {
		return nil, live.Status{}, fmt.Errorf("reading the ledger: %w", err)
	}
	st := c.status()
	// Re-check the visible window on its own: an entry edited after it was
	// verified shows here on the next poll.
	var win *ledger.ChainError
	if len(tail) > 0 {
		wv := ledger.NewVerifier(c.key, tail[0].Seq, tail[0].Prev)
		for _, e := range tail {
			if err := wv.Check(e); err != nil {
				var ce *ledger.ChainError
				if errors.As(err, &ce) && win == nil {
					win = ce
				}
			}
		}
	}
	if win != nil && (st.BreakSeq == 0 || win.Seq < st.BreakSeq) {
		st.BreakSeq, st.BreakReason = win.Seq, win.Explain()
		st.Verified = min(st.Verified, win.Seq-1)
	}
	out := make([]live.Entry, 0, len(tail))
	for _, e := range tail {
		ce := live.Entry{Seq: e.Seq, Kind: e.Kind.String(), Action: e.Action, Decision: e.Decision,
			By: string(stats.DeciderOf(&e)), Prev: e.Prev.String(), Hash: e.Hash.String(), Note: rememberedNote(&e)}
		switch {
		case st.BreakSeq != 0 && e.Seq >= st.BreakSeq:
			ce.Broken = true
		case e.Seq > c.anchor.Seq:
			ce.Verified = e.Seq <= c.anchor.Seq+c.v.Verified()
		default: // at or before the checkpoint: verified by the full check
			ce.Verified = e.Seq == c.anchor.Seq || e.Seq <= c.checked()
		}
		out = append(out, ce)
	}
	if st.BreakSeq != 0 && st.Entries > st.BreakSeq {
		st.AfterBreak = st.Entries - st.BreakSeq // every later entry no longer verifies
	}
	return out, st, nil
}

// checked is how far the ledger's full check has verified the entries up to
// the anchor.
func (c *Chain) checked() uint64 {
	fc := c.l.FullCheck()
	switch {
	case fc.Running:
		return min(fc.Verified, c.anchor.Seq)
	case fc.Report != nil && fc.Report.Break != nil:
		return min(fc.Report.Verified, c.anchor.Seq)
	case fc.Problem() != nil:
		return 0
	}
	return c.anchor.Seq
}

// status summarises the incremental verifier, the ledger's full check and
// the writer's checkpoint.
func (c *Chain) status() live.Status {
	seq, head := c.v.Head()
	st := live.Status{Entries: c.seen, Verified: c.checked() + c.v.Verified(), Head: head.String(), Anchor: c.anchor.Seq}
	if seq == 0 {
		st.Head = ""
	}
	if e := c.v.Err(); e != nil {
		st.BreakSeq, st.BreakReason = e.Seq, e.Explain()
	}
	fc := c.l.FullCheck()
	st.Checking, st.CheckDone, st.CheckTotal = fc.Running, fc.Done, fc.Total
	if p := fc.Problem(); p != nil {
		var ce *ledger.ChainError
		if !errors.As(p, &ce) {
			st.CheckFailed = "the full verification could not run: " + p.Error()
		} else if st.BreakSeq == 0 || ce.Seq < st.BreakSeq {
			st.BreakSeq, st.BreakReason = ce.Seq, ce.Explain()
			st.BreakMeaning = FullCheckMeaning(fc)
		}
	}
	if c.full != nil && c.full.Break != nil && (st.BreakSeq == 0 || c.full.Break.Seq < st.BreakSeq) {
		st.BreakSeq, st.BreakReason, st.BreakMeaning = c.full.Break.Seq, c.full.Break.Explain(), ""
		st.Verified = min(st.Verified, c.full.Verified)
	}
	ws := c.l.Status()
	switch {
	case ws.CheckpointErr != nil:
		st.Checkpoint = "checkpoint write failed: " + ws.CheckpointErr.Error()
	case ws.Checkpoint != nil && ws.Checkpoint.Size > 0:
		st.Checkpoint = "signed up to entry " + humanize.Count(ws.Checkpoint.Size)
	}
	return st
}

// Reverify implements the console's tui.Chain: it streams the whole file through the
// verifier and compares it with the signed checkpoints.
func (c *Chain) Reverify(ctx context.Context, progress func(done, total uint64)) (live.Status, error) {
	opts, err := c.opts()
	if err != nil {
		return live.Status{}, err
	}
	r, err := ledger.Verify(ctx, c.path, opts, progress)
	if err != nil {
		return live.Status{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.full = &r
	st := live.Status{Entries: r.Entries, Verified: r.Verified, Head: r.Head.Hash.String()}
	if p := r.Problem(); p != nil {
		st.BreakSeq, st.BreakReason, st.AfterBreak = p.Seq, p.Explain(), r.BadAfter
	}
	if cp := r.Checkpoint; cp.Latest != nil && (cp.Latest.Size > 0 || cp.Problem != nil) {
		st.Checkpoint = "signed up to entry " + humanize.Count(cp.Latest.Size) + ", signature ok"
		if cp.Problem != nil {
			st.Checkpoint = "checkpoint problem: " + cp.Problem.Explain()
		}
	}
	return st, nil
}

// rememberedNote is what the ledger pane shows of an entry a standing
// answer decided: its detail up to the answer's id ("auto: remembered
// 14:02, session s-12").
func rememberedNote(e *ledger.Entry) string {
	if !strings.HasPrefix(e.Detail, "auto: remembered ") || stats.DeciderOf(e) != stats.ByRemembered {
		return ""
	}
	note, _, _ := strings.Cut(e.Detail, " (")
	return note
}
