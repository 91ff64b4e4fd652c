//go:build unix

package paths

import (
	"fmt"
	"os"
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
