package harness

import (
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

func TestCopilotParse(t *testing.T) {
	pre := map[string]string{EnvEvent: "preToolUse"}
	perm := map[string]string{EnvEvent: "permissionRequest"}
	bashArgs := `{"command":"git push origin main --force","description":"push"}`
	bashString := `"{\"command\":\"git push origin main --force\",\"description\":\"push\"}"`
	camel := func(event, tool string, kind wire.Kind, digest string) wire.ToolCall {
		return wire.ToolCall{Harness: Copilot, Event: event, SessionID: "cp-1", CWD: "/src/app", ToolName: tool, Kind: kind, InputDigest: digest}
	}
	bashObj := camel("preToolUse", "bash", wire.KindShell, sha(bashArgs))
	bashObj.Command = "git push origin main --force"
	bashStr := bashObj // the digest covers the string's bytes, which are the same JSON text
	view := camel("preToolUse", "view", wire.KindFileRead, sha(`{"path":"/src/app/.env"}`))
	view.Paths = []string{"/src/app/.env"}
	create := camel("preToolUse", "create", wire.KindFileWrite, sha(`{"path":"notes.md","file_text":"hi"}`))
	create.Paths = []string{"notes.md"}
	edit := camel("preToolUse", "edit", wire.KindFileEdit, sha(`{"path":"a.go","old_str":"a","new_str":"b"}`))
	edit.Paths = []string{"a.go"}
	fetch := camel("preToolUse", "web_fetch", wire.KindWebFetch, sha(`{"url":"https://x.dev"}`))
	fetch.URL = "https://x.dev"
	permCall := camel("permissionRequest", "bash", wire.KindShell, sha(bashArgs))
	permCall.Command = "git push origin main --force"
	noArgs := camel("preToolUse", "ask_user", wire.KindOther, sha("null"))
	pascalInput := `{"file_path":"/src/app/main.go","content":"package main"}`
	pascal := wire.ToolCall{Harness: Copilot, Event: "PreToolUse", SessionID: "cp-2", CWD: "/src/app", ToolName: "Write",
		Kind: wire.KindFileWrite, Paths: []string{"/src/app/main.go"}, InputDigest: sha(pascalInput)}
	pascalPerm := wire.ToolCall{Harness: Copilot, Event: "PermissionRequest", SessionID: "cp-2", CWD: "/src/app", ToolName: "Bash",
		Kind: wire.KindShell, Command: "ls", InputDigest: sha(`{"command":"ls"}`)}

	head := `{"sessionId":"cp-1","timestamp":1760000000000,"cwd":"/src/app",`
	runParseCases(t, copilotAdapter{}, []parseCase{
		{name: "camel toolArgs object", env: pre, event: EventPreToolUseCamel, want: bashObj,
			stdin: head + `"toolName":"bash","toolArgs":` + bashArgs + `}`},
		{name: "camel toolArgs string", env: pre, event: EventPreToolUseCamel, want: bashStr,
			stdin: head + `"toolName":"bash","toolArgs":` + bashString + `}`},
		{name: "view", env: pre, event: EventPreToolUseCamel, want: view,
			stdin: head + `"toolName":"view","toolArgs":{"path":"/src/app/.env"}}`},
		{name: "create", env: pre, event: EventPreToolUseCamel, want: create,
			stdin: head + `"toolName":"create","toolArgs":{"path":"notes.md","file_text":"hi"}}`},
		{name: "edit", env: pre, event: EventPreToolUseCamel, want: edit,
			stdin: head + `"toolName":"edit","toolArgs":{"path":"a.go","old_str":"a","new_str":"b"}}`},
		{name: "web fetch", env: pre, event: EventPreToolUseCamel, want: fetch,
			stdin: head + `"toolName":"web_fetch","toolArgs":{"url":"https://x.dev"}}`},
		{name: "null args", env: pre, event: EventPreToolUseCamel, want: noArgs,
			stdin: head + `"toolName":"ask_user","toolArgs":null}`},
		{name: "permission request from env", env: perm, event: EventPermissionRequestCamel, want: permCall,
			stdin: head + `"toolName":"bash","toolArgs":` + bashArgs + `}`},
		{name: "vs code form", event: EventPreToolUse, want: pascal,
			stdin: `{"hook_event_name":"PreToolUse","session_id":"cp-2","timestamp":"2026-10-01T12:00:00Z","cwd":"/src/app",` +
				`"tool_name":"Write","tool_input":` + pascalInput + `}`},
		{name: "payload event wins over env", env: pre, event: EventPermissionRequest, want: pascalPerm,
			stdin: `{"hook_event_name":"PermissionRequest","session_id":"cp-2","cwd":"/src/app","tool_name":"Bash","tool_input":{"command":"ls"}}`},
	})
}

func TestCopilotParseErrors(t *testing.T) {
	pre := map[string]string{EnvEvent: "preToolUse"}
	runErrCases(t, copilotAdapter{}, []errCase{
		{"no event anywhere", `{"sessionId":"s","toolName":"bash","toolArgs":{}}`, nil, ErrUnknownEvent},
		{"bad env event", `{"sessionId":"s","toolName":"bash","toolArgs":{}}`, map[string]string{EnvEvent: "postToolUse"}, ErrUnknownEvent},
		{"pascal env value", `{"sessionId":"s","toolName":"bash","toolArgs":{}}`, map[string]string{EnvEvent: "PreToolUse"}, ErrUnknownEvent},
		{"unknown payload event", `{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{}}`, pre, ErrUnknownEvent},
		{"missing tool name", `{"sessionId":"s","toolArgs":{}}`, pre, ErrMissingField},
		{"missing args", `{"sessionId":"s","toolName":"bash"}`, pre, ErrMissingField},
		{"args array", `{"sessionId":"s","toolName":"bash","toolArgs":[1]}`, pre, ErrMalformed},
		{"malformed", `{"sessionId":`, pre, ErrMalformed},
	})
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ stdin, want string }{
		{claudeStdin("Bash", `{"command":"ls"}`), Claude},
		{codexStdin("PreToolUse", "Bash", `{"command":"ls"}`, ""), Codex},
		{`{` + cursorCommon + `"hook_event_name":"beforeShellExecution","command":"ls"}`, Cursor},
		{geminiStdin("run_shell_command", `{"command":"ls"}`, ""), Gemini},
		{`{"session_id":"s","timestamp":"2026-10-01T12:00:00Z","hook_event_name":"AfterAgent","tool_name":"mcp__x__y"}`, Gemini},
		{`{"sessionId":"s","timestamp":1760000000000,"cwd":"/x","toolName":"bash","toolArgs":"{}"}`, Copilot},
		{`{"hook_event_name":"PreToolUse","session_id":"s","timestamp":"2026-10-01T12:00:00Z","tool_name":"Bash","tool_input":{}}`, Copilot},
		{`{"agent_action_name":"pre_run_command","tool_info":{}}`, "windsurf"},
		{`{"clineVersion":"3.1","hookName":"PreToolUse"}`, "cline"},
		{`{"hook_event_name":"Stop"}`, ""},
		{`not json`, ""},
	} {
		if got := Detect([]byte(tc.stdin)); got != tc.want {
			t.Errorf("Detect(%.60s…) = %q, want %q", tc.stdin, got, tc.want)
		}
	}
}
