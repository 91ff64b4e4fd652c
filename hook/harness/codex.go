package harness

import (
	"io"
	"strings"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// codexKind maps Codex's hook tool names: Bash (shell and unified exec),
// apply_patch (its input reports apply_patch even when a matcher says Edit
// or Write) and mcp__server__tool. Codex intercepts nothing else.
func codexKind(name string) wire.Kind {
	switch name {
	case "Bash":
		return wire.KindShell
	case "apply_patch":
		return wire.KindFileEdit
	}
	if strings.HasPrefix(name, "mcp__") {
		return wire.KindMCP
	}
	return wire.KindOther
}

// patchPaths returns the files an apply_patch envelope touches, in order:
// every "*** Add File:", "*** Update File:", "*** Delete File:" and
// "*** Move to:" line.
func patchPaths(patch string) []string {
	var paths []string
	for len(patch) > 0 {
		line := patch
		if i := strings.IndexByte(patch, '\n'); i >= 0 {
			line, patch = patch[:i], patch[i+1:]
		} else {
			patch = ""
		}
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "*** ") {
			continue
		}
		for _, marker := range []string{"*** Add File:", "*** Update File:", "*** Delete File:", "*** Move to:"} {
			if rest, ok := strings.CutPrefix(line, marker); ok {
				paths = appendPath(paths, strings.TrimSpace(rest))
				break
			}
		}
	}
	return paths
}

// codexAdapter speaks Codex CLI's PreToolUse and PermissionRequest hooks.
//
// Codex fails open on any output it does not support (ask, a bare allow,
// continue, stopReason, suppressOutput), so:
//
// PreToolUse: allow prints nothing and exits 0 (there is no allow). Deny
// writes hookSpecificOutput.permissionDecision "deny" with the reason, the
// reason on stderr, and exits 2: Codex blocks on exit 2 with a non-empty
// stderr without reading stdout. Ask is a deny (native ask fails open).
//
// PermissionRequest (fires only when Codex would ask for approval): allow is
// decision.behavior "allow", exit 0. Deny is decision.behavior "deny" with the
// message, the reason on stderr, exit 2. Ask prints nothing, so Codex shows its
// own approval prompt.
type codexAdapter struct{}

func (codexAdapter) Name() string { return Codex }

func (codexAdapter) Parse(stdin []byte, _ func(string) string) (*wire.ToolCall, Event, error) {
	c, ev, input, err := parseClaudeShape(Codex, stdin, codexKind)
	if err != nil {
		return nil, ev, err
	}
	if c.ToolName == "apply_patch" {
		for _, p := range patchPaths(input.fields.str("command", "patch", "input")) {
			c.Paths = appendPath(c.Paths, p)
		}
	}
	c, err = finish(c)
	return c, ev, err
}

func (codexAdapter) HonoursAsk(ev Event) bool { return ev == EventPermissionRequest }

func (a codexAdapter) Encode(ev Event, d Decision, stdout, stderr io.Writer) int {
	v := d.verdict()
	switch ev {
	case EventPreToolUse:
		if v == verdictAllow {
			return exitOK // nothing on stdout: Codex has no PreToolUse allow
		}
	case EventPermissionRequest:
		switch v {
		case verdictAllow:
			writeJSON(stdout, permissionRequest("allow", ""))
			return exitOK
		case verdictAsk:
			return exitOK // nothing: Codex shows its own approval prompt
		}
		r := reasonText(d.Reason)
		writeJSON(stdout, permissionRequest("deny", r))
		writeReason(stderr, r)
		return exitBlock
	default:
		d = forUnknownEvent(d)
	}
	r := reasonText(d.Reason)
	writeJSON(stdout, preToolUse("deny", r))
	writeReason(stderr, r)
	return exitBlock
}

func (a codexAdapter) DenyWithoutInput(stdin []byte, reason string, stdout, stderr io.Writer) int {
	ev := EventPreToolUse
	if Event(sniffEvent(stdin)) == EventPermissionRequest {
		ev = EventPermissionRequest
	}
	return a.Encode(ev, Decision{Reason: reason}, stdout, stderr)
}
