package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

func fromCheckpoint(l vectorgen.Layout) ledger.Options {
	o := l.Options()
	o.OpenFromCheckpoint = true
	return o
}

func waitFull(t *testing.T, lg *ledger.Ledger) ledger.FullCheck {
	t.Helper()
	select {
	case <-lg.FullCheckDone():
	case <-time.After(30 * time.Second):
		t.Fatal("the full verification never finished")
	}
	return lg.FullCheck()
}

// TestOpenFromCheckpointMatchesFullOpen: the same ledger opened both ways
// ends in the same head, the same code state and an intact full check.
func TestOpenFromCheckpointMatchesFullOpen(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	if err := vectorgen.AppendSample(ctx, l, 1, 45); err != nil { // checkpoints at 10, 20, 30, 40, 45
		t.Fatal(err)
	}
	full := openLedger(t, l, l.Options())
	fast := openLedger(t, l, fromCheckpoint(l))
	fc := waitFull(t, fast)
	if fc.Anchor.Seq != 45 || fc.Report == nil || fc.Problem() != nil || fc.Report.Entries != 45 {
		t.Fatalf("full check %+v", fc)
	}
	if fc0 := full.FullCheck(); fc0.Anchor.Seq != 0 || fc0.Running || fc0.Report == nil {
		t.Fatalf("a full Open's check %+v", fc0)
	}
	for _, lg := range []*ledger.Ledger{full, fast} {
		step, err := lg.MaxStep(ctx)
		if err != nil || step == 0 {
			t.Fatalf("MaxStep %d %v", step, err)
		}
		want, _ := full.MaxStep(ctx)
		if step != want {
			t.Fatalf("MaxStep %d, want %d", step, want)
		}
		e, ok, err := lg.LastOf(ctx, ledger.KindPhonePlaced, ledger.KindRequest)
		if err != nil || !ok || e.Seq != 45 {
			t.Fatalf("LastOf = %d %v %v, want 45", e.Seq, ok, err)
		}
		// A kind seen only before the checkpoint comes from the background pass.
		e, ok, err = lg.LastOf(ctx, ledger.KindCodeFailed)
		if err != nil || !ok || e.Seq != 44 {
			t.Fatalf("LastOf(code-failed) = %d %v %v, want 44", e.Seq, ok, err)
		}
	}
}

// TestOpenFromCheckpointEveryVector: for every tamper vector, an Open from
// the checkpoint either refuses, or opens and its background pass reports
// exactly the problem verify reports; the code state is then refused.
func TestOpenFromCheckpointEveryVector(t *testing.T) {
	ctx := context.Background()
	for _, c := range vectorgen.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			l, err := vectorgen.Build(ctx, t.TempDir(), c)
			if err != nil {
				t.Fatal(err)
			}
			lg, err := ledger.Open(ctx, l.DB, fromCheckpoint(l))
			if err != nil {
				if !c.OpenRefuses {
					t.Fatalf("%s: Open refused an intact ledger: %v", c.Desc, err)
				}
				return
			}
			defer lg.Close()
			fc := waitFull(t, lg)
			p := fc.Problem()
			if c.WantReason == "" {
				if p != nil {
					t.Fatalf("%s: full check found %v", c.Desc, p)
				}
				return
			}
			if !c.OpenRefuses {
				return // wrong key: only verify's key differs
			}
			var ce *ledger.ChainError
			if !errors.As(p, &ce) || ce.Reason.String() != c.WantReason || ce.Seq != c.WantSeq {
				t.Fatalf("%s: Open accepted it and the full check found %v, want %s at %d", c.Desc, p, c.WantReason, c.WantSeq)
			}
			t.Logf("opened from the checkpoint; background check: %v", p)
			if _, err := lg.MaxStep(ctx); !errors.Is(err, ledger.ErrTampered) {
				t.Fatalf("MaxStep after a failed full check: %v, want ErrTampered", err)
			}
			if _, _, err := lg.LastOf(ctx, ledger.KindCodeLocked); !errors.Is(err, ledger.ErrTampered) {
				t.Fatalf("LastOf after a failed full check: %v, want ErrTampered", err)
			}
		})
	}
}

// TestOpenFromCheckpointRefusesABadTail: an entry after the checkpoint
// that does not verify stops the Open, with the full diagnosis.
func TestOpenFromCheckpointRefusesABadTail(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	o := l.Options()
	o.CheckpointEvery = 10
	if err := vectorgen.AppendSample(ctx, l, 1, 20); err != nil {
		t.Fatal(err)
	}
	// Entries 21 to 25 appended by a writer that died before its checkpoint.
	o.CheckpointEvery, o.CheckpointInterval = -1, -1
	lg := openLedger(t, l, o)
	for i := 21; i <= 25; i++ {
		if _, err := lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	// (The test's Close would anchor them: edit first, then open anew.)
	rawExec(t, l.DB, "UPDATE entries SET hash = randomblob(32) WHERE seq = 23")
	_, err := ledger.Open(ctx, l.DB, fromCheckpoint(l))
	var ce *ledger.ChainError
	if !errors.As(err, &ce) || ce.Seq != 23 || ce.Reason != ledger.ReasonEdited {
		t.Fatalf("Open: %v, want entry 23 edited", err)
	}
}

// TestOpenFromCheckpointAppendsWhileChecking: appends go on while the
// background pass runs, and the code state waits for it.
func TestOpenFromCheckpointAppendsWhileChecking(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	if err := vectorgen.AppendSample(ctx, l, 1, 30); err != nil {
		t.Fatal(err)
	}
	lg := openLedger(t, l, fromCheckpoint(l))
	e, err := lg.Append(ctx, vectorgen.SampleEntry(31))
	if err != nil || e.Seq != 31 {
		t.Fatalf("append during the full check: %d %v", e.Seq, err)
	}
	if _, err := lg.MaxStep(ctx); err != nil {
		t.Fatal(err)
	}
	if fc := lg.FullCheck(); fc.Running || fc.Problem() != nil {
		t.Fatalf("after MaxStep returned the check is %+v", fc)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := verifyLayout(t, l); rep.Outcome() != ledger.Intact || rep.Entries != 31 {
		t.Fatalf("after: %s %d", rep.Outcome(), rep.Entries)
	}
}

// TestLastOfSoFarDoesNotWait: opened from its checkpoint, the ledger
// answers LastOfSoFar at once for an entry after the checkpoint, never
// claims there is none while the entries before the checkpoint are still
// being verified, and answers as LastOf once they are.
func TestLastOfSoFarDoesNotWait(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	if err := vectorgen.AppendSample(ctx, l, 1, 45); err != nil {
		t.Fatal(err)
	}
	lg := openLedger(t, l, fromCheckpoint(l))
	if e, ok, _, err := lg.LastOfSoFar(ctx, ledger.KindRequest); err != nil || !ok || e.Seq != 45 {
		t.Fatalf("LastOfSoFar(request) = %d %v %v, want 45", e.Seq, ok, err)
	}
	e, ok, complete, err := lg.LastOfSoFar(ctx, ledger.KindCodeFailed)
	switch {
	case err != nil:
		t.Fatal(err)
	case !ok && complete:
		t.Fatal("says there is no code-failed entry, although entry 44 is one")
	case ok && e.Seq != 44:
		t.Fatalf("LastOfSoFar(code-failed) = %d, want 44", e.Seq)
	}
	waitFull(t, lg)
	if e, ok, complete, err := lg.LastOfSoFar(ctx, ledger.KindCodeFailed); err != nil || !ok || !complete || e.Seq != 44 {
		t.Fatalf("after the full check: %d %v %v %v, want 44 complete", e.Seq, ok, complete, err)
	}
	if _, ok, complete, err := lg.LastOfSoFar(ctx, ledger.KindPolicyConfirmed); err != nil || ok || !complete {
		t.Fatalf("a kind never written: ok %v complete %v err %v", ok, complete, err)
	}
}
