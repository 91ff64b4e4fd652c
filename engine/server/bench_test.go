package server

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/hook"
)

// BenchmarkRoundTripAutoAllow measures hook→engine→hook round trips for an
// automatically allowed call, with 32 concurrent clients, each verifying its
// verdict exactly as the hook does (registry and key read from disk). The
// journal is in memory here: the ledger's cost is measured with it in
// internal/app.
func BenchmarkRoundTripAutoAllow(b *testing.B) {
	reg, dir := enginetest.Registry(b)
	eng, err := engine.New(engine.Options{Classifier: byCommand{}, Journal: &enginetest.Journal{}, Devices: reg, Config: config.Defaults()})
	if err != nil {
		b.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "ony.sock")
	srv, err := Listen(sock, eng, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx) }()
	var i atomic.Uint64
	b.SetParallelism(16) // 16 × GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := i.Add(1)
			req := newRequest("ls", byte(n))
			c := req.Call
			ans, err := hook.Exchange(ctx, sock, &c, reg.Keyring(), time.Now().Add(10*time.Second))
			if err != nil || ans.Verdict.Decision != "approve" {
				b.Errorf("round trip: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "verdicts/s")
}
