package hook_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// BenchmarkHookProcess measures what a harness waits for on every tool
// call: spawning `ony-tui hook claude` for an automatically allowed
// low-risk call until it exits, with the console's engine (and its durable
// ledger) answering. Each iteration also spawns a minimal Go program that
// reads stdin and prints a fixed allow, so the ratio compares like with
// like on this machine in this run, and the same program linked with cgo,
// which ony-tui needs for SQLite: the difference between the two baselines
// is what cgo alone costs at start-up.
func BenchmarkHookProcess(b *testing.B) {
	build := func(pkg string) string {
		out := filepath.Join(b.TempDir(), filepath.Base(pkg))
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			b.Fatalf("building the baseline %s: %v\n%s", pkg, err, msg)
		}
		return out
	}
	minimal, minimalCgo := build("./testdata/minimal"), build("./testdata/minimalcgo")
	home := e2e.NewHome(b, "")
	srv := e2e.StartServe(b, bin, home)
	defer srv.Stop()
	in := inputs["claude"].read
	spawn := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Stdin = strings.NewReader(in)
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		d := time.Since(start)
		if !strings.Contains(out.String(), `"permissionDecision":"allow"`) {
			b.Fatalf("%s did not allow: %s", name, out.String())
		}
		return d
	}
	for range 5 { // warm the page cache and the engine
		spawn(bin, "hook", "claude", "--home", home)
		spawn(minimal)
		spawn(minimalCgo)
	}
	var ony, base, cgo []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		base = append(base, spawn(minimal))
		cgo = append(cgo, spawn(minimalCgo))
		ony = append(ony, spawn(bin, "hook", "claude", "--home", home))
	}
	b.StopTimer()
	q := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(ony, 0.5), "hook-median-ms")
	b.ReportMetric(q(ony, 0.99), "hook-p99-ms")
	b.ReportMetric(q(base, 0.5), "baseline-median-ms")
	b.ReportMetric(q(base, 0.99), "baseline-p99-ms")
	b.ReportMetric(q(cgo, 0.5), "cgo-baseline-median-ms")
	b.ReportMetric(q(ony, 0.5)/q(base, 0.5), "median-ratio")
	b.ReportMetric(q(ony, 0.5)/q(cgo, 0.5), "cgo-median-ratio")
}
