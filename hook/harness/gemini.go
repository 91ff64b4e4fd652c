package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// geminiShape is the stdin of Gemini CLI's BeforeTool hook. There is no
// tool-call id.
type geminiShape struct {
	SessionID  string          `json:"session_id"`
	Event      string          `json:"hook_event_name"`
	CWD        string          `json:"cwd"`
	ToolName   string          `json:"tool_name"`
	ToolInput  json.RawMessage `json:"tool_input"`
	MCPContext json.RawMessage `json:"mcp_context"`
}

// geminiKind maps Gemini CLI's built-in tool names.
func geminiKind(name string) wire.Kind {
	switch name {
	case "run_shell_command":
		return wire.KindShell
	case "write_file":
		return wire.KindFileWrite
	case "replace":
		return wire.KindFileEdit
	case "read_file", "read_many_files", "list_directory":
		return wire.KindFileRead
	case "glob", "search_file_content":
		return wire.KindSearch
	case "web_fetch":
		return wire.KindWebFetch
	case "google_web_search":
		return wire.KindWebSearch
	}
	if strings.HasPrefix(name, "mcp__") {
		return wire.KindMCP
	}
	return wire.KindOther
}

// geminiAdapter speaks Gemini CLI's BeforeTool hook. Allow is
// {"decision":"allow"}, exit 0. Deny is {"decision":"deny","reason":R} with
// R on stderr and exit 2, which Gemini turns into a deny with stderr as the
// reason without parsing stdout (exit 0 with stdout it cannot parse would
// proceed). Ask is a deny: Gemini's "ask" is undocumented and older versions
// do not know it.
type geminiAdapter struct{}

func (geminiAdapter) Name() string { return Gemini }

func (geminiAdapter) Parse(stdin []byte, getenv func(string) string) (*wire.ToolCall, Event, error) {
	var in geminiShape
	if err := unmarshalTop(Gemini, stdin, &in); err != nil {
		return nil, "", err
	}
	switch Event(in.Event) {
	case EventBeforeTool:
	case "":
		return nil, "", fmt.Errorf("gemini: %w: hook_event_name", ErrMissingField)
	default:
		return nil, "", fmt.Errorf("gemini: %w: %q", ErrUnknownEvent, truncateRunes(in.Event, 64))
	}
	ev := EventBeforeTool
	if in.ToolName == "" {
		return nil, ev, fmt.Errorf("gemini: %w: tool_name", ErrMissingField)
	}
	input, err := decodeInput(Gemini, "tool_input", in.ToolInput, false, false)
	if err != nil {
		return nil, ev, err
	}
	c := &wire.ToolCall{
		Harness:     Gemini,
		Event:       in.Event,
		SessionID:   in.SessionID,
		CWD:         in.CWD,
		ProjectDir:  env(getenv, "GEMINI_PROJECT_DIR"),
		ToolName:    in.ToolName,
		Kind:        geminiKind(in.ToolName),
		InputDigest: input.digest,
	}
	if c.SessionID == "" {
		c.SessionID = env(getenv, "GEMINI_SESSION_ID")
	}
	if c.CWD == "" {
		c.CWD = env(getenv, "GEMINI_CWD")
	}
	if server, tool, ok := splitMCP(in.ToolName); ok {
		c.Kind, c.MCPServer, c.MCPTool = wire.KindMCP, server, tool
	}
	var mcp fields
	if len(in.MCPContext) > 0 && in.MCPContext[0] == '{' && json.Unmarshal(in.MCPContext, &mcp) == nil {
		c.Kind = wire.KindMCP
		if s := mcp.str("server_name"); s != "" {
			c.MCPServer = s
		}
		if t := mcp.str("tool_name"); t != "" {
			c.MCPTool = t
		}
		if c.MCPTool == "" {
			c.MCPTool = in.ToolName
		}
	}
	extract(c, input.fields)
	c, err = finish(c)
	return c, ev, err
}

func (geminiAdapter) HonoursAsk(Event) bool { return false }

// geminiOutput is Gemini's BeforeTool reply.
type geminiOutput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
}

func (geminiAdapter) Encode(ev Event, d Decision, stdout, stderr io.Writer) int {
	if ev != EventBeforeTool {
		d = forUnknownEvent(d)
	} else if d.verdict() == verdictAllow {
		writeJSON(stdout, geminiOutput{Decision: "allow"})
		return exitOK
	}
	r := reasonText(d.Reason)
	writeJSON(stdout, geminiOutput{Decision: "deny", Reason: r})
	writeReason(stderr, r)
	return exitBlock
}

func (a geminiAdapter) DenyWithoutInput(_ []byte, reason string, stdout, stderr io.Writer) int {
	return a.Encode("", Decision{Reason: reason}, stdout, stderr)
}
