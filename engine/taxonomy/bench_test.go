package taxonomy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// BenchmarkClassifyCorpus classifies the corpus one command per iteration
// and reports the median and 99th percentile of the per-call time.
func BenchmarkClassifyCorpus(b *testing.B) {
	tx := defaultTaxonomy(b)
	var calls []*wire.ToolCall
	for _, c := range readCorpus(b) {
		if len(c.command) < 1024 {
			calls = append(calls, shellCall(c.command))
		}
	}
	durations := make([]time.Duration, 0, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		tx.Classify(calls[i%len(calls)])
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 { return float64(durations[int(p*float64(len(durations)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	b.ReportMetric(float64(durations[len(durations)-1].Nanoseconds()), "max-ns")
}

// BenchmarkClassifyTool classifies a file read, the most frequent call.
func BenchmarkClassifyTool(b *testing.B) {
	tx := defaultTaxonomy(b)
	c := &wire.ToolCall{Kind: wire.KindFileRead, ToolName: "Read", CWD: testProject, ProjectDir: testProject,
		Paths: []string{testProject + "/internal/server/handler.go"}}
	b.ReportAllocs()
	for b.Loop() {
		tx.Classify(c)
	}
}

// BenchmarkClassifyKilobyte classifies a realistic 1 KB compound command.
func BenchmarkClassifyKilobyte(b *testing.B) {
	tx := defaultTaxonomy(b)
	var sb strings.Builder
	for sb.Len() < 1000 {
		sb.WriteString("cd src && go test ./pkg/... -run TestX 2>&1 | tail -20 && git add -A && ")
	}
	sb.WriteString("git status")
	c := shellCall(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		tx.Classify(c)
	}
}

// BenchmarkClassifyHostile classifies 64 KB of deeply nested input: it must
// stay linear and end critical.
func BenchmarkClassifyHostile(b *testing.B) {
	tx := defaultTaxonomy(b)
	c := shellCall(strings.Repeat("$(", 20000) + "ls" + strings.Repeat(")", 20000))
	b.ReportAllocs()
	for b.Loop() {
		if got := tx.Classify(c); got.Risk != Critical {
			b.Fatalf("hostile input classified %s", got.Risk)
		}
	}
}
