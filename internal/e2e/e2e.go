// Package e2e is the end-to-end test harness: it builds the real ony-tui
// binary once per test binary, makes private Ony homes, runs commands the
// way a person or a harness would (no terminal, a chosen environment),
// starts the headless engine, runs hooks, and drives the console in a real
// terminal (tmux).
//
// Only tests import it. Every test package that runs the binary calls Main
// from its TestMain and keeps the returned path.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Need is something a test binary requires before any test runs.
type Need string

// Needs.
const (
	// Tmux: the console's tests drive it in a real terminal.
	Tmux Need = "tmux"
)

// Main builds the binary into a temporary directory, stores its path in
// *bin, runs the tests and exits. A missing need or a failed build fails the
// whole test binary with a message that says what to install; it never
// skips. A child process that a test re-executes (env ONY_E2E_CHILD set)
// runs the tests without building.
func Main(m *testing.M, bin *string, needs ...Need) { MainAround(m, bin, nil, needs...) }

// MainAround is Main with work around the tests (a pcscd for the YubiKey
// tests): around gets the function that runs them and returns the exit
// code. A nil around just runs them.
func MainAround(m *testing.M, bin *string, around func(run func() int) int, needs ...Need) {
	if os.Getenv(EnvChild) != "" {
		os.Exit(m.Run())
	}
	if around == nil {
		around = func(run func() int) int { return run() }
	}
	for _, n := range needs {
		if _, err := exec.LookPath(string(n)); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is required: apt-get install %s (make deps-test)\n", n, n)
			os.Exit(1)
		}
	}
	dir, err := os.MkdirTemp("", "ony-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := around(m.Run)
	os.RemoveAll(dir)
	os.Exit(code)
}

// EnvChild marks a process a test started from its own test binary (a peer
// running as another user, say): Main then runs the tests without building.
const EnvChild = "ONY_E2E_CHILD"

// Build builds the ony-tui binary of the module this package belongs to into
// dir and returns its path.
func Build(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ony-tui")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ony-tui: %v\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot returns the directory of the go.mod above the working
// directory (a test runs in its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e: no go.mod above the working directory")
		}
		dir = parent
	}
}

// NewHome returns a short private Ony home (socket paths are limited to 107
// bytes, so it lives directly under the temporary directory), with
// config.yaml written when config is not empty. It is removed after the
// test.
func NewHome(t testing.TB, config string) string {
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
		WriteFile(t, filepath.Join(home, "config", "config.yaml"), config)
	}
	return home
}

// WriteFile writes a private file, creating its private directory.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Socket is the hook socket of a home.
func Socket(home string) string { return filepath.Join(home, "run", "ony.sock") }

// Result is what a finished command printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Cmd describes one run of the binary.
type Cmd struct {
	Args  []string
	Stdin string
	// Env is the whole environment; nil inherits the test's.
	Env []string
	// As, when set, runs the command as another user (tests run as root).
	As *syscall.Credential
}

// Run runs the binary without a terminal and waits for it. A failure to
// start fails the test; a non-zero exit is returned, not a failure.
func Run(t testing.TB, bin string, c Cmd) Result {
	t.Helper()
	cmd := exec.Command(bin, c.Args...)
	cmd.Stdin = strings.NewReader(c.Stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = c.Env
	if c.As != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.As}
	}
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s %v: %v", bin, c.Args, err)
	}
	return r
}
