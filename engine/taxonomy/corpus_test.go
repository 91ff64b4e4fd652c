package taxonomy

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is one labelled command of testdata/corpus.tsv.
type corpusCase struct {
	line    int
	risk    Risk
	action  string
	command string
}

func readCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.tsv"))
	if err != nil {
		tb.Fatalf("opening corpus: %v", err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 {
			tb.Fatalf("corpus.tsv:%d: want risk<TAB>action<TAB>command", n)
		}
		risk, err := ParseRisk(fields[0])
		if err != nil {
			tb.Fatalf("corpus.tsv:%d: %v", n, err)
		}
		out = append(out, corpusCase{line: n, risk: risk, action: fields[1], command: strings.ReplaceAll(fields[2], "{NL}", "\n")})
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("reading corpus: %v", err)
	}
	return out
}

func TestCorpus(t *testing.T) {
	tx := defaultTaxonomy(t)
	cases := readCorpus(t)
	if len(cases) < 300 {
		t.Fatalf("corpus has %d cases, want at least 300", len(cases))
	}
	counts := map[Risk]int{}
	for _, c := range cases {
		counts[c.risk]++
		got := tx.Classify(shellCall(c.command))
		if got.Risk != c.risk || got.Action != c.action {
			var parts strings.Builder
			for _, p := range got.Parts {
				fmt.Fprintf(&parts, "\n\t\t%s %s (%s) %q", p.Risk, p.Action, p.Matcher, p.Text)
			}
			t.Errorf("corpus.tsv:%d %q\n\tgot  %s %s target %q by %s\n\twant %s %s%s",
				c.line, c.command, got.Risk, got.Action, got.Target, got.Matcher, c.risk, c.action, parts.String())
		}
	}
	// The corpus must exercise every level, everyday work as much as danger.
	for r := Low; r <= Critical; r++ {
		if counts[r] < 40 {
			t.Errorf("corpus has %d %s cases, want at least 40", counts[r], r)
		}
	}
}
