package install

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/pmezard/go-difflib/difflib"
)

// backupInfix names backups: <file>.ony-backup-<UTC timestamp>[-n].
const backupInfix = ".ony-backup-"

// maxBackupsChecked bounds how many backups uninstall reads looking for the
// file as it was before install.
const maxBackupsChecked = 10

// configFile is a config file as read.
type configFile struct {
	path   string // the path to write: a symlink's target when path is a link
	data   []byte // nil when the file does not exist
	exists bool
	mode   fs.FileMode
	// dirMode is the mode of missing directories write creates (0700 for
	// a user's config, 0755 for a managed policy directory).
	dirMode fs.FileMode
}

// readConfig reads path, following a symlink to the file it names so that a
// linked config (a dotfiles checkout) is edited in place, not replaced.
func readConfig(path string) (configFile, error) {
	cf := configFile{path: path, mode: 0o600, dirMode: 0o700}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return cf, fmt.Errorf("resolving symlink %s: %w", path, err)
		}
		cf.path = real
	}
	fi, err := os.Stat(cf.path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return cf, fmt.Errorf("reading %s: %w", cf.path, err)
	}
	if !fi.Mode().IsRegular() {
		return cf, fmt.Errorf("reading %s: not a regular file", cf.path)
	}
	data, err := os.ReadFile(cf.path)
	if err != nil {
		return cf, fmt.Errorf("reading %s: %w", cf.path, err)
	}
	cf.data, cf.exists, cf.mode = data, true, fi.Mode().Perm()
	return cf, nil
}

// unchangedSince reports whether the file still holds what was read, so a
// write never clobbers an edit made in between.
func (cf configFile) unchangedSince() error {
	now, err := readConfig(cf.path)
	if err != nil {
		return err
	}
	if now.exists != cf.exists || !bytes.Equal(now.data, cf.data) {
		return fmt.Errorf("%s changed while Ony was editing it; nothing was written, run the command again", cf.path)
	}
	return nil
}

// backup copies the file beside itself with the same mode and returns the
// copy's path.
func (cf configFile) backup(now time.Time) (string, error) {
	stem := cf.path + backupInfix + now.UTC().Format("20060102T150405Z")
	for n := 1; n < 100; n++ {
		name := stem
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, cf.mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("backing up %s: %w", cf.path, err)
		}
		_, werr := f.Write(cf.data)
		serr := f.Sync()
		if cerr := f.Close(); werr == nil && serr == nil {
			werr = cerr
		} else if werr == nil {
			werr = serr
		}
		if werr != nil {
			_ = os.Remove(name)
			return "", fmt.Errorf("backing up %s: %w", cf.path, werr)
		}
		return name, nil
	}
	return "", fmt.Errorf("backing up %s: too many backups named %s*", cf.path, stem)
}

// backups lists the file's backups, newest first.
func (cf configFile) backups() []string {
	names, _ := filepath.Glob(cf.path + backupInfix + "*")
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	if len(names) > maxBackupsChecked {
		names = names[:maxBackupsChecked]
	}
	return names
}

// write replaces the file with data atomically, keeping its mode (0600 for a
// new file), creating missing directories with dirMode. It returns the
// directories it created, outermost first.
func (cf configFile) write(data []byte) ([]string, error) {
	dir := filepath.Dir(cf.path)
	created := missingDirs(dir)
	if err := os.MkdirAll(dir, cf.dirMode); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(cf.path)+".ony-tmp-*")
	if err != nil {
		return created, fmt.Errorf("writing %s: %w", cf.path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.Write(data)
	for _, step := range []func() error{func() error { return tmp.Chmod(cf.mode) }, tmp.Sync, tmp.Close} {
		if err != nil {
			break
		}
		err = step()
	}
	if err != nil {
		_ = tmp.Close()
		return created, fmt.Errorf("writing %s: %w", cf.path, err)
	}
	if err := os.Rename(tmp.Name(), cf.path); err != nil {
		return created, fmt.Errorf("writing %s: %w", cf.path, err)
	}
	return created, nil
}

// unifiedDiff is the change from old to new as a unified diff.
func unifiedDiff(path string, old, new []byte, created, removed bool) string {
	from, to := path, path
	if created {
		from = "/dev/null"
	}
	if removed {
		to = "/dev/null"
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(old)), B: difflib.SplitLines(string(new)),
		FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		return fmt.Sprintf("(no diff: %v)\n", err)
	}
	return text
}
