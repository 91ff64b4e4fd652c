package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Project is the agent's project directory in the hooks Hook runs.
const Project = "/work/proj"

// Hook runs `ony-tui hook <harness> --home home [args...]` as a harness
// does: the payload on stdin, no terminal, the harness's environment
// (Copilot's camelCase payload names no event, so its entry sets
// ONY_HOOK_EVENT, as `ony-tui install copilot` writes).
func Hook(t testing.TB, bin, home, harness, stdin string, args ...string) Result {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CLAUDE_PROJECT_DIR=" + Project}
	if harness == "copilot" {
		env = append(env, "ONY_HOOK_EVENT=preToolUse")
	}
	return Run(t, bin, Cmd{Args: append([]string{"hook", harness, "--home", home}, args...), Stdin: stdin, Env: env})
}

// HookAsync runs a Claude Code PreToolUse hook for a Bash command in the
// background and delivers its result, as Claude Code would while the
// console decides. The agent works in its project (CLAUDE_PROJECT_DIR of
// Hook), not in the test's home under /tmp, where deleting is everyday work.
func HookAsync(t testing.TB, bin, home, command string) <-chan Result {
	ch := make(chan Result, 1)
	in := ClaudeBash(Project, command)
	go func() { ch <- Hook(t, bin, home, "claude", in) }()
	return ch
}

// ClaudeBash is a Claude Code PreToolUse payload for a Bash command run in
// cwd.
func ClaudeBash(cwd, command string) string {
	return fmt.Sprintf(`{"session_id":"sess-e2e","cwd":%q,"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":%q},"tool_use_id":"toolu_%d"}`,
		cwd, command, time.Now().UnixNano())
}

// Wait returns the result a HookAsync delivers, failing the test after
// timeout.
func Wait(t testing.TB, ch <-chan Result, timeout time.Duration) Result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(timeout):
		t.Fatal("the hook never answered")
	}
	return Result{}
}

// Decision reads a hook's answer the way the harness would: "allow",
// "deny", "ask" or "none" (no decision). An exit code other than 0 and 2,
// which some harnesses read as "proceed", fails the test.
func Decision(t testing.TB, harness string, r Result) string {
	t.Helper()
	if r.Code != 0 && r.Code != 2 {
		t.Fatalf("%s hook exited %d, a code harnesses may read as proceed\nstdout: %s\nstderr: %s", harness, r.Code, r.Stdout, r.Stderr)
	}
	if strings.TrimSpace(r.Stdout) == "" {
		if r.Code == 2 {
			return "deny"
		}
		if harness == "codex" {
			return "allow" // Codex PreToolUse: silence and exit 0 lets the call run
		}
		return "none"
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("%s hook printed non-JSON %q", harness, r.Stdout)
	}
	pick := func(v any) string { s, _ := v.(string); return s }
	var d string
	switch harness {
	case "claude", "codex":
		hs, _ := m["hookSpecificOutput"].(map[string]any)
		d = pick(hs["permissionDecision"])
		if dd, ok := hs["decision"].(map[string]any); ok {
			d = pick(dd["behavior"])
		}
	case "cursor":
		d = pick(m["permission"])
	case "gemini":
		d = pick(m["decision"])
	case "copilot":
		d = pick(m["permissionDecision"])
	}
	if d == "deny" && r.Code == 0 && harness == "claude" {
		t.Fatalf("claude PreToolUse deny without exit 2")
	}
	if d == "allow" && r.Code != 0 {
		t.Fatalf("%s allow with exit %d", harness, r.Code)
	}
	return d
}

// Allowed reports whether a Claude Code PreToolUse answer allows the call.
func Allowed(r Result) bool {
	return r.Code == 0 && strings.Contains(r.Stdout, `"permissionDecision":"allow"`)
}
