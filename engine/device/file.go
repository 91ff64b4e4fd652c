package device

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// readPrivateFile reads a file that must be a regular file owned by this
// user and not accessible to group or others. Hex key files are decoded.
func readPrivateFile(path string, limit int64) ([]byte, error) {
	b, _, err := readPrivateFileIdent(path, limit)
	return b, err
}

// readPrivateFileIdent is readPrivateFile that also returns the identity of
// the file it read, taken from the open descriptor, so it names exactly the
// bytes returned even if the path is renamed over meanwhile.
func readPrivateFileIdent(path string, limit int64) ([]byte, fileIdent, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fileIdent{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileIdent{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fileIdent{}, fmt.Errorf("%s is not a regular file", path)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fileIdent{}, fmt.Errorf("%s: no stat data", path)
	}
	id := fileIdent{ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim.Nano()}
	if int(st.Uid) != os.Getuid() {
		return nil, fileIdent{}, fmt.Errorf("%s is owned by uid %d, not you: refusing it", path, st.Uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fileIdent{}, fmt.Errorf("%s has mode %04o: run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fileIdent{}, err
	}
	if int64(len(b)) > limit {
		return nil, fileIdent{}, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	if strings.HasSuffix(path, ".key") {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fileIdent{}, fmt.Errorf("%s is not a hex key file", path)
		}
		return k, id, nil
	}
	return b, id, nil
}

// writePrivateFile writes data to path atomically with mode 0600: a
// temporary file in the same directory, fsync, rename, fsync of the
// directory.
func writePrivateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
