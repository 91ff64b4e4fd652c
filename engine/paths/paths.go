// Package paths resolves where Ony keeps its files.
//
// Ony follows the XDG base directory layout: configuration under
// $XDG_CONFIG_HOME/ony, state (keys, devices, ledger, checkpoints) under
// $XDG_STATE_HOME/ony and the socket under $XDG_RUNTIME_DIR/ony. Setting
// ONY_HOME (or passing --home) puts everything under one directory instead, so
// tests and several instances never collide.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvHome is the environment variable that puts all of Ony's files under one
// directory.
const EnvHome = "ONY_HOME"

// maxSocketPath is the longest path a Unix socket address can hold on Linux
// (sun_path is 108 bytes including the terminating NUL).
const maxSocketPath = 107

// Layout is the set of files and directories one Ony instance uses. Every
// field is an absolute path.
type Layout struct {
	ConfigDir  string // user configuration (config.yaml, taxonomy.yaml)
	StateDir   string // persistent state
	RuntimeDir string // socket and other per-boot files; 0700

	ConfigFile   string // ConfigDir/config.yaml
	TaxonomyFile string // ConfigDir/taxonomy.yaml, replaces the embedded default when present
	OverlayFile  string // ConfigDir/taxonomy.overlay.yaml, the programs the owner classified (optional)

	KeysDir       string // StateDir/keys; 0700, every key file 0600
	DevicesFile   string // StateDir/devices.json, the device registry
	LedgerFile    string // StateDir/ledger.db, the SQLite audit ledger
	CheckpointDir string // StateDir/checkpoints, signed ledger checkpoints
	KillSwitch    string // StateDir/killswitch, present while the kill switch is engaged
	LockFile      string // StateDir/engine.lock, held by the running engine
	ArchiveDir    string // StateDir/archive, earlier ledger chains moved aside by a deliberate new chain

	Socket        string // RuntimeDir/ony.sock, where hooks ask
	ConsoleSocket string // RuntimeDir/console.sock, where consoles attach (the owner only)

	// System is set for the layout of a system install (System): the
	// engine runs as its own user and the directories are shared with the
	// hook's group as described there.
	System bool
	// Root is the install root of a system layout, "/" for the real one.
	Root string
}

// Getenv looks up an environment variable; os.Getenv satisfies it.
type Getenv func(string) string

// Resolve computes the layout. A non-empty home (from --home) wins over
// ONY_HOME, which wins over the XDG variables and their defaults.
func Resolve(home string, getenv Getenv) (Layout, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if home == "" {
		home = getenv(EnvHome)
	}
	var l Layout
	if home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return Layout{}, fmt.Errorf("resolving ony home %q: %w", home, err)
		}
		l.ConfigDir = filepath.Join(abs, "config")
		l.StateDir = filepath.Join(abs, "state")
		l.RuntimeDir = filepath.Join(abs, "run")
	} else {
		userHome := getenv("HOME")
		if userHome == "" {
			// Some harnesses run hooks with a stripped environment: use
			// the account's home so the hook and the console agree.
			userHome = accountHome()
		}
		xdg := func(name, fallback string) (string, error) {
			if v := getenv(name); v != "" {
				if !filepath.IsAbs(v) {
					return "", fmt.Errorf("%s=%q is not an absolute path", name, v)
				}
				return filepath.Join(v, "ony"), nil
			}
			if userHome == "" {
				return "", fmt.Errorf("neither %s nor HOME is set: set ONY_HOME or pass --home", name)
			}
			return filepath.Join(userHome, fallback, "ony"), nil
		}
		var err error
		if l.ConfigDir, err = xdg("XDG_CONFIG_HOME", ".config"); err != nil {
			return Layout{}, err
		}
		if l.StateDir, err = xdg("XDG_STATE_HOME", filepath.Join(".local", "state")); err != nil {
			return Layout{}, err
		}
		rt := getenv("XDG_RUNTIME_DIR")
		if rt == "" || !filepath.IsAbs(rt) {
			// The variable may be missing from a hook's environment while
			// the console's session has it: both land on the same place.
			rt = userRuntimeDir()
		}
		if rt != "" {
			l.RuntimeDir = filepath.Join(rt, "ony")
		} else {
			l.RuntimeDir = filepath.Join(l.StateDir, "run")
		}
	}
	if err := l.fill(); err != nil {
		return Layout{}, fmt.Errorf("%w: use a shorter ONY_HOME or XDG_RUNTIME_DIR", err)
	}
	return l, nil
}

// fill derives the file paths from the three directories.
func (l *Layout) fill() error {
	l.ConfigFile = filepath.Join(l.ConfigDir, "config.yaml")
	l.TaxonomyFile = filepath.Join(l.ConfigDir, "taxonomy.yaml")
	l.OverlayFile = filepath.Join(l.ConfigDir, "taxonomy.overlay.yaml")
	l.KeysDir = filepath.Join(l.StateDir, "keys")
	l.DevicesFile = filepath.Join(l.StateDir, "devices.json")
	l.LedgerFile = filepath.Join(l.StateDir, "ledger.db")
	l.CheckpointDir = filepath.Join(l.StateDir, "checkpoints")
	l.KillSwitch = filepath.Join(l.StateDir, "killswitch")
	l.LockFile = filepath.Join(l.StateDir, "engine.lock")
	l.ArchiveDir = filepath.Join(l.StateDir, "archive")
	l.Socket = filepath.Join(l.RuntimeDir, "ony.sock")
	l.ConsoleSocket = filepath.Join(l.RuntimeDir, "console.sock")
	if len(l.Socket) > maxSocketPath {
		return fmt.Errorf("socket path %q is %d bytes, longer than the %d a Unix socket allows",
			l.Socket, len(l.Socket), maxSocketPath)
	}
	return nil
}

// Dirs lists the directories of the layout, each created 0700 by EnsureDirs.
func (l Layout) Dirs() []string {
	return []string{l.ConfigDir, l.StateDir, l.RuntimeDir, l.KeysDir, l.CheckpointDir}
}

// Roots lists the top directories Ony owns. The taxonomy treats any tool call
// touching them as an attempt on Ony itself.
func (l Layout) Roots() []string {
	return []string{l.ConfigDir, l.StateDir, l.RuntimeDir}
}

// EnsureDirs creates every directory of the layout with mode 0700 and checks
// that each existing one is a real directory owned by this user and not
// readable by others.
func (l Layout) EnsureDirs() error {
	for _, d := range l.Dirs() {
		if err := EnsurePrivateDir(d); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotPrivate reports a directory or file that others can reach.
var ErrNotPrivate = errors.New("not private")

// EnsurePrivateDir creates dir (and parents) with mode 0700 if it is missing,
// and otherwise refuses a symlink, a non-directory, a directory owned by
// another user, or one that group or others can access.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if p := NearestExisting(dir); p != dir && Writable(p) != nil {
			return fmt.Errorf("cannot create %s: %s is not writable (%w)", dir, p, err)
		}
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink: refusing it, remove it and let ony-tui create the directory", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o, %w: run chmod 700 %s", dir, fi.Mode().Perm(), ErrNotPrivate, dir)
	}
	return nil
}
