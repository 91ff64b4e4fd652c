package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// system is a machine as the build check sees it.
type system struct {
	os       string   // uname -s
	cc       bool     // a C compiler that compiles
	pkg      bool     // pkg-config
	pcsc     bool     // pkg-config finds libpcsclite
	managers []string // package managers on PATH
}

// check runs .ci/build-deps on a PATH of stubs that make up sys, as a
// user who is not root, and returns its exit code and stderr.
func check(t *testing.T, sys system) (int, string) {
	t.Helper()
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stub := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, real := range []string{"bash", "dirname", "cat"} {
		p, err := exec.LookPath(real)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, real)); err != nil {
			t.Fatal(err)
		}
	}
	stub("uname", "echo "+sys.os)
	stub("id", "echo 1000")
	if sys.cc {
		stub("cc", "cat >/dev/null; exit 0")
	} else {
		stub("cc", "cat >/dev/null; echo 'cc: not really a compiler' >&2; exit 1")
	}
	if sys.pkg {
		ok := "1"
		if sys.pcsc {
			ok = "0"
		}
		stub("pkg-config", "exit "+ok)
	}
	for _, m := range sys.managers {
		stub(m, "echo 'the check must not run a package manager' >&2; exit 99")
	}
	cmd := exec.Command(filepath.Join(root, ".ci", "build-deps"))
	cmd.Env = []string{"PATH=" + dir}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// make build checks for what the build needs, not for Debian packages, and
// prints the install command of the system in front of it.
func TestBuildCheckNamesTheInstallCommand(t *testing.T) {
	for name, tc := range map[string]struct {
		sys  system
		code int
		want []string
	}{
		"fedora without pcsc":     {system{os: "Linux", cc: true, pkg: true, managers: []string{"dnf"}}, 1, []string{"the PC/SC headers", "run: sudo dnf install -y pcsc-lite-devel"}},
		"fedora without anything": {system{os: "Linux", managers: []string{"dnf"}}, 1, []string{"a C compiler", "sudo dnf install -y gcc pkgconf-pkg-config pcsc-lite-devel"}},
		"arch without a compiler": {system{os: "Linux", pkg: true, pcsc: true, managers: []string{"pacman"}}, 1, []string{"sudo pacman -S --needed gcc"}},
		"debian without pkg-config": {system{os: "Linux", cc: true, managers: []string{"apt-get", "dpkg"}}, 1,
			[]string{"sudo apt-get update && sudo apt-get install -y pkg-config libpcsclite-dev"}},
		"alpine without a compiler": {system{os: "Linux", pkg: true, pcsc: true, managers: []string{"apk"}}, 1, []string{"sudo apk add gcc musl-dev"}},
		"opensuse without pcsc":     {system{os: "Linux", cc: true, pkg: true, managers: []string{"zypper"}}, 1, []string{"sudo zypper install -y pcsc-lite-devel"}},
		"macos without xcode":       {system{os: "Darwin", managers: []string{"brew"}}, 1, []string{"xcode-select --install"}},
		"macos with xcode":          {system{os: "Darwin", cc: true, managers: []string{"brew"}}, 0, nil},
		"fedora with everything":    {system{os: "Linux", cc: true, pkg: true, pcsc: true, managers: []string{"dnf"}}, 0, nil},
		"unknown manager":           {system{os: "Linux", cc: true, pkg: true}, 1, []string{"install them with your package manager", "libpcsclite-dev"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr := check(t, tc.sys)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Fatalf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.code == 0 && stderr != "" {
				t.Fatalf("a machine with everything is told %q", stderr)
			}
			if strings.Contains(stderr, "must not run a package manager") {
				t.Fatalf("the check ran a package manager:\n%s", stderr)
			}
		})
	}
}

// On this machine (CI's, the developers'), everything the build needs is
// there: the check passes and says nothing.
func TestBuildCheckPassesHere(t *testing.T) {
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, ".ci", "build-deps")).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("%v: %s", err, out)
	}
}

// Before a build that compiles SQLite (a Go build cache without it), make
// build says it takes about 90 s; with SQLite compiled, it says nothing.
func TestFirstBuildNote(t *testing.T) {
	root, err := e2e.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	note := filepath.Join(root, ".ci", "first-build-note")
	cmd := exec.Command(note)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOCACHE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "the first build compiles SQLite (C): about 90 s") {
		t.Fatalf("empty cache: %v %q", err, out)
	}
	// This test binary's build compiled SQLite into the real cache (the
	// e2e harness links it): no note.
	if _, err := e2e.Build(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(note)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("warm cache: %v %q", err, out)
	}
}
