package taxonomy

import (
	"strconv"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// maxTarget bounds a target's length: it is shown, spoken and recorded.
const maxTarget = 160

// placeholder kinds of a target template.
type phKind uint8

const (
	phProgram phKind = iota + 1 // the program name
	phSub                       // the matched subcommand words
	phArgs                      // the positionals after the subcommand
	phArg                       // positional n after the subcommand (1-based)
	phFlag                      // the value of an option
	phDir                       // the directory the command runs in
	phPath                      // the path that matched
	phHost                      // the URL host
	phURL                       // the URL without query or fragment
	phServer                    // the MCP server
	phTool                      // the MCP tool
	phName                      // the tool name
	phProcs                     // the processes a command names (kill, pkill)
)

// phNamed returns the placeholder kind a name in a template stands for.
func phNamed(name string) (phKind, bool) {
	for k, n := range [...]string{phProgram: "program", phSub: "sub", phArgs: "args", phDir: "dir", phPath: "path",
		phHost: "host", phURL: "url", phServer: "server", phTool: "tool", phName: "name", phProcs: "processes"} {
		if n != "" && n == name {
			return phKind(k), true
		}
	}
	return 0, false
}

// phAllowed reports whether a matcher kind can fill a placeholder kind.
func phAllowed(matcher string, k phKind) bool {
	switch matcher {
	case "shell":
		return k == phProgram || k == phSub || k == phArgs || k == phArg || k == phFlag || k == phDir || k == phProcs
	case "path":
		return k == phPath
	case "url":
		return k == phHost || k == phURL
	case "mcp":
		return k == phServer || k == phTool || k == phPath
	case "tool":
		return k == phName || k == phPath
	}
	return false
}

type placeholder struct {
	kind phKind
	n    int
	flag string
}

// tpart is literal text or a list of alternative placeholders: the first
// that is not empty is used.
type tpart struct {
	lit  string
	alts []placeholder
}

type template []tpart

// compileTarget parses "text {a|b} text" templates.
func (b *builder) compileTarget(s str, kind string) (template, error) {
	var t template
	rest := s.s
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t = append(t, tpart{lit: rest})
			break
		}
		if i > 0 {
			t = append(t, tpart{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, b.d.errf(s.n, "target %q has an unclosed {", s.s)
		}
		var part tpart
		for _, alt := range strings.Split(rest[i+1:i+j], "|") {
			ph, ok := parsePlaceholder(alt)
			if !ok || !phAllowed(kind, ph.kind) {
				return nil, b.d.errf(s.n, "target placeholder {%s} is not available in a %s matcher", alt, kind)
			}
			part.alts = append(part.alts, ph)
		}
		t = append(t, part)
		rest = rest[i+j+1:]
	}
	return t, nil
}

func parsePlaceholder(s string) (placeholder, bool) {
	if k, ok := phNamed(s); ok {
		return placeholder{kind: k}, true
	}
	if f, ok := strings.CutPrefix(s, "flag:"); ok && len(f) >= 2 && f[0] == '-' {
		return placeholder{kind: phFlag, flag: f}, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 64 {
		return placeholder{kind: phArg, n: n}, true
	}
	return placeholder{}, false
}

// tctx is what a target can be rendered from.
type tctx struct {
	view     *cmdView
	sub      int // number of subcommand words the rule matched
	path     string
	host     string
	url      string
	call     *wire.ToolCall
	fallback string
}

// render fills the template; an empty template or result gives fallback.
func (t template) render(c *tctx) string {
	var b strings.Builder
	for _, p := range t {
		if p.alts == nil {
			b.WriteString(p.lit)
			continue
		}
		for _, ph := range p.alts {
			if v := c.value(ph); v != "" {
				b.WriteString(v)
				break
			}
		}
	}
	out := sanitize(b.String(), maxTarget)
	if out == "" {
		out = sanitize(c.fallback, maxTarget)
	}
	return out
}

func (c *tctx) value(ph placeholder) string {
	var cmd *shell.Command
	var av *argv
	if c.view != nil {
		cmd, av = c.view.cmd, &c.view.av
	}
	switch ph.kind {
	case phPath:
		return c.path
	case phHost:
		return c.host
	case phURL:
		return c.url
	case phServer:
		if c.call != nil {
			return c.call.MCPServer
		}
	case phTool:
		if c.call != nil {
			return c.call.MCPTool
		}
	case phName:
		if c.call != nil {
			return c.call.ToolName
		}
	}
	if cmd == nil {
		return ""
	}
	sub := min(c.sub, len(av.pos))
	switch ph.kind {
	case phProgram:
		return cmd.Name
	case phDir:
		return cmd.Dir
	case phProcs:
		return c.view.procs().text()
	case phFlag:
		for _, f := range av.flags {
			if f.name == ph.flag && f.value != nil {
				return display(f.value)
			}
		}
	case phSub:
		return joinArgs(cmd, av.pos[:sub])
	case phArgs:
		return joinArgs(cmd, av.pos[sub:])
	case phArg:
		if i := sub + ph.n - 1; i < len(av.pos) {
			return display(&cmd.Args[av.pos[i]])
		}
	}
	return ""
}

func joinArgs(cmd *shell.Command, idx []int) string {
	parts := make([]string, len(idx))
	for i, k := range idx {
		parts[i] = display(&cmd.Args[k])
	}
	return strings.Join(parts, " ")
}

// display shows a word's value, or its source text when the value is not
// known.
func display(w *shell.Word) string {
	if w.Static {
		return w.Value
	}
	return w.Text
}
