package hook_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// inputs are one harness's stdin for a low-risk read and for a command the
// taxonomy does not know (critical, denied at once without a code device).
var inputs = map[string]struct{ read, unknown, malformed, unknownEvent string }{
	"claude": {
		read:         `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls -la"},"tool_use_id":"toolu_01"}`,
		unknown:      `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"frobnicate --all"},"tool_use_id":"toolu_02"}`,
		malformed:    `{"session_id":"s1","hook_event_name":"PreToolUse","tool_name":`,
		unknownEvent: `{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`,
	},
	"codex": {
		read:         `{"session_id":"s1","turn_id":"t1","cwd":"/work/proj","hook_event_name":"PreToolUse","model":"gpt-5","tool_name":"Bash","tool_use_id":"call_1","tool_input":{"command":"ls -la"}}`,
		unknown:      `{"session_id":"s1","turn_id":"t1","cwd":"/work/proj","hook_event_name":"PreToolUse","model":"gpt-5","tool_name":"Bash","tool_use_id":"call_2","tool_input":{"command":"frobnicate --all"}}`,
		malformed:    `not json at all`,
		unknownEvent: `{"session_id":"s1","turn_id":"t1","cwd":"/work/proj","hook_event_name":"Stop","tool_name":"Bash","tool_input":{"command":"ls"}}`,
	},
	"cursor": {
		read:         `{"conversation_id":"c1","generation_id":"g1","hook_event_name":"beforeShellExecution","cursor_version":"3.9.16","workspace_roots":["/work/proj"],"command":"ls -la","cwd":"/work/proj"}`,
		unknown:      `{"conversation_id":"c1","generation_id":"g1","hook_event_name":"beforeShellExecution","cursor_version":"3.9.16","workspace_roots":["/work/proj"],"command":"frobnicate --all","cwd":"/work/proj"}`,
		malformed:    `{"hook_event_name":"beforeShellExecution","command":`,
		unknownEvent: `{"conversation_id":"c1","hook_event_name":"afterFileEdit","cursor_version":"3.9.16","workspace_roots":["/work/proj"]}`,
	},
	"gemini": {
		read:         `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"BeforeTool","timestamp":"2026-06-30T14:22:07Z","tool_name":"run_shell_command","tool_input":{"command":"ls -la"}}`,
		unknown:      `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"BeforeTool","timestamp":"2026-06-30T14:22:07Z","tool_name":"run_shell_command","tool_input":{"command":"frobnicate --all"}}`,
		malformed:    `[]`,
		unknownEvent: `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"AfterTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}`,
	},
	"copilot": {
		read:         `{"sessionId":"s1","timestamp":1782829327000,"cwd":"/work/proj","toolName":"bash","toolArgs":{"command":"ls -la"}}`,
		unknown:      `{"sessionId":"s1","timestamp":1782829327000,"cwd":"/work/proj","toolName":"bash","toolArgs":"{\"command\":\"frobnicate --all\"}"}`,
		malformed:    `{"sessionId":`,
		unknownEvent: `{"hook_event_name":"SessionStart","session_id":"s1","timestamp":"2026-06-30T14:22:07Z","cwd":"/work/proj"}`,
	},
}

func TestHookEndToEnd(t *testing.T) {
	home := e2e.NewHome(t, "")
	e2e.Serve(t, bin, home)
	for harness, in := range inputs {
		t.Run(harness, func(t *testing.T) {
			if d := e2e.Decision(t, harness, e2e.Hook(t, bin, home, harness, in.read)); d != "allow" {
				t.Errorf("low-risk read: %s", d)
			}
			if log := hookLog(t, home); log != "" {
				t.Errorf("an allowed call wrote diagnostics: %s", log)
			}
			r := e2e.Hook(t, bin, home, harness, in.unknown)
			if d := e2e.Decision(t, harness, r); d != "deny" {
				t.Errorf("unknown command: %s", d)
			}
			if !strings.Contains(r.Stdout+r.Stderr, "enroll totp") {
				t.Errorf("unknown command deny does not say what to do: %s %s", r.Stdout, r.Stderr)
			}
			if d := e2e.Decision(t, harness, e2e.Hook(t, bin, home, harness, in.malformed)); d != "deny" {
				t.Errorf("malformed stdin: %s", d)
			}
			if d := e2e.Decision(t, harness, e2e.Hook(t, bin, home, harness, in.unknownEvent)); d != "deny" {
				t.Errorf("unknown event: %s", d)
			}
			big := `{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"` + strings.Repeat("a", 65<<20) + `"}}`
			if d := e2e.Decision(t, harness, e2e.Hook(t, bin, home, harness, big)); d != "deny" {
				t.Errorf("oversized stdin: %s", d)
			}
		})
	}
}

func TestHookWithoutConsoleDenies(t *testing.T) {
	home := e2e.NewHome(t, "")
	for harness, in := range inputs {
		r := e2e.Hook(t, bin, home, harness, in.read)
		if d := e2e.Decision(t, harness, r); d != "deny" {
			t.Errorf("%s with no console: %s", harness, d)
		}
		if !strings.Contains(r.Stdout+r.Stderr, "not running") {
			t.Errorf("%s: reason does not say the console is not running: %s", harness, r.Stdout)
		}
	}
	// doctor points at the diagnostics the hook kept out of the model's
	// sight.
	out, _ := exec.Command(bin, "doctor", "--home", home).CombinedOutput()
	want := fmt.Sprintf("%d hook problems in the last day", len(inputs))
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), filepath.Join(home, "state", "hook.log")) {
		t.Fatalf("doctor does not point at the hook log (want %q):\n%s", want, out)
	}
}

func TestHookConnectionRefusedDenies(t *testing.T) {
	home := e2e.NewHome(t, "")
	run := filepath.Join(home, "run")
	_ = os.MkdirAll(run, 0o700)
	// A socket file with nobody listening: what a crashed console leaves.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: e2e.Socket(home), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, home, "claude", inputs["claude"].read)); d != "deny" {
		t.Fatalf("connection refused: %s", d)
	}
}

func TestUnknownHarnessExitsTwo(t *testing.T) {
	home := e2e.NewHome(t, "")
	r := e2e.Hook(t, bin, home, "windsurf", `{}`)
	if r.Code != 2 || !strings.Contains(r.Stderr, "unknown harness") {
		t.Fatalf("unknown harness: %+v", r)
	}
	r = e2e.Hook(t, bin, home, "claude", inputs["claude"].read, "--bogus")
	if e2e.Decision(t, "claude", r) != "deny" || !strings.Contains(r.Stdout, "bad hook arguments") {
		t.Fatalf("bad flag: %+v", r)
	}
}

// TestDeadlineDenies: a high-risk call nobody approves is denied, signed, by
// the engine before the hook's own deadline.
func TestDeadlineDenies(t *testing.T) {
	home := e2e.NewHome(t, "deadline: 5s\nhook_deadline: 8s\n")
	e2e.Serve(t, bin, home)
	in := `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf ./build"},"tool_use_id":"toolu_9"}`
	start := time.Now()
	r := e2e.Hook(t, bin, home, "claude", in)
	if d := e2e.Decision(t, "claude", r); d != "deny" || !strings.Contains(r.Stdout, "timed out") {
		t.Fatalf("deadline: %s %s", r.Stdout, r.Stderr)
	}
	if el := time.Since(start); el < 4*time.Second || el > 8*time.Second {
		t.Fatalf("denied after %s, want about 5s", el)
	}
}

// TestConsoleKilledMidRequest kills -9 the engine while a hook waits.
func TestConsoleKilledMidRequest(t *testing.T) {
	home := e2e.NewHome(t, "")
	srv := e2e.Serve(t, bin, home)
	in := `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf ./build"},"tool_use_id":"toolu_9"}`
	go func() {
		time.Sleep(700 * time.Millisecond)
		_ = srv.Cmd.Process.Signal(syscall.SIGKILL)
	}()
	r := e2e.Hook(t, bin, home, "claude", in)
	if d := e2e.Decision(t, "claude", r); d != "deny" {
		t.Fatalf("console killed: %s", d)
	}
	// A new console starts on the same home after the crash.
	e2e.Serve(t, bin, home)
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, home, "claude", inputs["claude"].read)); d != "allow" {
		t.Fatalf("after restart: %s", d)
	}
}

// TestConsoleStoppedWhileWaiting stops the engine cleanly (SIGTERM) while a
// hook waits: the hook gets the engine's signed deny, and the ledger
// records why.
func TestConsoleStoppedWhileWaiting(t *testing.T) {
	home := e2e.NewHome(t, "")
	srv := e2e.Serve(t, bin, home)
	in := `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf ./build"},"tool_use_id":"toolu_9"}`
	go func() {
		time.Sleep(700 * time.Millisecond)
		_ = srv.Cmd.Process.Signal(syscall.SIGTERM)
	}()
	r := e2e.Hook(t, bin, home, "claude", in)
	if d := e2e.Decision(t, "claude", r); d != "deny" || !strings.Contains(r.Stdout, "stopped before a decision") {
		t.Fatalf("console stopped: %s %s", r.Stdout, r.Stderr)
	}
	<-srv.Done()
	out, err := exec.Command(bin, "log", "--home", home, "--decision", "deny").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stopped before a decision") {
		t.Fatalf("ledger: %v\n%s", err, out)
	}
}

// TestHookCrossLoaded runs the entry installed for Claude Code with other
// harnesses' payloads, as when Copilot CLI reads a repository's
// .claude/settings.json: each is answered in its own harness's format.
func TestHookCrossLoaded(t *testing.T) {
	home := e2e.NewHome(t, "")
	e2e.Serve(t, bin, home)
	pascal := `{"hook_event_name":"PreToolUse","session_id":"s1","timestamp":"2026-06-30T14:22:07Z","cwd":"/work/proj","tool_name":"Bash","tool_input":{"command":"%s"}}`
	for _, tc := range []struct {
		name, as, stdin, want string
	}{
		{"copilot vs code form", "copilot", fmt.Sprintf(pascal, "ls -la"), "allow"},
		{"copilot vs code form, unknown command", "copilot", fmt.Sprintf(pascal, "frobnicate --all"), "deny"},
		{"codex", "codex", inputs["codex"].read, "allow"},
		{"cursor", "cursor", inputs["cursor"].read, "allow"},
		{"cursor, unknown command", "cursor", inputs["cursor"].unknown, "deny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e2e.Hook(t, bin, home, "claude", tc.stdin)
			if d := e2e.Decision(t, tc.as, r); d != tc.want {
				t.Fatalf("decision %q, want %q\nstdout: %s\nstderr: %s", d, tc.want, r.Stdout, r.Stderr)
			}
			if !strings.Contains(hookLog(t, home), "comes from "+tc.as) {
				t.Errorf("the mismatch is not in the hook log: %q", hookLog(t, home))
			}
			if strings.Contains(r.Stderr, "comes from") {
				t.Errorf("a diagnostic reached stderr, which the model reads: %q", r.Stderr)
			}
		})
	}
	// Claude's own payload, and one no adapter reads, stay with Claude.
	if r := e2e.Hook(t, bin, home, "claude", inputs["claude"].read); e2e.Decision(t, "claude", r) != "allow" || r.Stderr != "" {
		t.Errorf("claude's own payload: %+v", r)
	}
	windsurf := `{"agent_action_name":"pre_run_command","trajectory_id":"t","tool_info":{"command_line":"ls"}}`
	if r := e2e.Hook(t, bin, home, "claude", windsurf); e2e.Decision(t, "claude", r) != "deny" || r.Code != 2 {
		t.Errorf("a payload no adapter reads: %+v", r)
	}
}
