package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
	"github.com/ony-dev/ony-tui/ledger/ledgertest"
)

// BenchmarkConsoleWith1MLedger starts the real console in tmux on a home
// whose ledger holds 1,000,000 entries, waits until the live view has
// verified all of them, and reports the console process's resident memory
// (current and peak) and the time to catch up. The timed loop captures the
// screen, i.e. one frame as a person sees it.
func BenchmarkConsoleWith1MLedger(b *testing.B) {
	const n = 1_000_000
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(home)
	_ = os.Chmod(home, 0o700)
	state := filepath.Join(home, "state")
	for _, d := range []string{state, filepath.Join(state, "keys"), filepath.Join(state, "checkpoints")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	if err := ledgertest.Bulk(context.Background(), filepath.Join(state, "ledger.db"), filepath.Join(state, "keys"), filepath.Join(state, "checkpoints"), n); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tm := e2e.StartTerm(b, 120, 40, []string{"NO_COLOR=1"}, bin, "--home", home)
	want := "1,000,004/1,000,004 verified" // n entries plus the four of a start
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(tm.Screen(), want) {
		if time.Now().After(deadline) {
			b.Fatalf("console never showed %q:\n%s", want, tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	caughtUp := time.Since(start)
	pid := tm.PID()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tm.Screen()
	}
	b.StopTimer()
	rss, hwm := procMemory(b, pid)
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(hwm, "peak-rss-MB")
	b.ReportMetric(caughtUp.Seconds(), "catch-up-s")
}

// procMemory reads VmRSS and VmHWM of a process, in MB.
func procMemory(b *testing.B, pid string) (rss, hwm float64) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
