package stats_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/ledgertest"
)

// ledgerDir makes a state directory with keys and checkpoints, as
// engine/paths lays it out.
func ledgerDir(t testing.TB) (db, keys, cps string) {
	t.Helper()
	dir := t.TempDir()
	keys, cps = filepath.Join(dir, "keys"), filepath.Join(dir, "checkpoints")
	for _, d := range []string{keys, cps} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ledger.db"), keys, cps
}

// counting wraps a read and counts the entries it returned.
func counting(read stats.ReadFunc, n *atomic.Int64) stats.ReadFunc {
	return func(ctx context.Context, after uint64, limit int) ([]ledger.Entry, error) {
		es, err := read(ctx, after, limit)
		n.Add(int64(len(es)))
		return es, err
	}
}

// A Source reads the whole ledger once, then only what was appended: the
// console never re-reads the ledger to refresh its figures.
func TestSourceReadsOnlyNewEntries(t *testing.T) {
	ctx := context.Background()
	db, keys, cps := ledgerDir(t)
	const n = 25_000
	if err := ledgertest.Bulk(ctx, db, keys, cps, n); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, db, ledger.DefaultOptions(keys, cps))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var read atomic.Int64
	src := stats.NewSource(counting(l.Since, &read), nil)
	s, err := src.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != n || s.Through != n || read.Load() != n {
		t.Fatalf("first summary: %d entries through %d, %d read", s.Entries, s.Through, read.Load())
	}
	for i := 0; i < 3; i++ {
		if _, err := l.Append(ctx, ledger.Entry{Kind: ledger.KindAutoAllow, RequestID: "r", Action: "file.read", Risk: "low",
			Decision: "approve", Factors: []string{"auto"}}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.All.Auto
	read.Store(0)
	if s, err = src.Summary(ctx); err != nil {
		t.Fatal(err)
	}
	if read.Load() != 3 || s.Entries != n+3 || s.All.Auto != before+3 {
		t.Fatalf("update read %d entries; %d entries, %d auto (was %d)", read.Load(), s.Entries, s.All.Auto, before)
	}
	read.Store(0)
	if _, err = src.Summary(ctx); err != nil || read.Load() != 0 {
		t.Fatalf("nothing new, yet %d read (%v)", read.Load(), err)
	}
	// The figures of an incremental source match one computed afresh.
	fresh, err := stats.NewSource(l.Since, func() time.Time { return s.At }).Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.All.Decisions != s.All.Decisions || fresh.All.Held != s.All.Held || fresh.Entries != s.Entries {
		t.Fatalf("incremental %+v\nfresh %+v", s.All, fresh.All)
	}
}
