package install

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

// Markers that identify Ony's own entries, besides the command line
// (`<binary> hook <harness>`): the status line Claude Code and Codex show
// while the hook runs, and the hook name Gemini CLI lists in /hooks.
const (
	statusMarker = "Ony: waiting for approval"
	geminiName   = "ony"
)

// target is how one harness keeps its hooks.
type target struct {
	name, title string
	// file returns the config file for the user (projectDir == "") or a project.
	file func(o Options, projectDir string) string
	// skeleton is a new file before Ony's entries are added.
	skeleton string
	// events are the hook events install writes, in order.
	events []string
	// grouped harnesses nest handlers in {matcher, hooks: [...]} groups.
	grouped bool
	// item is Ony's entry for an event: a group or a handler.
	item func(s spec, event string) any
	// decodeItem decodes an entry strictly into item's type, or fails.
	decodeItem func(b []byte) (any, error)
	// info reads a handler object.
	info func(h map[string]any) handlerInfo
	// defaultTimeout is the harness's timeout when a handler sets none.
	defaultTimeout time.Duration
	// failClosed says what switch install turns on, "" when the harness has none.
	failClosed string
	// failOpen is the caveat for a harness that runs the call when the hook
	// cannot answer.
	failOpen func(s spec) string
	// projectNote is said after a project install.
	projectNote string
	// systemFile is the harness's managed policy file below an install
	// root: where root puts hooks the user cannot override.
	systemFile func(root string) string
	// toml: the managed policy file is TOML (Codex's requirements.toml),
	// edited by installTOML instead of the JSON editor.
	toml bool
	// systemExtras are settings a system install adds to the managed file
	// besides the hook entries (Claude Code's allowManagedHooksOnly).
	systemExtras []extra
	// systemNote says what the managed file guarantees, and what not.
	systemNote string
}

// spec is what Ony's entries say.
type spec struct {
	binary   string
	home     string
	deadline time.Duration // passed as --deadline, so the hook's wait is pinned below timeout
	timeout  time.Duration
	system   bool   // --system: ask the system install's engine
	root     string // --root, with system
}

func (s spec) args(h string) []string {
	a := []string{"hook", h, "--deadline", s.deadline.String()}
	if s.home != "" {
		a = append(a, "--home", s.home)
	}
	if s.system {
		a = append(a, "--system")
		if s.root != "" && s.root != "/" {
			a = append(a, "--root", s.root)
		}
	}
	return a
}

func (s spec) commandLine(h string) string {
	return harness.ShellJoin(append([]string{s.binary}, s.args(h)...))
}

func (s spec) seconds() int { return int(s.timeout / time.Second) }

// Entry types, in the field order they are written in.

type group[H any] struct {
	Matcher string `json:"matcher"`
	Hooks   []H    `json:"hooks"`
}

type claudeHandler struct {
	Type          string   `json:"type"`
	Command       string   `json:"command"`
	Args          []string `json:"args"`
	Timeout       int      `json:"timeout"`
	OnFailure     string   `json:"onFailure"`
	StatusMessage string   `json:"statusMessage"`
}

type codexHandler struct {
	Type          string `json:"type"`
	Command       string `json:"command"`
	Timeout       int    `json:"timeout"`
	StatusMessage string `json:"statusMessage"`
}

type geminiHandler struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Command string `json:"command"`
	Timeout int    `json:"timeout"` // milliseconds
}

type cursorHandler struct {
	Command    string `json:"command"`
	FailClosed bool   `json:"failClosed"`
	Timeout    int    `json:"timeout"`
}

type copilotHandler struct {
	Type       string            `json:"type"`
	Exec       string            `json:"exec"`
	Args       []string          `json:"args"`
	TimeoutSec int               `json:"timeoutSec"`
	Env        map[string]string `json:"env"`
}

// decodeStrict decodes b into a T, refusing unknown fields, so that only an
// entry install could have written decodes.
func decodeStrict[T any](b []byte) (any, error) {
	var v T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// configDir returns $VAR when set through o.Getenv, else home/dir.
func configDir(o Options, envVar, dir string) string {
	if o.Getenv != nil {
		if v := o.Getenv(envVar); v != "" && filepath.IsAbs(v) {
			return v
		}
	}
	return filepath.Join(o.HomeDir, dir)
}

// handlerInfo is what status and uninstall need from a handler.
type handlerInfo struct {
	argv       []string
	timeout    time.Duration // 0 when the handler sets none
	failClosed bool
	marked     bool   // carries one of Ony's markers
	event      string // Copilot: the event the entry's env names
}

// ours reports whether a handler is Ony's: it carries a marker, or runs
// `<ony binary> hook <harness> ...`.
func (h handlerInfo) ours(t *target, binary string) bool {
	if h.marked {
		return true
	}
	if len(h.argv) < 3 || h.argv[1] != "hook" || (h.argv[2] != t.name && !(t.name == harness.Claude && h.argv[2] == "claude-code")) {
		return false
	}
	base := filepath.Base(h.argv[0])
	return base == "ony-tui" || (binary != "" && base == filepath.Base(binary))
}

// execArgv is an exec-form command line: the command, then its args.
func execArgv(command string, args any) []string {
	argv := []string{command}
	list, _ := args.([]any)
	for _, a := range list {
		argv = append(argv, str(a))
	}
	if command == "" {
		return nil
	}
	return argv
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// durationOf reads a numeric timeout counted in unit.
func durationOf(v any, unit time.Duration) time.Duration {
	f, ok := v.(float64)
	if !ok || f <= 0 || f > float64(1<<40) {
		return 0
	}
	return time.Duration(f * float64(unit))
}
