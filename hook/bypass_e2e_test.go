package hook_test

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/host"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// TestBypassesEndToEnd runs the calls of issue 11 that unhooked the agent
// or replaced Ony's files through `ony-tui hook claude` against `ony-tui
// serve`: each is denied (critical, and no code device is enrolled), and
// the ledger names the action. Everyday forms of the same commands pass.
func TestBypassesEndToEnd(t *testing.T) {
	home := e2e.NewHome(t, "")
	proj := filepath.Join(home, "proj")
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(proj, 0o700); err != nil {
		t.Fatal(err)
	}
	e2e.Serve(t, bin, home)
	bash := func(cmd string) string {
		in, _ := json.Marshal(map[string]any{"session_id": "s1", "cwd": proj, "hook_event_name": "PreToolUse",
			"tool_name": "Bash", "tool_input": map[string]string{"command": cmd}, "tool_use_id": "t"})
		return string(in)
	}
	mcp := func(tool string, args map[string]string) string {
		in, _ := json.Marshal(map[string]any{"session_id": "s1", "cwd": proj, "hook_event_name": "PreToolUse",
			"tool_name": "mcp__filesystem__" + tool, "tool_input": args, "tool_use_id": "t"})
		return string(in)
	}
	cases := []struct {
		name, stdin, decision, action string
	}{
		{"tar into the harness config", bash("tar -xf /tmp/x.tar -C ~/.claude"), "deny", "harness.config"},
		{"cd, then tar", bash("cd ~/.claude && tar -xf /tmp/x.tar"), "deny", "harness.config"},
		{"cd into Ony's config, then tar", bash("cd " + home + "/config && tar -xf /tmp/x.tar"), "deny", "ony.tamper"},
		{"a link, then cp through it", bash("ln -sfn ~/.claude cl2 && cp evil.json cl2/settings.json"), "deny", "harness.config"},
		{"an option whose value is code", bash("tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec='rm -rf ~'"), "deny", ""},
		{"a variable whose value is code", bash("GIT_EDITOR='rm -rf ~' git commit -a"), "deny", ""},
		{"MCP read of Ony's key", mcp("read_file", map[string]string{"path": home + "/state/keys/audit.key"}), "deny", "ony.tamper"},
		{"MCP write of the harness config", mcp("write_file", map[string]string{"path": "~/.claude/settings.json", "content": "{}"}), "deny", "harness.config"},
		{"MCP move onto the harness config", mcp("move_file", map[string]string{"source": "/tmp/e.json", "destination": home + "/.claude/settings.json"}), "deny", "harness.config"},
		{"everyday extraction", bash("tar -xzf dist.tgz"), "allow", "file.edit.project"},
		{"everyday MCP read", mcp("read_file", map[string]string{"path": proj + "/README.md"}), "allow", "mcp.read"},
	}
	for _, tc := range cases {
		r := e2e.Hook(t, bin, home, "claude", tc.stdin)
		if d := e2e.Decision(t, "claude", r); d != tc.decision {
			t.Errorf("%s: %s, want %s\n%s", tc.name, d, tc.decision, r.Stdout)
		}
	}
	// The ledger holds one verdict per case, in order, with the action.
	var actions []string
	for _, e := range ledgerEntries(t, home) {
		if e["kind"] == "verdict" || e["kind"] == "auto-allow" {
			actions = append(actions, e["action"].(string))
		}
	}
	if len(actions) != len(cases) {
		t.Fatalf("ledger has %d verdicts for %d calls: %v", len(actions), len(cases), actions)
	}
	for i, tc := range cases {
		if tc.action != "" && actions[i] != tc.action {
			t.Errorf("%s: recorded as %s, want %s", tc.name, actions[i], tc.action)
		}
	}
}

// ledgerEntries reads the ledger with `ony-tui log --json`.
func ledgerEntries(t *testing.T, home string) []map[string]any {
	t.Helper()
	r := e2e.Run(t, bin, e2e.Cmd{Args: []string{"log", "--json", "--home", home},
		Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}})
	if r.Code != 0 {
		t.Fatalf("ony-tui log: exit %d: %s", r.Code, r.Stderr)
	}
	var entries []map[string]any
	sc := bufio.NewScanner(strings.NewReader(r.Stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

// TestRemoteHookIsClassifiedWithoutTheLocalDisk sends the same call as a
// hook on this host and as one on another host (or an older hook that
// names none): the engine expands the glob on its own disk only for the
// former. src/ does not exist here, so `cat src/*` reads nothing locally;
// from another host it may read a key, and is held.
func TestRemoteHookIsClassifiedWithoutTheLocalDisk(t *testing.T) {
	home := e2e.NewHome(t, "")
	proj := filepath.Join(home, "proj")
	if err := os.MkdirAll(proj, 0o700); err != nil {
		t.Fatal(err)
	}
	e2e.Serve(t, bin, home)
	for _, tc := range []struct {
		host     string
		decision verdict.Decision
		action   string
		risk     string
	}{
		{host.ID(), verdict.Approve, "file.read", "low"},
		{"", verdict.Deny, "secret.credentials", "critical"},
		{strings.Repeat("ab", 32), verdict.Deny, "secret.credentials", "critical"},
	} {
		call := wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s", ToolName: "Bash", Kind: wire.KindShell,
			Command: "cat src/*", CWD: proj, ProjectDir: proj, InputDigest: strings.Repeat("0f", 32)}
		v := rawRequest(t, home, wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: strings.Repeat("1a", 16),
			Call: call, DeadlineMS: 30000, Host: tc.host})
		if v.Decision != tc.decision || v.Action != tc.action || v.Risk != tc.risk {
			t.Errorf("host %q: %s %s %s, want %s %s %s", tc.host, v.Decision, v.Action, v.Risk, tc.decision, tc.action, tc.risk)
		}
	}
}

// rawRequest sends one request on the socket, as a hook of any host or
// version would, and returns the (unverified) verdict.
func rawRequest(t *testing.T, home string, req wire.Request) *verdict.Verdict {
	t.Helper()
	c, err := net.DialTimeout("unix", e2e.Socket(home), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := wire.WriteFrame(c, req); err != nil {
		t.Fatal(err)
	}
	for {
		body, err := wire.ReadFrame(c, 0)
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		env, err := wire.DecodeEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		if env.Type != wire.TypeVerdict {
			continue
		}
		var vm wire.VerdictMsg
		if err := wire.DecodeStrict(body, &vm); err != nil {
			t.Fatal(err)
		}
		v, err := verdict.Parse(vm.Verdict)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestHookSendsItsHost checks the request the hook sends: it names this
// host, so the engine beside it reads its disk.
func TestHookSendsItsHost(t *testing.T) {
	r := newRogue(t)
	got := make(chan string, 1)
	r.serve(t, func(req wire.Request) (string, []byte) {
		got <- req.Host
		return "req_000000000001", r.sign(t, r.genuine(req, "req_000000000001", verdict.Approve), r.signer)
	})
	e2e.Hook(t, bin, r.home, "claude", inputs["claude"].read)
	select {
	case h := <-got:
		if h == "" || h != host.ID() {
			t.Fatalf("hook sent host %q, want %q", h, host.ID())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no request")
	}
}
