package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// claudeShape is the stdin of Claude Code's and Codex's PreToolUse and
// PermissionRequest hooks (Codex adds turn_id and model, unused here).
type claudeShape struct {
	SessionID string          `json:"session_id"`
	Event     string          `json:"hook_event_name"`
	CWD       string          `json:"cwd"`
	ToolName  string          `json:"tool_name"`
	ToolInput json.RawMessage `json:"tool_input"`
	ToolUseID string          `json:"tool_use_id"`
}

// parseClaudeShape reads a Claude-shaped payload. kind maps the harness's
// native tool names.
func parseClaudeShape(harness string, stdin []byte, kind func(string) wire.Kind) (*wire.ToolCall, Event, toolInput, error) {
	var in claudeShape
	if err := unmarshalTop(harness, stdin, &in); err != nil {
		return nil, "", toolInput{}, err
	}
	ev := Event(in.Event)
	switch ev {
	case EventPreToolUse, EventPermissionRequest:
	case "":
		return nil, "", toolInput{}, fmt.Errorf("%s: %w: hook_event_name", harness, ErrMissingField)
	default:
		return nil, "", toolInput{}, fmt.Errorf("%s: %w: %q", harness, ErrUnknownEvent, truncateRunes(in.Event, 64))
	}
	if in.ToolName == "" {
		return nil, ev, toolInput{}, fmt.Errorf("%s: %w: tool_name", harness, ErrMissingField)
	}
	input, err := decodeInput(harness, "tool_input", in.ToolInput, false, false)
	if err != nil {
		return nil, ev, toolInput{}, err
	}
	c := &wire.ToolCall{
		Harness:     harness,
		Event:       in.Event,
		SessionID:   in.SessionID,
		ToolCallID:  in.ToolUseID,
		CWD:         in.CWD,
		ToolName:    in.ToolName,
		Kind:        kind(in.ToolName),
		InputDigest: input.digest,
	}
	if server, tool, ok := splitMCP(in.ToolName); ok {
		c.Kind, c.MCPServer, c.MCPTool = wire.KindMCP, server, tool
	}
	extract(c, input.fields)
	return c, ev, input, nil
}

// claudeKind maps Claude Code's tool names (also used by Copilot's VS Code
// compatible payloads).
func claudeKind(name string) wire.Kind {
	switch name {
	case "Bash", "PowerShell":
		return wire.KindShell
	case "Write":
		return wire.KindFileWrite
	case "Edit", "MultiEdit", "NotebookEdit":
		return wire.KindFileEdit
	case "Read", "NotebookRead":
		return wire.KindFileRead
	case "Glob", "Grep":
		return wire.KindSearch
	case "WebFetch":
		return wire.KindWebFetch
	case "WebSearch":
		return wire.KindWebSearch
	case "Agent", "Task":
		return wire.KindSubagent
	}
	if strings.HasPrefix(name, "mcp__") {
		return wire.KindMCP
	}
	return wire.KindOther
}

// claudeAdapter speaks Claude Code's PreToolUse and PermissionRequest hooks.
//
// PreToolUse: allow is hookSpecificOutput.permissionDecision "allow", exit 0.
// Deny is the same JSON with "deny" and the reason, the reason on stderr too,
// and exit 2: Claude blocks on exit 2 whatever stdout says and takes the
// reason from the JSON. Ask is a deny: native "ask" has open bugs where it
// resolves to allow.
//
// PermissionRequest (fires when Claude is about to show its permission
// dialog): allow and deny are decision.behavior, exit 0 (exit 2 is ignored
// for this event). Ask prints nothing, so Claude shows its own dialog.
type claudeAdapter struct{}

func (claudeAdapter) Name() string { return Claude }

func (claudeAdapter) Parse(stdin []byte, getenv func(string) string) (*wire.ToolCall, Event, error) {
	c, ev, _, err := parseClaudeShape(Claude, stdin, claudeKind)
	if err != nil {
		return nil, ev, err
	}
	c.ProjectDir = env(getenv, "CLAUDE_PROJECT_DIR")
	c, err = finish(c)
	return c, ev, err
}

func (claudeAdapter) HonoursAsk(ev Event) bool { return ev == EventPermissionRequest }

func (a claudeAdapter) Encode(ev Event, d Decision, stdout, stderr io.Writer) int {
	v := d.verdict()
	switch ev {
	case EventPreToolUse:
		if v == verdictAllow {
			writeJSON(stdout, preToolUse("allow", ""))
			return exitOK
		}
	case EventPermissionRequest:
		switch v {
		case verdictAllow:
			writeJSON(stdout, permissionRequest("allow", ""))
		case verdictAsk:
			// No output: Claude shows its own permission dialog.
		default:
			writeJSON(stdout, permissionRequest("deny", reasonText(d.Reason)))
		}
		return exitOK
	default:
		d = forUnknownEvent(d)
	}
	return a.denyPreToolUse(d.Reason, stdout, stderr)
}

func (a claudeAdapter) DenyWithoutInput(stdin []byte, reason string, stdout, stderr io.Writer) int {
	if Event(sniffEvent(stdin)) == EventPermissionRequest {
		return a.Encode(EventPermissionRequest, Decision{Reason: reason}, stdout, stderr)
	}
	return a.denyPreToolUse(reason, stdout, stderr)
}

func (claudeAdapter) denyPreToolUse(reason string, stdout, stderr io.Writer) int {
	r := reasonText(reason)
	writeJSON(stdout, preToolUse("deny", r))
	writeReason(stderr, r)
	return exitBlock
}
