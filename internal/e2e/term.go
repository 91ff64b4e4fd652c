package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Term is one real terminal: a tmux session on its own tmux server, so
// tests never share one.
type Term struct {
	t       testing.TB
	server  string
	session string
}

// StartTerm runs argv in a new detached tmux session of w×h cells with env
// added to the environment. The tmux server is killed when the test ends.
func StartTerm(t testing.TB, w, h int, env []string, argv ...string) *Term {
	t.Helper()
	tm := &Term{t: t, server: fmt.Sprintf("ony-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), session: "ony"}
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

// Tmux runs a tmux command against this terminal's server.
func (tm *Term) Tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.server}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Screen is what a person sees now, with the lines scrolled above it.
func (tm *Term) Screen() string {
	return tm.Tmux("capture-pane", "-p", "-S", "-200", "-t", tm.session)
}

// Keys types keys (tmux key names: Enter, Escape, C-c, ...).
func (tm *Term) Keys(keys ...string) {
	tm.Tmux(append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

// Text types literal text.
func (tm *Term) Text(s string) { tm.Tmux("send-keys", "-t", tm.session, "-l", s) }

// WaitFor waits until the screen contains all of want and returns it; it
// fails the test with the screen after timeout.
func (tm *Term) WaitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.Screen()
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

// Exited reports whether the program in the pane has ended.
func (tm *Term) Exited() bool {
	return strings.TrimSpace(tm.Tmux("display-message", "-p", "-t", tm.session, "#{pane_dead}")) == "1"
}

// PID is the process id of the program in the pane.
func (tm *Term) PID() string {
	return strings.TrimSpace(tm.Tmux("display-message", "-p", "-t", tm.session, "#{pane_pid}"))
}

// Resize changes the terminal's size.
func (tm *Term) Resize(w, h int) {
	tm.Tmux("resize-window", "-t", tm.session, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h))
}
