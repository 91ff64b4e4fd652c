package device

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ony-dev/ony-tui/engine/paths"
)

// readFile reads a key file, which must be a regular file owned by the
// registry's owner and not accessible to group or others. Hex key files are
// decoded.
func (r *Registry) readFile(path string, limit int64) ([]byte, error) {
	b, _, err := r.readFileIdent(path, limit, false)
	return b, err
}

// readFileIdent is readFile that also returns the identity of the file it
// read, taken from the open descriptor, so it names exactly the bytes
// returned even if the path is renamed over meanwhile. A readable file
// (shared) may be readable by group and others, never writable by them.
func (r *Registry) readFileIdent(path string, limit int64, readable bool) ([]byte, fileIdent, error) {
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
	if int(st.Uid) != r.access.Owner {
		if r.access.Owner == os.Getuid() {
			return nil, fileIdent{}, fmt.Errorf("%s is owned by uid %d, not you: refusing it", path, st.Uid)
		}
		return nil, fileIdent{}, fmt.Errorf("%s is owned by uid %d, not by the engine's user (uid %d): refusing it", path, st.Uid, r.access.Owner)
	}
	switch perm := fi.Mode().Perm(); {
	case readable && perm&0o022 != 0:
		return nil, fileIdent{}, fmt.Errorf("%s has mode %04o: others could change it; run chmod 640 %s", path, perm, path)
	case !readable && perm&0o077 != 0:
		return nil, fileIdent{}, fmt.Errorf("%s has mode %04o: run chmod 600 %s", path, perm, path)
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
	return writeFile(path, data, 0o600, -1)
}

// writeSharedFile writes the registry of a system install: like
// writePrivateFile, with mode 0640 and the group of its directory (the
// hook's group), so the hook can read the public keys.
func writeSharedFile(path string, data []byte) error {
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Dir(path), &st); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return writeFile(path, data, paths.SystemRegistryMode, int(st.Gid))
}

// writeFile writes data to path atomically with mode, and group gid unless
// it is negative.
func writeFile(path string, data []byte, mode os.FileMode, gid int) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if gid >= 0 {
		if err := tmp.Chown(-1, gid); err != nil {
			tmp.Close()
			return fmt.Errorf("writing %s: giving it group %d: %w", path, gid, err)
		}
	}
	if err := tmp.Chmod(mode); err != nil {
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
