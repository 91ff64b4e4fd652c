package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/hook"
	"github.com/ony-dev/ony-tui/ledger"
)

func defaultTaxonomy(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func start(t testing.TB) (*App, paths.Layout) {
	t.Helper()
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	_ = os.Chmod(home, 0o700)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Build: "test", Mode: "headless"})
	if err != nil {
		t.Fatal(err)
	}
	return a, l
}

// TestStartRecordsAndRefusesASecondEngine checks what a start leaves in the
// ledger and that the home is locked while it runs.
func TestStartRecordsAndRefusesASecondEngine(t *testing.T) {
	a, l := start(t)
	if _, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Mode: "headless"}); err == nil ||
		!strings.Contains(err.Error(), "already running") {
		t.Fatalf("second engine on the same home: %v", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	led, err := ledger.OpenReader(context.Background(), l.LedgerFile)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	es, err := led.Since(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind.String())
	}
	want := "device-enrolled device-enrolled console-started taxonomy-loaded console-stopped"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("ledger after start and stop: %s, want %s", got, want)
	}
	if !strings.HasPrefix(es[3].Detail, "sha256:") {
		t.Fatalf("taxonomy entry: %+v", es[3])
	}
	// A restart on the same home works and creates no new devices.
	a2, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t), Mode: "headless"})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close(context.Background())
	ds, _ := a2.Devices.List()
	if len(ds) != 2 {
		t.Fatalf("%d devices after restart", len(ds))
	}
}

// TestStartRefusesBadInput: a broken config or taxonomy stops the start,
// and the lock is released for the next attempt.
func TestStartRefusesBadInput(t *testing.T) {
	a, l := start(t)
	_ = a.Close(context.Background())
	if err := os.WriteFile(l.ConfigFile, []byte("policy:\n  critical: auto\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t)}); err == nil || !strings.Contains(err.Error(), "floor") {
		t.Fatalf("config below the floor: %v", err)
	}
	_ = os.Remove(l.ConfigFile)
	if _, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: []byte("version: 1\nactions: 3\n")}); err == nil {
		t.Fatal("started with a broken taxonomy")
	}
	a, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(t)})
	if err != nil {
		t.Fatalf("start after failed starts: %v", err)
	}
	_ = a.Close(context.Background())
}

// BenchmarkRoundTripWithLedger is BenchmarkRoundTripAutoAllow (engine/server)
// with everything real: the default taxonomy classifies each call and the
// durable SQLite ledger records it before its verdict is released. 32
// concurrent clients verify their verdicts as the hook does.
func BenchmarkRoundTripWithLedger(b *testing.B) {
	a, l := start(b)
	roundTrips(b, a, l)
}

// BenchmarkRoundTripWithLedgerECDSA is BenchmarkRoundTripWithLedger with
// the keys of a system install: the engine and console devices sign with
// ECDSA P-256 (created by a shared registry, as `serve --system` does) and
// every client verifies with the public key, as the system hook does.
// Everything else (taxonomy, durable ledger, socket) is the same, so the
// two benchmarks side by side give the cost of the public-key verdicts.
func BenchmarkRoundTripWithLedgerECDSA(b *testing.B) {
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(home) })
	_ = os.Chmod(home, 0o700)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		b.Fatal(err)
	}
	// The ledger first: devices beside no ledger read as a deleted chain.
	led, err := OpenLedger(context.Background(), l)
	if err != nil {
		b.Fatal(err)
	}
	if err := led.Close(); err != nil {
		b.Fatal(err)
	}
	shared := device.OpenWith(l.DevicesFile, l.KeysDir, nil, device.Access{Owner: os.Getuid(), Shared: true})
	for _, k := range []device.Kind{device.KindEngine, device.KindConsole} {
		if _, err := shared.Create(k, string(k)); err != nil {
			b.Fatal(err)
		}
	}
	_ = os.Chmod(l.DevicesFile, 0o600) // a per-user home reads it as private
	a, err := Start(context.Background(), Options{Layout: l, DefaultTaxonomy: defaultTaxonomy(b), Build: "test", Mode: "headless"})
	if err != nil {
		b.Fatal(err)
	}
	if d, _ := a.Devices.ActiveOf(device.KindEngine); d.Alg != "ecdsa-p256-sha256" {
		b.Fatalf("the engine signs with %q", d.Alg)
	}
	roundTrips(b, a, l)
}

// roundTrips runs b.N hook round trips from 16×GOMAXPROCS clients, each
// verifying its verdict with the device registry as the hook does.
func roundTrips(b *testing.B, a *App, l paths.Layout) {
	defer a.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Serve(ctx) }()
	reg := device.Open(l.DevicesFile, l.KeysDir, nil)
	var n atomic.Uint64
	b.SetParallelism(16)
	b.ResetTimer()
	begin, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			c := wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "bench", ToolName: "Bash",
				Kind: wire.KindShell, Command: fmt.Sprintf("ls -la src/%d", i), CWD: "/work/proj", ProjectDir: "/work/proj",
				InputDigest: strings.Repeat("ab", 32)}
			ans, err := hook.Exchange(ctx, l.Socket, &c, reg.Keyring(), time.Now().Add(10*time.Second))
			if err != nil || ans.Verdict.Decision != "approve" || ans.Verdict.LedgerSeq == 0 {
				b.Errorf("round trip: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "verdicts/s")
	// CPU time per verdict (engine, server and clients together) depends
	// far less than wall time on what else the machine runs.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/verdict")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
