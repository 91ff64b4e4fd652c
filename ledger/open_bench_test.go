package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// BenchmarkOpen1M opens (and closes) a ledger of 1,000,000 entries anchored
// by a checkpoint: "full" verifies every entry before returning (as Open
// did for every start before), "from-checkpoint" only the checkpoint's
// entry and the tail (the whole chain then in the background, cancelled at
// Close); "empty" is an anchored ledger with no entries, opened from its
// checkpoint, in the same run. It reports ms per Open and the ratio of each
// to empty.
func BenchmarkOpen1M(b *testing.B) {
	ctx := context.Background()
	layout := func(n int) vectorgen.Layout {
		l, err := vectorgen.NewLayout(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if n > 0 {
			err = vectorgen.Bulk(ctx, l, n)
		} else {
			err = vectorgen.AppendSample(ctx, l, 1, 0)
		}
		if err != nil {
			b.Fatal(err)
		}
		lg, err := ledger.Open(ctx, l.DB, l.Options()) // verifies all and anchors them
		if err != nil {
			b.Fatal(err)
		}
		if err := lg.Close(); err != nil {
			b.Fatal(err)
		}
		return l
	}
	empty, big := layout(0), layout(benchEntries)
	open := func(l vectorgen.Layout, fromCheckpoint bool) float64 {
		o := l.Options()
		o.OpenFromCheckpoint = fromCheckpoint
		var total float64
		for i := 0; i < b.N; i++ {
			start := nowMS()
			lg, err := ledger.Open(ctx, l.DB, o)
			if err != nil {
				b.Fatal(err)
			}
			total += nowMS() - start
			lg.Close()
		}
		return total / float64(b.N)
	}
	b.ResetTimer()
	e := open(empty, true)
	fc := open(big, true)
	full := open(big, false)
	b.StopTimer()
	b.ReportMetric(e, "ms-empty")
	b.ReportMetric(fc, "ms-1M-from-checkpoint")
	b.ReportMetric(full, "ms-1M-full")
	b.ReportMetric(fc/e, "from-checkpoint/empty")
	b.ReportMetric(full/e, "full/empty")
}

func nowMS() float64 { return float64(time.Now().UnixNano()) / 1e6 }
