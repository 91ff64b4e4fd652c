package install

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/hook/harness"
)

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
