package install

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tailscale/hujson"

	"github.com/ony-dev/ony-tui/engine/paths"
)

// A system install (Options.System) writes the harness's managed policy
// file: root's, read by every user's harness, not overridable by the user.
// New files are 0644 and new directories 0755, both root's; existing files
// keep their mode. Its entries run the root-owned copy of the binary with
// `--system`, and it may set a few policy settings besides (extras), such
// as Claude Code's allowManagedHooksOnly.

// extra is a setting a system install adds: path names a member of the
// top-level object (one or two levels deep).
type extra struct {
	path  []string
	value any
}

func (e extra) name() string { return strings.Join(e.path, ".") }

func (o Options) spec() spec {
	return spec{binary: o.Binary, home: o.OnyHome, deadline: o.Deadline, timeout: harnessTimeout(o.Deadline),
		system: o.System, root: o.Root}
}

// file is the config file Options target for t.
func (o Options) file(t *target) string {
	if o.System {
		root := o.Root
		if root == "" {
			root = "/"
		}
		return t.systemFile(root)
	}
	return t.file(o, o.ProjectDir)
}

// readConfig reads the config file Options target for t.
func (o Options) readConfig(t *target) (configFile, error) {
	cf, err := readConfig(o.file(t))
	if o.System {
		if !cf.exists {
			cf.mode = 0o644
		}
		cf.dirMode = 0o755
	}
	return cf, err
}

// extras are the settings a system install adds for t.
func (o Options) extras(t *target) []extra {
	if !o.System {
		return nil
	}
	return t.systemExtras
}

// applyAll is apply, then the extras when entries are installed.
func applyAll(d *doc, t *target, want []eventItem, binary string, extras []extra) error {
	if err := apply(d, t, want, binary); err != nil {
		return err
	}
	if len(want) == 0 {
		return nil
	}
	for _, e := range extras {
		if err := setExtra(d, e); err != nil {
			return err
		}
	}
	return nil
}

// setExtra adds the setting where it is missing. A setting the file already
// has with another value is the administrator's: Ony refuses to change it.
func setExtra(d *doc, e extra) error {
	obj, indent := d.rootObject(), ""
	for i, key := range e.path {
		last := i == len(e.path)-1
		mi := member(obj, key)
		if mi < 0 {
			var v any = e.value
			for j := len(e.path) - 1; j > i; j-- {
				v = orderedObject{{e.path[j], v}}
			}
			return d.appendChild(objectContainer(obj, key), indent, v)
		}
		val := obj.Members[mi].Value
		if last {
			if !sameJSON(val, e.value) {
				return fmt.Errorf("%s is already set to %s; a system install needs %v: change it yourself, or leave Ony out of this harness",
					e.name(), strings.TrimSpace(string(val.Pack())), e.value)
			}
			return nil
		}
		inner, ok := val.Value.(*hujson.Object)
		if !ok {
			return fmt.Errorf("%s is %s, want an object", key, kindName(val))
		}
		indent = d.memberIndent(obj, key, indent)
		obj = inner
	}
	return nil
}

// lookupExtra returns the value at the setting's path, if any.
func lookupExtra(d *doc, e extra) (hujson.Value, bool) {
	obj := d.rootObject()
	for i, key := range e.path {
		mi := member(obj, key)
		if mi < 0 {
			return hujson.Value{}, false
		}
		v := obj.Members[mi].Value
		if i == len(e.path)-1 {
			return v, true
		}
		inner, ok := v.Value.(*hujson.Object)
		if !ok {
			return hujson.Value{}, false
		}
		obj = inner
	}
	return hujson.Value{}, false
}

// missingExtras names the settings that do not hold their value.
func missingExtras(d *doc, extras []extra) []string {
	var out []string
	for _, e := range extras {
		if v, ok := lookupExtra(d, e); !ok || !sameJSON(v, e.value) {
			out = append(out, fmt.Sprintf("%s = %v", e.name(), e.value))
		}
	}
	return out
}

// presentExtras names the settings the file holds with their value.
func presentExtras(d *doc, extras []extra) []string {
	var out []string
	for _, e := range extras {
		if v, ok := lookupExtra(d, e); ok && sameJSON(v, e.value) {
			out = append(out, fmt.Sprintf("%s = %v", e.name(), e.value))
		}
	}
	return out
}

// rootOwnedBinary checks that the binary a managed hook runs is root's and
// that nobody else can change it or what leads to it.
func rootOwnedBinary(bin string) error {
	fi, err := os.Lstat(bin)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("binary %s is not a regular file", bin)
	case !ok || st.Uid != 0:
		return fmt.Errorf("binary %s is not owned by root: a managed hook must run a binary the agent's user cannot replace (sudo ony-tui install --system service puts one in place)", bin)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("binary %s has mode %04o: others could replace it", bin, fi.Mode().Perm())
	}
	if err := paths.CheckRootChain(filepath.Dir(bin)); err != nil {
		return fmt.Errorf("binary %s: %w", bin, err)
	}
	return nil
}

// installCommand is the command that (re)installs Ony's hook for t.
func (o Options) installCommand(t *target) string {
	if o.System {
		return "sudo ony-tui install --system " + t.name
	}
	return "ony-tui install " + t.name
}

// commitUninstall writes (or removes) the file uninstall computed. A
// managed policy file that install created, and that holds exactly what it
// wrote, goes without a backup (there is nothing of anyone else's to keep),
// and so does its directory if that is left empty: no copy of Ony's entries
// stays behind in /etc. Everything else is backed up first, as commit does.
func (o Options) commitUninstall(cf configFile, out []byte, removed bool) (string, error) {
	if !o.System || !removed {
		// A user's uninstall makes no backup: it removes install's
		// backups next (cleanup), and the file keeps everything but Ony's.
		backup, _, err := commit(cf, out, removed, o.now(), o.System)
		return backup, err
	}
	if err := cf.unchangedSince(); err != nil {
		return "", err
	}
	if err := os.Remove(cf.path); err != nil {
		return "", fmt.Errorf("removing %s: %w", cf.path, err)
	}
	_ = os.Remove(filepath.Dir(cf.path)) // only if empty
	return "", nil
}
