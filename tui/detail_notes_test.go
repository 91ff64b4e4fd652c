package tui

import (
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// TestDetailShowsEngineNotes checks that the engine's notes on a request
// (a file the session wrote, then runs) reach the detail pane.
func TestDetailShowsEngineNotes(t *testing.T) {
	st := NewStyles(true, true)
	r := engine.Request{ID: "req_1", Call: wire.ToolCall{Harness: "claude", ToolName: "Bash", Kind: wire.KindShell, Command: "python3 x.py"},
		Class: engine.Classification{Action: "exec.project_script", Risk: risk.Medium},
		Notes: []string{"runs x.py, written by this session 2 min ago"}}
	lines, _ := detailLines(&r, &st, false, 100)
	out := strings.Join(lines, "\n")
	if !strings.Contains(out, "note") || !strings.Contains(out, "runs x.py, written by this session 2 min ago") {
		t.Fatalf("detail without the note:\n%s", out)
	}
}
