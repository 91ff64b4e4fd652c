package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
)

// Kind is the normalised category of a tool, set by the hook from the
// harness's own tool name.
type Kind string

// Tool kinds. The taxonomy matches on these; KindOther is never trusted.
const (
	KindShell     Kind = "shell"
	KindFileRead  Kind = "file_read"
	KindFileWrite Kind = "file_write"
	KindFileEdit  Kind = "file_edit"
	KindSearch    Kind = "search" // glob or grep over files
	KindWebFetch  Kind = "web_fetch"
	KindWebSearch Kind = "web_search"
	KindMCP       Kind = "mcp"
	KindSubagent  Kind = "subagent"
	KindOther     Kind = "other"
)

// Kinds lists every valid kind.
var Kinds = []Kind{KindShell, KindFileRead, KindFileWrite, KindFileEdit, KindSearch,
	KindWebFetch, KindWebSearch, KindMCP, KindSubagent, KindOther}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// ToolCall is one tool call as the hook read it from a harness, normalised so
// the engine can classify it without knowing the harness. It carries no file
// contents: InputDigest stands for the native tool input as a whole.
type ToolCall struct {
	Harness    string   `json:"harness"`                // claude, codex, cursor, gemini, copilot
	Event      string   `json:"event"`                  // the harness's own event name
	SessionID  string   `json:"session_id,omitempty"`   // the agent's session or conversation id
	ToolCallID string   `json:"tool_call_id,omitempty"` // empty where the harness has none
	CWD        string   `json:"cwd,omitempty"`
	ProjectDir string   `json:"project_dir,omitempty"`
	ToolName   string   `json:"tool_name"` // native name, unchanged
	Kind       Kind     `json:"kind"`
	Command    string   `json:"command,omitempty"` // shell command text
	Paths      []string `json:"paths,omitempty"`   // file paths the call names
	URL        string   `json:"url,omitempty"`
	Pattern    string   `json:"pattern,omitempty"` // search pattern or web query
	MCPServer  string   `json:"mcp_server,omitempty"`
	MCPTool    string   `json:"mcp_tool,omitempty"`
	// InputDigest is the lowercase hex SHA-256 of the native tool input bytes
	// as the hook received them.
	InputDigest string `json:"input_digest"`
	// RiskHint is whatever risk the agent claimed. It is recorded and never
	// used to decide anything.
	RiskHint string `json:"risk_hint,omitempty"`
}

// digestPrefix separates tool-call digests from every other hash Ony computes.
const digestPrefix = "ony/toolcall/v1\x00"

// Digest returns the SHA-256 of the call's canonical encoding: the domain
// prefix, then every field in declaration order as a 4-byte big-endian
// length followed by its bytes, Paths as a 4-byte count followed by each path
// (in the order given). See docs/VERDICT-FORMAT.md.
func (c *ToolCall) Digest() [32]byte {
	h := sha256.New()
	var buf [4]byte
	put := func(s string) {
		binary.BigEndian.PutUint32(buf[:], uint32(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	h.Write([]byte(digestPrefix))
	put(c.Harness)
	put(c.Event)
	put(c.SessionID)
	put(c.ToolCallID)
	put(c.CWD)
	put(c.ProjectDir)
	put(c.ToolName)
	put(string(c.Kind))
	put(c.Command)
	binary.BigEndian.PutUint32(buf[:], uint32(len(c.Paths)))
	h.Write(buf[:])
	for _, p := range c.Paths {
		put(p)
	}
	put(c.URL)
	put(c.Pattern)
	put(c.MCPServer)
	put(c.MCPTool)
	put(c.InputDigest)
	put(c.RiskHint)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DigestHex is Digest in lowercase hex.
func (c *ToolCall) DigestHex() string {
	d := c.Digest()
	return hex.EncodeToString(d[:])
}

// SortedPaths returns a sorted copy of the call's paths.
func (c *ToolCall) SortedPaths() []string {
	out := append([]string(nil), c.Paths...)
	sort.Strings(out)
	return out
}
