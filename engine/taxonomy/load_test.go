package taxonomy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// minimal is a small valid taxonomy used by the unit tests.
const minimal = `version: 1
actions:
  - id: file.read
    title: Read files
    risk: low
    match:
      - tool: {kind: file_read}
      - shell: {program: cat}
`

func TestLoadMinimal(t *testing.T) {
	tx, err := Load([]byte(minimal), "t.yaml", testEnv())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	acts := tx.Actions()
	if len(acts) != 2 || acts[0].ID != "file.read" || acts[0].Risk != Low || acts[1].ID != UnknownAction || acts[1].Risk != Critical {
		t.Errorf("Actions() = %+v", acts)
	}
	sum := sha256.Sum256([]byte(minimal))
	if got, want := tx.SHA256(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA256() = %s, want %s", got, want)
	}
	if tx.Name() != "t.yaml" {
		t.Errorf("Name() = %q", tx.Name())
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"empty", "", "t.yaml:1:1: taxonomy is empty"},
		{"only comments", "# nothing\n", "t.yaml:1:1: taxonomy is empty"},
		{"unknown top key", "version: 1\nactons: []\n", `t.yaml:2:1: unknown key "actons" in the taxonomy (want version, vars, sets, shell, programs, actions)`},
		{"missing actions", "version: 1\n", `t.yaml:1:1: the taxonomy is missing required key "actions"`},
		{"bad version", "version: 2\nactions: []\n", "t.yaml:1:10: unsupported version: want 1"},
		{"unknown action key", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    severity: high
    match: [{shell: {program: ls}}]
`, `t.yaml:6:5: unknown key "severity" in an action (want id, title, description, risk, match)`},
		{"unknown matcher key", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: ls, flagz: [-l]}
`, `t.yaml:7:30: unknown key "flagz" in a shell matcher (want ` + shellKeys + `)`},
		{"bad regex", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: git, subcommand: '(push'}
`, "t.yaml:7:43: invalid pattern \"(push\": missing closing ): `^(?:(push)$`"},
		{"bad search regex", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: psql, contains: ['drop', '[z-a]']}
`, "t.yaml:7:51: invalid pattern \"[z-a]\": invalid character class range: `z-a`"},
		{"duplicate id", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match: [{shell: {program: ls}}]
  - id: a.b
    title: U
    risk: high
    match: [{shell: {program: rm}}]
`, `t.yaml:7:9: duplicate action id "a.b" (first defined on line 3)`},
		{"invalid risk", `version: 1
actions:
  - id: a.b
    title: T
    risk: severe
    match: [{shell: {program: ls}}]
`, `t.yaml:5:11: invalid risk "severe": want low, medium, high or critical`},
		{"risk wrong type", `version: 1
actions:
  - id: a.b
    title: T
    risk: 3
    match: [{shell: {program: ls}}]
`, "t.yaml:5:11: risk must be a string, got an integer"},
		{"unknown kind", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - tool: {kind: file_raed}
`, `t.yaml:7:22: unknown tool kind "file_raed": want one of file_read, file_write, file_edit, search, web_fetch, web_search, mcp, subagent`},
		{"kind other", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - tool: {kind: other}
`, `t.yaml:7:22: tool kind "other" is never trusted: it is always the critical unknown action`},
		{"wrong type list", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: {name: ls}}
`, "t.yaml:7:26: program must be a string or a list of strings, got a mapping"},
		{"wrong type bool", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: ls, dynamic: yes}
`, "t.yaml:7:39: dynamic must be true or false, got a string"},
		{"missing field", `version: 1
actions:
  - id: a.b
    risk: low
    match: [{shell: {program: ls}}]
`, `t.yaml:3:5: action is missing required key "title"`},
		{"reserved unknown", `version: 1
actions:
  - id: unknown
    title: T
    risk: low
    match: [{shell: {program: ls}}]
`, `t.yaml:3:9: action id "unknown" is built in: it is always critical and cannot be redefined`},
		{"two matchers in one entry", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: ls}
        path: {glob: '/x'}
`, `t.yaml:8:9: match entry has both "shell" and "path": use one entry for each`},
		{"unknown variable", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - path: {glob: '${NOPE}/x'}
`, "t.yaml:7:22: unknown variable ${NOPE}"},
		{"unknown set", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - shell: {program: '@nope'}
`, "t.yaml:7:26: unknown set @nope"},
		{"bad placeholder", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - path: {glob: '/x'}
        target: '{host}'
`, "t.yaml:8:17: target placeholder {host} is not available in a path matcher"},
		{"duplicate key", "version: 1\nversion: 1\nactions: []\n", `t.yaml:2:1: mapping key "version" already defined at [1:1]`},
		{"syntax error", "version: 1\nactions: [\n", "t.yaml:2:10: sequence end token ']' not found"},
		{"anchors", "version: 1\nx: &a 1\n", "t.yaml:2:1: unknown key \"x\" in the taxonomy (want version, vars, sets, shell, programs, actions)"},
		{"alias value", `version: 1
vars:
  A: &x 'a'
actions: []
`, "t.yaml:3:6: anchors and aliases are not supported in the taxonomy"},
		{"two documents", "version: 1\nactions: []\n---\nversion: 1\n", "t.yaml:4:1: taxonomy must be a single YAML document"},
		{"relative glob start", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - path: {glob: '${PROTECTED}x'}
`, ""},
		{"empty match", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match: []
`, "t.yaml:6:12: match must list at least one rule"},
		{"empty path matcher", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - path: {access: read}
`, "t.yaml:7:15: a path matcher needs glob or location"},
		{"shell kind in tool", `version: 1
actions:
  - id: a.b
    title: T
    risk: low
    match:
      - tool: {kind: shell}
`, `t.yaml:7:22: tool kind "shell" is classified command by command: use shell matchers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.yaml), "t.yaml", testEnv())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestLoadRequiresEnv checks that a taxonomy naming Ony's directories
// cannot load without them: a self-protection rule must never silently
// lose its target.
func TestLoadRequiresEnv(t *testing.T) {
	src := `version: 1
actions:
  - id: ony.tamper
    title: T
    risk: critical
    match:
      - path: {glob: '${ONY}/**'}
`
	env := testEnv()
	env.OnyRoots = nil
	_, err := Load([]byte(src), "t.yaml", env)
	want := "t.yaml:7:22: variable ${ONY} is empty: the console must set it before loading the taxonomy"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	if _, err := Load([]byte(src), "t.yaml", testEnv()); err != nil {
		t.Errorf("with roots: %v", err)
	}
}

func TestLoadDefaultAndHash(t *testing.T) {
	tx := defaultTaxonomy(t)
	if len(tx.Actions()) < 40 {
		t.Errorf("default taxonomy has %d actions", len(tx.Actions()))
	}
	for _, a := range tx.Actions() {
		if !a.Risk.Valid() || a.Title == "" {
			t.Errorf("action %+v", a)
		}
	}
	other, err := Load([]byte(strings.Replace(minimal, "Read files", "Read files!", 1)), "t.yaml", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Load([]byte(minimal), "t.yaml", testEnv())
	if other.SHA256() == base.SHA256() {
		t.Error("different files share a SHA256")
	}
}
