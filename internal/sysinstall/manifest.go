package sysinstall

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// manifestVersion is the format version of the manifest.
const manifestVersion = 1

// Manifest records what a system install did, so that uninstall undoes
// exactly that. It is root-owned (0644) in the config directory. A second
// install keeps what the first one recorded it had created.
type Manifest struct {
	Version    int    `json:"version"`
	OwnerUID   int    `json:"owner_uid"`
	OwnerName  string `json:"owner_name"`
	EngineUser string `json:"engine_user"`
	HookGroup  string `json:"hook_group"`
	// What install created or changed outside its own files.
	CreatedUser        bool `json:"created_user"`
	CreatedGroup       bool `json:"created_group"`
	AddedEngineToGroup bool `json:"added_engine_to_group"`
	AddedOwnerToGroup  bool `json:"added_owner_to_group"`
	// CreatedDirs are the directories install created (parents first);
	// uninstall removes those left empty.
	CreatedDirs []string `json:"created_dirs"`
	// Files install wrote, with the SHA-256 of what it wrote: uninstall
	// removes a file only if it still holds exactly that.
	Files map[string]string `json:"files"`
	// Hooks are the harnesses installed with `install --system <harness>`.
	Hooks []string `json:"hooks"`
}

// ReadManifest reads the manifest of the install below root. It returns
// (nil, nil) when there is none.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return nil, err
	}
	if st.Uid != 0 || st.Mode&0o022 != 0 || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, fmt.Errorf("%s is not a root-owned file closed to writes by others: refusing to act on it", path)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%s has version %d, this build reads %d", path, m.Version, manifestVersion)
	}
	return &m, nil
}

// Write stores the manifest atomically, root-owned 0644.
func (m *Manifest) Write(path string) error {
	m.Version = manifestVersion
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, with mode, owned by the caller (root).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(data)
	for _, f := range []func() error{func() error { return tmp.Chmod(mode) }, tmp.Sync, tmp.Close} {
		if err != nil {
			break
		}
		err = f()
	}
	if err != nil {
		_ = tmp.Close()
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fileHash is the SHA-256 of a file, "" when it cannot be read.
func fileHash(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return sha256Hex(b)
}
