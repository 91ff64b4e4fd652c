// Package install adds Ony's hook to a coding-agent harness's config
// (`ony-tui install <harness>`), takes it out again (`uninstall`) and reports
// on it (`doctor`).
//
// Edits are format-preserving: the file is parsed as JSON with comments and
// trailing commas (github.com/tailscale/hujson), only Ony's own entries are
// added, changed or removed, and every other byte stays as it was. Ony's
// entries are recognised by a marker each harness tolerates (a statusMessage,
// a hook name, an env variable) or by their command, `<binary> hook
// <harness>`. Install is idempotent, backs the file up before writing
// (<file>.ony-backup-<timestamp>), refuses a file it cannot parse and leaves
// it untouched. Uninstall after install gives back the original bytes: when
// the file has not been edited since, it finds the backup that install made
// (the one install would turn into the current file) and restores it exactly;
// otherwise it removes Ony's entries and any containers that removal empties.
//
// The per-harness choices are in docs/HARNESSES.md.
package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TimeoutMargin is how much longer than the hook's own deadline the harness
// timeout is set, so the hook always answers (deny on its deadline) before
// the harness gives up on it, which most harnesses treat as "proceed".
const TimeoutMargin = 60 * time.Second

// Options says what to install where.
type Options struct {
	// Harness is the harness name (see harness.Names).
	Harness string
	// Binary is the absolute path of the ony-tui binary the hook runs.
	Binary string
	// HomeDir is the user's home; user configs live under it.
	HomeDir string
	// ProjectDir, when set, targets that project's config instead of the
	// user's (.claude/settings.local.json, .codex/hooks.json,
	// .cursor/hooks.json, .gemini/settings.json, .github/hooks/ony.json).
	ProjectDir string
	// OnyHome, when set, is passed to the hook as `--home DIR`.
	OnyHome string
	// Deadline is the hook's own deadline, passed to it as `--deadline`; the
	// harness timeout written is Deadline + TimeoutMargin.
	Deadline time.Duration
	// DryRun computes the change and its diff and writes nothing.
	DryRun bool
	// Now stamps backups; nil means time.Now.
	Now func() time.Time
	// Getenv, when set, is consulted for CLAUDE_CONFIG_DIR, CODEX_HOME and
	// COPILOT_HOME, which move those harnesses' user config.
	Getenv func(string) string
	// System targets the harness's managed policy file, which only root
	// can write and the user cannot override (see docs/HARNESSES.md),
	// instead of a user or project config. The hook entry runs
	// `<Binary> hook <harness> --system [--root Root]`; Binary must be a
	// root-owned file nobody else can change.
	System bool
	// Root is the install root of a system install ("" for /).
	Root string
	// Record, when set, is the file where install notes the directories it
	// creates, so that uninstall removes them again (in Ony's state
	// directory; see cleanup.go). Not used with System.
	Record string
}

// Result is what Install or Uninstall did (or, with DryRun, would do).
type Result struct {
	Harness string
	// File is the config file (a symlink's target when the path is a link).
	File string
	// Changed is false when the file already said what was asked.
	Changed bool
	// Created: install created the file. Removed: uninstall deleted the file
	// install had created. Restored: uninstall put back the exact bytes the
	// file had before install.
	Created, Removed, Restored bool
	// Backup is the copy made before writing, "" when nothing was written.
	Backup string
	// Diff is the change as a unified diff, "" when unchanged.
	Diff string
	// FailClosed names the fail-closed switch install turned on, "" where
	// the harness has none.
	FailClosed string
	// FailOpen says how the harness still lets a call run when the hook is
	// missing, crashes or hangs, "" where it does not.
	FailOpen string
	// Summary is the plain text for the CLI to print.
	Summary string
	// KeptSettings names policy settings install added (System) that an
	// uninstall which could not restore the file's exact bytes left in
	// place, for the user to review.
	KeptSettings []string
	// RemovedBackups are the backups install made that uninstall removed;
	// RemovedDirs the directories install created that uninstall removed;
	// Kept says what uninstall left in place and why.
	RemovedBackups, RemovedDirs, Kept []string
}

// Install writes Ony's hook entries into the harness's config.
func Install(o Options) (Result, error) {
	t, err := o.check(true)
	if err != nil {
		return Result{}, err
	}
	if o.System && t.toml {
		return installTOML(o, t)
	}
	s := o.spec()
	cf, err := o.readConfig(t)
	if err != nil {
		return Result{}, err
	}
	base := cf.data
	if !cf.exists {
		base = []byte(t.skeleton)
	}
	d, err := parseDoc(base)
	if err != nil {
		return Result{}, refuse(cf.path, err)
	}
	var want []eventItem
	for _, ev := range t.events {
		want = append(want, eventItem{ev, t.item(s, ev)})
	}
	extras := o.extras(t)
	if err := applyAll(d, t, want, o.Binary, extras); err != nil {
		return Result{}, refuse(cf.path, err)
	}
	out := d.bytes()
	if err := verifyInstalled(t, base, out, o.Binary, extras); err != nil {
		return Result{}, fmt.Errorf("%s: %w; nothing was written", cf.path, err)
	}
	res := Result{Harness: t.name, File: cf.path, Created: !cf.exists, Changed: !cf.exists || !bytes.Equal(out, cf.data),
		FailClosed: t.failClosed}
	if t.failOpen != nil {
		res.FailOpen = t.failOpen(s)
	}
	if res.Changed {
		res.Diff = unifiedDiff(cf.path, cf.data, out, !cf.exists, false)
		if !o.DryRun {
			var created []string
			if res.Backup, created, err = commit(cf, out, false, o.now(), true); err != nil {
				return Result{}, err
			}
			if !o.System {
				if err := o.recordDirs(t.name, created); err != nil {
					return res, fmt.Errorf("%s is installed, but %w", cf.path, err)
				}
			}
		}
	}
	res.Summary = installSummary(t, o, s, res)
	return res, nil
}

// Uninstall removes Ony's entries from the harness's config.
func Uninstall(o Options) (Result, error) {
	t, err := o.check(false)
	if err != nil {
		return Result{}, err
	}
	if o.System && t.toml {
		return uninstallTOML(o, t)
	}
	cf, err := o.readConfig(t)
	if err != nil {
		return Result{}, err
	}
	res := Result{Harness: t.name, File: cf.path}
	if !cf.exists {
		err := o.cleanup(t, cf.path, true, &res)
		res.Summary = fmt.Sprintf("%s: %s does not exist; there is no Ony hook to remove.\n", t.title, cf.path) + leftovers(res)
		return res, err
	}
	d, err := parseDoc(cf.data)
	if err != nil {
		return Result{}, refuse(cf.path, err)
	}
	fs, err := scan(d, t, o.Binary)
	if err != nil {
		return Result{}, refuse(cf.path, err)
	}
	if len(fs) == 0 {
		err := o.cleanup(t, cf.path, false, &res)
		res.Summary = fmt.Sprintf("%s: no Ony hook in %s; nothing changed.\n", t.title, cf.path) + leftovers(res)
		return res, err
	}
	want, exact := wantFrom(t, fs) // before apply, which edits the entries fs points into
	if err := apply(d, t, nil, o.Binary); err != nil {
		return Result{}, refuse(cf.path, err)
	}
	out := d.bytes()
	extras := o.extras(t)
	if exact {
		if orig, found := preimage(cf, t, want, o.Binary, extras); found {
			out, res.Restored = orig, true
		} else if replay([]byte(t.skeleton), t, want, o.Binary, extras, cf.data) {
			out, res.Removed = nil, true
		}
	}
	if !res.Restored && !res.Removed {
		res.KeptSettings = presentExtras(d, extras)
	}
	res.Changed = true
	res.Diff = unifiedDiff(cf.path, cf.data, out, false, res.Removed)
	if !o.DryRun {
		if res.Backup, err = o.commitUninstall(cf, out, res.Removed); err != nil {
			return Result{}, err
		}
	}
	cerr := o.cleanup(t, cf.path, res.Removed, &res)
	res.Summary = uninstallSummary(t, o, res)
	return res, cerr
}

// harnessTimeout is the harness timeout for a hook deadline, in whole seconds.
func harnessTimeout(deadline time.Duration) time.Duration {
	return (deadline + TimeoutMargin + time.Second - 1).Truncate(time.Second)
}

// check validates the options and returns the harness's target.
func (o Options) check(installing bool) (*target, error) {
	t, err := targetFor(o.Harness)
	if err != nil {
		return nil, err
	}
	abs := func(what, p string, required bool) error {
		if p == "" && !required {
			return nil
		}
		if !filepath.IsAbs(p) {
			return fmt.Errorf("%s %q is not an absolute path", what, p)
		}
		return nil
	}
	if err := abs("project dir", o.ProjectDir, false); err != nil {
		return nil, err
	}
	if o.System {
		if o.ProjectDir != "" || o.OnyHome != "" {
			return nil, errors.New("a system install has no project dir and no ony home: it uses the system install's engine")
		}
		if t.systemFile == nil {
			return nil, fmt.Errorf("%s has no managed policy file that Ony knows of", t.title)
		}
		if err := abs("install root", o.Root, false); err != nil {
			return nil, err
		}
	} else if o.Root != "" {
		return nil, errors.New("an install root is for a system install")
	}
	if err := abs("home dir", o.HomeDir, o.ProjectDir == "" && !o.System); err != nil {
		return nil, err
	}
	if err := abs("ony home", o.OnyHome, false); err != nil {
		return nil, err
	}
	if err := abs("binary", o.Binary, installing); err != nil {
		return nil, err
	}
	if !installing {
		return t, nil
	}
	if o.Deadline <= 0 {
		return nil, fmt.Errorf("hook deadline %v must be positive", o.Deadline)
	}
	fi, err := os.Stat(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("checking binary: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("binary %s is not an executable file", o.Binary)
	}
	if o.System {
		if err := rootOwnedBinary(o.Binary); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// refuse is the error for a config Ony will not edit.
func refuse(path string, err error) error {
	return fmt.Errorf("parsing %s: %w; Ony did not change the file", path, err)
}

// verifyInstalled re-reads the new file: it must hold exactly one pure Ony
// entry per event and the extra settings, and stay plain JSON if it was.
func verifyInstalled(t *target, base, out []byte, binary string, extras []extra) error {
	d, err := parseDoc(out)
	if err != nil {
		return fmt.Errorf("the edited file does not parse: %w", err)
	}
	fs, err := scan(d, t, binary)
	if err != nil {
		return err
	}
	if len(fs) != len(t.events) {
		return fmt.Errorf("the edited file holds %d Ony entries, want %d", len(fs), len(t.events))
	}
	if json.Valid(base) && !json.Valid(out) {
		return errors.New("the edited file is no longer plain JSON")
	}
	if missing := missingExtras(d, extras); len(missing) > 0 {
		return fmt.Errorf("the edited file does not set %s", strings.Join(missing, ", "))
	}
	return nil
}

// preimage looks for the file as it was before install: a backup with no
// Ony entry that install, replayed with the entries now in the file, turns
// into exactly the current bytes.
func preimage(cf configFile, t *target, want []eventItem, binary string, extras []extra) ([]byte, bool) {
	for _, name := range cf.backups() {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		if replay(b, t, want, binary, extras, cf.data) {
			return b, true
		}
	}
	return nil, false
}

// replay reports whether installing want into candidate gives exactly cur.
func replay(candidate []byte, t *target, want []eventItem, binary string, extras []extra, cur []byte) bool {
	d, err := parseDoc(candidate)
	if err != nil {
		return false
	}
	if fs, err := scan(d, t, binary); err != nil || len(fs) > 0 {
		return false
	}
	return applyAll(d, t, want, binary, extras) == nil && bytes.Equal(d.bytes(), cur)
}

// commit backs the file up (when withBackup) and writes (or removes) it,
// unless it changed since it was read. It returns the backup and the
// directories it created.
func commit(cf configFile, out []byte, remove bool, now time.Time, withBackup bool) (string, []string, error) {
	if err := cf.unchangedSince(); err != nil {
		return "", nil, err
	}
	var backup string
	if cf.exists && withBackup {
		var err error
		if backup, err = cf.backup(now); err != nil {
			return "", nil, err
		}
	}
	if remove {
		if err := os.Remove(cf.path); err != nil {
			return backup, nil, fmt.Errorf("removing %s: %w", cf.path, err)
		}
		return backup, nil, nil
	}
	created, err := cf.write(out)
	return backup, created, err
}

func installSummary(t *target, o Options, s spec, res Result) string {
	var b strings.Builder
	what := fmt.Sprintf("Ony's hook (%s, timeout %s)", strings.Join(t.events, ", "), s.timeout)
	switch {
	case !res.Changed:
		fmt.Fprintf(&b, "%s: %s is already installed in %s; nothing changed.\n", t.title, what, res.File)
	case o.DryRun:
		fmt.Fprintf(&b, "%s: would install %s in %s. Dry run: nothing was written.\n", t.title, what, res.File)
	default:
		fmt.Fprintf(&b, "%s: installed %s in %s.\n", t.title, what, res.File)
	}
	fmt.Fprintf(&b, "The hook runs: %s\n", s.commandLine(t.name))
	if res.Backup != "" {
		fmt.Fprintf(&b, "Backup of the previous file: %s\n", res.Backup)
	}
	if res.FailClosed != "" {
		fmt.Fprintf(&b, "Fail-closed: %s.\n", res.FailClosed)
	}
	if res.FailOpen != "" {
		fmt.Fprintf(&b, "Fail-open: %s\n", res.FailOpen)
	}
	if o.ProjectDir != "" && t.projectNote != "" {
		fmt.Fprintf(&b, "%s\n", t.projectNote)
	}
	if o.System {
		fmt.Fprintf(&b, "Managed policy, writable by root only: %s\n", t.systemNote)
	}
	return b.String()
}

func uninstallSummary(t *target, o Options, res Result) string {
	var b strings.Builder
	verb := "removed"
	if o.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(&b, "%s: %s Ony's hook from %s.", t.title, verb, res.File)
	switch {
	case res.Restored && o.DryRun:
		b.WriteString(" The file would go back to the exact bytes it had before install.")
	case res.Restored:
		b.WriteString(" The file is back to the exact bytes it had before install.")
	case res.Removed && o.DryRun:
		b.WriteString(" Install had created the file, so it would be deleted.")
	case res.Removed:
		b.WriteString(" Install had created the file, so it is deleted.")
	}
	b.WriteString("\n")
	if o.DryRun {
		b.WriteString("Dry run: nothing was written.\n")
	} else {
		fmt.Fprintf(&b, "Ony no longer gates %s tool calls through this file.\n", t.title)
	}
	if res.Backup != "" {
		fmt.Fprintf(&b, "Backup of the previous file: %s\n", res.Backup)
	}
	if len(res.KeptSettings) > 0 {
		fmt.Fprintf(&b, "The file was edited since install, so only Ony's entries were removed; still set: %s. Remove them if Ony added them.\n",
			strings.Join(res.KeptSettings, ", "))
	}
	b.WriteString(leftovers(res))
	return b.String()
}

// leftovers says which of Ony's backups and directories uninstall removed
// (or would remove) and what it kept.
func leftovers(res Result) string {
	var b strings.Builder
	if n := len(res.RemovedBackups); n > 0 {
		fmt.Fprintf(&b, "Removed the %d backups install made: %s\n", n, strings.Join(res.RemovedBackups, ", "))
	}
	for _, d := range res.RemovedDirs {
		fmt.Fprintf(&b, "Removed %s: install created it.\n", d)
	}
	for _, k := range res.Kept {
		fmt.Fprintf(&b, "Kept %s.\n", k)
	}
	return b.String()
}
