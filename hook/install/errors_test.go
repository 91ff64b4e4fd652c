package install

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

func TestRefusesUnparseableConfig(t *testing.T) {
	cases := []struct{ harness, content, wantErr string }{
		{harness.Claude, "", "line 17, column 1"}, // claude-broken.json: the closing brace is missing
		{harness.Claude, `{"a": 1,, "b": 2}`, "line 1, column 9"},
		{harness.Codex, `[{"hooks": {}}]`, "top level is an array"},
		{harness.Codex, `{"hooks": [{"matcher": "*"}]}`, `"hooks" is an array`},
		{harness.Gemini, "{\n  \"hooks\": {\"BeforeTool\": {\"matcher\": \".*\"}}\n}\n", "hooks.BeforeTool is an object"},
		{harness.Cursor, `{"version": 1, "hooks": "none"}`, `"hooks" is a string`},
	}
	for _, tc := range cases {
		e := newEnv(t, tc.harness)
		var orig []byte
		if tc.content == "" {
			orig = e.place("claude-broken.json", 0o600)
		} else {
			orig = []byte(tc.content)
			if err := os.MkdirAll(filepath.Dir(e.path()), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(e.path(), orig, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := os.Stat(e.path())
		_, err := Install(e.opts)
		if err == nil || !strings.Contains(err.Error(), e.path()) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s %q: Install error = %v, want the file and %q", tc.harness, tc.content, err, tc.wantErr)
		}
		if _, err := Uninstall(e.opts); err == nil && !strings.Contains(tc.wantErr, "hooks.") {
			t.Errorf("%s %q: Uninstall accepted the file", tc.harness, tc.content)
		}
		after, _ := os.Stat(e.path())
		if !bytes.Equal(e.read(), orig) || !after.ModTime().Equal(before.ModTime()) || len(e.backups()) != 0 {
			t.Errorf("%s %q: the refused file was touched", tc.harness, tc.content)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	e := newEnv(t, harness.Claude)
	noExec := filepath.Join(t.TempDir(), "ony-tui")
	if err := os.WriteFile(noExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Options){
		"unknown harness":       func(o *Options) { o.Harness = "windsurf" },
		"relative binary":       func(o *Options) { o.Binary = "ony-tui" },
		"missing binary":        func(o *Options) { o.Binary = "/nonexistent/ony-tui" },
		"binary not executable": func(o *Options) { o.Binary = noExec },
		"binary is a directory": func(o *Options) { o.Binary = t.TempDir() },
		"no deadline":           func(o *Options) { o.Deadline = 0 },
		"no home":               func(o *Options) { o.HomeDir = "" },
		"relative home":         func(o *Options) { o.HomeDir = "home/u" },
		"relative ony home":     func(o *Options) { o.OnyHome = "ony" },
		"relative project":      func(o *Options) { o.ProjectDir = "proj" },
	} {
		o := e.opts
		mutate(&o)
		if _, err := Install(o); err == nil {
			t.Errorf("%s: Install accepted %+v", name, o)
		}
	}
	if _, err := os.Stat(filepath.Dir(e.path())); !os.IsNotExist(err) {
		t.Error("a refused install created the config dir")
	}
	// Uninstall and Status need neither a binary nor a deadline.
	o := e.opts
	o.Binary, o.Deadline = "", 0
	if _, err := Uninstall(o); err != nil {
		t.Errorf("Uninstall without binary: %v", err)
	}
	if _, err := Status(o); err != nil {
		t.Errorf("Status without binary: %v", err)
	}
}

func TestHarnessTimeout(t *testing.T) {
	for d, want := range map[time.Duration]time.Duration{
		30 * time.Second:        90 * time.Second,
		1500 * time.Millisecond: 62 * time.Second,
		10 * time.Minute:        11 * time.Minute,
	} {
		if got := harnessTimeout(d); got != want {
			t.Errorf("harnessTimeout(%v) = %v, want %v", d, got, want)
		}
	}
}

func TestProjectAndEnvLocations(t *testing.T) {
	proj := t.TempDir()
	wantProject := map[string]string{
		harness.Claude:  ".claude/settings.local.json",
		harness.Codex:   ".codex/hooks.json",
		harness.Cursor:  ".cursor/hooks.json",
		harness.Gemini:  ".gemini/settings.json",
		harness.Copilot: ".github/hooks/ony.json",
	}
	for h, rel := range wantProject {
		e := newEnv(t, h)
		e.opts.HomeDir, e.opts.ProjectDir = "", proj
		res := e.install()
		if res.File != filepath.Join(proj, rel) {
			t.Errorf("%s project file = %s, want %s", h, res.File, rel)
		}
		if _, err := os.Stat(res.File); err != nil {
			t.Errorf("%s: %v", h, err)
		}
		e.uninstall()
	}
	alt := t.TempDir()
	for h, v := range map[string]string{harness.Claude: "CLAUDE_CONFIG_DIR", harness.Codex: "CODEX_HOME", harness.Copilot: "COPILOT_HOME"} {
		e := newEnv(t, h)
		e.opts.Getenv = func(k string) string {
			if k == v {
				return filepath.Join(alt, h)
			}
			return ""
		}
		if res := e.install(); !strings.HasPrefix(res.File, filepath.Join(alt, h)+"/") {
			t.Errorf("%s with %s set wrote %s", h, v, res.File)
		}
	}
}

func TestSymlinkedConfigIsEditedInPlace(t *testing.T) {
	e := newEnv(t, harness.Gemini)
	dotfiles := filepath.Join(t.TempDir(), "dotfiles")
	if err := os.MkdirAll(dotfiles, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "gemini-settings.json")
	orig, _ := os.ReadFile(filepath.Join("testdata", "gemini-settings.json"))
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(e.path()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, e.path()); err != nil {
		t.Fatal(err)
	}
	res := e.install()
	if res.File != target || !strings.HasPrefix(res.Backup, target+backupInfix) {
		t.Fatalf("install through a symlink: %+v", res)
	}
	if fi, _ := os.Lstat(e.path()); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	e.uninstall()
	if got, _ := os.ReadFile(target); !bytes.Equal(got, orig) {
		t.Error("uninstall through a symlink did not restore the original")
	}
}

func TestBinaryPathWithSpaces(t *testing.T) {
	for _, h := range []string{harness.Codex, harness.Cursor, harness.Gemini} {
		e := newEnv(t, h)
		dir := filepath.Join(t.TempDir(), "Ony Apps", "it's")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		e.opts.Binary = filepath.Join(dir, "ony-tui")
		if err := os.WriteFile(e.opts.Binary, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		e.install()
		r, err := Status(e.opts)
		if err != nil || !r.OK() || !r.Entries[0].PointsAtBinary {
			t.Errorf("%s: status with a quoted binary: %+v, %v", h, r, err)
		}
		if un := e.uninstall(); !un.Removed {
			t.Errorf("%s: uninstall did not find the quoted entry: %+v", h, un)
		}
	}
}

func TestUninstallWithoutEntry(t *testing.T) {
	e := newEnv(t, harness.Cursor)
	if res := e.uninstall(); res.Changed {
		t.Fatalf("uninstall with no file: %+v", res)
	}
	orig := e.place("cursor-hooks.json", 0o600)
	if res := e.uninstall(); res.Changed || res.Backup != "" {
		t.Fatalf("uninstall with no entry: %+v", res)
	}
	if !bytes.Equal(e.read(), orig) || len(e.backups()) != 0 {
		t.Fatal("uninstall with no entry touched the file")
	}
}

func TestInstallConvergesOnOneLayer(t *testing.T) {
	e := newEnv(t, harness.Cursor)
	manual := `{"version": 1, "hooks": {"beforeShellExecution": [{"command": "ony-tui hook cursor"}, {"command": "./audit.sh"}],` +
		` "beforeReadFile": [{"command": "/old/ony-tui hook cursor", "failClosed": true}]}}`
	if err := os.MkdirAll(filepath.Dir(e.path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path(), []byte(manual), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := Status(e.opts)
	if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "beforeShellExecution as well") {
		t.Fatalf("status before install: %+v", r)
	}
	e.install()
	got := string(e.read())
	want := `{"version": 1, "hooks": {"beforeShellExecution": [{"command": "./audit.sh"}], "preToolUse": [{"command":"` +
		e.opts.Binary + ` hook cursor --deadline 30s","failClosed":true,"timeout":90}]}}`
	if got != want {
		t.Fatalf("install on a compact file with old entries:\n%s\nwant\n%s", got, want)
	}
}

func TestCommitRefusesConcurrentEdit(t *testing.T) {
	e := newEnv(t, harness.Claude)
	e.place("claude-settings.json", 0o600)
	cf, err := readConfig(e.path())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.path(), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := commit(cf, []byte(`{"x":1}`), false, fixedNow(), true); err == nil || !strings.Contains(err.Error(), "changed while") {
		t.Fatalf("commit over a concurrent edit: %v", err)
	}
	if string(e.read()) != "{}\n" || len(e.backups()) != 0 {
		t.Fatal("commit touched a file that changed under it")
	}
}

func TestBackupNamesDoNotCollide(t *testing.T) {
	e := newEnv(t, harness.Claude)
	e.place("claude-settings.json", 0o600)
	cf, _ := readConfig(e.path())
	a, err1 := cf.backup(fixedNow())
	b, err2 := cf.backup(fixedNow())
	if err1 != nil || err2 != nil || a == b || !strings.HasSuffix(b, "20261021T101500Z-2") {
		t.Fatalf("backups %s, %s (%v, %v)", a, b, err1, err2)
	}
	if got := cf.backups(); len(got) != 2 || got[0] != b {
		t.Fatalf("backups newest first = %v", got)
	}
}

func TestShellFields(t *testing.T) {
	for _, argv := range [][]string{
		{"/usr/local/bin/ony-tui", "hook", "codex"},
		{"/Ony Apps/it's/ony-tui", "hook", "gemini", "--home", `/h/"q" $x`},
		{"a", "", "b"},
	} {
		if got := shellFields(harness.ShellJoin(argv)); strings.Join(got, "|") != strings.Join(argv, "|") {
			t.Errorf("shellFields(ShellJoin(%q)) = %q", argv, got)
		}
	}
	if got := shellFields(`"/opt/my tools/ony-tui" hook\ x "a\"b" 'c`); strings.Join(got, "|") != `/opt/my tools/ony-tui|hook x|a"b|c` {
		t.Errorf("shellFields = %q", got)
	}
}
