package cli_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// requireTmux skips nothing: CI installs tmux (make deps-test).
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required: apt-get install tmux (make deps-test)")
	}
}

// runAtTerminal runs the binary with args in a tmux terminal of w×h (its
// stdin, stdout and stderr the terminal) through sh, which prints the exit
// status after it, and returns the screen and the status.
func runAtTerminal(t *testing.T, w, h int, env []string, args ...string) (string, string) {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	tm := e2e.StartTerm(t, w, h, env, "sh", "-c", "'"+bin+"' "+strings.Join(quoted, " ")+`; echo "[exit $?]"`)
	s := tm.WaitFor(15*time.Second, "[exit ")
	m := regexp.MustCompile(`\[exit (\d+)\]`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no exit status:\n%s", s)
	}
	return s, m[1]
}

// Run by a person at a terminal, the hook says what it is for instead of
// waiting for input, and exits 2 (block, should a harness ever run it like
// that); --help prints the usage and is the only way it exits 0 there.
func TestHookAtATerminal(t *testing.T) {
	requireTmux(t)
	home := e2e.NewHome(t, "")
	s, st := runAtTerminal(t, 100, 30, nil, "hook", "claude", "--home", home)
	if st != "2" {
		t.Fatalf("hook at a terminal exited %s:\n%s", st, s)
	}
	for _, want := range []string{"stdin is a terminal, so no agent harness is asking", "ony-tui install claude", "| ony-tui hook claude"} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	s, st = runAtTerminal(t, 100, 40, nil, "hook", "--help")
	if st != "0" {
		t.Fatalf("hook --help at a terminal exited %s:\n%s", st, s)
	}
	if !strings.Contains(s, `An agent harness runs "ony-tui hook <harness>" before every tool call`) {
		t.Fatalf("no usage:\n%s", s)
	}
}

// At a terminal doctor wraps its long lines to the terminal's width and
// keeps the text in its column.
func TestDoctorWrapsToTheTerminal(t *testing.T) {
	requireTmux(t)
	home := e2e.NewHome(t, "")
	work := t.TempDir()
	s, _ := runAtTerminal(t, 70, 60, []string{"HOME=" + work, "NO_COLOR=1"}, "doctor", "--home", home)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	wrapped := false
	for _, l := range lines {
		if len([]rune(l)) > 70 {
			t.Fatalf("a line is wider than the terminal: %q", l)
		}
		if strings.HasPrefix(l, strings.Repeat(" ", 17)) && !strings.HasPrefix(l, strings.Repeat(" ", 17)+"hint:") && strings.TrimSpace(l) != "" {
			wrapped = true
		}
	}
	if !wrapped {
		t.Fatalf("nothing was wrapped into the text column:\n%s", strings.Join(lines, "\n"))
	}
	_ = os.Remove(work)
}

// Installing several harnesses at a terminal says how far it is.
func TestInstallShowsProgressAtATerminal(t *testing.T) {
	requireTmux(t)
	home := e2e.NewHome(t, "")
	work := t.TempDir()
	s, st := runAtTerminal(t, 120, 60, []string{"HOME=" + work}, "install", "claude", "cursor", "--home", home)
	if st != "0" || !strings.Contains(s, "[1/2] claude") || !strings.Contains(s, "[2/2] cursor") {
		t.Fatalf("exit %s:\n%s", st, s)
	}
}
