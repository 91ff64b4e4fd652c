package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	toml "github.com/pelletier/go-toml/v2"
)

// Codex's managed policy is TOML: /etc/codex/requirements.toml, enforced
// over every other layer. A system install adds, in marked blocks that
// uninstall takes out again:
//
//   - at the top (top-level keys must come before any table):
//     allow_managed_hooks_only = true, unless the file already says so;
//   - at the end: [features] hooks = true (or, when the file has a
//     [features] table without "hooks", one marked line in it), and Ony's
//     [[hooks.PreToolUse]] and [[hooks.PermissionRequest]] groups.
//
// Every other byte stays as it was. The result is parsed and checked
// before anything is written; a file Ony cannot edit safely (the settings
// set otherwise by the administrator, hooks as an inline table) is refused.

const (
	tomlBegin     = "# >>> ony-tui: Ony's managed hooks (`ony-tui uninstall --system codex` removes this block)"
	tomlTopBegin  = "# >>> ony-tui: only managed hooks run (`ony-tui uninstall --system codex` removes this block)"
	tomlEnd       = "# <<< ony-tui"
	tomlLineMark  = " # ony-tui"
	tomlManagedOK = "allow_managed_hooks_only"
)

// installTOML is Install for Codex's requirements.toml.
func installTOML(o Options, t *target) (Result, error) {
	cf, err := o.readConfig(t)
	if err != nil {
		return Result{}, err
	}
	base := cf.data
	if hasTOMLMarks(base) {
		if base, err = stripTOML(base); err != nil {
			return Result{}, refuse(cf.path, err)
		}
	}
	out, err := tomlInstalled(base, o.spec())
	if err != nil {
		return Result{}, refuse(cf.path, err)
	}
	if err := verifyTOML(out, o.Binary); err != nil {
		return Result{}, fmt.Errorf("%s: %w; nothing was written", cf.path, err)
	}
	res := Result{Harness: t.name, File: cf.path, Created: !cf.exists, Changed: !cf.exists || !bytes.Equal(out, cf.data)}
	s := o.spec()
	res.FailOpen = t.failOpen(s)
	if res.Changed {
		res.Diff = unifiedDiff(cf.path, cf.data, out, !cf.exists, false)
		if !o.DryRun {
			if res.Backup, _, err = commit(cf, out, false, o.now(), true); err != nil {
				return Result{}, err
			}
		}
	}
	res.Summary = installSummary(t, o, s, res)
	return res, nil
}

// uninstallTOML is Uninstall for Codex's requirements.toml: the exact bytes
// from before install when a backup replays to the current file, the file
// removed when install created it, else the marked blocks taken out.
func uninstallTOML(o Options, t *target) (Result, error) {
	cf, err := o.readConfig(t)
	if err != nil {
		return Result{}, err
	}
	res := Result{Harness: t.name, File: cf.path}
	if !cf.exists || !hasTOMLMarks(cf.data) {
		res.Summary = fmt.Sprintf("%s: no Ony hook in %s; nothing changed.", t.title, cf.path)
		return res, nil
	}
	out, err := stripTOML(cf.data)
	if err != nil {
		return Result{}, refuse(cf.path, err)
	}
	s := o.spec()
	for _, name := range cf.backups() {
		if b, err := os.ReadFile(name); err == nil && !hasTOMLMarks(b) {
			if again, err := tomlInstalled(b, specFromTOML(cf.data, s)); err == nil && bytes.Equal(again, cf.data) {
				out, res.Restored = b, true
				break
			}
		}
	}
	if !res.Restored && len(bytes.TrimSpace(out)) == 0 {
		if again, err := tomlInstalled(nil, specFromTOML(cf.data, s)); err == nil && bytes.Equal(again, cf.data) {
			out, res.Removed = nil, true
		}
	}
	if !res.Removed {
		var probe map[string]any
		if err := toml.Unmarshal(out, &probe); err != nil {
			return Result{}, refuse(cf.path, fmt.Errorf("the file would not parse without Ony's blocks: %w", err))
		}
	}
	res.Changed = true
	res.Diff = unifiedDiff(cf.path, cf.data, out, false, res.Removed)
	if !o.DryRun {
		if res.Backup, err = o.commitUninstall(cf, out, res.Removed); err != nil {
			return Result{}, err
		}
	}
	res.Summary = uninstallSummary(t, o, res)
	return res, nil
}

// tomlInstalled returns base with Ony's blocks added for s. base holds no
// Ony block.
func tomlInstalled(base []byte, s spec) ([]byte, error) {
	var m map[string]any
	if err := toml.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	var top, end bytes.Buffer
	switch v, ok := m[tomlManagedOK]; {
	case !ok:
		fmt.Fprintf(&top, "%s\n%s = true\n%s\n", tomlTopBegin, tomlManagedOK, tomlEnd)
	case v != true:
		return nil, fmt.Errorf("%s is set to %v: a system install needs it true (else user and project hooks run too, and one could rewrite a call after Ony approved it); change it yourself", tomlManagedOK, v)
	}
	body := base
	features, hasFeatures := m["features"]
	switch f, isTable := features.(map[string]any); {
	case !hasFeatures:
		end.WriteString("[features]\nhooks = true\n\n")
	case !isTable:
		return nil, errors.New(`"features" is not a table`)
	case notTrue(f, "hooks") || notTrue(f, "codex_hooks"):
		return nil, errors.New("[features] sets hooks to something other than true in the managed policy: Ony cannot gate Codex while hooks may be off; change it yourself")
	case f["hooks"] == nil && f["codex_hooks"] == nil:
		var err error
		if body, err = addFeatureLine(base); err != nil {
			return nil, err
		}
	}
	if h, ok := m["hooks"]; ok {
		if _, isTable := h.(map[string]any); !isTable {
			return nil, errors.New(`"hooks" is not a table`)
		}
	}
	for i, ev := range []string{"PreToolUse", "PermissionRequest"} {
		if i > 0 {
			end.WriteString("\n")
		}
		fmt.Fprintf(&end, "[[hooks.%s]]\nmatcher = \"*\"\n\n[[hooks.%s.hooks]]\ntype = \"command\"\ncommand = %s\ntimeout = %d\nstatusMessage = %s\n",
			ev, ev, tomlString(s.commandLine("codex")), s.seconds(), tomlString(statusMarker))
	}
	var out bytes.Buffer
	out.Write(top.Bytes())
	out.Write(body)
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\n")) {
		out.WriteString("\n")
	}
	if len(body) > 0 {
		out.WriteString("\n")
	}
	fmt.Fprintf(&out, "%s\n%s%s\n", tomlBegin, end.String(), tomlEnd)
	return out.Bytes(), nil
}

// addFeatureLine puts a marked "hooks = true" under the file's [features]
// header.
func addFeatureLine(base []byte) ([]byte, error) {
	lines := bytes.SplitAfter(base, []byte("\n"))
	for i, l := range lines {
		t := bytes.TrimSpace(l)
		if c := bytes.IndexByte(t, '#'); c >= 0 {
			t = bytes.TrimSpace(t[:c])
		}
		if string(bytes.ReplaceAll(t, []byte(" "), nil)) == "[features]" {
			if !bytes.HasSuffix(l, []byte("\n")) {
				lines[i] = append(append([]byte{}, l...), '\n')
			}
			out := bytes.Join(lines[:i+1], nil)
			out = append(out, "hooks = true"+tomlLineMark+"\n"...)
			return append(out, bytes.Join(lines[i+1:], nil)...), nil
		}
	}
	return nil, errors.New("the file sets features without a [features] table (dotted keys or an inline table): add hooks = true to it yourself")
}

// notTrue reports whether m sets key to anything but true.
func notTrue(m map[string]any, key string) bool {
	v, ok := m[key]
	return ok && v != true
}

func hasTOMLMarks(b []byte) bool {
	return bytes.Contains(b, []byte(tomlBegin)) || bytes.Contains(b, []byte(tomlTopBegin)) || bytes.Contains(b, []byte(tomlLineMark+"\n"))
}

// stripTOML takes Ony's marked blocks and lines out of b: the inverse of
// tomlInstalled on a file not edited since.
func stripTOML(b []byte) ([]byte, error) {
	var out [][]byte
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		s := strings.TrimRight(string(l), "\n")
		switch {
		case s == tomlBegin || s == tomlTopBegin:
			j := i + 1
			for j < len(lines) && strings.TrimRight(string(lines[j]), "\n") != tomlEnd {
				j++
			}
			if j == len(lines) {
				return nil, errors.New("an Ony block has no end marker: remove it by hand")
			}
			// The blank line tomlInstalled puts before the end block.
			if s == tomlBegin && len(out) > 0 && len(bytes.TrimSpace(out[len(out)-1])) == 0 {
				out = out[:len(out)-1]
			}
			i = j
		case strings.HasSuffix(s, tomlLineMark):
		default:
			out = append(out, l)
		}
	}
	return bytes.Join(out, nil), nil
}

// verifyTOML parses an installed file and checks it says what Ony needs.
func verifyTOML(out []byte, binary string) error {
	var m map[string]any
	if err := toml.Unmarshal(out, &m); err != nil {
		return fmt.Errorf("the edited file does not parse: %w", err)
	}
	if m[tomlManagedOK] != true {
		return fmt.Errorf("the edited file does not set %s = true", tomlManagedOK)
	}
	if f, _ := m["features"].(map[string]any); f == nil || (f["hooks"] != true && f["codex_hooks"] != true) {
		return errors.New("the edited file does not set [features] hooks = true")
	}
	t := codexTarget()
	for _, ev := range t.events {
		if n := len(oursInTOML(m, ev, t, binary)); n != 1 {
			return fmt.Errorf("the edited file holds %d Ony entries for %s, want 1", n, ev)
		}
	}
	return nil
}

// oursInTOML returns Ony's handlers for an event in a parsed file.
func oursInTOML(m map[string]any, event string, t *target, binary string) []handlerInfo {
	hooks, _ := m["hooks"].(map[string]any)
	groups, _ := hooks[event].([]any)
	var out []handlerInfo
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		hs, _ := gm["hooks"].([]any)
		for _, h := range hs {
			hm, ok := h.(map[string]any)
			if !ok {
				continue
			}
			// Through JSON, so numbers read as they do from hooks.json.
			b, err := json.Marshal(hm)
			var jm map[string]any
			if err != nil || json.Unmarshal(b, &jm) != nil {
				continue
			}
			if in := t.info(jm); in.ours(t, binary) {
				out = append(out, in)
			}
		}
	}
	return out
}

// specFromTOML recovers the command line and timeout of the entries in an
// installed file, so uninstall can replay the install that wrote them.
func specFromTOML(data []byte, s spec) spec {
	var m map[string]any
	if toml.Unmarshal(data, &m) != nil {
		return s
	}
	ours := oursInTOML(m, "PreToolUse", codexTarget(), s.binary)
	if len(ours) != 1 || len(ours[0].argv) < 3 {
		return s
	}
	r := spec{binary: ours[0].argv[0], timeout: ours[0].timeout}
	argv := ours[0].argv[3:]
	for i := 0; i < len(argv); i++ {
		switch argv[i] {
		case "--system":
			r.system = true
		case "--deadline", "--root", "--home":
			if i+1 < len(argv) {
				switch argv[i] {
				case "--deadline":
					r.deadline, _ = time.ParseDuration(argv[i+1])
				case "--root":
					r.root = argv[i+1]
				default:
					r.home = argv[i+1]
				}
				i++
			}
		}
	}
	return r
}

// tomlString is s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// statusTOML is Status for Codex's requirements.toml.
func statusTOML(o Options, t *target) (Report, error) {
	cf, err := o.readConfig(t)
	if err != nil {
		return Report{}, err
	}
	r := Report{Harness: t.name, Title: t.title, File: cf.path}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if !cf.exists {
		problem("%s does not exist: run `%s`", cf.path, o.installCommand(t))
		return r, nil
	}
	var m map[string]any
	if err := toml.Unmarshal(cf.data, &m); err != nil {
		return Report{}, fmt.Errorf("parsing %s: %w", cf.path, err)
	}
	r.Installed = true
	for _, ev := range t.events {
		ours := oursInTOML(m, ev, t, o.Binary)
		switch len(ours) {
		case 0:
			r.Installed = false
			problem("no Ony entry for %s: run `%s`", ev, o.installCommand(t))
		case 1:
		default:
			problem("%d Ony entries for %s: each call is sent to Ony %d times; run `%s` to keep one", len(ours), ev, len(ours), o.installCommand(t))
		}
		for _, in := range ours {
			r.Entries = append(r.Entries, t.check(o, found{event: ev, info: in}, problem))
		}
	}
	if m[tomlManagedOK] != true {
		problem("%s is not true: user, project and session hooks run too, and one could rewrite a call after Ony approved it", tomlManagedOK)
	}
	if f, _ := m["features"].(map[string]any); f != nil && (f["hooks"] == false || f["codex_hooks"] == false) {
		problem("[features] turns hooks off: Codex runs no hook, Ony's included")
	} else if f == nil || (f["hooks"] != true && f["codex_hooks"] != true) {
		problem("[features] hooks is not pinned to true: a user's config.toml can turn hooks off")
	}
	r.FailOpen = t.failOpen(spec{timeout: t.defaultTimeout, system: true})
	if len(r.Entries) > 0 && r.Entries[0].Timeout > 0 {
		r.FailOpen = t.failOpen(spec{timeout: r.Entries[0].Timeout, system: true})
	}
	return r, nil
}
