package harness

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// claudeStdin builds a Claude Code PreToolUse payload around a tool input
// given verbatim, so the test knows the exact bytes the digest covers.
func claudeStdin(tool, input string) string {
	return `{"session_id":"abc123","prompt_id":"550e8400","transcript_path":"/home/u/.claude/projects/p/x.jsonl",` +
		`"cwd":"/home/u/proj","permission_mode":"default","hook_event_name":"PreToolUse",` +
		`"tool_name":"` + tool + `","tool_input":` + input + `,"tool_use_id":"toolu_01ABC"}`
}

func claudeCall(tool string, kind wire.Kind, input string) wire.ToolCall {
	return wire.ToolCall{Harness: Claude, Event: "PreToolUse", SessionID: "abc123", ToolCallID: "toolu_01ABC",
		CWD: "/home/u/proj", ProjectDir: "/home/u/proj", ToolName: tool, Kind: kind, InputDigest: sha(input)}
}

func TestClaudeParse(t *testing.T) {
	env := map[string]string{"CLAUDE_PROJECT_DIR": "/home/u/proj"}
	type tool struct {
		name, tool, input string
		kind              wire.Kind
		fill              func(*wire.ToolCall)
	}
	tools := []tool{
		{"bash reference example", "Bash", `{"command":"npm test","description":"Run tests","timeout":120000,"run_in_background":false}`, wire.KindShell,
			func(c *wire.ToolCall) { c.Command = "npm test" }},
		{"powershell", "PowerShell", `{"command":"Remove-Item -Recurse C:\\x"}`, wire.KindShell,
			func(c *wire.ToolCall) { c.Command = `Remove-Item -Recurse C:\x` }},
		{"write", "Write", `{"file_path":"/home/u/proj/a.go","content":"package a\n"}`, wire.KindFileWrite,
			func(c *wire.ToolCall) { c.Paths = []string{"/home/u/proj/a.go"} }},
		{"edit", "Edit", `{"file_path":"/home/u/proj/a.go","old_string":"a","new_string":"b","replace_all":true}`, wire.KindFileEdit,
			func(c *wire.ToolCall) { c.Paths = []string{"/home/u/proj/a.go"} }},
		{"notebook edit", "NotebookEdit", `{"notebook_path":"/n.ipynb","new_source":"x"}`, wire.KindFileEdit,
			func(c *wire.ToolCall) { c.Paths = []string{"/n.ipynb"} }},
		{"read", "Read", `{"file_path":"/home/u/.ssh/id_ed25519","offset":1,"limit":20}`, wire.KindFileRead,
			func(c *wire.ToolCall) { c.Paths = []string{"/home/u/.ssh/id_ed25519"} }},
		{"glob", "Glob", `{"pattern":"**/*.go","path":"/home/u/proj"}`, wire.KindSearch,
			func(c *wire.ToolCall) { c.Pattern, c.Paths = "**/*.go", []string{"/home/u/proj"} }},
		{"grep", "Grep", `{"pattern":"TODO|FIXME","path":"src","glob":"*.ts","output_mode":"content","-i":true}`, wire.KindSearch,
			func(c *wire.ToolCall) { c.Pattern, c.Paths = "TODO|FIXME", []string{"src"} }},
		{"web fetch", "WebFetch", `{"url":"https://example.com/docs","prompt":"summarise"}`, wire.KindWebFetch,
			func(c *wire.ToolCall) { c.URL = "https://example.com/docs" }},
		{"web search", "WebSearch", `{"query":"ony kill switch","allowed_domains":["github.com"]}`, wire.KindWebSearch,
			func(c *wire.ToolCall) { c.Pattern = "ony kill switch" }},
		{"agent", "Agent", `{"prompt":"refactor","description":"Refactor","subagent_type":"general-purpose"}`, wire.KindSubagent, nil},
		{"task alias", "Task", `{"prompt":"p","description":"d","subagent_type":"x"}`, wire.KindSubagent, nil},
		{"mcp", "mcp__github__create_issue", `{"owner":"ony-dev","repo":"ony","title":"bug"}`, wire.KindMCP,
			func(c *wire.ToolCall) { c.MCPServer, c.MCPTool = "github", "create_issue" }},
		{"plugin mcp with a path", "mcp__plugin_fs_files__write_file", `{"path":"/home/u/.config/ony/config.yaml","content":"x"}`, wire.KindMCP,
			func(c *wire.ToolCall) {
				c.MCPServer, c.MCPTool, c.Paths = "plugin_fs_files", "write_file", []string{"/home/u/.config/ony/config.yaml"}
			}},
		{"mcp move_file names both ends", "mcp__filesystem__move_file", `{"source":"/tmp/evil.json","destination":"/home/u/.claude/settings.json"}`, wire.KindMCP,
			func(c *wire.ToolCall) {
				c.MCPServer, c.MCPTool, c.Paths = "filesystem", "move_file", []string{"/tmp/evil.json", "/home/u/.claude/settings.json"}
			}},
		{"mcp argument that looks like a path", "mcp__repo__archive", `{"repo_path":"/home/u/proj","out":"~/.ssh/x","note":"/a\nb","url":"//cdn","uri":"file:///home/u/.aws/credentials","rel":"../../.ssh/id_rsa","word":"hello"}`, wire.KindMCP,
			func(c *wire.ToolCall) {
				c.MCPServer, c.MCPTool, c.Paths, c.URL = "repo", "archive", []string{"/home/u/proj", "~/.ssh/x", "../../.ssh/id_rsa", "/home/u/.aws/credentials"}, "//cdn"
			}},
		{"unknown tool", "TodoWrite", `{"todos":[]}`, wire.KindOther, nil},
		{"agent risk claim is recorded", "Bash", `{"command":"rm -rf build","risk":" low "}`, wire.KindShell,
			func(c *wire.ToolCall) { c.Command, c.RiskHint = "rm -rf build", "low" }},
		{"numeric risk level", "Bash", `{"command":"ls","risk_level":1}`, wire.KindShell,
			func(c *wire.ToolCall) { c.Command, c.RiskHint = "ls", "1" }},
		{"tool input with spacing", "Bash", "{ \"command\" : \"echo hi\" }", wire.KindShell,
			func(c *wire.ToolCall) { c.Command = "echo hi" }},
	}
	var cases []parseCase
	for _, tl := range tools {
		want := claudeCall(tl.tool, tl.kind, tl.input)
		if tl.fill != nil {
			tl.fill(&want)
		}
		cases = append(cases, parseCase{name: tl.name, stdin: claudeStdin(tl.tool, tl.input), env: env, event: EventPreToolUse, want: want})
	}
	permInput := `{"command":"git push --force","description":"Force push"}`
	cases = append(cases, parseCase{
		name: "permission request without tool_use_id",
		stdin: `{"session_id":"s1","cwd":"/w","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":` + permInput +
			`,"permission_suggestions":[{"type":"addRules","destination":"localSettings"}]}`,
		event: EventPermissionRequest,
		want: wire.ToolCall{Harness: Claude, Event: "PermissionRequest", SessionID: "s1", CWD: "/w", ToolName: "Bash",
			Kind: wire.KindShell, Command: "git push --force", InputDigest: sha(permInput)},
	})
	runParseCases(t, claudeAdapter{}, cases)
}

func TestClaudeParseErrors(t *testing.T) {
	big := strings.Repeat("x", maxCommandLen+1)
	runErrCases(t, claudeAdapter{}, []errCase{
		{"malformed json", `{"hook_event_name":"PreToolUse",`, nil, ErrMalformed},
		{"not an object", `["PreToolUse"]`, nil, ErrMalformed},
		{"empty", ``, nil, ErrMalformed},
		{"trailing data", claudeStdin("Bash", `{"command":"ls"}`) + `{}`, nil, ErrMalformed},
		{"wrong field type", `{"hook_event_name":"PreToolUse","tool_name":7,"tool_input":{}}`, nil, ErrMalformed},
		{"unknown event", `{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{}}`, nil, ErrUnknownEvent},
		{"missing event", `{"tool_name":"Bash","tool_input":{}}`, nil, ErrMissingField},
		{"missing tool name", `{"hook_event_name":"PreToolUse","tool_input":{"command":"ls"}}`, nil, ErrMissingField},
		{"missing tool input", `{"hook_event_name":"PreToolUse","tool_name":"Bash"}`, nil, ErrMissingField},
		{"tool input is a string", `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":"{\"command\":\"ls\"}"}`, nil, ErrMalformed},
		{"tool input is null", `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":null}`, nil, ErrMalformed},
		{"oversized command", claudeStdin("Bash", fmt.Sprintf(`{"command":%q}`, big)), nil, ErrTooLarge},
		{"oversized tool name", claudeStdin(strings.Repeat("T", maxNameLen+1), `{}`), nil, ErrTooLarge},
		{"oversized path", claudeStdin("Read", fmt.Sprintf(`{"file_path":"/%s"}`, strings.Repeat("p", maxPathLen))), nil, ErrTooLarge},
		{"oversized session id", strings.Replace(claudeStdin("Bash", `{}`), "abc123", strings.Repeat("s", maxIDLen+1), 1), nil, ErrTooLarge},
	})
}

func TestClaudeParseKeepsEventOnError(t *testing.T) {
	_, ev, err := claudeAdapter{}.Parse([]byte(`{"hook_event_name":"PermissionRequest","tool_input":{}}`), nil)
	if err == nil || ev != EventPermissionRequest {
		t.Fatalf("Parse = %q, %v; want PermissionRequest with an error", ev, err)
	}
}

func TestParseRefusesHugeStdin(t *testing.T) {
	huge := make([]byte, MaxInput+1)
	for _, name := range Names() {
		a, _ := Lookup(name)
		if _, _, err := a.Parse(huge, nil); err == nil {
			t.Errorf("%s: Parse accepted %d bytes", name, len(huge))
		}
	}
	if got := Detect(huge); got != "" {
		t.Errorf("Detect on oversized input = %q", got)
	}
}

func TestCallBudget(t *testing.T) {
	// Each field within its own limit, together over the budget.
	cmd := strings.Repeat("c", maxCommandLen)
	pat := strings.Repeat("p", maxPatternLen)
	var paths []string
	for i := 0; i < 120; i++ {
		paths = append(paths, fmt.Sprintf("/%04d/%s", i, strings.Repeat("d", 4000)))
	}
	c := &wire.ToolCall{Harness: Claude, Kind: wire.KindShell, Command: cmd, Pattern: pat, Paths: paths}
	if _, err := finish(c); err == nil {
		t.Fatal("finish accepted a call over the byte budget")
	}
	c.Paths = make([]string, maxPaths+1)
	if _, err := finish(c); err == nil {
		t.Fatal("finish accepted too many paths")
	}
}
