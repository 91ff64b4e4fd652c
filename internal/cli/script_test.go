package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// bin is the real ony-tui binary, built once.
var bin string

func TestMain(m *testing.M) { e2e.Main(m, &bin) }

// TestScripts runs every command of the CLI, and its error paths, as the
// scripts in testdata/script describe them (one txtar file each). Each
// script gets its own short ONY_HOME and a HOME of its own (where harness
// configs live), $ONY_BIN naming the binary, and these commands besides
// testscript's own:
//
//	ony [--exit N] ARGS...   run the real binary; the exit code must be N (default 0)
//	serve                    start `ony-tui serve` in the background and wait until it answers
//	unserve                  stop it (SIGTERM) and wait
//	chmod MODE PATH          change a file's mode (octal)
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			home, err := os.MkdirTemp("", "ony")
			if err != nil {
				return err
			}
			env.Defer(func() { os.RemoveAll(home) })
			if err := os.Chmod(home, 0o700); err != nil {
				return err
			}
			env.Setenv("ONY_HOME", home)
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("NO_COLOR", "1")
			env.Setenv("ONY_BIN", bin) // the binary itself, for scripts that copy it
			env.Values["servers"] = &servers{}
			env.Defer(func() { env.Values["servers"].(*servers).stopAll() })
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ony":     cmdOny,
			"serve":   cmdServe,
			"unserve": cmdUnserve,
			"chmod":   cmdChmod,
		},
	})
}

func cmdOny(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("use ony --exit N instead of ! ony")
	}
	want := 0
	if len(args) > 0 && strings.HasPrefix(args[0], "--exit") {
		v := strings.TrimPrefix(args[0], "--exit")
		v = strings.TrimPrefix(v, "=")
		args = args[1:]
		if v == "" && len(args) > 0 {
			v, args = args[0], args[1:]
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			ts.Fatalf("ony --exit needs a number: %v", err)
		}
		want = n
	}
	err := ts.Exec(bin, args...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("running ony-tui: %v", err)
	}
	if got != want {
		ts.Fatalf("ony-tui %s exited %d, want %d", strings.Join(args, " "), got, want)
	}
}

// servers are the engines a script started.
type servers struct{ cmds []*exec.Cmd }

func (s *servers) stopAll() {
	for _, c := range s.cmds {
		_ = c.Process.Signal(os.Interrupt)
		_ = c.Wait()
	}
	s.cmds = nil
}

func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! serve")
	}
	home := ts.Getenv("ONY_HOME")
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "ONY_HOME=" + home}
	if err := cmd.Start(); err != nil {
		ts.Fatalf("serve: %v", err)
	}
	ts.Value("servers").(*servers).cmds = append(ts.Value("servers").(*servers).cmds, cmd)
	deadline := time.Now().Add(15 * time.Second)
	for e2e.Ping(e2e.Socket(home)) != nil {
		if time.Now().After(deadline) {
			ts.Fatalf("ony-tui serve never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cmdUnserve(ts *testscript.TestScript, neg bool, args []string) {
	ts.Value("servers").(*servers).stopAll()
}

func cmdChmod(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: chmod MODE PATH")
	}
	mode, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("chmod: %v", err)
	}
	ts.Check(os.Chmod(ts.MkAbs(args[1]), os.FileMode(mode)))
}

// The scripts must exist: an empty directory would pass silently.
func TestScriptsExist(t *testing.T) {
	m, _ := filepath.Glob("testdata/script/*.txtar")
	if len(m) < 5 {
		t.Fatalf("only %d scripts in testdata/script", len(m))
	}
}
