package install

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// sysEnv is a fake install root with a root-owned binary where the system
// service puts it.
type sysEnv struct {
	t    *testing.T
	root string
	opts Options
}

func newSysEnv(t *testing.T, h string) *sysEnv {
	t.Helper()
	e2e.RequireRoot(t)
	root, err := os.MkdirTemp("", "onyroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "usr/local/lib/ony/ony-tui")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &sysEnv{t: t, root: root, opts: Options{Harness: h, Binary: bin, System: true, Root: root, Deadline: 5 * time.Minute, Now: fixedNow}}
}

func (e *sysEnv) path() string {
	tg, err := targetFor(e.opts.Harness)
	if err != nil {
		e.t.Fatal(err)
	}
	return tg.systemFile(e.root)
}

func (e *sysEnv) place(content string) {
	e.t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.path()), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.path(), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *sysEnv) read() []byte {
	e.t.Helper()
	b, err := os.ReadFile(e.path())
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// TestSystemInstallEachHarness installs into each harness's managed policy
// file below a fake root, checks what is there (the hook runs the
// root-owned binary with --system --root, the file is root's 0644, the
// managed-only settings are on), that doctor's status is clean, and that
// uninstall leaves no file behind.
func TestSystemInstallEachHarness(t *testing.T) {
	want := map[string]string{
		harness.Claude:  "/etc/claude-code/managed-settings.json",
		harness.Codex:   "/etc/codex/requirements.toml",
		harness.Cursor:  "/etc/cursor/hooks.json",
		harness.Gemini:  "/etc/gemini-cli/settings.json",
		harness.Copilot: "/etc/github-copilot/policy.d/ony.json",
	}
	for _, h := range harness.Names() {
		t.Run(h, func(t *testing.T) {
			e := newSysEnv(t, h)
			if got := strings.TrimPrefix(e.path(), e.root); got != want[h] {
				t.Fatalf("managed file %s, want %s", got, want[h])
			}
			res, err := Install(e.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Created || !strings.Contains(res.Summary, "writable by root only") {
				t.Fatalf("result %+v", res)
			}
			fi, err := os.Stat(e.path())
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
				t.Fatalf("managed file mode %04o uid %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid)
			}
			if di, _ := os.Stat(filepath.Dir(e.path())); di.Mode().Perm() != 0o755 {
				t.Fatalf("managed directory mode %04o", di.Mode().Perm())
			}
			data := string(e.read())
			for _, s := range []string{e.opts.Binary, "--system", "--root", e.root} {
				if !strings.Contains(data, s) {
					t.Fatalf("the entry does not say %q:\n%s", s, data)
				}
			}
			switch h {
			case harness.Claude:
				if !strings.Contains(data, `"allowManagedHooksOnly": true`) {
					t.Fatalf("no allowManagedHooksOnly:\n%s", data)
				}
			case harness.Gemini:
				var m map[string]any
				_ = json.Unmarshal([]byte(data), &m)
				if cfg, _ := m["hooksConfig"].(map[string]any); cfg["enabled"] != true {
					t.Fatalf("hooks not pinned on:\n%s", data)
				}
			case harness.Codex:
				var m map[string]any
				if err := toml.Unmarshal([]byte(data), &m); err != nil {
					t.Fatalf("not TOML: %v\n%s", err, data)
				}
				if m["allow_managed_hooks_only"] != true || m["features"].(map[string]any)["hooks"] != true {
					t.Fatalf("managed-only or hooks switch missing:\n%s", data)
				}
			}
			r, err := Status(e.opts)
			if err != nil || !r.OK() {
				t.Fatalf("status after install: %+v %v", r, err)
			}
			again, err := Install(e.opts)
			if err != nil || again.Changed {
				t.Fatalf("a second install changed the file: %+v %v", again, err)
			}
			un, err := Uninstall(e.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !un.Removed {
				t.Fatalf("uninstall did not remove the file install created: %+v", un)
			}
			if _, err := os.Stat(e.path()); !os.IsNotExist(err) {
				t.Fatalf("the managed file is still there: %v", err)
			}
		})
	}
}

// TestSystemInstallKeepsTheAdministratorsFile: Ony's entries come and go
// in a managed file the administrator already had, and uninstall gives
// back its exact bytes, comments and all.
func TestSystemInstallKeepsTheAdministratorsFile(t *testing.T) {
	files := map[string]string{
		harness.Claude:  "{\n  // corporate policy\n  \"permissions\": {\"deny\": [\"Bash(curl:*)\"]},\n  \"hooks\": {\n    \"PostToolUse\": [{\"matcher\": \"Write\", \"hooks\": [{\"type\": \"command\", \"command\": \"/opt/audit\"}]}]\n  }\n}\n",
		harness.Codex:   "# corporate requirements\napproval_policy = \"on-request\"\n\n[features]\nweb_search = false\n\n[[hooks.PostToolUse]]\nmatcher = \"Bash\"\n[[hooks.PostToolUse.hooks]]\ntype = \"command\"\ncommand = \"/opt/audit\"\n",
		harness.Cursor:  "{\n  \"version\": 1,\n  \"hooks\": {\"afterFileEdit\": [{\"command\": \"/opt/audit\"}]}\n}\n",
		harness.Gemini:  "{\n  \"ui\": {\"theme\": \"corp\"},\n  \"hooksConfig\": {\"disabled\": []}\n}\n",
		harness.Copilot: "{\"version\": 1, \"hooks\": {}}",
	}
	for h, orig := range files {
		t.Run(h, func(t *testing.T) {
			e := newSysEnv(t, h)
			e.place(orig)
			res, err := Install(e.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Backup == "" {
				t.Fatal("no backup of the administrator's file")
			}
			if r, err := Status(e.opts); err != nil || !r.OK() {
				t.Fatalf("status: %+v %v", r, err)
			}
			un, err := Uninstall(e.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !un.Restored {
				t.Fatalf("not restored exactly: %+v", un)
			}
			if got := e.read(); !bytes.Equal(got, []byte(orig)) {
				t.Fatalf("after uninstall:\n%s\nwant:\n%s", got, orig)
			}
		})
	}
}

// TestSystemUninstallAfterAnEdit: when the administrator edited the file
// after install, uninstall removes only Ony's entries and its blocks,
// keeps the edit, and names the managed-only setting it left.
func TestSystemUninstallAfterAnEdit(t *testing.T) {
	e := newSysEnv(t, harness.Claude)
	if _, err := Install(e.opts); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(e.read(), []byte("{\n"), []byte("{\n  \"model\": \"opus\",\n"), 1)
	e.place(string(edited))
	un, err := Uninstall(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	got := string(e.read())
	if strings.Contains(got, "ony-tui") || !strings.Contains(got, `"model": "opus"`) {
		t.Fatalf("after uninstall:\n%s", got)
	}
	if len(un.KeptSettings) != 1 || !strings.Contains(un.Summary, "allowManagedHooksOnly") {
		t.Fatalf("the kept setting is not named: %+v", un)
	}

	c := newSysEnv(t, harness.Codex)
	c.place("[features]\nweb_search = false\n")
	if _, err := Install(c.opts); err != nil {
		t.Fatal(err)
	}
	c.place(string(c.read()) + "\n[sandbox]\nmode = \"read-only\"\n")
	if _, err := Uninstall(c.opts); err != nil {
		t.Fatal(err)
	}
	if got := string(c.read()); strings.Contains(got, "ony-tui") || !strings.Contains(got, "[sandbox]") || strings.Contains(got, "hooks = true") {
		t.Fatalf("codex after an edited uninstall:\n%s", got)
	}
}

// TestSystemInstallRefuses: what Ony will not do to a managed file or with
// a binary anyone but root could change. Nothing is written.
func TestSystemInstallRefuses(t *testing.T) {
	cases := []struct{ h, content, why string }{
		{harness.Claude, "{\"allowManagedHooksOnly\": false}\n", "allowManagedHooksOnly is already set"},
		{harness.Codex, "allow_managed_hooks_only = false\n", "allow_managed_hooks_only is set to false"},
		{harness.Codex, "[features]\nhooks = false\n", "something other than true"},
		{harness.Codex, "[features]\nhooks = \"yes\"\n", "something other than true"},
		{harness.Codex, "features.web_search = false\n", "without a [features] table"},
		{harness.Codex, "hooks = 3\n", "not a table"},
		{harness.Codex, "[hooks]\nPreToolUse = []\n", "nothing was written"},
		{harness.Gemini, "{\"hooksConfig\": {\"enabled\": false}}\n", "hooksConfig.enabled is already set"},
	}
	for _, c := range cases {
		e := newSysEnv(t, c.h)
		e.place(c.content)
		if _, err := Install(e.opts); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s %q: %v, want an error saying %q", c.h, c.content, err, c.why)
		}
		if got := string(e.read()); got != c.content {
			t.Errorf("%s: the refused file changed:\n%s", c.h, got)
		}
	}
	e := newSysEnv(t, harness.Claude)
	if err := os.Chown(e.opts.Binary, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(e.opts); err == nil || !strings.Contains(err.Error(), "not owned by root") {
		t.Fatalf("a binary the user owns: %v", err)
	}
	_ = os.Chown(e.opts.Binary, 0, 0)
	if err := os.Chmod(filepath.Dir(e.opts.Binary), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(e.opts); err == nil || !strings.Contains(err.Error(), "others can change") {
		t.Fatalf("a binary in a world-writable directory: %v", err)
	}
	if _, err := os.Stat(e.path()); !os.IsNotExist(err) {
		t.Fatal("a refused install wrote the managed file")
	}
}

// TestSystemStatusSeesTampering: doctor's status of a system install
// notices an entry that lost --system and a managed-only switch turned
// off.
func TestSystemStatusSeesTampering(t *testing.T) {
	e := newSysEnv(t, harness.Claude)
	if _, err := Install(e.opts); err != nil {
		t.Fatal(err)
	}
	data := e.read()
	data = bytes.Replace(data, []byte(`"allowManagedHooksOnly": true`), []byte(`"allowManagedHooksOnly": false`), 1)
	data = bytes.ReplaceAll(data, []byte(`"--system",`), nil)
	e.place(string(data))
	r, err := Status(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Problems, "\n")
	for _, want := range []string{"does not pass --system", "allowManagedHooksOnly"} {
		if !strings.Contains(all, want) {
			t.Errorf("status does not say %q:\n%s", want, all)
		}
	}
}
