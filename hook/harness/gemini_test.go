package harness

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

func geminiStdin(tool, input, extra string) string {
	return `{"session_id":"g-42","transcript_path":"/home/u/.gemini/tmp/chats/s.json","cwd":"/work/app",` +
		`"hook_event_name":"BeforeTool","timestamp":"2026-10-01T12:00:00.000Z","tool_name":"` + tool + `","tool_input":` + input + extra + `}`
}

func TestGeminiParse(t *testing.T) {
	env := map[string]string{"GEMINI_PROJECT_DIR": "/work/app"}
	call := func(tool string, kind wire.Kind, input string) wire.ToolCall {
		return wire.ToolCall{Harness: Gemini, Event: "BeforeTool", SessionID: "g-42", CWD: "/work/app", ProjectDir: "/work/app",
			ToolName: tool, Kind: kind, InputDigest: sha(input)}
	}
	type tc struct {
		name, tool, input, extra string
		kind                     wire.Kind
		fill                     func(*wire.ToolCall)
	}
	tools := []tc{
		{"shell", "run_shell_command", `{"command":"make deploy","description":"deploy","dir_path":"services/api"}`, "", wire.KindShell,
			func(c *wire.ToolCall) { c.Command, c.CWD = "make deploy", "/work/app/services/api" }},
		{"write", "write_file", `{"file_path":"/work/app/README.md","content":"# x"}`, "", wire.KindFileWrite,
			func(c *wire.ToolCall) { c.Paths = []string{"/work/app/README.md"} }},
		{"replace", "replace", `{"file_path":"/work/app/a.ts","old_string":"a","new_string":"b"}`, "", wire.KindFileEdit,
			func(c *wire.ToolCall) { c.Paths = []string{"/work/app/a.ts"} }},
		{"read", "read_file", `{"absolute_path":"/home/u/.aws/credentials"}`, "", wire.KindFileRead,
			func(c *wire.ToolCall) { c.Paths = []string{"/home/u/.aws/credentials"} }},
		{"read many", "read_many_files", `{"paths":["a.go","b.go","a.go"]}`, "", wire.KindFileRead,
			func(c *wire.ToolCall) { c.Paths = []string{"a.go", "b.go"} }},
		{"glob", "glob", `{"pattern":"**/*.sql","dir_path":"db"}`, "", wire.KindSearch,
			func(c *wire.ToolCall) { c.Pattern, c.Paths = "**/*.sql", []string{"db"} }},
		{"web fetch prompt", "web_fetch", `{"prompt":"Summarise https://example.com/post and compare"}`, "", wire.KindWebFetch,
			func(c *wire.ToolCall) { c.URL = "https://example.com/post" }},
		{"web search", "google_web_search", `{"query":"gemini hooks"}`, "", wire.KindWebSearch,
			func(c *wire.ToolCall) { c.Pattern = "gemini hooks" }},
		{"mcp by name", "mcp__linear__create_issue", `{"title":"t"}`, "", wire.KindMCP,
			func(c *wire.ToolCall) { c.MCPServer, c.MCPTool = "linear", "create_issue" }},
		{"mcp context", "create_issue", `{"title":"t"}`, `,"mcp_context":{"server_name":"linear","tool_name":"create_issue","url":"https://mcp.linear.app/sse"}`, wire.KindMCP,
			func(c *wire.ToolCall) { c.MCPServer, c.MCPTool = "linear", "create_issue" }},
		{"unknown tool", "save_memory", `{"fact":"x"}`, "", wire.KindOther, nil},
	}
	var cases []parseCase
	for _, tl := range tools {
		want := call(tl.tool, tl.kind, tl.input)
		if tl.fill != nil {
			tl.fill(&want)
		}
		cases = append(cases, parseCase{name: tl.name, stdin: geminiStdin(tl.tool, tl.input, tl.extra), env: env, event: EventBeforeTool, want: want})
	}
	fromEnv := wire.ToolCall{Harness: Gemini, Event: "BeforeTool", SessionID: "env-sess", CWD: "/env/cwd", ToolName: "read_file",
		Kind: wire.KindFileRead, Paths: []string{"/x"}, InputDigest: sha(`{"file_path":"/x"}`)}
	cases = append(cases, parseCase{name: "session and cwd from env", event: EventBeforeTool, want: fromEnv,
		env:   map[string]string{"GEMINI_SESSION_ID": "env-sess", "GEMINI_CWD": "/env/cwd"},
		stdin: `{"hook_event_name":"BeforeTool","tool_name":"read_file","tool_input":{"file_path":"/x"}}`})
	runParseCases(t, geminiAdapter{}, cases)
}

func TestGeminiParseErrors(t *testing.T) {
	var paths []string
	for i := 0; i <= maxPaths; i++ {
		paths = append(paths, fmt.Sprintf("%q", fmt.Sprintf("f%d", i)))
	}
	runErrCases(t, geminiAdapter{}, []errCase{
		{"malformed", `{"hook_event_name":"BeforeTool",}`, nil, ErrMalformed},
		{"after tool", `{"hook_event_name":"AfterTool","tool_name":"read_file","tool_input":{}}`, nil, ErrUnknownEvent},
		{"missing tool name", `{"hook_event_name":"BeforeTool","tool_input":{}}`, nil, ErrMissingField},
		{"missing input", `{"hook_event_name":"BeforeTool","tool_name":"read_file"}`, nil, ErrMissingField},
		{"too many paths", geminiStdin("read_many_files", `{"paths":[`+strings.Join(paths, ",")+`]}`, ""), nil, ErrTooLarge},
	})
}
