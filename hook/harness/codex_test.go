package harness

import (
	"encoding/json"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

func codexStdin(event, tool, input, extra string) string {
	return `{"session_id":"0199a","turn_id":"turn-7","transcript_path":null,"cwd":"/repo","hook_event_name":"` + event +
		`","model":"gpt-5","permission_mode":"default","tool_name":"` + tool + `",` + extra + `"tool_input":` + input + `}`
}

// patchInput wraps an apply_patch envelope as Codex's {command: string}.
func patchInput(patch string) string {
	b, _ := json.Marshal(map[string]string{"command": patch})
	return string(b)
}

func TestCodexParse(t *testing.T) {
	bash := `{"command":"rm -f /tmp/x"}`
	patch := patchInput("*** Begin Patch\n*** Add File: docs/new.md\n+hello\n*** Update File: src/main.go\n" +
		"*** Move to: src/app.go\n@@\n-a\n+b\n*** Delete File: old.txt\n*** Update File: src/main.go\n*** End Patch\n")
	heredoc := patchInput("apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: /repo/.codex/hooks.json\n@@\n-x\n+y\n*** End Patch\nEOF")
	mcp := `{"query":"select 1","url":"https://db.internal"}`
	base := func(event, tool string, kind wire.Kind, input string) wire.ToolCall {
		c := wire.ToolCall{Harness: Codex, Event: event, SessionID: "0199a", CWD: "/repo", ToolName: tool, Kind: kind, InputDigest: sha(input)}
		if event == "PreToolUse" {
			c.ToolCallID = "call_9"
		}
		return c
	}
	withID := `"tool_use_id":"call_9",`
	bashCall := base("PreToolUse", "Bash", wire.KindShell, bash)
	bashCall.Command = "rm -f /tmp/x"
	patchCall := base("PreToolUse", "apply_patch", wire.KindFileEdit, patch)
	patchCall.Paths = []string{"docs/new.md", "src/main.go", "src/app.go", "old.txt"}
	heredocCall := base("PreToolUse", "apply_patch", wire.KindFileEdit, heredoc)
	heredocCall.Paths = []string{"/repo/.codex/hooks.json"}
	mcpCall := base("PreToolUse", "mcp__postgres__query", wire.KindMCP, mcp)
	mcpCall.MCPServer, mcpCall.MCPTool, mcpCall.URL = "postgres", "query", "https://db.internal"
	netInput := `{"command":"network-access example.com","description":"needs network"}`
	permCall := base("PermissionRequest", "Bash", wire.KindShell, netInput)
	permCall.Command = "network-access example.com"
	webCall := base("PreToolUse", "WebSearch", wire.KindOther, `{"query":"x"}`)

	runParseCases(t, codexAdapter{}, []parseCase{
		{name: "bash reference example", stdin: codexStdin("PreToolUse", "Bash", bash, withID), event: EventPreToolUse, want: bashCall},
		{name: "apply_patch envelope", stdin: codexStdin("PreToolUse", "apply_patch", patch, withID), event: EventPreToolUse, want: patchCall},
		{name: "apply_patch heredoc", stdin: codexStdin("PreToolUse", "apply_patch", heredoc, withID), event: EventPreToolUse, want: heredocCall},
		{name: "mcp", stdin: codexStdin("PreToolUse", "mcp__postgres__query", mcp, withID), event: EventPreToolUse, want: mcpCall},
		{name: "permission request", stdin: codexStdin("PermissionRequest", "Bash", netInput, ""), event: EventPermissionRequest, want: permCall},
		{name: "tool codex does not name is other", stdin: codexStdin("PreToolUse", "WebSearch", `{"query":"x"}`, withID), event: EventPreToolUse, want: webCall},
	})
}

func TestCodexParseErrors(t *testing.T) {
	runErrCases(t, codexAdapter{}, []errCase{
		{"malformed", `{"hook_event_name":`, nil, ErrMalformed},
		{"stop event", codexStdin("Stop", "Bash", `{}`, ""), nil, ErrUnknownEvent},
		{"missing tool name", codexStdin("PreToolUse", "", `{"command":"ls"}`, ""), nil, ErrMissingField},
		{"tool input array", codexStdin("PreToolUse", "Bash", `["ls"]`, ""), nil, ErrMalformed},
	})
}

func TestCodexArrayCommand(t *testing.T) {
	c, _, err := codexAdapter{}.Parse([]byte(codexStdin("PreToolUse", "Bash", `{"command":["bash","-lc","rm -rf 'a b'"]}`, "")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `bash -lc 'rm -rf '\''a b'\'''`; c.Command != want {
		t.Errorf("Command = %s, want %s", c.Command, want)
	}
}

func TestPatchPaths(t *testing.T) {
	got := patchPaths("*** Begin Patch\r\n*** Add File:  a b.txt \r\n+x\n    *** Delete File: c\n*** End Patch")
	if len(got) != 2 || got[0] != "a b.txt" || got[1] != "c" {
		t.Errorf("patchPaths = %q", got)
	}
	if got := patchPaths("no markers\n**** Add File: x\n"); len(got) != 0 {
		t.Errorf("patchPaths on non-patch = %q", got)
	}
}
