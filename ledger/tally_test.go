package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// clockOptions returns options whose clock the test sets.
func clockOptions(l vectorgen.Layout, now *atomic.Int64) ledger.Options {
	o := l.Options()
	o.Now = func() time.Time { return time.Unix(0, now.Load()).UTC() }
	return o
}

func TestCodeStateQueries(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	var now atomic.Int64
	t0 := vectorgen.Epoch()
	now.Store(t0.UnixNano())
	lg := openLedger(t, l, clockOptions(l, &now))

	if s, err := lg.MaxStep(ctx); err != nil || s != 0 {
		t.Fatalf("MaxStep on an empty ledger = %d, %v", s, err)
	}
	if _, ok, err := lg.LastOf(ctx, ledger.KindCodeLocked, ledger.KindCodeUnlocked); ok || err != nil {
		t.Fatalf("LastOf on an empty ledger: ok %v err %v", ok, err)
	}
	appendAt := func(lg *ledger.Ledger, offset time.Duration, e ledger.Entry) ledger.Entry {
		t.Helper()
		now.Store(t0.Add(offset).UnixNano())
		got, err := lg.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	appendAt(lg, 0, ledger.Entry{Kind: ledger.KindVerdict, Decision: "approve", Factors: []string{"totp"}, Step: 900})
	appendAt(lg, 10*time.Minute, ledger.Entry{Kind: ledger.KindCodeFailed, Detail: "wrong code"})
	appendAt(lg, 20*time.Minute, ledger.Entry{Kind: ledger.KindVerdict, Decision: "approve", Factors: []string{"totp"}, Step: 950})
	appendAt(lg, 70*time.Minute, ledger.Entry{Kind: ledger.KindCodeFailed})
	appendAt(lg, 80*time.Minute, ledger.Entry{Kind: ledger.KindCodeFailed})
	locked := appendAt(lg, 81*time.Minute, ledger.Entry{Kind: ledger.KindCodeLocked})
	appendAt(lg, 82*time.Minute, ledger.Entry{Kind: ledger.KindRequest, Action: "git.push"})

	check := func(lg *ledger.Ledger, step uint64, fails int, last ledger.Kind) {
		t.Helper()
		if s, err := lg.MaxStep(ctx); err != nil || s != step {
			t.Fatalf("MaxStep = %d, %v; want %d", s, err, step)
		}
		if n, err := lg.CountSince(ctx, ledger.KindCodeFailed, t0.Add(82*time.Minute).Add(-time.Hour)); err != nil || n != fails {
			t.Fatalf("CountSince(code-failed, last hour) = %d, %v; want %d", n, err, fails)
		}
		e, ok, err := lg.LastOf(ctx, ledger.KindCodeLocked, ledger.KindCodeUnlocked)
		if err != nil || !ok || e.Kind != last {
			t.Fatalf("LastOf(locked, unlocked) = %s %v %v; want %s", e.Kind, ok, err, last)
		}
	}
	check(lg, 950, 2, ledger.KindCodeLocked)
	if e, _, _ := lg.LastOf(ctx, ledger.KindCodeLocked); e.Seq != locked.Seq || e.Hash != locked.Hash || !e.Time.Equal(locked.Time) {
		t.Fatalf("LastOf returned %+v, want %+v", e, locked)
	}

	// A second process unlocks and uses a later step: the first sees it.
	other := openLedger(t, l, clockOptions(l, &now))
	check(other, 950, 2, ledger.KindCodeLocked) // built from the file at Open
	appendAt(other, 83*time.Minute, ledger.Entry{Kind: ledger.KindCodeUnlocked, Factors: []string{"totp"}, Step: 1000})
	check(lg, 1000, 2, ledger.KindCodeUnlocked)

	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.MaxStep(ctx); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("MaxStep after Close: %v", err)
	}
}

// TestCodeStateRefusesTampering: the code state must not come from rows
// changed behind the ledger's back.
func TestCodeStateRefusesTampering(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	lg := openLedger(t, l, l.Options())
	for i := 0; i < 3; i++ {
		if _, err := lg.Append(ctx, ledger.Entry{Kind: ledger.KindCodeFailed}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lg.Append(ctx, ledger.Entry{Kind: ledger.KindCodeLocked}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+l.DB+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Rewrite the lock entry's kind byte (offset 48 of the record) to
	// code-unlocked, keeping the stored hash.
	if _, err := db.Exec(`UPDATE entries SET rec = CAST(substr(rec, 1, 48) || x'0a' || substr(rec, 50) AS BLOB) WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lg.LastOf(ctx, ledger.KindCodeLocked, ledger.KindCodeUnlocked); !errors.Is(err, ledger.ErrTampered) {
		t.Fatalf("LastOf over an edited entry: %v, want ErrTampered", err)
	}
	if _, err := lg.CountSince(ctx, ledger.KindCodeFailed, time.Time{}); !errors.Is(err, ledger.ErrTampered) {
		t.Fatalf("CountSince over an edited entry: %v, want ErrTampered", err)
	}
}
