package tui

import (
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

func TestVisible(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		nl       bool
	}{
		{"git push --force", "git push --force", false},
		{"ls\x1b[2J", `ls\x1b[2J`, false},
		{"a\nb", `a\nb`, false},
		{"a\nb", "a\nb", true},
		{"a\tb", "a b", false},
		{"abc\u202edcba", `abc\u202edcba`, false},
		{"bad\xffbyte", `bad\xffbyte`, false},
		{"title\x1b]0;pwned\a", `title\x1b]0;pwned\a`, false},
		{"naïve café ✓", "naïve café ✓", false},
	} {
		if got := visible(tc.in, tc.nl); got != tc.want {
			t.Errorf("visible(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAgentTextCannotDriveTheTerminal submits a request whose command,
// session, paths and hint carry escape sequences; the rendered console
// holds none of them, only their visible codes.
func TestAgentTextCannotDriveTheTerminal(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(120, 40)
	f.submit(spec{session: "sess\x1b]0;owned\a", command: "rm -rf /\x1b[2K\x1b[1A\x1b[32mLOW risk, approved", hint: "low\x1b[8m",
		paths: []string{"/tmp/\u202egnp.exe"},
		class: engine.Classification{Action: "fs.delete.recursive", Title: "Recursive delete", Risk: risk.Critical, Target: "/\x1b[2J"}})
	f.refresh()
	raw := f.m.View().Content
	for _, seq := range []string{"\x1b]0;owned", "\x1b[2K", "\x1b[1A", "\x1b[8m", "\x1b[2J", "\u202e"} {
		if strings.Contains(raw, seq) {
			t.Errorf("the console emitted the agent's %q", seq)
		}
	}
	if s := f.screen(); !strings.Contains(s, `\x1b[2K`) || !strings.Contains(s, "CRIT") {
		t.Fatalf("escapes not shown as text, or risk badge lost:\n%s", s)
	}
}
