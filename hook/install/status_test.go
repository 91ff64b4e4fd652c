package install

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

func TestStatusHealthy(t *testing.T) {
	for _, h := range harness.Names() {
		e := newEnv(t, h)
		e.opts.OnyHome = "/srv/ony"
		e.install()
		r, err := Status(e.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || !r.Installed || len(r.Entries) == 0 {
			t.Fatalf("%s: status after install: %+v", h, r)
		}
		for _, en := range r.Entries {
			if !en.PointsAtBinary || !en.TimeoutSet || en.Timeout != 90*time.Second || !en.TimeoutOK {
				t.Errorf("%s: entry %+v", h, en)
			}
			if wantFC := h == harness.Claude || h == harness.Cursor; en.FailClosed != wantFC {
				t.Errorf("%s: fail-closed = %v", h, en.FailClosed)
			}
		}
		if (r.FailClosedSwitch == "") == (r.FailOpen == "") {
			t.Errorf("%s: switch %q, fail-open %q: exactly one should be set", h, r.FailClosedSwitch, r.FailOpen)
		}
	}
}

func TestStatusMissing(t *testing.T) {
	e := newEnv(t, harness.Gemini)
	r, err := Status(e.opts)
	if err != nil || r.Installed || r.OK() || !strings.Contains(r.Problems[0], "ony-tui install gemini") {
		t.Fatalf("status without a file: %+v, %v", r, err)
	}
	e.place("gemini-settings.json", 0o600)
	r, err = Status(e.opts)
	if err != nil || r.Installed || len(r.Entries) != 0 {
		t.Fatalf("status without an entry: %+v, %v", r, err)
	}
	e.place("claude-broken.json", 0o600)
	if _, err := Status(e.opts); err == nil || !strings.Contains(err.Error(), e.path()) {
		t.Fatalf("status of an unparseable file: %v", err)
	}
}

// TestStatusProblems edits an installed file the way things go wrong and
// checks each is reported.
func TestStatusProblems(t *testing.T) {
	cases := []struct {
		name, harness string
		edit          func(e *testEnv, s string) string
		opts          func(o *Options)
		want          string
	}{
		{name: "stale binary", harness: harness.Claude, want: "runs /old/ony-tui, not",
			edit: func(e *testEnv, s string) string { return strings.ReplaceAll(s, e.opts.Binary, "/old/ony-tui") }},
		{name: "missing binary", harness: harness.Codex, want: "not an executable file: the harness runs every tool call ungated",
			opts: func(o *Options) { _ = os.Remove(o.Binary) }},
		{name: "missing binary fail-closed", harness: harness.Cursor, want: "every tool call is blocked",
			opts: func(o *Options) { _ = os.Remove(o.Binary) }},
		{name: "deadline longer than timeout", harness: harness.Gemini, want: "timeout (1m30s) is not longer than the hook's deadline (2m0s)",
			edit: func(e *testEnv, s string) string { return strings.Replace(s, "--deadline 30s", "--deadline 2m0s", 1) }},
		{name: "deadline differs from config", harness: harness.Codex, want: "passes --deadline 30s, but Ony's hook deadline is 45s",
			opts: func(o *Options) { o.Deadline = 45 * time.Second }},
		{name: "bad deadline argument", harness: harness.Claude, want: `passes --deadline "soon"`,
			edit: func(e *testEnv, s string) string { return strings.Replace(s, `"30s"`, `"soon"`, 1) }},
		{name: "no deadline argument, short timeout", harness: harness.Claude, want: "timeout (1m30s) is not longer than the hook's deadline (2m0s)",
			edit: func(e *testEnv, s string) string {
				return regexp.MustCompile(`,\s*"--deadline",\s*"30s"`).ReplaceAllString(s, "")
			},
			opts: func(o *Options) { o.Deadline = 2 * time.Minute }},
		{name: "timeout removed falls back to default", harness: harness.Copilot, want: "timeout (30s) is not longer",
			edit: func(e *testEnv, s string) string { return strings.Replace(s, `"timeoutSec": 90,`, ``, 1) },
			opts: func(o *Options) { o.Deadline = 45 * time.Second }},
		{name: "fail-closed off", harness: harness.Claude, want: "does not turn on Claude Code's fail-closed switch",
			edit: func(e *testEnv, s string) string {
				return strings.Replace(s, `"onFailure": "block"`, `"onFailure": "continue"`, 1)
			}},
		{name: "cursor failClosed false", harness: harness.Cursor, want: "does not turn on Cursor's fail-closed switch",
			edit: func(e *testEnv, s string) string {
				return strings.Replace(s, `"failClosed": true`, `"failClosed": false`, 1)
			}},
		{name: "home differs", harness: harness.Claude, want: `passes --home "", but Ony's home is "/srv/ony"`,
			opts: func(o *Options) { o.OnyHome = "/srv/ony" }},
		{name: "all hooks disabled", harness: harness.Claude, want: "disableAllHooks is true",
			edit: func(e *testEnv, s string) string { return strings.Replace(s, "{", `{"disableAllHooks": true,`, 1) }},
		{name: "gemini hooks off", harness: harness.Gemini, want: "hooksConfig.enabled is false",
			edit: func(e *testEnv, s string) string {
				return strings.Replace(s, "{", `{"hooksConfig": {"enabled": false},`, 1)
			}},
		{name: "gemini ony disabled", harness: harness.Gemini, want: `hooksConfig.disabled lists "ony"`,
			edit: func(e *testEnv, s string) string {
				return strings.Replace(s, "{", `{"hooksConfig": {"disabled": ["ony"]},`, 1)
			}},
		{name: "copilot env event wrong", harness: harness.Copilot, want: `sets ONY_HOOK_EVENT to "permissionRequest"`,
			edit: func(e *testEnv, s string) string {
				return strings.Replace(s, `"ONY_HOOK_EVENT": "preToolUse"`, `"ONY_HOOK_EVENT": "permissionRequest"`, 1)
			}},
		{name: "one event missing", harness: harness.Codex, want: "no Ony entry for PermissionRequest",
			edit: func(e *testEnv, s string) string { return strings.Replace(s, `"PermissionRequest"`, `"Notify"`, 1) }},
		{name: "duplicate entries", harness: harness.Gemini, want: "2 Ony entries for BeforeTool",
			edit: func(e *testEnv, s string) string {
				i := strings.Index(s, `{
        "matcher"`)
				j := strings.LastIndex(s, "}\n    ]")
				return s[:j+1] + ",\n      " + s[i:j+1] + s[j+1:]
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.harness)
			e.install()
			if tc.edit != nil {
				edited := tc.edit(e, string(e.read()))
				if edited == string(e.read()) {
					t.Fatal("the edit changed nothing")
				}
				if err := os.WriteFile(e.path(), []byte(edited), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.opts != nil {
				tc.opts(&e.opts)
			}
			r, err := Status(e.opts)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(r.Problems, "\n")
			if r.OK() || !strings.Contains(all, tc.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", all, tc.want)
			}
		})
	}
}

func TestStatusEntryWithoutMarker(t *testing.T) {
	// A hand-written entry with neither marker is still found by its command.
	e := newEnv(t, harness.Claude)
	cfg := `{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "` + e.opts.Binary + ` hook claude-code", "timeout": 120}]}]}}`
	if err := os.MkdirAll(filepath.Dir(e.path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path(), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Status(e.opts)
	if err != nil || len(r.Entries) != 1 || !r.Entries[0].PointsAtBinary || r.Entries[0].FailClosed {
		t.Fatalf("status of a hand-written entry: %+v, %v", r, err)
	}
	e.uninstall()
	if got := string(e.read()); got != `{}` {
		t.Errorf("uninstall of a hand-written entry left %s", got)
	}
}
