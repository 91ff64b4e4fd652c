package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The directories of a system install, below its install root. The file
// names inside them are the same as in a per-user layout.
const (
	SystemConfigDir  = "/etc/ony"
	SystemStateDir   = "/var/lib/ony"
	SystemRuntimeDir = "/run/ony"
)

// Modes of a system install.
//
//	ConfigDir   root:root        0755, its files 0644: only root changes policy
//	StateDir    engine:hookgroup 0710: the hook group can open a known name
//	            inside (devices.json) but not list it
//	KeysDir     engine           0700, every key 0600
//	Ledger      engine           0600 (the engine runs with umask 077)
//	DevicesFile engine:hookgroup 0640: public keys only
//	RuntimeDir  engine:hookgroup 0710
//	Socket      engine:hookgroup 0660
const (
	SystemSharedDirMode = 0o710
	SystemSocketMode    = 0o660
	SystemRegistryMode  = 0o640
	SystemConfigDirMode = 0o755
)

// ErrSystemLayout reports a system install whose files the agent's user (or
// anyone but root and the engine) could change, or that is not set up.
var ErrSystemLayout = errors.New("system install not trustworthy")

// System returns the layout of a system install below root: "" or "/" is
// the machine's own (/etc/ony, /var/lib/ony, /run/ony); tests pass a
// directory. root comes from a command-line flag that root wrote into a
// root-owned file (the hook entry, the systemd unit), never from the
// environment, which the agent may set.
func System(root string) (Layout, error) {
	if root == "" {
		root = "/"
	}
	if !filepath.IsAbs(root) {
		return Layout{}, fmt.Errorf("install root %q is not an absolute path", root)
	}
	root = filepath.Clean(root)
	l := Layout{
		ConfigDir:  filepath.Join(root, SystemConfigDir),
		StateDir:   filepath.Join(root, SystemStateDir),
		RuntimeDir: filepath.Join(root, SystemRuntimeDir),
		System:     true,
		Root:       root,
	}
	if err := l.fill(); err != nil {
		return Layout{}, fmt.Errorf("%w: use a shorter install root", err)
	}
	return l, nil
}

// CheckRootChain checks that dir and every directory above it is a real
// directory (no symbolic link) owned by root that nobody else can write
// to. A directory above dir may be world-writable if it is sticky (/tmp):
// there nobody but root can rename or remove root's entries.
func CheckRootChain(dir string) error {
	dir = filepath.Clean(dir)
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%w: %s is not an absolute path", ErrSystemLayout, dir)
	}
	for p := dir; ; p = filepath.Dir(p) {
		st, err := lstat(p)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSystemLayout, err)
		}
		mode := fs.FileMode(st.Mode)
		switch {
		case st.Mode&syscall.S_IFMT == syscall.S_IFLNK:
			return fmt.Errorf("%w: %s is a symbolic link", ErrSystemLayout, p)
		case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
			return fmt.Errorf("%w: %s is not a directory", ErrSystemLayout, p)
		case st.Uid != 0:
			return fmt.Errorf("%w: %s is owned by uid %d, not root: that user could replace what is below it", ErrSystemLayout, p, st.Uid)
		case mode.Perm()&0o022 != 0 && (p == dir || st.Mode&syscall.S_ISVTX == 0):
			return fmt.Errorf("%w: %s has mode %04o: others can change what is in it", ErrSystemLayout, p, mode.Perm())
		}
		if p == "/" {
			return nil
		}
	}
}

// CheckRootFile checks that path, if it exists, is a regular file owned by
// root that nobody else can write to. A missing file is fine: the engine
// then uses its defaults.
func CheckRootFile(path string) error {
	st, err := lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSystemLayout, err)
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return fmt.Errorf("%w: %s is not a regular file", ErrSystemLayout, path)
	case st.Uid != 0:
		return fmt.Errorf("%w: %s is owned by uid %d, not root: that user could change Ony's policy", ErrSystemLayout, path, st.Uid)
	case st.Mode&0o022 != 0:
		return fmt.Errorf("%w: %s has mode %04o: others can change Ony's policy", ErrSystemLayout, path, st.Mode&0o777)
	}
	return nil
}

// EngineUID checks a system layout from the side of a user who is not the
// engine (the hook, doctor) and returns the uid the engine runs as: the
// owner of the state directory. Only root can have made that directory and
// given it away, because everything above it is root's and closed to
// others; so a user cannot point the hook at an engine of its own. It fails
// when the layout is not a system one, when a directory above the state,
// runtime or config directory is not root's or is writable by others, when
// the state or runtime directory is a symbolic link, is owned by root or by
// the calling user, or is writable by its group or others, and when the two
// have different owners.
func (l Layout) EngineUID() (int, error) {
	if !l.System {
		return -1, fmt.Errorf("%w: not a system layout", ErrSystemLayout)
	}
	for _, d := range []string{filepath.Dir(l.StateDir), filepath.Dir(l.RuntimeDir), l.ConfigDir} {
		if err := CheckRootChain(d); err != nil {
			return -1, err
		}
	}
	uid := -1
	for _, d := range []string{l.StateDir, l.RuntimeDir} {
		st, err := lstat(d)
		if err != nil {
			return -1, fmt.Errorf("%w: %v (is the system service installed? sudo ony-tui install --system service)", ErrSystemLayout, err)
		}
		switch {
		case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
			return -1, fmt.Errorf("%w: %s is not a directory", ErrSystemLayout, d)
		case st.Uid == 0:
			return -1, fmt.Errorf("%w: %s is owned by root: the engine must run as its own user", ErrSystemLayout, d)
		case int(st.Uid) == os.Getuid():
			return -1, fmt.Errorf("%w: %s is owned by you (uid %d): the engine must run as a user of its own", ErrSystemLayout, d, st.Uid)
		case st.Mode&0o022 != 0:
			return -1, fmt.Errorf("%w: %s has mode %04o: others can change what is in it", ErrSystemLayout, d, st.Mode&0o777)
		case uid >= 0 && int(st.Uid) != uid:
			return -1, fmt.Errorf("%w: %s is owned by uid %d, %s by uid %d", ErrSystemLayout, l.StateDir, uid, d, st.Uid)
		}
		uid = int(st.Uid)
	}
	return uid, nil
}

// EnsureSystemDirs is EnsureDirs for the engine of a system install, run
// as the engine's user. The install made the directories; the engine
// checks them: the config directory and everything above the state and
// runtime directories are root's and closed to others; the state and
// runtime directories are its own, open to their group for traversal at
// most and closed to others. It gives the runtime directory the state
// directory's group and mode 0710 (systemd recreates it at boot with the
// service's group), and creates the keys and checkpoint directories 0700.
// It returns the hook group: the state directory's group.
func (l Layout) EnsureSystemDirs() (hookGID int, err error) {
	if !l.System {
		return -1, fmt.Errorf("%w: not a system layout", ErrSystemLayout)
	}
	if os.Getuid() == 0 {
		return -1, fmt.Errorf("%w: the engine of a system install runs as its own user, never as root (`sudo ony-tui install --system service` sets that up)", ErrSystemLayout)
	}
	for _, d := range []string{filepath.Dir(l.StateDir), filepath.Dir(l.RuntimeDir), l.ConfigDir} {
		if err := CheckRootChain(d); err != nil {
			return -1, err
		}
	}
	for _, f := range []string{l.ConfigFile, l.TaxonomyFile, l.OverlayFile} {
		if err := CheckRootFile(f); err != nil {
			return -1, err
		}
	}
	state, err := ownDir(l.StateDir, true)
	if err != nil {
		return -1, err
	}
	gid := int(state.Gid)
	run, err := ownDir(l.RuntimeDir, false)
	if err != nil {
		return -1, err
	}
	if int(run.Gid) != gid {
		if err := os.Lchown(l.RuntimeDir, -1, gid); err != nil {
			return -1, fmt.Errorf("%w: giving %s the group %d of %s: %v (the engine's user must be in that group)", ErrSystemLayout, l.RuntimeDir, gid, l.StateDir, err)
		}
	}
	if run.Mode&0o777 != SystemSharedDirMode {
		if err := os.Chmod(l.RuntimeDir, SystemSharedDirMode); err != nil {
			return -1, fmt.Errorf("%w: %v", ErrSystemLayout, err)
		}
	}
	for _, d := range []string{l.KeysDir, l.CheckpointDir} {
		if err := EnsurePrivateDir(d); err != nil {
			return -1, err
		}
	}
	return gid, nil
}

// ownDir checks that dir is a directory of this user; closed, also that
// its group may at most traverse it and others cannot reach it at all.
func ownDir(dir string, closed bool) (*syscall.Stat_t, error) {
	st, err := lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist: run `sudo ony-tui install --system service`", ErrSystemLayout, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSystemLayout, err)
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
		return nil, fmt.Errorf("%w: %s is not a directory", ErrSystemLayout, dir)
	case int(st.Uid) != os.Getuid():
		return nil, fmt.Errorf("%w: %s is owned by uid %d, not by the engine's user (uid %d)", ErrSystemLayout, dir, st.Uid, os.Getuid())
	case closed && st.Mode&0o067 != 0:
		return nil, fmt.Errorf("%w: %s has mode %04o: its group may only traverse it (chmod 710 %s)", ErrSystemLayout, dir, st.Mode&0o777, dir)
	}
	return st, nil
}

func lstat(p string) (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: p, Err: err}
	}
	return &st, nil
}

// CheckSocketDir checks the socket directory of a system install from the
// engine's side: a directory of this user (not a symbolic link) that nobody
// else can write to, so nobody else can replace a socket in it.
func CheckSocketDir(dir string) error {
	st, err := lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
		return fmt.Errorf("%s is not a directory", dir)
	case int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s is not owned by the engine's user (uid %d)", dir, os.Getuid())
	case st.Mode&0o022 != 0:
		return fmt.Errorf("%s has mode %04o: others could replace the socket", dir, st.Mode&0o777)
	}
	return nil
}
