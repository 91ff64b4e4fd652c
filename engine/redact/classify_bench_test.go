package redact_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// corpusCalls returns the shell calls of the taxonomy's labelled corpus
// (engine/taxonomy/testdata/corpus.tsv), classified with the default
// taxonomy as BenchmarkClassifyCorpus does.
func corpusCalls(b *testing.B) (*taxonomy.Taxonomy, []*wire.ToolCall) {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	const home, project = "/home/agentdev", "/home/agentdev/src/webapp"
	tx, err := taxonomy.Load(data, "taxonomy.yaml", taxonomy.Env{Home: home,
		OnyRoots: []string{home + "/.config/ony", home + "/.local/state/ony", "/run/user/1000/ony"}, OnyBinary: home + "/go/bin/ony-tui",
		Vars: map[string]string{"XDG_CONFIG_HOME": home + "/.config", "XDG_STATE_HOME": home + "/.local/state"}})
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "taxonomy", "testdata", "corpus.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var calls []*wire.ToolCall
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || len(fields[2]) >= 1024 {
			continue
		}
		calls = append(calls, &wire.ToolCall{Harness: "claude", Event: "PreToolUse", ToolName: "Bash", Kind: wire.KindShell,
			Command: strings.ReplaceAll(fields[2], "{NL}", "\n"), CWD: project, ProjectDir: project})
	}
	return tx, calls
}

// BenchmarkRedactVsClassify measures, call by call over the corpus, the
// classification and then the redaction the engine applies to it (title,
// target, matcher), and reports both distributions and their ratio. The
// console's redaction of the raw command is reported beside them.
func BenchmarkRedactVsClassify(b *testing.B) {
	tx, calls := corpusCalls(b)
	var cls, red, cmd []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := calls[i%len(calls)]
		t0 := time.Now()
		r := tx.Classify(c)
		t1 := time.Now()
		_ = redact.String(r.Title)
		_ = redact.String(r.Target)
		_ = redact.String(r.Matcher)
		t2 := time.Now()
		_ = redact.String(c.Command)
		t3 := time.Now()
		cls, red, cmd = append(cls, t1.Sub(t0)), append(red, t2.Sub(t1)), append(cmd, t3.Sub(t2))
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))].Nanoseconds())
	}
	sum := func(d []time.Duration) (s time.Duration) {
		for _, x := range d {
			s += x
		}
		return s
	}
	b.ReportMetric(float64(sum(red))/float64(sum(cls)), "redact/classify")
	b.ReportMetric(pct(cls, 0.5), "classify-p50-ns")
	b.ReportMetric(pct(cls, 0.99), "classify-p99-ns")
	b.ReportMetric(pct(red, 0.5), "redact-p50-ns")
	b.ReportMetric(pct(red, 0.99), "redact-p99-ns")
	b.ReportMetric(pct(cmd, 0.5), "command-p50-ns")
	b.ReportMetric(pct(cmd, 0.99), "command-p99-ns")
}

// BenchmarkRedactCorpusClassifications redacts the title, target and
// matcher of every corpus classification, precomputed: the engine's cost
// per request, alone.
func BenchmarkRedactCorpusClassifications(b *testing.B) {
	tx, calls := corpusCalls(b)
	var texts []string
	for _, c := range calls {
		r := tx.Classify(c)
		texts = append(texts, r.Title, r.Target, r.Matcher)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := 3 * (i % len(calls))
		_ = redact.String(texts[k])
		_ = redact.String(texts[k+1])
		_ = redact.String(texts[k+2])
	}
}

// BenchmarkRedactVsClassifyLong does the same for one long command (60 KiB,
// near the taxonomy's 64 KiB limit) dense with secrets of every kind: the
// engine redacts its classification, the console all of the command to
// display it.
func BenchmarkRedactVsClassifyLong(b *testing.B) {
	tx, _ := corpusCalls(b)
	unit := `curl -fsS -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" ` +
		`"https://deploy:hunter2@api.example.com/v1/x?access_token=abc123&page=2" -o out.json && ` +
		`PGPASSWORD=pw psql -h db -c 'select 1' && git push https://u:ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI@github.com/o/r main; `
	var sb strings.Builder
	for sb.Len()+len(unit) < 60<<10 {
		sb.WriteString(unit)
	}
	c := &wire.ToolCall{Harness: "claude", Event: "PreToolUse", ToolName: "Bash", Kind: wire.KindShell,
		Command: sb.String(), CWD: "/home/agentdev/src/webapp", ProjectDir: "/home/agentdev/src/webapp"}
	var cls, eng, con time.Duration
	b.SetBytes(int64(len(c.Command)))
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		r := tx.Classify(c)
		t1 := time.Now()
		_ = redact.String(r.Title)
		_ = redact.String(r.Target)
		_ = redact.String(r.Matcher)
		t2 := time.Now()
		_ = redact.String(c.Command)
		t3 := time.Now()
		cls, eng, con = cls+t1.Sub(t0), eng+t2.Sub(t1), con+t3.Sub(t2)
	}
	b.ReportMetric(float64(eng)/float64(cls), "engine-redact/classify")
	b.ReportMetric(float64(con)/float64(cls), "command-redact/classify")
}
