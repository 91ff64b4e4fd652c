package taxonomy

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// defaultAccess is how a tool kind uses the paths it names.
func defaultAccess(k wire.Kind) access {
	switch k {
	case wire.KindFileWrite:
		return accWrite
	case wire.KindFileEdit:
		return accEdit
	}
	return accRead
}

// tool classifies a call of any kind but shell.
func (x *callCtx) tool() Classification {
	c := x.c
	v := newVerdict()
	first := ""
	if len(c.Paths) > 0 {
		first = c.Paths[0]
	}
	tc := &tctx{call: c, path: first, fallback: first}
	if tc.fallback == "" {
		tc.fallback = c.ToolName
	}
	recognised := false
	var acc access
	tree := false
	switch {
	case !c.Kind.Valid():
		v.unknown(x.t, fmt.Sprintf("tool kind %q is not a kind Ony knows", c.Kind), c.ToolName)
	case c.Kind == wire.KindOther:
		v.unknown(x.t, "tool kind \"other\" is never trusted", c.ToolName)
	default:
		if c.Kind == wire.KindMCP {
			for _, r := range x.t.mcpRules {
				if r.mcp.server.match(c.MCPServer) && (r.mcp.tool == nil || r.mcp.tool.match(c.MCPTool)) {
					recognised = true
					if !r.mcp.noPaths {
						// The paths in an MCP tool's arguments are
						// checked like a file tool's: read unless the
						// rule says how the tool uses them.
						acc |= cmp.Or(r.mcp.paths, accRead)
						tree = tree || r.mcp.tree
					}
					v.offer(r, tc)
				}
			}
		}
		for _, r := range x.t.byKind[c.Kind] {
			if r.tool.name != nil && !r.tool.name.match(c.ToolName) {
				continue
			}
			recognised = true
			if !r.tool.noPaths {
				acc |= cmp.Or(r.tool.paths, defaultAccess(c.Kind))
				tree = tree || r.tool.tree
			}
			v.offer(r, tc)
		}
		if !recognised {
			v.unknown(x.t, fmt.Sprintf("no rule recognises %s tool %q%s", c.Kind, c.ToolName, mcpName(c)), c.ToolName)
		}
	}
	if !recognised {
		acc = defaultAccess(c.Kind)
		tree = c.Kind == wire.KindSearch
	}
	if tree && acc != 0 {
		acc |= accTree
	}
	x.toolPaths(acc, &v)
	if c.Kind == wire.KindWebFetch || c.URL != "" {
		if !x.checkURL(c.URL, &v) && c.Kind == wire.KindWebFetch {
			v.unknown(x.t, "the URL to fetch is missing or not an absolute URL", c.URL)
		}
	}
	return summarise([]Part{v.part("")}, false)
}

func mcpName(c *wire.ToolCall) string {
	if c.Kind != wire.KindMCP {
		return ""
	}
	return fmt.Sprintf(" (server %q, tool %q)", c.MCPServer, c.MCPTool)
}

// toolPaths checks the paths a tool call names, used as acc (none when 0:
// every matching rule said paths: none).
func (x *callCtx) toolPaths(acc access, v *verdict) {
	c := x.c
	var base []string
	if d := cmp.Or(x.cwd, x.project); d != "" {
		base = []string{d}
	}
	paths := c.Paths
	switch c.Kind {
	case wire.KindFileRead, wire.KindFileWrite, wire.KindFileEdit:
		if len(paths) == 0 {
			v.unknown(x.t, "a file tool call that names no path", c.ToolName)
		}
	case wire.KindSearch:
		if len(paths) == 0 {
			paths = []string{"."}
		}
		if p := c.Pattern; strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~/") {
			paths = append(paths[:len(paths):len(paths)], p)
		}
	}
	if acc == 0 {
		return
	}
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, "~/"); ok && x.t.env.Home != "" {
			p = filepath.Join(x.t.env.Home, rest)
		} else if p == "~" && x.t.env.Home != "" {
			p = x.t.env.Home
		}
		w := shell.Word{Value: p, Text: p, Static: true, Anchored: true}
		x.checkPath(&w, base, acc, v)
	}
}
