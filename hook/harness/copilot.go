package harness

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// copilotShape is the stdin of Copilot CLI's preToolUse and permissionRequest
// hooks in both forms: camelCase {sessionId, timestamp (ms), cwd, toolName,
// toolArgs (object or JSON string)}, which names no event, and the VS Code
// compatible PascalCase form {hook_event_name, session_id, timestamp (ISO),
// cwd, tool_name, tool_input}. Neither documents a tool-call id; one is read
// if present.
type copilotShape struct {
	SessionIDCamel string          `json:"sessionId"`
	SessionID      string          `json:"session_id"`
	Event          string          `json:"hook_event_name"`
	CWD            string          `json:"cwd"`
	ToolNameCamel  string          `json:"toolName"`
	ToolArgs       json.RawMessage `json:"toolArgs"`
	ToolName       string          `json:"tool_name"`
	ToolInput      json.RawMessage `json:"tool_input"`
	ToolCallID     string          `json:"toolCallId"`
	ToolUseID      string          `json:"tool_use_id"`
}

// copilotKind maps Copilot CLI's native tool names, then the Claude Code names
// its VS Code compatible payloads use.
func copilotKind(name string) wire.Kind {
	switch name {
	case "bash", "powershell":
		return wire.KindShell
	case "view":
		return wire.KindFileRead
	case "create":
		return wire.KindFileWrite
	case "edit":
		return wire.KindFileEdit
	case "glob", "grep":
		return wire.KindSearch
	case "web_fetch":
		return wire.KindWebFetch
	case "task":
		return wire.KindSubagent
	}
	return claudeKind(name)
}

// copilotAdapter speaks Copilot CLI's hooks.
//
// preToolUse (camelCase): {"permissionDecision": allow|deny|ask, reason},
// exit 0. Copilot honours ask with its own prompt (its cloud agent reads ask
// as deny). permissionRequest (camelCase; it fires before Copilot's rules, so
// handing back could auto-allow): {"behavior":"allow"}, exit 0, or
// {"behavior":"deny","message":R} with exit 2, which Copilot reads as a deny
// merged with that JSON; ask is a deny.
//
// The VS Code compatible PascalCase events get one object carrying both the
// flat fields and Claude's hookSpecificOutput, and a deny also exits 2, which
// every reading of these events takes as a deny.
type copilotAdapter struct{}

func (copilotAdapter) Name() string { return Copilot }

func (copilotAdapter) Parse(stdin []byte, getenv func(string) string) (*wire.ToolCall, Event, error) {
	var in copilotShape
	if err := unmarshalTop(Copilot, stdin, &in); err != nil {
		return nil, "", err
	}
	ev, err := copilotEvent(in.Event, env(getenv, EnvEvent))
	if err != nil {
		return nil, "", err
	}
	name, rawInput := in.ToolNameCamel, in.ToolArgs
	if ev == EventPreToolUse || ev == EventPermissionRequest || name == "" {
		if in.ToolName != "" {
			name, rawInput = in.ToolName, in.ToolInput
		}
	}
	if name == "" {
		return nil, ev, fmt.Errorf("copilot: %w: toolName", ErrMissingField)
	}
	input, err := decodeInput(Copilot, "tool arguments", rawInput, true, true)
	if err != nil {
		return nil, ev, err
	}
	c := &wire.ToolCall{
		Harness:     Copilot,
		Event:       string(ev),
		SessionID:   in.SessionIDCamel,
		ToolCallID:  in.ToolCallID,
		CWD:         in.CWD,
		ToolName:    name,
		Kind:        copilotKind(name),
		InputDigest: input.digest,
	}
	if c.SessionID == "" {
		c.SessionID = in.SessionID
	}
	if c.ToolCallID == "" {
		c.ToolCallID = in.ToolUseID
	}
	if server, tool, ok := splitMCP(name); ok {
		c.Kind, c.MCPServer, c.MCPTool = wire.KindMCP, server, tool
	}
	extract(c, input.fields)
	c, err = finish(c)
	return c, ev, err
}

// copilotEvent picks the event: the payload's own name where it has one,
// otherwise the one the installer put in the entry's environment.
func copilotEvent(payload, fromEnv string) (Event, error) {
	switch ev := Event(payload); ev {
	case EventPreToolUse, EventPermissionRequest, EventPreToolUseCamel, EventPermissionRequestCamel:
		return ev, nil
	case "":
	default:
		return "", fmt.Errorf("copilot: %w: %q", ErrUnknownEvent, truncateRunes(payload, 64))
	}
	switch ev := Event(fromEnv); ev {
	case EventPreToolUseCamel, EventPermissionRequestCamel:
		return ev, nil
	case "":
		return "", fmt.Errorf("copilot: %w: the payload names no event and %s is not set in the hook entry's env", ErrUnknownEvent, EnvEvent)
	}
	return "", fmt.Errorf("copilot: %w: %s=%q", ErrUnknownEvent, EnvEvent, truncateRunes(fromEnv, 64))
}

func (copilotAdapter) HonoursAsk(ev Event) bool {
	return ev == EventPreToolUseCamel || ev == EventPreToolUse
}

// Copilot output shapes.

type copilotPreOutput struct {
	PermissionDecision       string              `json:"permissionDecision"`
	PermissionDecisionReason string              `json:"permissionDecisionReason,omitempty"`
	HookSpecificOutput       *preToolUseSpecific `json:"hookSpecificOutput,omitempty"`
}

type copilotPermOutput struct {
	Behavior           string                     `json:"behavior"`
	Message            string                     `json:"message,omitempty"`
	HookSpecificOutput *permissionRequestSpecific `json:"hookSpecificOutput,omitempty"`
}

// copilotDeny denies in every form Copilot reads, for an unknown event.
type copilotDeny struct {
	PermissionDecision       string `json:"permissionDecision"`
	PermissionDecisionReason string `json:"permissionDecisionReason"`
	Behavior                 string `json:"behavior"`
	Message                  string `json:"message"`
}

func (copilotAdapter) Encode(ev Event, d Decision, stdout, stderr io.Writer) int {
	v := d.verdict()
	pascal := ev == EventPreToolUse || ev == EventPermissionRequest
	switch ev {
	case EventPreToolUseCamel, EventPreToolUse:
		out := copilotPreOutput{PermissionDecision: "deny"}
		switch v {
		case verdictAllow:
			out.PermissionDecision = "allow"
		case verdictAsk:
			out.PermissionDecision, out.PermissionDecisionReason = "ask", reasonText(d.Reason)
		default:
			out.PermissionDecisionReason = reasonText(d.Reason)
		}
		if pascal {
			out.HookSpecificOutput = &preToolUseSpecific{string(EventPreToolUse), out.PermissionDecision, out.PermissionDecisionReason}
		}
		writeJSON(stdout, out)
		if v == verdictDeny { // exit 2 denies in Copilot even if its stdout were not read
			writeReason(stderr, out.PermissionDecisionReason)
			return exitBlock
		}
		return exitOK
	case EventPermissionRequestCamel, EventPermissionRequest:
		out := copilotPermOutput{Behavior: "allow"}
		if v != verdictAllow {
			out.Behavior, out.Message = "deny", reasonText(d.Reason)
		}
		if pascal {
			out.HookSpecificOutput = &permissionRequestSpecific{string(EventPermissionRequest), permission{out.Behavior, out.Message}}
		}
		writeJSON(stdout, out)
		if v != verdictAllow {
			writeReason(stderr, out.Message)
			return exitBlock
		}
		return exitOK
	}
	r := reasonText(forUnknownEvent(d).Reason)
	writeJSON(stdout, copilotDeny{"deny", r, "deny", r})
	writeReason(stderr, r)
	return exitBlock
}

// DenyWithoutInput answers with one object that denies as either event and
// exit 2, which Copilot reads as a deny for both.
func (a copilotAdapter) DenyWithoutInput(_ []byte, reason string, stdout, stderr io.Writer) int {
	return a.Encode("", Decision{Reason: reason}, stdout, stderr)
}
