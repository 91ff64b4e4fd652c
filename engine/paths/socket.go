package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// Listen listens on the Unix socket at path for one of the engine's sockets
// (what names it in errors: "socket", "console socket"). The directory is
// checked first: private to this user, or, for a system install (hookGroup
// > 0), root's and shared with the hook group. A socket left behind by this
// user is replaced; anything else at path (a file, a link, another user's
// socket) is refused. The socket is 0600, or SystemSocketMode in hookGroup,
// and is unlinked when the listener closes.
func Listen(path string, hookGroup int, what string) (*net.UnixListener, error) {
	if hookGroup > 0 {
		if err := CheckSocketDir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("%s directory: %w", what, err)
		}
	} else if err := EnsurePrivateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("%s directory: %w", what, err)
	}
	if err := removeStaleSocket(path, what); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	mode := os.FileMode(0o600)
	if hookGroup > 0 {
		mode = SystemSocketMode
		if err := os.Lchown(path, -1, hookGroup); err != nil {
			ln.Close()
			return nil, fmt.Errorf("giving %s %s the hook group %d: %w (the engine's user must be in that group)", what, path, hookGroup, err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("securing %s %s: %w", what, path, err)
	}
	ln.SetUnlinkOnClose(true)
	return ln, nil
}

// removeStaleSocket removes a socket this user left at path, and refuses
// anything else there.
func removeStaleSocket(path, what string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s path %s: %w", what, path, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s path %s is a symlink: refusing it; remove it and start again", what, path)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s path %s exists and is not a socket: refusing to replace it", what, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s %s is owned by uid %d, not you: refusing it", what, path, st.Uid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing stale %s %s: %w", what, path, err)
	}
	return nil
}
