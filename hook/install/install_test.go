package install

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow stamps backups in tests.
func fixedNow() time.Time { return time.Date(2026, 10, 21, 10, 15, 0, 0, time.UTC) }

// testEnv is a fake home with an executable ony-tui binary.
type testEnv struct {
	t    *testing.T
	home string
	opts Options
}

func newEnv(t *testing.T, h string) *testEnv {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(t.TempDir(), "ony-tui")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, home: home, opts: Options{Harness: h, Binary: bin, HomeDir: home, Deadline: 30 * time.Second, Now: fixedNow,
		Record: filepath.Join(t.TempDir(), "state", "installed.json")}}
}

// path is the harness's user config file.
func (e *testEnv) path() string {
	tg, err := targetFor(e.opts.Harness)
	if err != nil {
		e.t.Fatal(err)
	}
	return tg.file(e.opts, "")
}

// place writes a fixture as the harness's config with the given mode.
func (e *testEnv) place(fixture string, mode fs.FileMode) []byte {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(e.path()), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.path(), data, mode); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(e.path(), mode); err != nil {
		e.t.Fatal(err)
	}
	return data
}

func (e *testEnv) read() []byte {
	e.t.Helper()
	b, err := os.ReadFile(e.path())
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *testEnv) backups() []string {
	names, _ := filepath.Glob(e.path() + backupInfix + "*")
	return names
}

func (e *testEnv) install() Result {
	e.t.Helper()
	res, err := Install(e.opts)
	if err != nil {
		e.t.Fatalf("Install: %v", err)
	}
	return res
}

func (e *testEnv) uninstall() Result {
	e.t.Helper()
	res, err := Uninstall(e.opts)
	if err != nil {
		e.t.Fatalf("Uninstall: %v", err)
	}
	return res
}

// golden compares got, with the temp paths replaced, to testdata/name.
func (e *testEnv) golden(name string, got []byte) {
	e.t.Helper()
	got = bytes.ReplaceAll(got, []byte(e.opts.Binary), []byte("$BIN"))
	got = bytes.ReplaceAll(got, []byte(e.home), []byte("$HOME"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		e.t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// roundTrips are realistic existing configs, none holding an Ony entry.
// exactWithoutBackup says whether removing Ony's entries alone (no backup to
// restore from) gives back the original bytes; it cannot where the user had
// an empty hooks container that the removal prunes.
var roundTrips = []struct {
	harness, fixture   string
	exactWithoutBackup bool
}{
	{harness.Claude, "claude-settings.json", true},
	{harness.Claude, "claude-empty-hooks.json", false},
	{harness.Claude, "claude-minified.json", false},
	{harness.Codex, "codex-hooks.json", true},
	{harness.Cursor, "cursor-hooks.json", true},
	{harness.Gemini, "gemini-settings.json", true},
}

func TestInstallRoundTrip(t *testing.T) {
	for _, rt := range roundTrips {
		t.Run(rt.fixture, func(t *testing.T) {
			e := newEnv(t, rt.harness)
			orig := e.place(rt.fixture, 0o640)

			res := e.install()
			if !res.Changed || res.Created || res.Backup == "" {
				t.Fatalf("first install: %+v", res)
			}
			installed := e.read()
			e.golden(strings.TrimSuffix(rt.fixture, ".json")+".installed.golden", installed)
			if backup, _ := os.ReadFile(res.Backup); !bytes.Equal(backup, orig) {
				t.Errorf("backup %s does not hold the original bytes", res.Backup)
			}
			if fi, _ := os.Stat(e.path()); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
			}
			if !strings.HasPrefix(res.Diff, "--- "+e.path()) || !strings.Contains(res.Diff, "+") {
				t.Errorf("diff = %q", res.Diff)
			}

			again := e.install()
			if again.Changed || again.Backup != "" || again.Diff != "" || !bytes.Equal(e.read(), installed) || len(e.backups()) != 1 {
				t.Fatalf("second install changed something: %+v", again)
			}

			un := e.uninstall()
			if !un.Changed || !un.Restored || un.Removed {
				t.Fatalf("uninstall: %+v", un)
			}
			if got := e.read(); !bytes.Equal(got, orig) {
				t.Fatalf("uninstall did not restore the original bytes:\n%s", got)
			}
			if fi, _ := os.Stat(e.path()); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode after uninstall = %v, want 0640", fi.Mode().Perm())
			}

			// Without the backup, uninstall removes the entries structurally.
			e.install()
			for _, b := range e.backups() {
				_ = os.Remove(b)
			}
			un = e.uninstall()
			if un.Restored || un.Removed {
				t.Fatalf("uninstall without backups: %+v", un)
			}
			structural := e.read()
			e.golden(strings.TrimSuffix(rt.fixture, ".json")+".uninstalled.golden", structural)
			if rt.exactWithoutBackup != bytes.Equal(structural, orig) {
				t.Errorf("structural uninstall gives the original bytes: %v, want %v", !rt.exactWithoutBackup, rt.exactWithoutBackup)
			}
			if fs := scanFile(t, rt.harness, structural); len(fs) != 0 {
				t.Errorf("structural uninstall left %d Ony entries", len(fs))
			}
		})
	}
}

// scanFile lists the Ony entries in data.
func scanFile(t *testing.T, h string, data []byte) []found {
	t.Helper()
	tg, _ := targetFor(h)
	d, err := parseDoc(data)
	if err != nil {
		t.Fatalf("parsing: %v\n%s", err, data)
	}
	fs, err := scan(d, tg, "")
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestInstallCreatesFile(t *testing.T) {
	for _, h := range harness.Names() {
		t.Run(h, func(t *testing.T) {
			e := newEnv(t, h)
			e.opts.OnyHome = "/srv/ony home"
			res := e.install()
			if !res.Changed || !res.Created || res.Backup != "" {
				t.Fatalf("install: %+v", res)
			}
			if !strings.HasPrefix(res.Diff, "--- /dev/null") {
				t.Errorf("diff of a new file = %q", res.Diff)
			}
			e.golden("new-"+h+".golden", e.read())
			if fi, _ := os.Stat(e.path()); fi.Mode().Perm() != 0o600 {
				t.Errorf("new file mode = %v, want 0600", fi.Mode().Perm())
			}
			if fi, _ := os.Stat(filepath.Dir(e.path())); fi.Mode().Perm() != 0o700 {
				t.Errorf("new dir mode = %v, want 0700", fi.Mode().Perm())
			}
			un := e.uninstall()
			if !un.Removed || un.Backup != "" {
				t.Fatalf("uninstall: %+v", un)
			}
			if _, err := os.Stat(e.path()); !os.IsNotExist(err) {
				t.Fatalf("uninstall left the file install created: %v", err)
			}
			// The directories install created for it are gone too; the
			// home (which was there) stays.
			if len(un.RemovedDirs) == 0 || !strings.Contains(un.Summary, "install created it") {
				t.Fatalf("uninstall removed no directory: %+v", un)
			}
			for _, d := range un.RemovedDirs {
				if _, err := os.Stat(d); !os.IsNotExist(err) {
					t.Fatalf("%s is still there", d)
				}
			}
			if _, err := os.Stat(e.home); err != nil {
				t.Fatalf("the home went too: %v", err)
			}
		})
	}
}

// Uninstall removes what Ony made (its backups, the directories install
// created) and keeps what is the user's, saying so.
func TestUninstallRemovesWhatOnyCreated(t *testing.T) {
	e := newEnv(t, harness.Claude)
	orig := e.place("claude-settings.json", 0o600)
	mine := filepath.Join(filepath.Dir(e.path()), "notes.md")
	if err := os.WriteFile(mine, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.install()
	e.opts.Deadline = 45 * time.Second // a second install changes the file again: a second backup
	e.install()
	if n := len(e.backups()); n != 2 {
		t.Fatalf("%d backups after two installs", n)
	}
	e.opts.DryRun = true
	dry := e.uninstall()
	if len(dry.RemovedBackups) != 2 || len(e.backups()) != 2 {
		t.Fatalf("a dry run removed backups or did not say it would: %+v", dry)
	}
	e.opts.DryRun = false
	un := e.uninstall()
	if !un.Restored || un.Backup != "" || len(un.RemovedBackups) != 2 || len(e.backups()) != 0 {
		t.Fatalf("uninstall: %+v, %d backups left", un, len(e.backups()))
	}
	if !bytes.Equal(e.read(), orig) {
		t.Fatal("the user's file is not back")
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine\n" {
		t.Fatalf("the user's other file: %q %v", b, err)
	}
	if !strings.Contains(un.Summary, "Removed the 2 backups install made") {
		t.Fatalf("summary:\n%s", un.Summary)
	}

	// A directory install created keeps a file the user put there since,
	// and says so.
	e = newEnv(t, harness.Copilot)
	e.install()
	stray := filepath.Join(filepath.Dir(e.path()), "other-hook.json")
	if err := os.WriteFile(stray, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	un = e.uninstall()
	if !un.Removed || !strings.Contains(un.Summary, "install created it, but it holds other files now") {
		t.Fatalf("uninstall: %+v", un)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("the user's file went: %v", err)
	}

	// A backup-like name Ony never writes is not touched.
	e = newEnv(t, harness.Claude)
	e.place("claude-settings.json", 0o600)
	odd := e.path() + backupInfix + "mine"
	if err := os.WriteFile(odd, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.install()
	e.uninstall()
	if _, err := os.Stat(odd); err != nil {
		t.Fatalf("a file not named as Ony names backups was removed: %v", err)
	}
}

func TestInstallSummaries(t *testing.T) {
	for _, h := range harness.Names() {
		e := newEnv(t, h)
		res := e.install()
		e.golden("summary-"+h+".golden", []byte(res.Summary))
		switch h {
		case harness.Claude, harness.Cursor:
			if res.FailClosed == "" || res.FailOpen != "" {
				t.Errorf("%s: fail-closed %q, fail-open %q", h, res.FailClosed, res.FailOpen)
			}
		default:
			if res.FailClosed != "" || res.FailOpen == "" {
				t.Errorf("%s: fail-closed %q, fail-open %q", h, res.FailClosed, res.FailOpen)
			}
		}
		un := e.uninstall()
		if !strings.Contains(un.Summary, "removed Ony's hook") {
			t.Errorf("%s uninstall summary = %q", h, un.Summary)
		}
	}
}

func TestUninstallKeepsUserEditsAfterInstall(t *testing.T) {
	e := newEnv(t, harness.Codex)
	orig := e.place("codex-hooks.json", 0o600)
	e.install()
	edited := bytes.Replace(e.read(), []byte(`"timeout": 30`), []byte(`"timeout": 45`), 1)
	if err := os.WriteFile(e.path(), edited, 0o600); err != nil {
		t.Fatal(err)
	}
	un := e.uninstall()
	if un.Restored {
		t.Fatal("uninstall restored the backup over the user's later edit")
	}
	want := bytes.Replace(orig, []byte(`"timeout": 30`), []byte(`"timeout": 45`), 1)
	if got := e.read(); !bytes.Equal(got, want) {
		t.Errorf("uninstall after a user edit:\n%s\nwant\n%s", got, want)
	}
}

func TestInstallUpdatesStaleEntry(t *testing.T) {
	e := newEnv(t, harness.Copilot)
	e.place("copilot-manual.json", 0o600)
	res := e.install()
	if !res.Changed {
		t.Fatal("install did not update the manual entry")
	}
	got := e.read()
	e.golden("copilot-manual.installed.golden", got)
	fs := scanFile(t, harness.Copilot, got)
	if len(fs) != 1 || fs[0].info.argv[0] != e.opts.Binary || fs[0].info.event != "preToolUse" {
		t.Fatalf("entries after update: %+v", fs)
	}
	// The manual entry was Ony's, so uninstall leaves the user's other hook.
	e.uninstall()
	e.golden("copilot-manual.uninstalled.golden", e.read())
	if fs := scanFile(t, harness.Copilot, e.read()); len(fs) != 0 {
		t.Errorf("uninstall left %d entries", len(fs))
	}
}

func TestInstallIdempotentAfterReformat(t *testing.T) {
	e := newEnv(t, harness.Claude)
	e.place("claude-settings.json", 0o600)
	e.install()
	// The user reflows Ony's entry onto fewer lines; it still says the same.
	sp := func(n int) string { return "\n" + strings.Repeat(" ", n) }
	long := `"args": [` + sp(28) + `"hook",` + sp(28) + `"claude",` + sp(28) + `"--deadline",` + sp(28) + `"30s"` + sp(24) + `]`
	reflowed := bytes.ReplaceAll(e.read(), []byte(long), []byte(`"args": ["hook", "claude", "--deadline", "30s"]`))
	if bytes.Equal(reflowed, e.read()) {
		t.Fatal("test fixture did not reflow")
	}
	if err := os.WriteFile(e.path(), reflowed, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := e.install(); res.Changed {
		t.Fatalf("install rewrote an equivalent entry:\n%s", res.Diff)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	for _, fixture := range []string{"claude-settings.json", ""} {
		e := newEnv(t, harness.Claude)
		var orig []byte
		if fixture != "" {
			orig = e.place(fixture, 0o600)
		}
		e.opts.DryRun = true
		res := e.install()
		if !res.Changed || res.Diff == "" || res.Backup != "" || !strings.Contains(res.Summary, "Dry run") {
			t.Fatalf("dry run: %+v", res)
		}
		if fixture == "" {
			if _, err := os.Stat(filepath.Dir(e.path())); !os.IsNotExist(err) {
				t.Fatalf("dry run created %s", filepath.Dir(e.path()))
			}
			continue
		}
		if !bytes.Equal(e.read(), orig) || len(e.backups()) != 0 {
			t.Fatal("dry-run install touched the file")
		}
		e.opts.DryRun = false
		e.install()
		installed := e.read()
		e.opts.DryRun = true
		un := e.uninstall()
		if !un.Changed || !un.Restored || !strings.Contains(un.Diff, "-") || !bytes.Equal(e.read(), installed) || len(e.backups()) != 1 {
			t.Fatalf("dry-run uninstall: %+v", un)
		}
	}
}
