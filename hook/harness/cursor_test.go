package harness

import (
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// cursorCommon are the fields every Cursor payload carries.
const cursorCommon = `"conversation_id":"conv-1","generation_id":"gen-1","model":"claude-4.5-sonnet","cursor_version":"3.9.16",` +
	`"workspace_roots":["/home/u/proj","/home/u/lib"],"user_email":"u@example.com","transcript_path":"/t.json",`

func TestCursorParse(t *testing.T) {
	shellInput := `{"command":"git push --force","cwd":"/home/u/proj/sub","timeout":30000}`
	readInput := `{"file_path":"/home/u/proj/.env"}`
	grepInput := `{"pattern":"password","file_path":"/home/u/proj/src"}`
	mcpArgs := `{"path":"/home/u/.local/state/ony/keys/device.key"}`
	mcpString := `"{\"path\":\"/home/u/.local/state/ony/keys/device.key\"}"`

	call := func(event, tool string, kind wire.Kind, digest string) wire.ToolCall {
		return wire.ToolCall{Harness: Cursor, Event: event, SessionID: "conv-1", CWD: "/home/u/proj", ProjectDir: "/home/u/proj",
			ToolName: tool, Kind: kind, InputDigest: digest}
	}
	preShell := call("preToolUse", "Shell", wire.KindShell, sha(shellInput))
	preShell.ToolCallID, preShell.Command, preShell.CWD = "4a1f0d62-8f5e-4b4e-9a57-0f0c7d0e6c11", "git push --force", "/home/u/proj/sub"
	preRead := call("preToolUse", "Read", wire.KindFileRead, sha(readInput))
	preRead.ToolCallID, preRead.Paths = "tool_abc", []string{"/home/u/proj/.env"}
	preGrep := call("preToolUse", "Grep", wire.KindSearch, sha(grepInput))
	preGrep.ToolCallID, preGrep.Pattern, preGrep.Paths = "tool_def", "password", []string{"/home/u/proj/src"}
	preMCP := call("preToolUse", "MCP:read_file", wire.KindMCP, sha(mcpArgs))
	preMCP.ToolCallID, preMCP.MCPTool, preMCP.Paths = "tool_ghi", "read_file", []string{"/home/u/.local/state/ony/keys/device.key"}
	shell := call("beforeShellExecution", "Shell", wire.KindShell, sha("rm -rf node_modules"))
	shell.Command = "rm -rf node_modules"
	mcpStr := call("beforeMCPExecution", "read_file", wire.KindMCP, sha(mcpArgs))
	mcpStr.MCPServer, mcpStr.MCPTool, mcpStr.Paths = "npx -y @modelcontextprotocol/server-filesystem /", "read_file", []string{"/home/u/.local/state/ony/keys/device.key"}
	mcpURL := call("beforeMCPExecution", "create_issue", wire.KindMCP, sha(`{"title":"x"}`))
	mcpURL.MCPServer, mcpURL.MCPTool = "https://mcp.example.com/sse", "create_issue"
	read := call("beforeReadFile", "Read", wire.KindFileRead, sha("/home/u/proj/.env"))
	read.Paths = []string{"/home/u/proj/.env"}
	envProject := read
	envProject.ProjectDir = "/from/env"

	runParseCases(t, cursorAdapter{}, []parseCase{
		{name: "preToolUse shell", event: EventPreToolUseCamel, want: preShell,
			stdin: `{` + cursorCommon + `"hook_event_name":"preToolUse","tool_name":"Shell","tool_input":` + shellInput +
				`,"tool_use_id":"4a1f0d62-8f5e-4b4e-9a57-0f0c7d0e6c11","cwd":"/home/u/proj"}`},
		{name: "preToolUse read", event: EventPreToolUseCamel, want: preRead,
			stdin: `{` + cursorCommon + `"hook_event_name":"preToolUse","tool_name":"Read","tool_input":` + readInput + `,"tool_use_id":"tool_abc","cwd":"/home/u/proj"}`},
		{name: "preToolUse grep", event: EventPreToolUseCamel, want: preGrep,
			stdin: `{` + cursorCommon + `"hook_event_name":"preToolUse","tool_name":"Grep","tool_input":` + grepInput + `,"tool_use_id":"tool_def","cwd":"/home/u/proj"}`},
		{name: "preToolUse mcp", event: EventPreToolUseCamel, want: preMCP,
			stdin: `{` + cursorCommon + `"hook_event_name":"preToolUse","tool_name":"MCP:read_file","tool_input":` + mcpArgs + `,"tool_use_id":"tool_ghi","cwd":"/home/u/proj"}`},
		{name: "beforeShellExecution", event: EventBeforeShellExecution, want: shell,
			stdin: `{` + cursorCommon + `"hook_event_name":"beforeShellExecution","command":"rm -rf node_modules","cwd":"/home/u/proj","sandbox":false}`},
		{name: "beforeMCPExecution with string input", event: EventBeforeMCPExecution, want: mcpStr,
			stdin: `{` + cursorCommon + `"hook_event_name":"beforeMCPExecution","tool_name":"read_file","tool_input":` + mcpString +
				`,"command":"npx -y @modelcontextprotocol/server-filesystem /","cwd":"/home/u/proj"}`},
		{name: "beforeMCPExecution with url", event: EventBeforeMCPExecution, want: mcpURL,
			stdin: `{` + cursorCommon + `"hook_event_name":"beforeMCPExecution","tool_name":"create_issue","tool_input":"{\"title\":\"x\"}",` +
				`"url":"https://mcp.example.com/sse","cwd":"/home/u/proj"}`},
		{name: "beforeReadFile ignores content", event: EventBeforeReadFile, want: read,
			stdin: `{` + cursorCommon + `"hook_event_name":"beforeReadFile","file_path":"/home/u/proj/.env","content":"SECRET=1\n","attachments":[],"cwd":"/home/u/proj"}`},
		{name: "project dir from env wins", event: EventBeforeReadFile, want: envProject, env: map[string]string{"CURSOR_PROJECT_DIR": "/from/env"},
			stdin: `{` + cursorCommon + `"hook_event_name":"beforeReadFile","file_path":"/home/u/proj/.env","content":"","cwd":"/home/u/proj"}`},
	})
}

func TestCursorParseErrors(t *testing.T) {
	runErrCases(t, cursorAdapter{}, []errCase{
		{"malformed", `{"hook_event_name":"preToolUse"`, nil, ErrMalformed},
		{"claude event name", `{"hook_event_name":"PreToolUse","tool_name":"Shell","tool_input":{}}`, nil, ErrUnknownEvent},
		{"after event", `{"hook_event_name":"afterFileEdit","file_path":"/x"}`, nil, ErrUnknownEvent},
		{"missing event", `{"tool_name":"Shell","tool_input":{}}`, nil, ErrMissingField},
		{"preToolUse without tool name", `{"hook_event_name":"preToolUse","tool_input":{}}`, nil, ErrMissingField},
		{"preToolUse without input", `{"hook_event_name":"preToolUse","tool_name":"Shell"}`, nil, ErrMissingField},
		{"shell without command", `{"hook_event_name":"beforeShellExecution","cwd":"/x"}`, nil, ErrMissingField},
		{"shell command not a string", `{"hook_event_name":"beforeShellExecution","command":["ls"]}`, nil, ErrMissingField},
		{"read without path", `{"hook_event_name":"beforeReadFile","content":"x"}`, nil, ErrMissingField},
		{"mcp without tool name", `{"hook_event_name":"beforeMCPExecution","tool_input":"{}"}`, nil, ErrMissingField},
		{"workspace roots not strings", `{"hook_event_name":"beforeReadFile","file_path":"/x","workspace_roots":[1]}`, nil, ErrMalformed},
	})
}
