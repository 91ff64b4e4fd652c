package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// cursorShape is the stdin of Cursor's preToolUse, beforeShellExecution,
// beforeMCPExecution and beforeReadFile hooks: flat snake_case. The file
// content beforeReadFile carries is deliberately not decoded.
type cursorShape struct {
	ConversationID string          `json:"conversation_id"`
	SessionID      string          `json:"session_id"`
	Event          string          `json:"hook_event_name"`
	WorkspaceRoots []string        `json:"workspace_roots"`
	CWD            string          `json:"cwd"`
	ToolName       string          `json:"tool_name"`
	ToolInput      json.RawMessage `json:"tool_input"`
	ToolUseID      string          `json:"tool_use_id"`
	Command        json.RawMessage `json:"command"` // shell command, or an MCP server's launch command
	URL            string          `json:"url"`     // an MCP server's URL
	Server         string          `json:"server"`  // an MCP server's name, where given
	FilePath       string          `json:"file_path"`
}

// Cursor tool names for the events that have none of their own; they match
// the tool types preToolUse reports for the same actions.
const (
	cursorShellTool = "Shell"
	cursorReadTool  = "Read"
)

// cursorKind maps the tool types Cursor's preToolUse reports.
func cursorKind(name string) wire.Kind {
	switch name {
	case "Shell":
		return wire.KindShell
	case "Read":
		return wire.KindFileRead
	case "Write":
		return wire.KindFileWrite
	case "Grep":
		return wire.KindSearch
	case "Task":
		return wire.KindSubagent
	}
	if strings.HasPrefix(name, "MCP:") || strings.HasPrefix(name, "mcp__") {
		return wire.KindMCP
	}
	return wire.KindOther
}

// cursorAdapter speaks Cursor's hooks. Every event answers with a flat
// {"permission": ...} object and exit 0: allow is {"permission":"allow"}
// (required under failClosed, where an empty reply blocks), deny adds the
// reason as user_message and agent_message (the agent receives user_message).
// Ask is never honoured: preToolUse does not enforce it, beforeShellExecution
// treats it as a silent deny and beforeReadFile rejects it, so it is encoded
// as a deny with a reason.
type cursorAdapter struct{}

func (cursorAdapter) Name() string { return Cursor }

func (cursorAdapter) Parse(stdin []byte, getenv func(string) string) (*wire.ToolCall, Event, error) {
	var in cursorShape
	if err := unmarshalTop(Cursor, stdin, &in); err != nil {
		return nil, "", err
	}
	ev := Event(in.Event)
	c := &wire.ToolCall{Harness: Cursor, Event: in.Event, SessionID: in.ConversationID, CWD: in.CWD}
	if c.SessionID == "" {
		c.SessionID = in.SessionID
	}
	c.ProjectDir = env(getenv, "CURSOR_PROJECT_DIR")
	if c.ProjectDir == "" && len(in.WorkspaceRoots) > 0 {
		c.ProjectDir = in.WorkspaceRoots[0]
	}
	var err error
	switch ev {
	case EventPreToolUseCamel:
		err = cursorPreToolUse(c, &in)
	case EventBeforeShellExecution:
		err = cursorShell(c, &in)
	case EventBeforeMCPExecution:
		err = cursorMCP(c, &in)
	case EventBeforeReadFile:
		if in.FilePath == "" {
			return nil, ev, fmt.Errorf("cursor: %w: file_path", ErrMissingField)
		}
		c.ToolName, c.Kind, c.Paths = cursorReadTool, wire.KindFileRead, []string{in.FilePath}
		c.InputDigest = digestHex([]byte(in.FilePath))
	case "":
		return nil, "", fmt.Errorf("cursor: %w: hook_event_name", ErrMissingField)
	default:
		return nil, "", fmt.Errorf("cursor: %w: %q", ErrUnknownEvent, truncateRunes(in.Event, 64))
	}
	if err != nil {
		return nil, ev, err
	}
	c, err = finish(c)
	return c, ev, err
}

func cursorPreToolUse(c *wire.ToolCall, in *cursorShape) error {
	if in.ToolName == "" {
		return fmt.Errorf("cursor: %w: tool_name", ErrMissingField)
	}
	input, err := decodeInput(Cursor, "tool_input", in.ToolInput, true, false)
	if err != nil {
		return err
	}
	c.ToolName, c.ToolCallID, c.Kind, c.InputDigest = in.ToolName, in.ToolUseID, cursorKind(in.ToolName), input.digest
	if server, tool, ok := splitMCP(in.ToolName); ok {
		c.Kind, c.MCPServer, c.MCPTool = wire.KindMCP, server, tool
	}
	extract(c, input.fields)
	return nil
}

func cursorShell(c *wire.ToolCall, in *cursorShape) error {
	var cmd string
	if len(in.Command) == 0 || json.Unmarshal(in.Command, &cmd) != nil || cmd == "" {
		return fmt.Errorf("cursor: %w: command", ErrMissingField)
	}
	c.ToolName, c.Kind, c.Command = cursorShellTool, wire.KindShell, cmd
	c.InputDigest = digestHex([]byte(cmd))
	return nil
}

// cursorMCP reads beforeMCPExecution. The event names the tool and gives the
// server only as its URL or launch command, so MCPServer holds the server's
// name where Cursor gives one and otherwise that URL or command.
func cursorMCP(c *wire.ToolCall, in *cursorShape) error {
	if in.ToolName == "" {
		return fmt.Errorf("cursor: %w: tool_name", ErrMissingField)
	}
	input, err := decodeInput(Cursor, "tool_input", in.ToolInput, true, true)
	if err != nil {
		return err
	}
	c.ToolName, c.Kind, c.InputDigest = in.ToolName, wire.KindMCP, input.digest
	c.MCPTool = in.ToolName
	if server, tool, ok := splitMCP(in.ToolName); ok {
		c.MCPServer, c.MCPTool = server, tool
	}
	var launch string
	if len(in.Command) > 0 && in.Command[0] == '"' {
		_ = json.Unmarshal(in.Command, &launch)
	}
	for _, s := range []string{in.Server, in.URL, launch} {
		if c.MCPServer == "" {
			c.MCPServer = s
		}
	}
	extract(c, input.fields)
	return nil
}

func (cursorAdapter) HonoursAsk(Event) bool { return false }

// cursorOutput is Cursor's reply for every event.
type cursorOutput struct {
	Permission   string `json:"permission"`
	UserMessage  string `json:"user_message,omitempty"`
	AgentMessage string `json:"agent_message,omitempty"`
}

func (cursorAdapter) Encode(ev Event, d Decision, stdout, _ io.Writer) int {
	switch ev {
	case EventPreToolUseCamel, EventBeforeShellExecution, EventBeforeMCPExecution, EventBeforeReadFile:
		if d.verdict() == verdictAllow {
			writeJSON(stdout, cursorOutput{Permission: "allow"})
			return exitOK
		}
	default:
		d = forUnknownEvent(d)
	}
	r := reasonText(d.Reason)
	writeJSON(stdout, cursorOutput{Permission: "deny", UserMessage: r, AgentMessage: r})
	return exitOK
}

func (a cursorAdapter) DenyWithoutInput(_ []byte, reason string, stdout, stderr io.Writer) int {
	return a.Encode("", Decision{Reason: reason}, stdout, stderr)
}
