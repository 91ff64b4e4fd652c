package install

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

// Report is the state of Ony's hook in one harness's config, for
// `ony-tui doctor`.
type Report struct {
	Harness, Title string
	// File is the config file read.
	File string
	// Installed: there is an Ony entry for every event install writes.
	Installed bool
	// FailClosedSwitch names the harness's fail-closed switch, "" when it
	// has none.
	FailClosedSwitch string
	// Entries are Ony's entries in the file, in file order.
	Entries []Entry
	// Problems are sentences for the user; none means healthy.
	Problems []string
	// FailOpen is the harness's fail-open caveat, "" when there is none.
	FailOpen string
}

// OK reports whether the hook is installed and nothing is wrong with it.
func (r Report) OK() bool { return r.Installed && len(r.Problems) == 0 }

// Entry is one of Ony's hook entries as configured.
type Entry struct {
	Event string
	// Command is the command line the harness runs.
	Command []string
	// PointsAtBinary: Command runs Options.Binary.
	PointsAtBinary bool
	// Timeout is the harness timeout for the entry: as configured, or the
	// harness's default when TimeoutSet is false (0 when that is unknown).
	Timeout    time.Duration
	TimeoutSet bool
	// Deadline is the hook deadline the entry passes (--deadline), 0 when
	// it passes none and the hook uses its configured one.
	Deadline time.Duration
	// TimeoutOK: Timeout is longer than the hook's deadline (Deadline, or
	// Options.Deadline when the entry passes none).
	TimeoutOK bool
	// FailClosed: the entry turns the harness's fail-closed switch on.
	FailClosed bool
}

// Status reports on Ony's hook for o.Harness. Binary, Deadline and OnyHome
// are what the entries are checked against; each may be left empty.
func Status(o Options) (Report, error) {
	t, err := o.check(false)
	if err != nil {
		return Report{}, err
	}
	if o.System && t.toml {
		return statusTOML(o, t)
	}
	cf, err := o.readConfig(t)
	if err != nil {
		return Report{}, err
	}
	r := Report{Harness: t.name, Title: t.title, File: cf.path, FailClosedSwitch: t.failClosed}
	if !cf.exists {
		r.Problems = append(r.Problems, fmt.Sprintf("%s does not exist: run `%s`", cf.path, o.installCommand(t)))
		return r, nil
	}
	d, err := parseDoc(cf.data)
	if err != nil {
		return Report{}, fmt.Errorf("parsing %s: %w", cf.path, err)
	}
	fs, err := scan(d, t, o.Binary)
	if err != nil {
		return Report{}, fmt.Errorf("reading %s: %w", cf.path, err)
	}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	r.Installed = true
	for _, ev := range t.events {
		n := 0
		for _, f := range fs {
			if f.event == ev {
				n++
			}
		}
		switch {
		case n == 0:
			r.Installed = false
			problem("no Ony entry for %s: run `%s`", ev, o.installCommand(t))
		case n > 1:
			problem("%d Ony entries for %s: each call is sent to Ony %d times; run `%s` to keep one", n, ev, n, o.installCommand(t))
		}
	}
	for _, f := range fs {
		r.Entries = append(r.Entries, t.check(o, f, problem))
	}
	harnessSwitches(t, d, problem)
	for _, m := range missingExtras(d, o.extras(t)) {
		problem("the managed file does not set %s", m)
	}
	if t.failOpen != nil {
		timeout := t.defaultTimeout
		if len(r.Entries) > 0 && r.Entries[0].Timeout > 0 {
			timeout = r.Entries[0].Timeout
		}
		r.FailOpen = t.failOpen(spec{timeout: timeout, system: o.System})
	}
	return r, nil
}

// check builds the Entry for one of Ony's handlers and reports its problems.
func (t *target) check(o Options, f found, problem func(string, ...any)) Entry {
	e := Entry{Event: f.event, Command: f.info.argv, Timeout: f.info.timeout, TimeoutSet: f.info.timeout > 0,
		FailClosed: f.info.failClosed}
	if !slices.Contains(t.events, f.event) {
		problem("an Ony entry on %s as well: calls it sees are already gated, so they are sent to Ony twice", f.event)
	}
	if len(e.Command) == 0 {
		problem("the %s entry has no command", f.event)
		return e
	}
	bin := e.Command[0]
	e.PointsAtBinary = o.Binary != "" && bin == o.Binary
	if o.Binary != "" && !e.PointsAtBinary {
		problem("the %s entry runs %s, not %s: run `%s` again", f.event, bin, o.Binary, o.installCommand(t))
	}
	if fi, err := os.Stat(bin); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		problem("the %s entry runs %s, which is not an executable file%s", f.event, bin, t.missingBinary())
	}
	if home := argAfter(e.Command, "--home"); home != o.OnyHome {
		problem("the %s entry passes --home %q, but Ony's home is %q", f.event, home, o.OnyHome)
	}
	if sys := slices.Contains(e.Command, "--system"); sys != o.System {
		if o.System {
			problem("the %s entry does not pass --system: it asks a per-user engine, not the system install's", f.event)
		} else {
			problem("the %s entry passes --system, but this is a per-user install", f.event)
		}
	}
	if root := argAfter(e.Command, "--root"); o.System && root != o.Root && !(root == "" && (o.Root == "" || o.Root == "/")) {
		problem("the %s entry passes --root %q, but the system install is below %q", f.event, root, o.Root)
	}
	deadline := o.Deadline
	if arg := argAfter(e.Command, "--deadline"); arg != "" {
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			problem("the %s entry passes --deadline %q, which the hook refuses (it then denies every call)", f.event, arg)
		} else {
			e.Deadline, deadline = d, d
			if o.Deadline > 0 && d != o.Deadline {
				problem("the %s entry passes --deadline %s, but Ony's hook deadline is %s: run `%s` again", f.event, d, o.Deadline, o.installCommand(t))
			}
		}
	}
	if !e.TimeoutSet {
		e.Timeout = t.defaultTimeout
	}
	e.TimeoutOK = e.Timeout > 0 && (deadline <= 0 || e.Timeout > deadline)
	switch {
	case e.Timeout == 0:
		problem("the %s entry sets no timeout and %s's default is not documented", f.event, t.title)
	case !e.TimeoutOK:
		problem("the %s entry's timeout (%s) is not longer than the hook's deadline (%s): %s can give up on the hook first",
			f.event, e.Timeout, deadline, t.title)
	}
	if t.failClosed != "" && !e.FailClosed {
		problem("the %s entry does not turn on %s's fail-closed switch: a missing or hung hook lets the call run", f.event, t.title)
	}
	if t.name == harness.Copilot && f.info.event != f.event {
		problem("the %s entry's env sets ONY_HOOK_EVENT to %q, want %q", f.event, f.info.event, f.event)
	}
	return e
}

// missingBinary says what the harness does when the binary is not there
// (as measured by hook/realharness: Gemini CLI runs hooks through bash and
// reads its exit 127 as a deny; Codex runs the call).
func (t *target) missingBinary() string {
	if t.failClosed != "" || t.name == harness.Copilot || t.name == harness.Gemini {
		return ": every tool call is blocked until it is fixed"
	}
	return ": the harness runs every tool call ungated"
}

// harnessSwitches reports settings that turn every hook off.
func harnessSwitches(t *target, d *doc, problem func(string, ...any)) {
	var root map[string]any
	if standard(d.root, &root) != nil {
		return
	}
	switch t.name {
	case harness.Claude:
		if root["disableAllHooks"] == true {
			problem("disableAllHooks is true: Claude Code runs no hooks from this file")
		}
	case harness.Gemini:
		cfg, _ := root["hooksConfig"].(map[string]any)
		if cfg["enabled"] == false {
			problem("hooksConfig.enabled is false: Gemini CLI runs no hooks")
		}
		disabled, _ := cfg["disabled"].([]any)
		if slices.Contains(disabled, any(geminiName)) {
			problem("hooksConfig.disabled lists %q: Gemini CLI skips Ony's hook", geminiName)
		}
	}
}

// argAfter returns the argument after flag, "" when flag is absent.
func argAfter(argv []string, flag string) string {
	for i := 0; i+1 < len(argv); i++ {
		if argv[i] == flag {
			return argv[i+1]
		}
	}
	return ""
}
