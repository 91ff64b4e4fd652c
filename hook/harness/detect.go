package harness

import (
	"encoding/json"
	"strings"
)

// Detect guesses which harness wrote a hook payload from its shape, so the
// hook can answer the harness that is calling when it is not the one the
// hook was installed for (Copilot CLI reads .claude/settings.json and Cursor
// can load Claude Code hooks). It returns a harness name, "windsurf" or "cline" (which have no
// adapter), or "" when the payload matches none.
//
// Fingerprints: Cursor sends cursor_version; Copilot CLI sends toolName /
// toolArgs / sessionId, or in its VS Code form a timestamp with Claude-style
// tool names; Codex sends turn_id; Gemini sends a timestamp with snake_case
// tool names (or the BeforeTool event); Claude Code sends none of these.
func Detect(stdin []byte) string {
	if len(stdin) > MaxInput {
		return ""
	}
	var top fields
	if json.Unmarshal(stdin, &top) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	event := Event(top.str("hook_event_name"))
	switch {
	case has("cursor_version"):
		return Cursor
	case has("agent_action_name"):
		return "windsurf"
	case has("clineVersion"):
		return "cline"
	case has("toolName") || has("toolArgs") || has("sessionId"):
		return Copilot
	case has("turn_id"):
		return Codex
	case event == EventBeforeTool:
		return Gemini
	case has("timestamp"):
		if snakeTool(top.str("tool_name")) {
			return Gemini
		}
		return Copilot
	case event == EventPreToolUse || event == EventPermissionRequest:
		return Claude
	}
	return ""
}

// snakeTool reports whether a tool name looks like Gemini's (run_shell_command,
// read_file, mcp__x__y) rather than Claude's (Bash, Read).
func snakeTool(name string) bool {
	return name != "" && strings.ToLower(name) == name
}
