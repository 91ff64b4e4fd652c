package taxonomy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/shell"
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

// linearScript is a realistic long script of about 70 simple commands
// (about 1.5 KB), exercising the analyses issue 11 added (cd and extraction,
// links, options and variables whose value is code, listers feeding
// xargs, process names).
func linearScript() (string, int) {
	parts := []string{
		"cd build", "tar -xzf ../dist.tgz -C out", "ls -la out", "grep -rn TODO ../src", "cd ..",
		"ln -s ../shared vendor/shared", "cat vendor/shared/README.md", "find . -name '*.go' | xargs grep -l Foo",
		"GIT_EDITOR=true git commit -a -m wip", "git status", "go test ./pkg/... -run TestX", "tail -20 log.txt",
		"unzip -o assets.zip -d public", "PATH=$PATH:./node_modules/.bin npm test", "kill 4242", "echo done",
	}
	var sb strings.Builder
	n := 0
	for n < 70 {
		for _, p := range parts {
			if n > 0 {
				sb.WriteString(" && ")
			}
			sb.WriteString(p)
			n += strings.Count(p, "|") + 1
		}
	}
	return sb.String(), n
}

// BenchmarkClassifyLinear reports the cost of one simple command within a
// long script against a one-command call measured in the same run (the
// corpus's one-command calls in turn): the per-command cost must not
// exceed the one-command cost.
func BenchmarkClassifyLinear(b *testing.B) {
	tx := defaultTaxonomy(b)
	src, _ := linearScript()
	count := func(s string) int {
		return len(shell.Analyze(s, shell.Options{Spec: &tx.spec, Home: testHome, CWD: testProject}).Commands)
	}
	cmds := count(src)
	long := shellCall(src)
	var ones []*wire.ToolCall
	for _, c := range readCorpus(b) {
		if count(c.command) == 1 {
			ones = append(ones, shellCall(c.command))
		}
	}
	var tLong, tOne time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		tx.Classify(ones[i%len(ones)])
		mid := time.Now()
		tx.Classify(long)
		tLong += time.Since(mid)
		tOne += mid.Sub(start)
	}
	perCmd := float64(tLong.Nanoseconds()) / float64(b.N) / float64(cmds)
	single := float64(tOne.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perCmd, "ns/script-cmd")
	b.ReportMetric(single, "ns/one-cmd-call")
	b.ReportMetric(perCmd/single, "ratio")
	b.ReportMetric(float64(len(src)), "script-bytes")
	b.ReportMetric(float64(cmds), "script-cmds")
}
