//go:build unix

package paths

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// checkOwner refuses a file that belongs to another user.
func checkOwner(path string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking owner of %s: no stat data", path)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d): refusing it", path, st.Uid, uid)
	}
	return nil
}

// userRuntimeDir returns /run/user/<uid> when it is a directory owned by
// this user (what systemd-logind sets XDG_RUNTIME_DIR to), and "" otherwise.
func userRuntimeDir() string {
	d := "/run/user/" + strconv.Itoa(os.Getuid())
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || checkOwner(d, fi) != nil {
		return ""
	}
	return d
}

// accountHome is the home directory of this user's account, or "".
func accountHome() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.HomeDir
}
