package tui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ony-dev/ony-tui/engine"
)

// Everything in a request comes from the agent: its command, session id,
// paths, even the target the taxonomy extracted from them. Printed raw, an
// escape sequence in any of them could recolour or overwrite the risk line,
// clear the screen or retitle the window. The console shows such
// characters as escape codes instead (\x1b, \u202e), once per snapshot,
// before any view sees the text.

// visible returns s with every character a terminal would act on rather
// than print (control and format characters, bidi overrides, invalid UTF-8)
// written as its Go escape. Tabs become a space; newlines are kept only
// when keepNewlines is set (the command, which the detail view wraps).
func visible(s string, keepNewlines bool) string {
	clean := true
	for _, r := range s {
		if !printable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		var r rune
		r, w = utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError && w == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i]), 16))
		case printable(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// printable reports whether a terminal prints r as itself.
func printable(r rune) bool {
	return r != utf8.RuneError && unicode.IsGraphic(r)
}

// visibleRequest neutralises every agent-derived string of r.
func visibleRequest(r engine.Request) engine.Request {
	c := &r.Call
	for _, f := range []*string{&c.Harness, &c.Event, &c.SessionID, &c.ToolCallID, &c.CWD, &c.ProjectDir,
		&c.ToolName, &c.URL, &c.Pattern, &c.MCPServer, &c.MCPTool, &c.InputDigest, &c.RiskHint,
		&r.Class.Action, &r.Class.Title, &r.Class.Target, &r.Class.Matcher} {
		*f = visible(*f, false)
	}
	c.Command = visible(c.Command, true)
	if len(c.Paths) > 0 {
		paths := make([]string, len(c.Paths))
		for i, p := range c.Paths {
			paths[i] = visible(p, false)
		}
		c.Paths = paths
	}
	return r
}
