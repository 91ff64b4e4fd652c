package install

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeTool writes an executable named name in a fresh directory that
// prints out for --version, and returns a Getenv whose PATH is only that
// directory.
func fakeTool(t *testing.T, name, out string) func(string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --version ] && printf '%s\\n' '" + out + "' && exit 0\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return func(k string) string {
		if k == "PATH" {
			return dir
		}
		return ""
	}
}

func TestClaudeVersionThreshold(t *testing.T) {
	for _, c := range []struct {
		out        string
		version    string
		failClosed bool
	}{
		{"2.1.294 (Claude Code)", "2.1.294", false},
		{"2.1.197 (Claude Code)", "2.1.197", false},
		{"2.1.295 (Claude Code)", "2.1.295", true},
		{"2.1.332 (Claude Code)", "2.1.332", true},
		{"2.10.0 (Claude Code)", "2.10.0", true}, // numeric, not lexical
		{"3.0.0", "3.0.0", true},
		{"Claude Code", "", false},
	} {
		t.Run(c.out, func(t *testing.T) {
			cv := CheckClaudeVersion(context.Background(), Options{Getenv: fakeTool(t, "claude", c.out), HomeDir: t.TempDir()})
			if cv.Version != c.version || cv.FailClosed != c.failClosed {
				t.Fatalf("%q: version %q failClosed %v: %s", c.out, cv.Version, cv.FailClosed, cv.Text)
			}
			if !c.failClosed && !strings.Contains(cv.Text, MinClaudeFailClosed) {
				t.Errorf("the warning does not name the version needed: %s", cv.Text)
			}
		})
	}
	cv := CheckClaudeVersion(context.Background(), Options{Getenv: func(string) string { return "" }, HomeDir: t.TempDir()})
	if cv.Binary != "" || cv.FailClosed || !strings.Contains(cv.Text, "not found") {
		t.Fatalf("no claude: %+v", cv)
	}
}

// TestCodexTrustWithoutCodex reads config.toml when no codex is on PATH: no
// trust record is a certain "not trusted"; a record cannot be confirmed.
func TestCodexTrustWithoutCodex(t *testing.T) {
	e := newEnv(t, "codex")
	e.opts.Getenv = func(string) string { return "" } // PATH empty: no codex
	if _, err := Install(e.opts); err != nil {
		t.Fatal(err)
	}
	ct := CheckCodexTrust(context.Background(), e.opts)
	if ct.Trusted || ct.Checked || !ct.Skipped || !strings.Contains(ct.Text, CodexNotTrusted) {
		t.Fatalf("no trust record: %+v", ct)
	}
	cfg := filepath.Join(e.home, ".codex", "config.toml")
	file := e.path()
	toml := "[hooks.state.\"" + file + ":pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:00\"\n" +
		"[hooks.state.\"" + file + ":permission_request:0:0\"]\ntrusted_hash = \"sha256:00\"\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	ct = CheckCodexTrust(context.Background(), e.opts)
	if ct.Trusted || ct.Skipped || strings.Contains(ct.Text, CodexNotTrusted) || !strings.Contains(ct.Text, "not found on PATH") {
		t.Fatalf("records, no codex to check them: %+v", ct)
	}
}

// TestCodexTrustBrokenCodex: a codex on PATH that is not a working app-server
// is reported as "could not ask", never as trusted.
func TestCodexTrustBrokenCodex(t *testing.T) {
	e := newEnv(t, "codex")
	e.opts.Getenv = fakeTool(t, "codex", "codex-cli 0.171.0")
	if _, err := Install(e.opts); err != nil {
		t.Fatal(err)
	}
	ct := CheckCodexTrust(context.Background(), e.opts)
	if ct.Trusted || ct.Checked || ct.Skipped || ct.Version != "codex-cli 0.171.0" || !strings.Contains(ct.Text, "could not ask Codex") {
		t.Fatalf("%+v", ct)
	}
}

// FuzzSemver: whatever a harness prints for --version, semver returns "" or
// three dot-separated numbers, and compareVersions orders it against the
// threshold without panicking.
func FuzzSemver(f *testing.F) {
	for _, s := range []string{"2.1.332 (Claude Code)", "codex-cli 0.171.0", "0.61.0", "GitHub Copilot CLI 1.0.102.",
		"v2.1.295", "2.1", "2.1.x", "1.2.3.4", "99999999999999999999.1.1", "", "(((", "2.1.295-beta.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := semver(s)
		if v == "" {
			return
		}
		parts := strings.Split(v, ".")
		if len(parts) != 3 {
			t.Fatalf("semver(%q) = %q", s, v)
		}
		for _, p := range parts {
			if _, err := strconv.Atoi(p); err != nil {
				t.Fatalf("semver(%q) = %q", s, v)
			}
		}
		_ = compareVersions(v, MinClaudeFailClosed)
	})
}
