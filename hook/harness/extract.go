package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// Field limits. A call that exceeds one is refused (and so denied) rather than
// truncated, so the engine never classifies a shortened command. Together they
// keep a call well inside wire.MaxFrame.
const (
	maxIDLen      = 1024      // session and tool-call ids
	maxNameLen    = 1024      // tool, event and MCP names
	maxPathLen    = 4096      // each path, cwd and project dir
	maxPaths      = 256       // paths per call
	maxCommandLen = 256 << 10 // shell command text
	maxURLLen     = 16 << 10
	maxPatternLen = 64 << 10
	maxCallBytes  = 768 << 10 // all string fields together
	maxRiskLen    = 128       // the agent's risk claim is truncated, never refused
)

// fields is one decoded JSON object, values left raw.
type fields map[string]json.RawMessage

// str returns the first of keys whose value is a JSON string.
func (f fields) str(keys ...string) string {
	for _, k := range keys {
		raw, ok := f[k]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return ""
}

// strs returns the strings held by key: one string, or each string of an array.
func (f fields) strs(key string) []string {
	raw, ok := f[key]
	if !ok || len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		if s := f.str(key); s != "" {
			return []string{s}
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			var s string
			if len(item) > 0 && item[0] == '"' && json.Unmarshal(item, &s) == nil && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// toolInput is a tool's native input: the bytes the digest covers and, when
// they hold a JSON object, its fields.
type toolInput struct {
	digest string
	fields fields
}

// decodeInput reads a native tool input. An object is taken as is. With
// allowString, a JSON string is taken as string-encoded input: the digest
// covers the string's bytes and its fields are read when it holds an object.
// JSON null counts as an empty input where allowNull is set.
func decodeInput(harness, field string, raw json.RawMessage, allowString, allowNull bool) (toolInput, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return toolInput{}, fmt.Errorf("%s: %w: %s", harness, ErrMissingField, field)
	}
	switch raw[0] {
	case '{':
		var f fields
		if err := json.Unmarshal(raw, &f); err != nil {
			return toolInput{}, fmt.Errorf("%s: %w: %s: %v", harness, ErrMalformed, field, err)
		}
		return toolInput{digest: digestHex(raw), fields: f}, nil
	case '"':
		if allowString {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return toolInput{}, fmt.Errorf("%s: %w: %s: %v", harness, ErrMalformed, field, err)
			}
			in := toolInput{digest: digestHex([]byte(s))}
			var f fields
			if json.Unmarshal([]byte(s), &f) == nil {
				in.fields = f
			}
			return in, nil
		}
	case 'n':
		if allowNull && string(raw) == "null" {
			return toolInput{digest: digestHex(raw)}, nil
		}
	}
	return toolInput{}, fmt.Errorf("%s: %w: %s is not a JSON object", harness, ErrMalformed, field)
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// splitMCP splits an MCP tool name: "mcp__server__tool" (Claude Code, Codex,
// Gemini; plugin servers keep their "plugin_x_y" server part) and "MCP:tool"
// (Cursor's tool type, which names no server).
func splitMCP(name string) (server, tool string, ok bool) {
	if rest, found := strings.CutPrefix(name, "mcp__"); found {
		server, tool, _ = strings.Cut(rest, "__")
		return server, tool, true
	}
	if rest, found := strings.CutPrefix(name, "MCP:"); found {
		return "", rest, true
	}
	return "", "", false
}

// pathKeys are the input fields that name one file or directory, across
// harnesses and MCP servers; pathListKeys name several.
func pathKeys() []string {
	return []string{"file_path", "path", "absolute_path", "notebook_path", "filePath", "dir_path", "directory",
		"source", "destination", "repo_path", "repoPath", "cwd", "working_directory", "workdir", "src", "dst", "dest",
		"source_path", "sourcePath", "destination_path", "destinationPath", "target_path", "targetPath",
		"old_path", "new_path", "input_path", "output_path", "outputPath", "root", "folder", "dir", "file", "filename"}
}

func pathListKeys() []string {
	return []string{"paths", "file_paths", "filePaths", "files", "sources", "directories", "roots"}
}

// pathLike returns the local path a string an MCP tool takes is likely to
// name: absolute, under the home directory, relative with ./ or ../, or a
// file:// URL; on one line.
func pathLike(s string) (string, bool) {
	if len(s) < 2 || len(s) > maxPathLen || strings.ContainsAny(s, "\n\r\x00") {
		return "", false
	}
	if rest, ok := strings.CutPrefix(s, "file://"); ok {
		s = "/" + strings.TrimLeft(rest, "/")
	}
	if s[0] == '/' && (len(s) == 1 || s[1] != '/') || strings.HasPrefix(s, "~/") ||
		strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return s, true
	}
	return "", false
}

// extract fills Command, Paths, URL, Pattern and RiskHint from a tool's input
// according to c.Kind. Command is only ever taken for shell calls; paths and
// URLs are also taken from MCP and unknown tools, so the engine can see a call
// that touches Ony's own files whatever tool it comes through.
func extract(c *wire.ToolCall, in fields) {
	if in == nil {
		return
	}
	switch c.Kind {
	case wire.KindShell:
		c.Command = commandOf(in)
		if wd := in.str("cwd", "dir_path", "directory"); wd != "" {
			switch {
			case filepath.IsAbs(wd):
				c.CWD = wd
			case c.CWD != "":
				c.CWD = filepath.Join(c.CWD, wd)
			}
		}
	case wire.KindSearch:
		c.Pattern = in.str("pattern", "query", "regex")
	case wire.KindWebSearch:
		c.Pattern = in.str("query", "search_query")
	case wire.KindWebFetch:
		c.URL = in.str("url", "uri")
		if c.URL == "" {
			c.URL = firstURL(in.str("prompt"))
		}
	}
	switch c.Kind {
	case wire.KindShell, wire.KindWebFetch, wire.KindWebSearch, wire.KindSubagent:
	default:
		for _, k := range pathKeys() {
			c.Paths = appendPath(c.Paths, in.str(k))
		}
		for _, k := range pathListKeys() {
			for _, p := range in.strs(k) {
				c.Paths = appendPath(c.Paths, p)
			}
		}
		if c.Kind == wire.KindMCP || c.Kind == wire.KindOther {
			// Any other argument that looks like a local path is one:
			// an MCP server names its arguments as it likes.
			c.Paths = appendPathLike(c.Paths, in)
		}
		if c.URL == "" {
			c.URL = in.str("url")
		}
	}
	c.RiskHint = riskHint(in)
}

// commandOf returns a shell command: a string, or an argv array joined with
// ShellJoin so that its quoting survives.
func commandOf(in fields) string {
	for _, k := range []string{"command", "cmd"} {
		raw := in[k]
		if len(raw) > 0 && raw[0] == '[' {
			return ShellJoin(in.strs(k))
		}
		if s := in.str(k); s != "" {
			return s
		}
	}
	return ""
}

// appendPathLike adds the top-level string values (or strings in arrays)
// of in that look like local paths, in key order so the result is stable.
func appendPathLike(paths []string, in fields) []string {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(paths) >= maxPaths {
			break
		}
		for _, v := range in.strs(k) {
			if p, ok := pathLike(v); ok {
				paths = appendPath(paths, p)
			}
		}
	}
	return paths
}

// appendPath adds p unless it is empty or already listed.
func appendPath(paths []string, p string) []string {
	if p == "" {
		return paths
	}
	for _, q := range paths {
		if q == p {
			return paths
		}
	}
	return append(paths, p)
}

// firstURL finds the first http(s) URL in free text (Gemini's web_fetch takes
// a prompt that contains the URLs).
func firstURL(s string) string {
	i := strings.Index(s, "https://")
	if j := strings.Index(s, "http://"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return ""
	}
	u := s[i:]
	if end := strings.IndexAny(u, " \t\r\n\"'<>()[]{}`"); end >= 0 {
		u = u[:end]
	}
	return strings.TrimRight(u, ".,;:!?")
}

// riskHint returns whatever risk the agent put in its tool input, truncated.
func riskHint(in fields) string {
	for _, k := range []string{"risk", "risk_level", "riskLevel", "risk_hint", "riskHint"} {
		raw := bytes.TrimSpace(in[k])
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		s := string(raw)
		if raw[0] == '"' {
			s = strings.TrimSpace(in.str(k))
		}
		return truncateRunes(s, maxRiskLen)
	}
	return ""
}

// truncateRunes cuts s to at most n bytes without splitting a rune.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ShellJoin joins argv into a POSIX shell command line, single-quoting every
// argument that is not made only of characters the shell leaves alone. It is
// used for array-form commands and by the installer for harnesses whose hook
// command is a shell string.
func ShellJoin(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !shellSafe(r) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

func shellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("_-./:=@%+,", r)
}

// finish checks a parsed call: a valid kind, and every field within its limit.
func finish(c *wire.ToolCall) (*wire.ToolCall, error) {
	if !c.Kind.Valid() {
		return nil, fmt.Errorf("%s: invalid kind %q", c.Harness, c.Kind)
	}
	if len(c.Paths) > maxPaths {
		return nil, fmt.Errorf("%s: %w: %d paths (limit %d)", c.Harness, ErrTooLarge, len(c.Paths), maxPaths)
	}
	total := 0
	check := func(name, v string, limit int) error {
		total += len(v)
		if len(v) > limit {
			return fmt.Errorf("%s: %w: %s is %d bytes (limit %d)", c.Harness, ErrTooLarge, name, len(v), limit)
		}
		return nil
	}
	for _, f := range []struct {
		name, v string
		limit   int
	}{
		{"event", c.Event, maxNameLen},
		{"session id", c.SessionID, maxIDLen},
		{"tool call id", c.ToolCallID, maxIDLen},
		{"cwd", c.CWD, maxPathLen},
		{"project dir", c.ProjectDir, maxPathLen},
		{"tool name", c.ToolName, maxNameLen},
		{"command", c.Command, maxCommandLen},
		{"url", c.URL, maxURLLen},
		{"pattern", c.Pattern, maxPatternLen},
		{"mcp server", c.MCPServer, maxPathLen},
		{"mcp tool", c.MCPTool, maxNameLen},
	} {
		if err := check(f.name, f.v, f.limit); err != nil {
			return nil, err
		}
	}
	for _, p := range c.Paths {
		if err := check("path", p, maxPathLen); err != nil {
			return nil, err
		}
	}
	if total > maxCallBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes of fields (limit %d)", c.Harness, ErrTooLarge, total, maxCallBytes)
	}
	return c, nil
}

// env reads an environment variable through getenv, which may be nil.
func env(getenv func(string) string, key string) string {
	if getenv == nil {
		return ""
	}
	return getenv(key)
}

// sniffEvent finds the value of "hook_event_name" in raw, possibly malformed,
// JSON without parsing it.
func sniffEvent(b []byte) string {
	const key = `"hook_event_name"`
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(b[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return ""
	}
	return string(rest[1 : 1+end])
}

// checkSize refuses stdin over MaxInput.
func checkSize(harness string, stdin []byte) error {
	if len(stdin) > MaxInput {
		return fmt.Errorf("%s: %w: stdin is %d bytes (limit %d)", harness, ErrTooLarge, len(stdin), MaxInput)
	}
	return nil
}

// unmarshalTop decodes stdin's top-level object into v.
func unmarshalTop(harness string, stdin []byte, v any) error {
	if err := checkSize(harness, stdin); err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(stdin)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%s: %w: stdin is not a JSON object", harness, ErrMalformed)
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%s: %w: %v", harness, ErrMalformed, err)
	}
	return nil
}
