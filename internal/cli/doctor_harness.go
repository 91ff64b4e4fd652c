package cli

import (
	"context"

	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/hook/install"
)

// harnessRuntime adds what only the harness itself can tell about an
// installed hook: whether Codex trusts Ony's entries (it skips untrusted
// ones silently), and whether the installed Claude Code honours onFailure
// "block".
func (d *doctor) harnessRuntime(h string, o install.Options) {
	ctx := context.Background()
	switch h {
	case harness.Codex:
		ct := install.CheckCodexTrust(ctx, o)
		switch {
		case ct.Trusted:
			d.add("ok", h, ct.Text, "")
		case ct.Skipped:
			d.add("FAIL", h, ct.Text, "in Codex, type /hooks and trust Ony's PreToolUse and PermissionRequest entries")
		default:
			d.add("warn", h, ct.Text, "")
		}
	case harness.Claude:
		cv := install.CheckClaudeVersion(ctx, o)
		if cv.FailClosed {
			d.add("ok", h, cv.Text, "")
		} else {
			d.add("warn", h, cv.Text, "update Claude Code (claude update, or npm install -g @anthropic-ai/claude-code)")
		}
	}
}

// installRuntime is what install says after writing a harness's entries.
func installRuntime(h string, o install.Options) (text string, ok bool) {
	ctx := context.Background()
	switch h {
	case harness.Codex:
		ct := install.CheckCodexTrust(ctx, o)
		return ct.Text, ct.Trusted
	case harness.Claude:
		cv := install.CheckClaudeVersion(ctx, o)
		return cv.Text, cv.FailClosed
	}
	return "", true
}
