package taxonomy

import (
	"strings"
	"testing"
)

// TestLoadNewKeyErrors checks that the keys added for issue 11 load as
// strictly as the rest: each mistake is an error naming the position.
func TestLoadNewKeyErrors(t *testing.T) {
	actions := func(match string) string {
		return "actions:\n  - id: a.b\n    title: T\n    risk: low\n    match:\n      - " + match + "\n"
	}
	act := func(match string) string { return "version: 1\n" + actions(match) }
	shellSec := func(body string) string { return "version: 1\nshell:\n" + body + actions("shell: {program: ls}") }
	progs := func(body string) string { return "version: 1\nprograms:\n" + body + actions("shell: {program: ls}") }
	for name, tc := range map[string]struct{ yaml, want string }{
		"code_args without as":        {shellSec("  code_args:\n    tar:\n      - {flags: [--x]}\n"), "needs as"},
		"code_args bad as":            {shellSec("  code_args:\n    tar:\n      - {flags: [--x], as: python}\n"), `as "python": want shell, argv, inline or unseen`},
		"code_args paths is for vars": {shellSec("  code_args:\n    tar:\n      - {flags: [--x], as: paths}\n"), `as "paths"`},
		"code_args needs where":       {shellSec("  code_args:\n    tar:\n      - {as: shell}\n"), "needs flags, subcommand or operands"},
		"code_args prefix sans flags": {shellSec("  code_args:\n    tar:\n      - {subcommand: [x], prefix: 'exec=', as: shell}\n"), "prefix applies to flags"},
		"code_args argv with flags":   {shellSec("  code_args:\n    git:\n      - {flags: [-x], as: argv}\n"), "as argv takes the operands"},
		"code_args unknown key":       {shellSec("  code_args:\n    tar:\n      - {flag: [--x], as: shell}\n"), `unknown key "flag"`},
		"code_args flag without dash": {shellSec("  code_args:\n    tar:\n      - {flags: [x], as: shell}\n"), "must start with -"},
		"code_vars bad name":          {shellSec("  code_vars:\n    - {names: [git_editor], as: shell}\n"), "upper case"},
		"code_vars twice":             {shellSec("  code_vars:\n    - {names: [EDITOR], as: shell}\n    - {names: [EDITOR], as: paths}\n"), "listed twice"},
		"code_vars argv":              {shellSec("  code_vars:\n    - {names: [EDITOR], as: argv}\n"), `as "argv"`},
		"code_vars safe on shell":     {shellSec("  code_vars:\n    - {names: [EDITOR], as: shell, safe: ['x']}\n"), "safe applies to as: options"},
		"code_vars bad safe":          {shellSec("  code_vars:\n    - {names: [NODE_OPTIONS], as: options, safe: ['(']}\n"), "invalid pattern"},
		"code_vars needs names":       {shellSec("  code_vars:\n    - {as: shell}\n"), "needs names and as"},
		"programs unknown key":        {progs("  tar: {dir_flag: [-C]}\n"), `unknown key "dir_flag"`},
		"processes bad operands":      {progs("  kill: {processes: {operands: numbers}}\n"), `operands "numbers"`},
		"processes empty":             {progs("  kill: {processes: {lists: true}}\n"), "needs operands or pid_flags"},
		"shell cwd none":              {act("shell: {program: tar, cwd: none}"), "cwd: want read"},
		"shell processes bad":         {act("shell: {program: kill, processes: all}"), `processes "all": want ony`},
		"shell mounts without dash":   {act("shell: {program: docker, mounts: [v]}"), "must start with -"},
		"path recursive not a bool":   {act("path: {glob: /x, recursive: maybe}"), "recursive"},
		"tool recursive not a bool":   {act("tool: {kind: search, recursive: 3}"), "recursive"},
		"mcp paths bad role":          {act("mcp: {server: x, paths: copy}"), `paths "copy"`},
		"target processes in path":    {act("path: {glob: /x}\n        target: '{processes}'"), "{processes} is not available in a path matcher"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load([]byte(tc.yaml), "t.yaml", testEnv())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.yaml:") {
				t.Fatalf("error %v, want it positioned and mentioning %q", err, tc.want)
			}
		})
	}
}
