package taxonomy

import (
	"strings"
	"sync"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// TestFailClosed checks the built-in critical fallback: whatever the
// taxonomy cannot recognise or analyse is critical, with a reason.
func TestFailClosed(t *testing.T) {
	tx := defaultTaxonomy(t)
	tests := []struct {
		name, cmd, reason string
	}{
		{"unknown program", "frobnicate --now", `no rule recognises program "frobnicate"`},
		{"unknown program in a pipeline", "ls | frobnicate", `no rule recognises program "frobnicate"`},
		{"unparseable", "echo 'unterminated", "shell parse error"},
		{"unparseable nested", `bash -c "echo 'x"`, "cannot parse the shell code run by bash"},
		{"empty", "   ", "empty command"},
		{"dynamic program", "$CMD args", "the program name is computed at run time"},
		{"dynamic program from substitution", "$(echo rm) -rf x", "the program name is computed at run time"},
		{"unseen code", `eval "$X"`, "runs code Ony cannot see"},
		{"too deep", strings.Repeat("$(", 40) + "ls" + strings.Repeat(")", 40), "nesting deeper than 32 levels"},
		{"too deep in blocks", strings.Repeat("{ ", 40) + "ls" + strings.Repeat("; }", 40), "nesting deeper than 32 levels"},
		{"too deep through eval", strings.Repeat("eval ", 40) + "ls", "nesting deeper than 32 levels"},
		{"too deep through bash -c", `bash -c "` + strings.Repeat("eval ", 40) + `ls"`, "nesting deeper than 32 levels"},
		{"oversized", "echo " + strings.Repeat("a", 70_000), "more than the 65536 analysed"},
		{"too many commands", strings.Repeat("true;", 5000), "too complex to analyse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tx.Classify(shellCall(tt.cmd))
			if got.Risk != Critical {
				t.Fatalf("risk %s (%s %s)", got.Risk, got.Action, got.Matcher)
			}
			found := false
			for _, p := range got.Parts {
				if p.Action == UnknownAction && strings.Contains(p.Matcher, tt.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("no part says %q: %+v", tt.reason, got.Parts)
			}
		})
	}
	others := []*wire.ToolCall{
		nil,
		{Kind: wire.KindOther, ToolName: "Mystery"},
		{Kind: "", ToolName: "Empty"},
		{Kind: wire.KindMCP, ToolName: "mcp__evil__x", MCPServer: "evil", MCPTool: "x"},
		{Kind: wire.KindFileWrite, ToolName: "Write"},
		{Kind: wire.KindWebFetch, ToolName: "WebFetch", URL: "::"},
	}
	for _, c := range others {
		if got := tx.Classify(c); got.Risk != Critical || got.Action != UnknownAction || !strings.HasPrefix(got.Matcher, "builtin unknown: ") {
			t.Errorf("%+v = %s %s %s", c, got.Risk, got.Action, got.Matcher)
		}
	}
}

// TestNoRuleLowersUnknown checks that rules only raise risk: a taxonomy
// cannot make an unrecognised or unanalysable command less than critical,
// even with a catch-all low rule.
func TestNoRuleLowersUnknown(t *testing.T) {
	src := minimal + `  - id: anything
    title: Anything
    risk: low
    match:
      - shell: {dynamic: true}
      - shell: {dynamic: false}
      - path: {location: [project, outside, dynamic]}
`
	tx, err := Load([]byte(src), "t.yaml", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"frobnicate", "$X", "echo 'x", `eval "$X"`} {
		if got := tx.Classify(shellCall(cmd)); got.Risk != Critical {
			t.Errorf("%q = %s %s", cmd, got.Risk, got.Action)
		}
	}
	if got := tx.Classify(shellCall("cat x")); got.Risk != Low {
		t.Errorf("cat x = %s", got.Risk)
	}
}

func TestBroadProjectDir(t *testing.T) {
	tx := defaultTaxonomy(t)
	for _, dir := range []string{"/", testHome, "/home"} {
		c := &wire.ToolCall{Kind: wire.KindFileWrite, ToolName: "Write", Paths: []string{testHome + "/notes/x.txt"}, CWD: dir, ProjectDir: dir}
		if got := tx.Classify(c); got.Risk != High || got.Action != "file.write.outside" {
			t.Errorf("project %q: %s %s", dir, got.Risk, got.Action)
		}
	}
}

// TestConcurrentClassify classifies the corpus from many goroutines; run
// with -race it shows that a Taxonomy is safe to share.
func TestConcurrentClassify(t *testing.T) {
	tx := defaultTaxonomy(t)
	cases := readCorpus(t)
	want := make([]Classification, len(cases))
	for i, c := range cases {
		want[i] = tx.Classify(shellCall(c.command))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cases {
				k := (i + g*37) % len(cases)
				got := tx.Classify(shellCall(cases[k].command))
				if got.Risk != want[k].Risk || got.Action != want[k].Action || got.Target != want[k].Target {
					t.Errorf("%q: concurrent %s %s, serial %s %s", cases[k].command, got.Risk, got.Action, want[k].Risk, want[k].Action)
					return
				}
			}
		}()
	}
	wg.Wait()
}
