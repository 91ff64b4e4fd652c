package stats_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/ledgertest"
)

// BenchmarkStats1M computes the figures of a 1,000,000-entry ledger: the
// first computation (every entry read once), and then, per iteration, an
// update after 10 new entries, which is what a console showing the stats
// pays each time it refreshes. `ony-tui verify` of the same ledger is timed
// in the same run as the baseline: first-ms/verify-ms is the cost of the
// first computation against a full verification.
func BenchmarkStats1M(b *testing.B) {
	ctx := context.Background()
	db, keys, cps := ledgerDir(b)
	const n = 1_000_000
	if err := ledgertest.Bulk(ctx, db, keys, cps, n); err != nil {
		b.Fatal(err)
	}
	l, err := ledger.Open(ctx, db, ledger.DefaultOptions(keys, cps))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	key, err := ledger.LoadAuditKey(ledger.DefaultOptions(keys, cps).AuditKeyFile)
	if err != nil {
		b.Fatal(err)
	}
	notes, err := ledger.ReadCheckpoints(cps)
	if err != nil {
		b.Fatal(err)
	}
	ver, err := ledger.LoadCheckpointVerifier(ledger.DefaultOptions(keys, cps).CheckpointVerifierFile)
	if err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	rep, err := ledger.Verify(ctx, db, ledger.VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: ver}, nil)
	verify := time.Since(start)
	if err != nil || rep.Problem() != nil || rep.Entries < n {
		b.Fatalf("verify: %v %v %d", err, rep.Problem(), rep.Entries)
	}

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src := stats.NewSource(l.Since, nil)
	start = time.Now()
	s, err := src.Summary(ctx)
	first := time.Since(start)
	if err != nil || s.Entries < n {
		b.Fatalf("first summary: %v (%d entries)", err, s.Entries)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)

	e := ledger.Entry{Kind: ledger.KindAutoAllow, RequestID: "r", Action: "file.read", Risk: "low", Decision: "approve", Factors: []string{"auto"}}
	var updates time.Duration
	iters := 0
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < 10; i++ {
			if _, err := l.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t := time.Now()
		if _, err := src.Summary(ctx); err != nil {
			b.Fatal(err)
		}
		updates += time.Since(t)
		iters++
	}
	b.ReportMetric(float64(verify.Microseconds())/1000, "verify-ms")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
	b.ReportMetric(first.Seconds()/verify.Seconds(), "first/verify")
	b.ReportMetric(float64(updates.Microseconds())/float64(iters), "update-µs")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "tally-heap-KB")
}
