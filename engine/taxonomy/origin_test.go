package taxonomy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// TestRemoteReadsNothingLocal classifies the same calls on a real tree as
// from this host and from another: from another host no link is followed
// and no glob expanded (the answers would be about the wrong disk), and
// Env.Vars are not used.
func TestRemoteReadsNothingLocal(t *testing.T) {
	f := newFSFixture(t)
	tests := []struct {
		cmd           string
		local, remote Risk
	}{
		// keys -> Ony's keys: only this host's disk says so.
		{"cat keys/device", Critical, Low},
		// *.go expands to main.go and util.go here; elsewhere it is a
		// pattern that cannot name a key.
		{"cat *.go", Low, Low},
		// * expands to the link to Ony's keys here; elsewhere it is a
		// pattern that may name a key file.
		{"cat *", Critical, Critical},
		// The project has no src/: nothing is read here.
		{"cat src/*", Low, Critical},
	}
	for _, tt := range tests {
		c := f.shell(tt.cmd)
		if got := f.tx.ClassifyFrom(c, Local); got.Risk != tt.local {
			t.Errorf("%q local: %s %s", tt.cmd, got.Risk, got.Action)
		}
		if got := f.tx.ClassifyFrom(c, Remote); got.Risk != tt.remote {
			t.Errorf("%q remote: %s %s (%s)", tt.cmd, got.Risk, got.Action, got.Matcher)
		}
	}
	read := &wire.ToolCall{Kind: wire.KindFileRead, ToolName: "Read", Paths: []string{filepath.Join(f.project, "keys", "device")}, CWD: f.project, ProjectDir: f.project}
	if got := f.tx.ClassifyFrom(read, Remote); got.Risk != Low {
		t.Errorf("Read through a local link from another host: %s %s", got.Risk, got.Action)
	}
	tx := defaultTaxonomy(t)
	c := shellCall("rm -rf $XDG_STATE_HOME/ony")
	if got := tx.ClassifyFrom(c, Local); got.Action != "ony.tamper" {
		t.Errorf("local $XDG_STATE_HOME: %s", got.Action)
	}
	if got := tx.ClassifyFrom(c, Remote); got.Risk != Critical || got.Action == "ony.tamper" {
		t.Errorf("remote $XDG_STATE_HOME is the engine's value: %s %s", got.Risk, got.Action)
	}
}

// failingProcs is a process table that cannot be read.
type failingProcs struct{}

func (failingProcs) List() ([]Process, error) { return nil, errors.New("no /proc") }

// TestProcessTargets checks what the console is shown for a kill, and
// that a call from another host never reads the table.
func TestProcessTargets(t *testing.T) {
	envs := newCaseEnvs(t)
	for cmd, want := range map[string]string{
		"kill -9 20410":        "20410 " + testHome + "/go/bin/ony-tui serve",
		"pkill -f 'o.y'":       "20410 " + testHome + "/go/bin/ony-tui serve, 20411 " + testHome + "/go/bin/ony-tui",
		"kill 20500":           "20500 python3 -m http.server",
		"kill 4242":            "4242",
		"pkill -u agentdev":    "20410 " + testHome + "/go/bin/ony-tui serve, 20411 " + testHome + "/go/bin/ony-tui, 1 /sbin/init and 2 more",
		"killall -r '.*tui'":   "20410 " + testHome + "/go/bin/ony-tui serve, 20411 " + testHome + "/go/bin/ony-tui",
		"killall -I ONY-TUI":   "ONY-TUI",
		"strace -p 20500 -o x": "20500 python3 -m http.server",
	} {
		if got := envs.procs.Classify(shellCall(cmd)); got.Target != want {
			t.Errorf("%q: target %q (%s %s), want %q", cmd, got.Target, got.Risk, got.Action, want)
		}
	}
	if got := envs.procs.ClassifyFrom(shellCall("kill -9 20410"), Remote); got.Action != "process.kill" || got.Target != "20410" {
		t.Errorf("remote kill: %s %q", got.Action, got.Target)
	}
	env := testEnv()
	env.Processes = failingProcs{}
	data, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Load(data, "taxonomy.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Classify(shellCall("kill 20410")); got.Risk != High || got.Action != "process.kill" {
		t.Errorf("unreadable table: %s %s", got.Risk, got.Action)
	}
	if got := tx.Classify(shellCall("pkill -f '(x'")); got.Risk != High {
		t.Errorf("unreadable table, bad pattern: %s %s", got.Risk, got.Action)
	}
}

// TestScriptLinkTargets checks that a path through a link the command made
// is shown as what it is.
func TestScriptLinkTargets(t *testing.T) {
	tx := defaultTaxonomy(t)
	got := tx.Classify(shellCall("ln -sfn /var root && rm -rf root/lib/x"))
	var rm Part
	for _, p := range got.Parts {
		if strings.HasPrefix(p.Text, "rm") {
			rm = p
		}
	}
	if want := testProject + "/root/lib/x -> /var/lib/x"; rm.Target != want || rm.Risk != Critical {
		t.Errorf("rm through a link: %s %s %q, want target %q", rm.Risk, rm.Action, rm.Target, want)
	}
}

// TestWritesAndRuns checks what a classification says a call writes and
// runs, which the engine remembers per session.
func TestWritesAndRuns(t *testing.T) {
	tx := defaultTaxonomy(t)
	p := func(s string) string { return testProject + "/" + s }
	for cmd, want := range map[string][2][]string{
		"python3 x.py":                     {nil, {p("x.py")}},
		"echo 'print(1)' > x.py && ./x.py": {{p("x.py")}, {p("x.py")}},
		"cp a.sh b.sh && bash b.sh":        {{p("b.sh"), p("b.sh/a.sh")}, {p("b.sh")}},
		"cat x.py":                         {nil, nil},
		"LD_LIBRARY_PATH=./lib ./app":      {nil, {p("lib"), p("app")}},
		"tee out/$NAME.txt < in":           {nil, nil},
	} {
		got := tx.Classify(shellCall(cmd))
		slices.Sort(got.Runs)
		slices.Sort(want[1])
		if !slices.Equal(got.Writes, want[0]) || !slices.Equal(got.Runs, want[1]) {
			t.Errorf("%q: writes %q runs %q, want %q %q", cmd, got.Writes, got.Runs, want[0], want[1])
		}
	}
	w := &wire.ToolCall{Kind: wire.KindFileWrite, ToolName: "Write", Paths: []string{p("x.py")}, CWD: testProject, ProjectDir: testProject}
	if got := tx.Classify(w); !slices.Equal(got.Writes, []string{p("x.py")}) {
		t.Errorf("Write tool: writes %q", got.Writes)
	}
}

// TestTmpdirUnset checks ${TMPDIR:-/tmp} when the engine's environment
// has no TMPDIR (Env.Vars holds it empty): /tmp, and $TMPDIR alone is "".
func TestTmpdirUnset(t *testing.T) {
	env := testEnv()
	env.Vars = map[string]string{"TMPDIR": ""}
	data, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Load(data, "taxonomy.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Classify(shellCall("rm -rf ${TMPDIR:-/tmp}/build")); got.Risk != Medium || got.Target != "/tmp/build" {
		t.Errorf("${TMPDIR:-/tmp}: %s %s %q", got.Risk, got.Action, got.Target)
	}
	if got := tx.Classify(shellCall("rm -rf $TMPDIR/build")); got.Risk != Critical {
		t.Errorf("$TMPDIR/build with TMPDIR unset is /build: %s %s %q", got.Risk, got.Action, got.Target)
	}
}
