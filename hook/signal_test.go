package hook_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// signalled is a hook process the test stops with a signal.
type signalled struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
}

// startHook starts `ony-tui hook <harness>` as a harness would, with stdin
// given (and closed) or, when stdin is nil, a pipe that is never closed.
func startHook(t *testing.T, home, harness string, stdin *string) *signalled {
	t.Helper()
	s := &signalled{cmd: exec.Command(bin, "hook", harness, "--home", home)}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.err
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "ONY_HOOK_EVENT=preToolUse"}
	if stdin != nil {
		s.cmd.Stdin = strings.NewReader(*stdin)
	} else {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pr.Close(); pw.Close() })
		s.cmd.Stdin = pr
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	return s
}

// stop sends sig and returns what the harness would read.
func (s *signalled) stop(t *testing.T, sig syscall.Signal) e2e.Result {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("hook still running 10s after %v", sig)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("hook died of %v instead of answering: harnesses read that as a failed hook (Gemini CLI as success)\nstderr: %s", ws.Signal(), s.err.String())
		}
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return e2e.Result{Stdout: s.out.String(), Stderr: s.err.String(), Code: code}
}

// TestHookSignalDenies pins, per harness, that a hook stopped by a signal
// while the engine holds its call answers with a deny in the harness's own
// format and an exit code that harness reads as a block: never a death by
// signal, never Gemini's 1 ("proceed with a warning"), never Codex's exit 2
// with an empty stderr.
func TestHookSignalDenies(t *testing.T) {
	r := newRogue(t)
	arrived := make(chan string, 64)
	r.serve(t, func(req wire.Request) (string, []byte) {
		arrived <- req.Call.Harness
		return "req_held", nil // hold the call: nobody answers
	})
	for _, h := range []string{"claude", "codex", "cursor", "gemini", "copilot"} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
			t.Run(h+"/"+sigName(sig), func(t *testing.T) {
				in := inputs[h].read
				s := startHook(t, r.home, h, &in)
				select {
				case <-arrived:
				case <-time.After(10 * time.Second):
					t.Fatalf("the call never reached the engine: %s", s.err.String())
				}
				res := s.stop(t, sig)
				if d := e2e.Decision(t, h, res); d != "deny" {
					t.Fatalf("after %v: %q (exit %d)\nstdout: %s\nstderr: %s", sig, d, res.Code, res.Stdout, res.Stderr)
				}
				if !strings.Contains(res.Stdout+res.Stderr, "stopped before it had an answer") {
					t.Errorf("the deny does not say the hook was stopped: %s %s", res.Stdout, res.Stderr)
				}
				if res.Code == 2 && strings.TrimSpace(res.Stderr) == "" {
					t.Errorf("exit 2 with an empty stderr (Codex runs the call on that)")
				}
			})
		}
	}
}

// TestHookSignalWhileReadingStdin stops a hook whose harness never closed
// its stdin: the event is unknown yet, so the deny is the harness's
// input-less one, still never a death by signal.
func TestHookSignalWhileReadingStdin(t *testing.T) {
	home := e2e.NewHome(t, "")
	for _, h := range []string{"claude", "codex", "cursor", "gemini", "copilot"} {
		t.Run(h, func(t *testing.T) {
			s := startHook(t, home, h, nil)
			waitReadingStdin(t, s.cmd.Process.Pid)
			res := s.stop(t, syscall.SIGTERM)
			if d := e2e.Decision(t, h, res); d != "deny" {
				t.Fatalf("%q (exit %d)\nstdout: %s\nstderr: %s", d, res.Code, res.Stdout, res.Stderr)
			}
		})
	}
}

// TestHookClosedStdout: a harness that closed its end of the hook's stdout
// must not make the hook die of SIGPIPE; it still exits with its deny code.
func TestHookClosedStdout(t *testing.T) {
	home := e2e.NewHome(t, "") // no engine: the answer is a deny
	for _, h := range []string{"claude", "gemini"} {
		t.Run(h, func(t *testing.T) {
			cmd := exec.Command(bin, "hook", h, "--home", home)
			cmd.Stdin = strings.NewReader(inputs[h].read)
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close() // the reader is gone before the hook writes
			cmd.Stdout = pw
			cmd.Stderr = io.Discard
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
			err = cmd.Run()
			pw.Close()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("exit 0 with nowhere to write a deny: %v", err)
			}
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("died of %v", ws.Signal())
			}
			if ee.ExitCode() != 2 {
				t.Fatalf("exit %d, want 2", ee.ExitCode())
			}
		})
	}
}

// waitReadingStdin waits until one of process pid's threads is blocked in
// read(0, ...), which the hook reaches only after it installed its signal
// handlers. (A signal that arrives before the Go runtime has started main
// cannot be caught by any Go program.)
func waitReadingStdin(t *testing.T, pid int) {
	t.Helper()
	nr := map[string]string{"amd64": "0", "arm64": "63"}[runtime.GOARCH]
	if nr == "" {
		time.Sleep(time.Second)
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/syscall", pid, task.Name()))
			if err == nil && strings.HasPrefix(string(b), nr+" 0x0 ") {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d never blocked reading its stdin", pid)
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return s.String()
}
