package ledger_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// BenchmarkAppendSingle measures the latency of one durable append at a
// time, back to back: what a lone request waits for on a busy console.
func BenchmarkAppendSingle(b *testing.B) { benchAppendSingle(b, 0) }

// BenchmarkAppendSingleIdle is BenchmarkAppendSingle with the ledger idle
// for 3 ms before each append (not timed), as between two tool calls of one
// agent: what the hook of an automatically allowed call waits for.
func BenchmarkAppendSingleIdle(b *testing.B) { benchAppendSingle(b, 3*time.Millisecond) }

func benchAppendSingle(b *testing.B, gap time.Duration) {
	ctx := context.Background()
	lg := openBenchLedger(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if gap > 0 {
			b.StopTimer()
			time.Sleep(gap)
			b.StartTimer()
		}
		start := time.Now()
		if _, err := lg.Append(ctx, vectorgen.SampleEntry(i+1)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
