// Package sysinstall sets up the hardened posture on one machine
// (`sudo ony-tui install --system service`) and takes it down again
// (`uninstall --system service`): a dedicated system user runs the engine,
// a group lets the owner's hooks reach its socket, a root-owned copy of the
// binary is what every managed hook entry runs, and the directories have
// owners and modes that keep the engine's keys, TOTP secret and ledger out
// of the owner's user's reach.
//
// Every change is a step that is printed before it is made; DryRun prints
// them all and changes nothing. What install created is recorded in a
// root-owned manifest, so uninstall removes exactly that, and keeps (and
// names) what must not go silently: the ledger, the keys, and the users
// that own them.
package sysinstall

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/hook/harness"
)

// Defaults of a system install.
const (
	DefaultEngineUser = "ony"
	DefaultHookGroup  = "ony-hook"
	// LibDir holds the root-owned copy of the binary, below the install root.
	LibDir = "/usr/local/lib/ony"
	// UnitFile is the systemd system unit, below the install root.
	UnitFile = "/etc/systemd/system/ony.service"
	// ManifestName is the record of what install did, in the config dir.
	ManifestName = "system-install.json"
)

// Options say what to install and where.
type Options struct {
	// Root is the install root ("" or "/" for the machine itself). It moves
	// files only: users and groups are the machine's.
	Root string
	// Owner is the user whose agents the engine gates.
	Owner *user.User
	// EngineUser and HookGroup name the engine's user and the group of the
	// hook socket (DefaultEngineUser, DefaultHookGroup when empty).
	EngineUser, HookGroup string
	// Binary is the ony-tui binary to copy (install only).
	Binary string
	// DryRun prints every step and changes nothing.
	DryRun bool
	// Out receives the steps and the summary.
	Out io.Writer
}

// Paths are the files and directories of a system install below a root.
type Paths struct {
	Layout   paths.Layout
	LibDir   string // root:root 0755
	Binary   string // root:root 0755
	Unit     string // root:root 0644
	Manifest string // root:root 0644
}

// PathsFor returns the paths of the system install below root.
func PathsFor(root string) (Paths, error) {
	l, err := paths.System(root)
	if err != nil {
		return Paths{}, err
	}
	lib := filepath.Join(l.Root, LibDir)
	return Paths{Layout: l, LibDir: lib, Binary: filepath.Join(lib, "ony-tui"),
		Unit: filepath.Join(l.Root, UnitFile), Manifest: filepath.Join(l.ConfigDir, ManifestName)}, nil
}

func (o *Options) defaults() error {
	if o.EngineUser == "" {
		o.EngineUser = DefaultEngineUser
	}
	if o.HookGroup == "" {
		o.HookGroup = DefaultHookGroup
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if !o.DryRun && os.Geteuid() != 0 {
		return errors.New("a system install creates a user and root-owned files: run it as root (sudo ony-tui install --system service), or add --dry-run to see what it would do")
	}
	return nil
}

// step is one change: said, then done (unless dry run).
type step struct {
	say string
	do  func() error
}

// run prints and performs the steps in order, stopping at the first error.
func run(o Options, steps []step) error {
	for _, s := range steps {
		if o.DryRun {
			fmt.Fprintf(o.Out, "  would %s\n", s.say)
			continue
		}
		fmt.Fprintf(o.Out, "  %s\n", s.say)
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.say, err)
		}
	}
	return nil
}

// command runs a system tool (useradd, systemctl, ...), with its output in
// the error.
func command(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func commandLine(name string, args ...string) string {
	return harness.ShellJoin(append([]string{name}, args...))
}

// inGroup reports whether user u is a member of group gid.
func inGroup(u *user.User, gid string) bool {
	if u.Gid == gid {
		return true
	}
	ids, err := u.GroupIds()
	return err == nil && slices.Contains(ids, gid)
}

// systemdRunning reports whether systemd is the init system (sd_booted).
func systemdRunning() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// uid and gid parse os/user's strings.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
