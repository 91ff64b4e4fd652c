//go:build unix

package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// NearestExisting returns dir itself if it exists, or its nearest existing
// ancestor: the directory in which it would have to be created.
func NearestExisting(dir string) string {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			return p
		}
	}
}

// Writable reports, as an error naming the reason, whether this process may
// create files in dir (write and search permission, a writable file
// system), as the kernel decides for its real user.
func Writable(dir string) error {
	err := unix.Access(dir, unix.W_OK|unix.X_OK)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EROFS):
		return fmt.Errorf("%s is on a read-only file system", dir)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("%s is not writable by you: %w", dir, fs.ErrPermission)
	}
	return fmt.Errorf("checking %s: %w", dir, err)
}
