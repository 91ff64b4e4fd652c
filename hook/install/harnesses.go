package install

import (
	"encoding/json"
	"fmt"
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

// targetFor returns the target for a harness name.
func targetFor(name string) (*target, error) {
	switch name {
	case harness.Claude, "claude-code":
		return claudeTarget(), nil
	case harness.Codex:
		return codexTarget(), nil
	case harness.Cursor:
		return cursorTarget(), nil
	case harness.Gemini:
		return geminiTarget(), nil
	case harness.Copilot:
		return copilotTarget(), nil
	}
	return nil, fmt.Errorf("unknown harness %q (known: %s)", name, strings.Join(harness.Names(), ", "))
}

func claudeTarget() *target {
	return &target{
		name: harness.Claude, title: "Claude Code",
		file: func(o Options, p string) string {
			if p != "" {
				return filepath.Join(p, ".claude", "settings.local.json")
			}
			return filepath.Join(configDir(o, "CLAUDE_CONFIG_DIR", ".claude"), "settings.json")
		},
		skeleton: "{}\n",
		events:   []string{"PreToolUse", "PermissionRequest"},
		grouped:  true,
		item: func(s spec, _ string) any {
			return group[claudeHandler]{"*", []claudeHandler{{"command", s.binary, s.args(harness.Claude), s.seconds(), "block", statusMarker}}}
		},
		decodeItem: decodeStrict[group[claudeHandler]],
		info: func(h map[string]any) handlerInfo {
			in := handlerInfo{timeout: durationOf(h["timeout"], time.Second), marked: str(h["statusMessage"]) == statusMarker,
				failClosed: str(h["onFailure"]) == "block"}
			if h["args"] != nil {
				in.argv = execArgv(str(h["command"]), h["args"])
			} else {
				in.argv = shellFields(str(h["command"]))
			}
			return in
		},
		defaultTimeout: 600 * time.Second,
		failClosed:     `onFailure "block" is on: a hook that is missing, crashes, hangs or answers badly blocks the call (Claude Code 2.1.295 or later; older versions ignore the setting and let the call run)`,
		projectNote:    "Claude Code runs project hooks only after its workspace trust dialog is accepted. The entry is in settings.local.json, which is not meant to be committed.",
		systemFile:     func(root string) string { return filepath.Join(root, "/etc/claude-code/managed-settings.json") },
		systemExtras:   []extra{{path: []string{"allowManagedHooksOnly"}, value: true}},
		systemNote: "Managed settings take precedence over user and project settings, and disableAllHooks in a user or project file does not turn managed hooks off. " +
			"allowManagedHooksOnly keeps user, project and plugin hooks from running: one of them could otherwise rewrite a call (updatedInput) after Ony approved it.",
	}
}

func codexTarget() *target {
	return &target{
		name: harness.Codex, title: "Codex CLI",
		file: func(o Options, p string) string {
			if p != "" {
				return filepath.Join(p, ".codex", "hooks.json")
			}
			return filepath.Join(configDir(o, "CODEX_HOME", ".codex"), "hooks.json")
		},
		skeleton: "{}\n",
		events:   []string{"PreToolUse", "PermissionRequest"},
		grouped:  true,
		item: func(s spec, _ string) any {
			return group[codexHandler]{"*", []codexHandler{{"command", s.commandLine(harness.Codex), s.seconds(), statusMarker}}}
		},
		decodeItem: decodeStrict[group[codexHandler]],
		info: func(h map[string]any) handlerInfo {
			return handlerInfo{argv: shellFields(str(h["command"])), timeout: durationOf(h["timeout"], time.Second),
				marked: str(h["statusMessage"]) == statusMarker}
		},
		defaultTimeout: 600 * time.Second,
		failOpen: func(s spec) string {
			if s.system {
				return fmt.Sprintf("Codex has no fail-closed switch: if the binary is missing, crashes, or hangs past the %s timeout, Codex runs the call. "+
					"The binary is root's here, so the agent's user cannot remove it.", s.timeout)
			}
			return fmt.Sprintf("Codex has no fail-closed switch: if the binary is missing, crashes, or hangs past the %s timeout, Codex runs the call. "+
				"Codex also skips a hook until you trust it: open /hooks in Codex and trust the Ony entries now, and again after any reinstall that changes them.", s.timeout)
		},
		projectNote: "Codex loads project hooks only when the project's .codex layer is trusted.",
		systemFile:  func(root string) string { return filepath.Join(root, "/etc/codex/requirements.toml") },
		toml:        true,
		systemNote: "requirements.toml is enforced by Codex over every user, project and session setting. Its managed hooks run without the /hooks trust review; " +
			"allow_managed_hooks_only = true skips user, project, session and plugin hooks, and [features] hooks = true keeps users from turning hooks off.",
	}
}

func cursorTarget() *target {
	return &target{
		name: harness.Cursor, title: "Cursor",
		file: func(o Options, p string) string {
			if p != "" {
				return filepath.Join(p, ".cursor", "hooks.json")
			}
			return filepath.Join(o.HomeDir, ".cursor", "hooks.json")
		},
		skeleton: "{\n  \"version\": 1\n}\n",
		// preToolUse alone sees every tool type (Shell, Read, Write, Grep,
		// Task, MCP); the before* hooks fire for the same calls, so adding
		// them would ask twice.
		events: []string{"preToolUse"},
		item: func(s spec, _ string) any {
			return cursorHandler{s.commandLine(harness.Cursor), true, s.seconds()}
		},
		decodeItem: decodeStrict[cursorHandler],
		info: func(h map[string]any) handlerInfo {
			fc, _ := h["failClosed"].(bool)
			return handlerInfo{argv: shellFields(str(h["command"])), timeout: durationOf(h["timeout"], time.Second), failClosed: fc}
		},
		failClosed: "failClosed is on for preToolUse: a hook that is missing, crashes, hangs or prints nothing blocks the call. " +
			"Only preToolUse is installed: it sees every tool type, and adding beforeShellExecution, beforeMCPExecution and beforeReadFile would ask twice",
		systemFile: func(root string) string { return filepath.Join(root, "/etc/cursor/hooks.json") },
		systemNote: "Cursor merges its enterprise hooks file before user and project hooks. Cursor documents no switch that keeps user and project hooks from running as well, " +
			"so one of them could still rewrite a call's input (updated_input) after Ony approved it.",
	}
}

func geminiTarget() *target {
	return &target{
		name: harness.Gemini, title: "Gemini CLI",
		file: func(o Options, p string) string {
			if p != "" {
				return filepath.Join(p, ".gemini", "settings.json")
			}
			return filepath.Join(o.HomeDir, ".gemini", "settings.json")
		},
		skeleton: "{}\n",
		events:   []string{"BeforeTool"},
		grouped:  true,
		item: func(s spec, _ string) any {
			return group[geminiHandler]{".*", []geminiHandler{{geminiName, "command", s.commandLine(harness.Gemini), s.seconds() * 1000}}}
		},
		decodeItem: decodeStrict[group[geminiHandler]],
		info: func(h map[string]any) handlerInfo {
			return handlerInfo{argv: shellFields(str(h["command"])), timeout: durationOf(h["timeout"], time.Millisecond),
				marked: str(h["name"]) == geminiName}
		},
		defaultTimeout: 60 * time.Second,
		failOpen: func(s spec) string {
			return fmt.Sprintf("Gemini CLI has no fail-closed switch: if the hook is killed, exits 1, or hangs past the %s timeout, Gemini runs the call "+
				"(a missing binary is blocked: Gemini runs hooks through bash, whose exit 127 it reads as a deny). "+
				"Keep hooks enabled (hooksConfig.enabled) and keep %q out of hooksConfig.disabled.", s.timeout, geminiName)
		},
		projectNote:  "Gemini CLI runs project hooks only in a trusted folder.",
		systemFile:   func(root string) string { return filepath.Join(root, "/etc/gemini-cli/settings.json") },
		systemExtras: []extra{{path: []string{"hooksConfig", "enabled"}, value: true}},
		systemNote: "System settings override user and project settings, so hooksConfig.enabled = true there keeps hooks on; hook lists are concatenated across layers. " +
			"Gemini has no managed-only switch: a user can still list \"" + geminiName + "\" in hooksConfig.disabled, and GEMINI_CLI_SYSTEM_SETTINGS_PATH in Gemini's environment moves this file, " +
			"so whoever controls how Gemini is started can leave Ony out.",
	}
}

func copilotTarget() *target {
	return &target{
		name: harness.Copilot, title: "Copilot CLI",
		file: func(o Options, p string) string {
			if p != "" {
				return filepath.Join(p, ".github", "hooks", "ony.json")
			}
			return filepath.Join(configDir(o, "COPILOT_HOME", ".copilot"), "hooks", "ony.json")
		},
		skeleton: "{\n  \"version\": 1\n}\n",
		// permissionRequest fires before Copilot's own rules for every call
		// preToolUse has already gated, so installing it would ask twice.
		events: []string{"preToolUse"},
		item: func(s spec, event string) any {
			return copilotHandler{"command", s.binary, s.args(harness.Copilot), s.seconds(), map[string]string{harness.EnvEvent: event}}
		},
		decodeItem: decodeStrict[copilotHandler],
		info: func(h map[string]any) handlerInfo {
			in := handlerInfo{timeout: durationOf(h["timeoutSec"], time.Second)}
			if e, ok := h["env"].(map[string]any); ok {
				in.event, in.marked = str(e[harness.EnvEvent]), e[harness.EnvEvent] != nil
			}
			if exec := str(h["exec"]); exec != "" {
				in.argv = execArgv(exec, h["args"])
			} else {
				in.argv = shellFields(str(h["command"]) + str(h["bash"]))
			}
			return in
		},
		defaultTimeout: 30 * time.Second,
		failOpen: func(s spec) string {
			return fmt.Sprintf("Copilot CLI denies the call when the hook crashes or exits non-zero, but a hook that runs past its %s timeout is fail-open: the call runs.", s.timeout)
		},
		projectNote: "Copilot's cloud agent also reads .github/hooks; where the binary does not exist there, it denies every tool call.",
		systemFile:  func(root string) string { return filepath.Join(root, "/etc/github-copilot/policy.d/ony.json") },
		systemNote: "Copilot CLI loads root-owned policy hooks before all others, regardless of folder trust, and disableAllHooks does not turn them off. " +
			"Copilot documents no switch that keeps other hooks from running as well.",
	}
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
