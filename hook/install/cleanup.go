package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Ony's leftovers in a user's (or a project's) config: the backups install
// made of a config file (<file>.ony-backup-<time>) and the directories it
// created for one (~/.copilot/hooks when there was no ~/.copilot). Install
// notes the directories it creates in a record in Ony's state directory
// (Options.Record); uninstall, once Ony's entries are gone, removes the
// backups and, when it removed the file, the directories install created
// that are empty again. It keeps everything else and says what it kept. A
// system install's policy files are root's and are left to `uninstall
// --system`.

// installRecord is the record of what install created.
type installRecord struct {
	Dirs []recordedDir `json:"dirs"`
}

type recordedDir struct {
	Path    string `json:"path"`
	Harness string `json:"harness"`
}

// maxRecordSize bounds the record read back.
const maxRecordSize = 1 << 20

func readRecord(path string) (installRecord, error) {
	var r installRecord
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r, nil
	case err != nil:
		return r, fmt.Errorf("reading the install record: %w", err)
	case len(b) > maxRecordSize:
		return r, fmt.Errorf("the install record %s is %d bytes: not Ony's", path, len(b))
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("reading the install record %s: %w", path, err)
	}
	return r, nil
}

// writeRecord replaces the record atomically (0600, its directory 0700).
func writeRecord(path string, r installRecord) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing the install record: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".installed-*.json")
	if err != nil {
		return fmt.Errorf("writing the install record: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing the install record: %w", err)
	}
	return nil
}

// recordDirs adds the directories install created for harness.
func (o Options) recordDirs(harness string, dirs []string) error {
	if o.Record == "" || len(dirs) == 0 {
		return nil
	}
	r, err := readRecord(o.Record)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if !slices.ContainsFunc(r.Dirs, func(x recordedDir) bool { return x.Path == d && x.Harness == harness }) {
			r.Dirs = append(r.Dirs, recordedDir{Path: d, Harness: harness})
		}
	}
	return writeRecord(o.Record, r)
}

// backupName matches the backups of one file: <file>.ony-backup-<UTC
// time>[-n].
func backupName(path string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(filepath.Base(path)+backupInfix) + `\d{8}T\d{6}Z(-\d{1,2})?$`)
}

// ownBackups lists the backups Ony made of the config file at path: plain
// files named as Ony names them, beside it.
func ownBackups(path string) []string {
	re := backupName(path)
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && re.MatchString(e.Name()) {
			out = append(out, filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
	return out
}

// cleanup removes Ony's leftovers once uninstall took its entries out of
// file (removed: it deleted the file too): the backups, and the
// directories install created that are empty now. It fills the result's
// lists and says what it kept; with DryRun it says what it would do.
func (o Options) cleanup(t *target, file string, removed bool, res *Result) error {
	if o.System {
		return nil
	}
	for _, b := range ownBackups(file) {
		if !o.DryRun {
			if err := os.Remove(b); err != nil {
				return fmt.Errorf("removing Ony's backup %s: %w", b, err)
			}
		}
		res.RemovedBackups = append(res.RemovedBackups, b)
	}
	dir := filepath.Dir(file)
	r, err := readRecord(o.Record)
	if err != nil || o.Record == "" {
		if removed {
			res.Kept = append(res.Kept, dir+": install did not record creating it")
		}
		return err
	}
	var mine, rest []recordedDir
	for _, d := range r.Dirs {
		if d.Harness == t.name && (d.Path == dir || strings.HasPrefix(dir, d.Path+string(filepath.Separator))) {
			mine = append(mine, d)
		} else {
			rest = append(rest, d)
		}
	}
	if !removed {
		if len(mine) > 0 {
			res.Kept = append(res.Kept, dir+": it holds your settings")
		}
		return nil
	}
	if len(mine) == 0 {
		res.Kept = append(res.Kept, dir+": it was there before install")
	}
	sort.Slice(mine, func(i, j int) bool { return len(mine[i].Path) > len(mine[j].Path) }) // deepest first
	for _, d := range mine {
		fi, err := os.Lstat(d.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return err
		case !fi.IsDir():
			res.Kept = append(res.Kept, d.Path+": it is no longer the directory install created")
			continue
		}
		if o.DryRun {
			if empty, _ := emptyBut(d.Path, res.RemovedDirs); empty {
				res.RemovedDirs = append(res.RemovedDirs, d.Path)
			} else {
				res.Kept = append(res.Kept, d.Path+": install created it, but it holds other files now")
			}
			continue
		}
		if err := os.Remove(d.Path); err != nil {
			res.Kept = append(res.Kept, d.Path+": install created it, but it holds other files now")
			continue
		}
		res.RemovedDirs = append(res.RemovedDirs, d.Path)
	}
	if o.DryRun {
		return nil
	}
	r.Dirs = rest
	return writeRecord(o.Record, r)
}

// emptyBut reports whether dir holds nothing but the directories in gone
// (which a dry run would remove first).
func emptyBut(dir string, gone []string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !slices.Contains(gone, filepath.Join(dir, e.Name())) {
			return false, nil
		}
	}
	return true, nil
}

// missingDirs lists dir and its parents that do not exist, outermost
// first.
func missingDirs(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		out = append([]string{d}, out...)
	}
	return out
}
