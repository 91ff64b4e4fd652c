package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bin is the ony-tui binary, built once.
var bin string

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("tmux"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: tmux is required for the console's end-to-end tests: apt-get install tmux (make deps-test)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ony-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ony-tui")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ony-tui: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// term is one tmux session on its own server socket.
type term struct {
	t       testing.TB
	server  string
	session string
}

// startTerm runs argv in a new detached tmux session of w×h cells.
func startTerm(t testing.TB, w, h int, env []string, argv ...string) *term {
	t.Helper()
	tm := &term{t: t, server: fmt.Sprintf("ony-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), session: "ony"}
	// remain-on-exit must hold from the start: a short command would end,
	// and take its pane with it, before a later set-option ran.
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-L", tm.server, "-f", conf, "new-session", "-d", "-s", tm.session,
		"-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, argv...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("starting tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.server, "kill-server").Run() })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.server}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is what a person sees now, with the lines scrolled above it.
func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-S", "-200", "-t", tm.session) }

// keys types into the terminal (tmux key names: Enter, Escape, ...).
func (tm *term) keys(keys ...string) {
	tm.tmux(append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

// text types literal text.
func (tm *term) text(s string) { tm.tmux("send-keys", "-t", tm.session, "-l", s) }

// waitFor waits until the screen contains all of want, and returns it.
func (tm *term) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q; it shows:\n%s", want, s)
	return ""
}

// exited reports whether the program in the pane has ended.
func (tm *term) exited() bool {
	return strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.session, "#{pane_dead}")) == "1"
}

// newHome returns a short private home directory.
func newHome(t *testing.T) string {
	t.Helper()
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(home, 0o700)
	t.Cleanup(func() { os.RemoveAll(home) })
	return home
}

// hookResult is what a harness got back from a hook process.
type hookResult struct {
	stdout, stderr string
	code           int
	err            error
}

// hook runs `ony-tui hook claude` with a Bash call in the background, as
// Claude Code would, and returns a channel with its answer.
func hook(home, command string) <-chan hookResult {
	ch := make(chan hookResult, 1)
	go func() {
		in := fmt.Sprintf(`{"session_id":"sess-e2e","cwd":%q,"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":%q},"tool_use_id":"toolu_%d"}`,
			home, command, time.Now().UnixNano())
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "hook", "claude", "--home", home)
		cmd.Stdin = strings.NewReader(in)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
		err := cmd.Run()
		r := hookResult{stdout: out.String(), stderr: errb.String(), err: err}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code, r.err = ee.ExitCode(), nil
		}
		ch <- r
	}()
	return ch
}

func wait(t *testing.T, ch <-chan hookResult) hookResult {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("hook: %v", r.err)
		}
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("hook never answered")
	}
	return hookResult{}
}

// allowed reads a Claude PreToolUse answer.
func allowed(r hookResult) bool {
	return r.code == 0 && strings.Contains(r.stdout, `"permissionDecision":"allow"`)
}
