package hook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// bin is the ony-tui binary built once for the end-to-end tests, exactly as
// a harness would run it.
var bin string

func TestMain(m *testing.M) {
	if os.Getenv(envForeign) != "" {
		os.Exit(m.Run()) // a helper process: no binary needed
	}
	dir, err := os.MkdirTemp("", "ony-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ony-tui")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ony-tui: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newHome returns a short private home (socket paths are limited to 107
// bytes) with an optional config.yaml.
func newHome(t testing.TB, config string) string {
	t.Helper()
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		_ = os.MkdirAll(filepath.Join(home, "config"), 0o700)
		if err := os.WriteFile(filepath.Join(home, "config", "config.yaml"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func sockPath(home string) string { return filepath.Join(home, "run", "ony.sock") }

// serve starts `ony-tui serve` on home and waits until it answers a ping.
func serve(t *testing.T, home string) *exec.Cmd {
	t.Helper()
	cmd := serveB(t, home)
	t.Cleanup(func() { stopServe(cmd) })
	return cmd
}

// stopServe stops a server started by serveB.
func stopServe(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// serveB starts `ony-tui serve` on home and waits until it answers a ping;
// the caller stops it.
func serveB(t testing.TB, home string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--home", home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ping(sockPath(home)) == nil {
			return cmd
		}
		if cmd.ProcessState != nil {
			t.Fatalf("ony-tui serve exited: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ony-tui serve never answered: %s", stderr.String())
	return nil
}

func ping(sock string) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if err := wire.WriteFrame(c, wire.Ping{V: wire.Version, Type: wire.TypePing}); err != nil {
		return err
	}
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		return err
	}
	if env, err := wire.DecodeEnvelope(body); err != nil || env.Type != wire.TypePong {
		return errors.New("no pong")
	}
	return nil
}

type result struct {
	stdout, stderr string
	code           int
}

// runHook runs `ony-tui hook <harness>` like a harness: stdin JSON, no
// terminal, the harness's environment.
func runHook(t *testing.T, home, harness, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"hook", harness, "--home", home}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CLAUDE_PROJECT_DIR=/work/proj"}
	if harness == "copilot" {
		// What `ony-tui install copilot` puts in the hook entry's env:
		// Copilot's camelCase payload names no event.
		cmd.Env = append(cmd.Env, "ONY_HOOK_EVENT=preToolUse")
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running hook: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

// decision reads a hook's answer the way the harness would.
func decision(t *testing.T, harness string, r result) string {
	t.Helper()
	if r.code != 0 && r.code != 2 {
		t.Fatalf("%s hook exited %d, a code harnesses may read as proceed\nstdout: %s\nstderr: %s", harness, r.code, r.stdout, r.stderr)
	}
	if strings.TrimSpace(r.stdout) == "" {
		if r.code == 2 {
			return "deny"
		}
		if harness == "codex" {
			return "allow" // Codex PreToolUse: silence and exit 0 lets the call run
		}
		return "none"
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("%s hook printed non-JSON %q", harness, r.stdout)
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
	if d == "deny" && r.code == 0 && harness == "claude" {
		t.Fatalf("claude PreToolUse deny without exit 2")
	}
	if d == "allow" && r.code != 0 {
		t.Fatalf("%s allow with exit %d", harness, r.code)
	}
	return d
}

// hookLog returns the hook's diagnostics log of a home ("" if none).
func hookLog(t testing.TB, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "state", "hook.log"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}
