package e2e

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/internal/e2e"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/ledgertest"
)

// benchHome returns a home whose ledger holds n entries, anchored by a
// signed checkpoint as a running console leaves it (one every 1,000
// entries and at every stop). n = 0 is a home with an empty ledger.
func benchHome(b *testing.B, n int) string {
	b.Helper()
	home := e2e.NewHome(b, "")
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if n > 0 {
		if err := ledgertest.Bulk(ctx, l.LedgerFile, l.KeysDir, l.CheckpointDir, n); err != nil {
			b.Fatal(err)
		}
	}
	// One open verifies everything and signs a checkpoint of the head.
	led, err := ledger.Open(ctx, l.LedgerFile, app.LedgerOptions(l))
	if err != nil {
		b.Fatal(err)
	}
	if err := led.Close(); err != nil {
		b.Fatal(err)
	}
	return home
}

// firstFrame starts the real console in tmux and returns the time until
// its first frame is on the screen; then it quits the console.
func firstFrame(b *testing.B, home string) time.Duration {
	b.Helper()
	start := time.Now()
	tm := e2e.StartTerm(b, 120, 40, []string{"NO_COLOR=1"}, bin, "--home", home)
	deadline := start.Add(60 * time.Second)
	for !strings.Contains(tm.Screen(), "ONY ·") {
		if time.Now().After(deadline) {
			b.Fatalf("no frame:\n%s", tm.Screen())
		}
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(start)
	quit(b, tm)
	return d
}

// quit stops the console and waits for its process to end (the home's
// lock is then free).
func quit(b *testing.B, tm *e2e.Term) {
	b.Helper()
	tm.Keys("q")
	deadline := time.Now().Add(30 * time.Second)
	for !tm.Exited() {
		if time.Now().After(deadline) {
			b.Fatalf("console did not quit:\n%s", tm.Screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.Tmux("kill-server")
}

// BenchmarkConsoleFirstFrame starts the real console in tmux, alternately
// on a home with an empty ledger and on one with 1,000,000 entries, and
// reports the median time from start to the first frame on the screen for
// each (tmux's own start included in both) and their ratio.
//
//	go test -run '^$' -bench ConsoleFirstFrame -benchtime 5x ./tui/e2e/
func BenchmarkConsoleFirstFrame(b *testing.B) {
	empty, big := benchHome(b, 0), benchHome(b, 1_000_000)
	var te, tb []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		te = append(te, firstFrame(b, empty))
		tb = append(tb, firstFrame(b, big))
	}
	b.StopTimer()
	med := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	b.ReportMetric(med(te), "ms-empty")
	b.ReportMetric(med(tb), "ms-1M")
	b.ReportMetric(med(tb)/med(te), "ratio")
}

// BenchmarkConsoleWith1MLedger starts the real console in tmux on a home
// whose ledger holds 1,000,000 entries, waits until the whole chain is
// verified (in the background, after the first frame), and reports the
// console process's resident memory (current and peak), the time to the
// first frame and the time until the whole chain was verified. The timed
// loop captures the screen, i.e. one frame as a person sees it.
func BenchmarkConsoleWith1MLedger(b *testing.B) {
	home := benchHome(b, 1_000_000)
	start := time.Now()
	tm := e2e.StartTerm(b, 120, 40, []string{"NO_COLOR=1"}, bin, "--home", home)
	var first time.Duration
	all := regexp.MustCompile(`chain ✓ (1,0\d\d,\d\d\d)/(1,0\d\d,\d\d\d) verified`)
	deadline := time.Now().Add(90 * time.Second)
	for {
		s := tm.Screen()
		if first == 0 && strings.Contains(s, "ONY ·") {
			first = time.Since(start)
		}
		if m := all.FindStringSubmatch(s); m != nil && m[1] == m[2] {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("console never showed the whole chain verified:\n%s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	verified := time.Since(start)
	pid := tm.PID()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tm.Screen()
	}
	b.StopTimer()
	rss, hwm := procMemory(b, pid)
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(hwm, "peak-rss-MB")
	b.ReportMetric(float64(first.Milliseconds()), "first-frame-ms")
	b.ReportMetric(verified.Seconds(), "all-verified-s")
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
