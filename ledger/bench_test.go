package ledger_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// BenchmarkAppendConcurrent measures durable appends (WAL, synchronous=FULL,
// group commit) from 32 goroutines per core, with p99 latency.
func BenchmarkAppendConcurrent(b *testing.B) {
	ctx := context.Background()
	lg := openBenchLedger(b)
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		i := 0
		for pb.Next() {
			i++
			start := time.Now()
			if _, err := lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// openBenchLedger opens a fresh durable ledger with a checkpoint every 1000
// entries, closed when b ends.
func openBenchLedger(b *testing.B) *ledger.Ledger {
	l, err := vectorgen.NewLayout(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	opts := l.Options()
	opts.CheckpointEvery = 1000
	opts.Now = time.Now
	lg, err := ledger.Open(context.Background(), l.DB, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lg.Close() })
	return lg
}

const benchEntries = 1_000_000

// BenchmarkVerify1M verifies a 1,000,000-entry ledger (with its checkpoint)
// and reports entries/s, the raw HMAC-SHA256 rate over the very same record
// bytes in the same run, their ratio, and the peak heap and RSS while
// verifying.
func BenchmarkVerify1M(b *testing.B) {
	ctx := context.Background()
	l, err := vectorgen.NewLayout(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Now()
	if err := vectorgen.Bulk(ctx, l, benchEntries); err != nil {
		b.Fatal(err)
	}
	lg, err := ledger.Open(ctx, l.DB, l.Options()) // verifies all and anchors them
	if err != nil {
		b.Fatal(err)
	}
	if err := lg.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup %v", time.Since(setup).Round(time.Millisecond))
	key, opts := verifyOptions(b, l)
	runtime.GC()
	peak := startMemSampler()
	iters := 0
	for b.Loop() {
		rep, err := ledger.Verify(ctx, l.DB, opts, nil)
		if err != nil || rep.Outcome() != ledger.Intact || rep.Entries != benchEntries {
			b.Fatalf("verify: %v %s %d", err, rep.Outcome(), rep.Entries)
		}
		iters++
	}
	heap, rss := peak()
	rate := float64(benchEntries*iters) / b.Elapsed().Seconds()
	hmacRate := hmacBaseline(b, l, key)
	b.ReportMetric(rate, "entries/s")
	b.ReportMetric(hmacRate, "hmac-entries/s")
	b.ReportMetric(rate/hmacRate, "verify/hmac")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
}

func verifyOptions(tb testing.TB, l vectorgen.Layout) ([]byte, ledger.VerifyOptions) {
	key, err := ledger.LoadAuditKey(l.VerifyKey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := ledger.LoadCheckpointVerifier(l.KeysDir + "/" + ledger.CheckpointVerifierName)
	if err != nil {
		tb.Fatal(err)
	}
	notes, err := ledger.ReadCheckpoints(l.CheckpointDir)
	if err != nil {
		tb.Fatal(err)
	}
	return key, ledger.VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: v}
}

// hmacBaseline times HMAC-SHA256(key, domain ‖ record) over every stored
// record, reading them in chunks outside the timed part.
func hmacBaseline(b *testing.B, l vectorgen.Layout, key []byte) float64 {
	db, err := sql.Open("sqlite3", "file:"+l.DB+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m := hmac.New(sha256.New, key)
	var sum [32]byte
	var timed time.Duration
	n := 0
	chunk := make([][]byte, 0, 1<<16)
	for after := 0; ; {
		rows, err := db.Query(`SELECT seq, rec FROM entries WHERE seq > ? ORDER BY seq LIMIT ?`, after, cap(chunk))
		if err != nil {
			b.Fatal(err)
		}
		chunk = chunk[:0]
		for rows.Next() {
			var rec []byte
			if err := rows.Scan(&after, &rec); err != nil {
				b.Fatal(err)
			}
			chunk = append(chunk, rec)
		}
		rows.Close()
		if len(chunk) == 0 {
			break
		}
		start := time.Now()
		for _, rec := range chunk {
			m.Reset()
			m.Write([]byte(ledger.EntryDomain))
			m.Write(rec)
			m.Sum(sum[:0])
		}
		timed += time.Since(start)
		n += len(chunk)
	}
	if n != benchEntries {
		b.Fatalf("baseline hashed %d records, want %d", n, benchEntries)
	}
	return float64(n) / timed.Seconds()
}

// startMemSampler samples the Go heap in use and the process RSS every
// 10ms until the returned function is called, which returns the peaks.
func startMemSampler() func() (heap, rss uint64) {
	stop := make(chan struct{})
	done := make(chan struct{})
	var peakHeap, peakRSS uint64
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peakHeap = max(peakHeap, sample[0].Value.Uint64()+sample[1].Value.Uint64())
			peakRSS = max(peakRSS, currentRSS())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		<-done
		return peakHeap, peakRSS
	}
}

// currentRSS reads the resident set size from /proc/self/statm (Linux); 0
// elsewhere.
func currentRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// TestVerifyMemoryFlat verifies a 200,000-entry ledger (about 65 MB of
// records) and checks the Go heap stays far below the ledger's size: the
// verifier streams, it does not load the ledger.
func TestVerifyMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200,000-entry ledger")
	}
	const n = 200_000
	ctx := context.Background()
	l, err := vectorgen.NewLayout(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := vectorgen.Bulk(ctx, l, n); err != nil {
		t.Fatal(err)
	}
	_, opts := verifyOptions(t, l)
	runtime.GC()
	base := heapInUse()
	peak := startMemSampler()
	rep, err := ledger.Verify(ctx, l.DB, opts, nil)
	heap, _ := peak()
	if err != nil || rep.Outcome() != ledger.Intact || rep.Entries != n {
		t.Fatalf("verify: %v %s %d", err, rep.Outcome(), rep.Entries)
	}
	const limit = 40 << 20
	if grew := int64(heap) - int64(base); grew > limit {
		t.Fatalf("heap grew by %d MB while verifying %d entries, want under %d MB", grew>>20, n, limit>>20)
	}

	// Cancelling stops the stream promptly.
	cctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	_, err = ledger.Verify(cctx, l.DB, opts, func(done, total uint64) {
		if done > 0 && done < total {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
		t.Fatalf("cancelled Verify returned %v after %v", err, time.Since(start))
	}
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}
