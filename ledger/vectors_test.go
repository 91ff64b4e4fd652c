package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// verifyLayout verifies a vector's ledger the way verify does by default:
// the audit key, the verifier key and every checkpoint of the directory.
func verifyLayout(t *testing.T, l vectorgen.Layout) ledger.Report {
	t.Helper()
	key, err := ledger.LoadAuditKey(l.VerifyKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ledger.LoadCheckpointVerifier(l.KeysDir + "/" + ledger.CheckpointVerifierName)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := ledger.ReadCheckpoints(l.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(context.Background(), l.DB, ledger.VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: v}, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestTamperVectors(t *testing.T) {
	ctx := context.Background()
	for _, c := range vectorgen.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			l, err := vectorgen.Build(ctx, t.TempDir(), c)
			if err != nil {
				t.Fatal(err)
			}
			rep := verifyLayout(t, l)
			p := rep.Problem()
			switch {
			case c.WantReason == "" && p != nil:
				t.Fatalf("%s: got problem %v, want an intact ledger", c.Desc, p)
			case c.WantReason != "" && p == nil:
				t.Fatalf("%s: verified %d entries with no problem, want %s at entry %d", c.Desc, rep.Entries, c.WantReason, c.WantSeq)
			case p != nil && (p.Seq != c.WantSeq || p.Reason.String() != c.WantReason):
				t.Fatalf("%s: got %s at entry %d (%v), want %s at entry %d", c.Desc, p.Reason, p.Seq, p, c.WantReason, c.WantSeq)
			}
			if got := int(rep.Outcome()); got != c.WantExit {
				t.Errorf("%s: outcome %s (%d), want %d", c.Desc, rep.Outcome(), got, c.WantExit)
			}

			lg, err := ledger.Open(ctx, l.DB, l.Options())
			if c.OpenRefuses {
				if err == nil {
					lg.Close()
					t.Fatalf("%s: Open accepted the ledger, want a refusal", c.Desc)
				}
				var ce *ledger.ChainError
				if !errors.Is(err, ledger.ErrTampered) && !errors.Is(err, ledger.ErrCheckpoint) && !errors.As(err, &ce) {
					t.Errorf("%s: Open refused with %v, want ErrTampered, ErrCheckpoint or a *ChainError", c.Desc, err)
				}
				t.Logf("Open refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("%s: Open: %v", c.Desc, err)
			}
			if err := lg.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
