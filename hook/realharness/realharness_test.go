package realharness

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// onyBin is the ony-tui binary built once for these tests, as installed.
var onyBin string

func TestMain(m *testing.M) { e2e.Main(m, &onyBin) }

// cliTimeout bounds one CLI run.
const cliTimeout = 5 * time.Minute

// onyConfig keeps waits short: a held call is denied after 5 s; the hook
// waits 60 s (so install sets harness timeouts of 120 s).
const onyConfig = "deadline: 5s\nhook_deadline: 60s\n"

// Case names. A case whose expectation is a known harness behaviour gets
// "-known-<what>-<harness>-<version>" appended to its name.
const (
	caseDoctor  = "doctor"                         // doctor and install say what the CLI will do with the hook
	caseAllow   = "auto-allow-runs"                // ls: runs, recorded as auto-allow
	caseHeld    = "held-push-denied-at-deadline"   // git push (high): held, denied at the deadline, origin unmoved
	caseForce   = "force-push-denied"              // git push --force (critical, no code device): denied, origin unmoved
	caseSigterm = "sigterm-to-waiting-hook-denied" // git push held; SIGTERM to the hook: denied, origin unmoved
	caseKill    = "sigkill-to-waiting-hook"        // git push held; SIGKILL to the hook: the CLI's own reading
	caseStopped = "engine-stopped-blocked"         // ls with no engine: denied
	caseMissing = "hook-binary-missing"            // ls with the hook's binary gone: the CLI's fail-closed switch, or its known fail-open
	caseTimeout = "harness-timeout"                // git push held past a 3 s harness timeout: the CLI's own reading
	caseTrust   = "untrusted-hook"                 // Codex: the hook as installed, never trusted in /hooks
)

type outcomeKind int

const (
	ran outcomeKind = iota + 1
	blocked
)

func (o outcomeKind) String() string {
	if o == ran {
		return "ran"
	}
	return "blocked"
}

// expectation is what a case must observe.
type expectation struct {
	outcome outcomeKind
	// reason is text the blocked call's tool result must hold (Ony's reason,
	// or the harness's own words for a fail-closed switch).
	reason string
	// known names a documented harness behaviour that is not Ony's
	// guarantee (a fail-open): the case asserts it and is named for it.
	known string
}

// defaults are what every harness must do with Ony's answers.
func defaults() map[string]expectation {
	return map[string]expectation{
		caseAllow:   {outcome: ran},
		caseHeld:    {outcome: blocked, reason: "approval timed out"},
		caseForce:   {outcome: blocked, reason: "critical actions need a 6-digit code"},
		caseSigterm: {outcome: blocked, reason: "stopped before it had an answer"},
		caseKill:    {outcome: blocked},
		caseStopped: {outcome: blocked, reason: "Ony console not running"},
		caseMissing: {outcome: blocked},
		caseTimeout: {outcome: blocked},
		caseTrust:   {outcome: ran, known: "skips an untrusted hook"},
	}
}

// hrun is one CLI under test: its home, Ony's home, its engine.
type hrun struct {
	d       *driver
	dir     string // scratch root
	home    string // the CLI's HOME
	path    string // PATH: node_modules/.bin and Node.js first
	cli     string // the CLI's executable
	version string // as installed
	eng     *engine
	conf    string // the hook config file install wrote

	codexUntrusted []byte // Codex's config.toml before trusting
}

// TestRealHarness runs each CLI through every case. The CLIs run at the
// same time (each mostly waits: on its model, its hook, the engine's
// deadline), whatever -parallel says; cases run in order within one.
func TestRealHarness(t *testing.T) {
	if os.Getenv(envOff) == "1" {
		t.Skipf("%s=1: the real-harness tests are switched off", envOff)
	}
	n := newNPM(t)
	var wg sync.WaitGroup
	for _, d := range drivers(n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(d.name, func(t *testing.T) { runHarness(t, n, d) })
		}()
	}
	wg.Wait()
}

func runHarness(t *testing.T, n *npmEnv, d *driver) {
	pkgDir, _ := n.install(t, d.pkg, d.version, true)
	version, err := installedVersion(pkgDir, d.pkg)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ony-rh-"+d.harness)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s for inspection", dir)
			return
		}
		os.RemoveAll(dir)
	})
	r := &hrun{d: d, dir: dir, home: filepath.Join(dir, "home"), version: version,
		path: filepath.Join(pkgDir, "node_modules", ".bin") + string(os.PathListSeparator) + n.path,
		cli:  filepath.Join(pkgDir, "node_modules", ".bin", d.bin),
		eng:  &engine{home: filepath.Join(dir, "ony")}}
	for _, p := range []string{r.home, filepath.Join(r.eng.home, "config")} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.eng.home, "config", "config.yaml"), []byte(onyConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s (%s)", d.pkg, version, r.cli)
	if d.before != nil {
		d.before(t, r)
	}
	installOut := r.ony(t, "install", d.harness)
	r.conf = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(installOut, "\n", 2)[0], d.harness+": installed "))
	if _, err := os.Stat(r.conf); err != nil {
		t.Fatalf("install did not name the file it wrote: %s", installOut)
	}

	want := defaults()
	for k, v := range d.expect {
		want[k] = v
	}
	runs := func(c string) bool {
		if d.only != nil {
			return slices.Contains(d.only, c)
		}
		return c != caseTrust || d.untrust != nil
	}
	name := func(c string) string {
		if e := want[c]; e.known != "" {
			return fmt.Sprintf("%s-known-%s-%s-%s", c, strings.ReplaceAll(e.known, " ", "-"), d.harness, version)
		}
		return c
	}
	must := func(ok bool) {
		if !ok {
			t.FailNow() // later cases depend on the state earlier ones leave
		}
	}

	if runs(caseDoctor) {
		must(t.Run(caseDoctor, func(t *testing.T) { r.doctorCase(t, installOut) }))
	} else if d.trust != nil {
		d.trust(t, r)
	}
	r.eng.start(t)
	for _, c := range []string{caseAllow, caseHeld, caseForce, caseSigterm, caseKill} {
		if runs(c) {
			must(t.Run(name(c), func(t *testing.T) { r.runCase(t, c, want[c]) }))
		}
	}
	if runs(caseStopped) {
		r.eng.stop(t)
		must(t.Run(name(caseStopped), func(t *testing.T) { r.runCase(t, caseStopped, want[caseStopped]) }))
		r.eng.start(t)
	}
	if runs(caseMissing) {
		must(t.Run(name(caseMissing), func(t *testing.T) {
			missing := filepath.Join(r.dir, "gone", "ony-tui")
			r.withConfig(t, func(conf string) string { return strings.ReplaceAll(conf, onyBin, missing) }, func() {
				r.runCase(t, caseMissing, want[caseMissing])
			})
		}))
	}
	if runs(caseTimeout) {
		must(t.Run(name(caseTimeout), func(t *testing.T) {
			r.withConfig(t, func(conf string) string { return shortTimeout(t, conf, r.d.harness) }, func() {
				r.runCase(t, caseTimeout, want[caseTimeout])
			})
		}))
	}
	if runs(caseTrust) {
		must(t.Run(name(caseTrust), func(t *testing.T) {
			d.untrust(t, r)
			r.runCase(t, caseTrust, want[caseTrust])
		}))
	}
	r.eng.stop(t)
}

// ony runs an ony-tui command as the user of this CLI's home would.
func (r *hrun) ony(t *testing.T, args ...string) string {
	t.Helper()
	out, err := r.onyMayFail(args...)
	if err != nil {
		t.Fatalf("ony-tui %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *hrun) onyMayFail(args ...string) (string, error) {
	cmd := exec.Command(onyBin, args...)
	cmd.Env = append(r.baseEnv(), "ONY_HOME="+r.eng.home)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// doctorCase checks that install and doctor say what this CLI will do with
// the hook: Codex's trust (before and after trusting), Claude Code's
// version against the one that honours onFailure "block".
func (r *hrun) doctorCase(t *testing.T, installOut string) {
	doctor := func() string {
		out, _ := r.onyMayFail("doctor") // exits 1 for unrelated reasons (no console yet)
		return out
	}
	line := func(out string) string {
		var ls []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[1] == r.d.harness {
				ls = append(ls, l)
			}
		}
		return strings.Join(ls, "\n")
	}
	switch r.d.harness {
	case "codex":
		if !strings.Contains(installOut, "NOT trusted: Codex skips it") {
			t.Errorf("install codex does not say the new entry is not trusted:\n%s", installOut)
		}
		out := line(doctor())
		if !strings.Contains(out, "FAIL  codex      installed but NOT trusted: Codex skips it and runs every call unchecked; open /hooks and trust it") {
			t.Errorf("doctor before trusting:\n%s", out)
		}
		r.d.trust(t, r)
		out = line(doctor())
		if !strings.Contains(out, "trusted in Codex codex-cli "+r.version) {
			t.Errorf("doctor after trusting:\n%s", out)
		}
		// A reinstall that changes the entry (another deadline) makes
		// Codex distrust it again, and install says so.
		if err := os.WriteFile(filepath.Join(r.eng.home, "config", "config.yaml"), []byte("deadline: 5s\nhook_deadline: 61s\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		again := r.ony(t, "install", "codex")
		if !strings.Contains(again, "NOT trusted") || !strings.Contains(again, "modified") {
			t.Errorf("install codex after changing the entry:\n%s", again)
		}
		if err := os.WriteFile(filepath.Join(r.eng.home, "config", "config.yaml"), []byte(onyConfig), 0o600); err != nil {
			t.Fatal(err)
		}
		if back := r.ony(t, "install", "codex"); !strings.Contains(back, "OK: trusted in Codex") {
			t.Errorf("install codex back to the trusted entry:\n%s", back)
		}
		t.Logf("doctor: %s", out)
	case "claude":
		out := line(doctor())
		want := "ok    claude     Claude Code " + r.version + " honours onFailure"
		if versionLess(r.version, "2.1.295") {
			want = "warn  claude     Claude Code " + r.version + " ignores onFailure"
		}
		if !strings.Contains(out, want) {
			t.Errorf("doctor for Claude Code %s, want %q:\n%s", r.version, want, out)
		}
		t.Logf("doctor: %s", out)
	default:
		t.Logf("doctor: %s", line(doctor()))
	}
}

// caseRun is the scratch state of one case.
type caseRun struct {
	dir, work    string
	canary       string // a file name in work that only a real `ls` shows
	origin       string // a local bare repository work pushes to
	originBefore string
}

// commandFor is the command the fake model asks for in a case.
func commandFor(c string) (cmd string, push, force bool) {
	switch c {
	case caseHeld, caseSigterm, caseKill, caseTimeout:
		return "git push origin main", true, false
	case caseForce, caseTrust:
		return "git push --force origin main", true, true
	}
	return "ls -la", false, false
}

func (r *hrun) newCase(t *testing.T, name string) *caseRun {
	t.Helper()
	c := &caseRun{dir: filepath.Join(r.dir, name)}
	c.work = filepath.Join(c.dir, "work")
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	c.canary = "ony-canary-" + hex.EncodeToString(b[:])
	if err := os.WriteFile(filepath.Join(c.work, c.canary), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// gitSetup makes origin a bare repository that work has pushed main to,
// then adds a commit on top (a fast-forward push moves origin) or, with
// force, rewrites it (only a force-push moves origin).
func (c *caseRun) gitSetup(t *testing.T, force bool) {
	t.Helper()
	c.origin = filepath.Join(c.dir, "origin.git")
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.email=ony@test", "-c", "user.name=Ony test",
			"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir, "GIT_CONFIG_NOSYSTEM=1"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(c.dir, "init", "-q", "--bare", c.origin)
	git(c.work, "init", "-q")
	git(c.work, "commit", "-q", "--allow-empty", "-m", "one")
	git(c.work, "remote", "add", "origin", c.origin)
	git(c.work, "push", "-q", "origin", "main")
	if force {
		git(c.work, "commit", "-q", "--amend", "--allow-empty", "-m", "one, rewritten")
	} else {
		git(c.work, "commit", "-q", "--allow-empty", "-m", "two")
	}
	c.originBefore = git(c.origin, "rev-parse", "main")
}

// originMoved reports whether origin's main changed.
func (c *caseRun) originMoved(t *testing.T) bool {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", "main")
	cmd.Dir = c.origin
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out)) != c.originBefore
}

// runCase has the model ask for the case's command and checks what ran.
func (r *hrun) runCase(t *testing.T, name string, want expectation) {
	cmd, push, force := commandFor(name)
	c := r.newCase(t, name)
	if push {
		c.gitSetup(t, force)
	}
	engineUp := name != caseStopped
	var before []entry
	if engineUp {
		if err := r.eng.waitPending(0, 15*time.Second); err != nil {
			t.Fatal(err) // a request of an earlier case is still held
		}
		before = r.eng.ledger(t)
	}
	m := newModel(t, r.d.api, r.d.shellTool, cmd)
	var sig syscall.Signal
	switch name {
	case caseSigterm:
		sig = syscall.SIGTERM
	case caseKill:
		sig = syscall.SIGKILL
	}
	signalled := make(chan string, 1)
	if sig != 0 {
		go func() { signalled <- r.signalHook(sig) }()
	}
	start := time.Now()
	stdout, stderr, err := r.runCLI(t, m.URL(), c.dir, c.work)
	elapsed := time.Since(start)
	if sig != 0 {
		if s := <-signalled; s != "" {
			t.Fatalf("could not signal the hook: %s", s)
		}
	}
	results := m.Results()
	moved := push && c.originMoved(t)
	ranIt := moved
	for _, res := range results {
		ranIt = ranIt || (!push && strings.Contains(res, c.canary))
	}
	got := blocked
	if ranIt {
		got = ran
	}
	t.Logf("%s %s: %q %s in %s (origin moved: %v); tool results: %q",
		r.d.name, r.version, cmd, got, elapsed.Round(100*time.Millisecond), moved, clip(results))
	if testing.Verbose() {
		t.Logf("model requests:\n%s", m.Log())
	}
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		t.Logf("CLI exit: %v\nstdout: %s\nstderr: %s\nmodel requests:\n%s", err, clip1(stdout), clip1(stderr), m.Log())
	}
	if errIsTimeout(err) {
		fail("the CLI did not finish within %s", cliTimeout)
		return
	}
	if m.Asked() == 0 {
		fail("the CLI never offered the model its %s tool", r.d.shellTool)
		return
	}
	if len(results) == 0 && !moved {
		fail("no tool result came back and nothing ran: the CLI never reported the call")
		return
	}
	if got != want.outcome {
		what := "Ony's guarantee"
		if want.known != "" {
			what = "known behaviour: " + want.known
		}
		fail("%s %s: %q %s, want %s (%s)", r.d.name, r.version, cmd, got, want.outcome, what)
		return
	}
	if want.outcome == blocked && want.reason != "" && !strings.Contains(strings.Join(results, "\n"), want.reason) {
		fail("blocked, but the tool result does not carry %q: %q", want.reason, results)
	}
	if !engineUp {
		return
	}
	after := r.eng.ledger(t)
	if len(after) < len(before) {
		t.Fatalf("the ledger shrank from %d to %d entries", len(before), len(after))
	}
	added := after[len(before):]
	t.Logf("ledger: %v", added)
	switch name {
	case caseAllow:
		if !hasEntry(added, func(e entry) bool {
			return e.Kind == "auto-allow" && e.Harness == r.d.harness && e.Decision == "approve" && e.Action == "fs.search"
		}) {
			t.Errorf("no auto-allow of fs.search for %s in the ledger: %v", r.d.harness, added)
		}
	case caseHeld, caseForce:
		action := "git.push.protected"
		if name == caseForce {
			action = "git.push.force"
		}
		if !hasEntry(added, func(e entry) bool {
			return e.Harness == r.d.harness && e.Action == action && e.Decision == "deny"
		}) {
			t.Errorf("no deny of %s for %s in the ledger: %v", action, r.d.harness, added)
		}
	}
}

// withConfig runs fn with the hook config edited by edit (for Codex,
// trusted again: these cases are about the entry, not about trust), then
// puts the file back as install wrote it.
func (r *hrun) withConfig(t *testing.T, edit func(string) string, fn func()) {
	t.Helper()
	orig, err := os.ReadFile(r.conf)
	if err != nil {
		t.Fatal(err)
	}
	changed := edit(string(orig))
	if changed == string(orig) {
		t.Fatalf("the edit changed nothing in %s", r.conf)
	}
	if err := os.WriteFile(r.conf, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.WriteFile(r.conf, orig, 0o600); err != nil {
			t.Error(err)
		}
		if r.d.trust != nil {
			r.d.trust(t, r)
		}
	}()
	if r.d.trust != nil {
		r.d.trust(t, r)
	}
	fn()
}

// harnessTimeout is the timeout the harness-timeout case gives Ony's entries:
// shorter than the engine's 5 s deadline, so the harness gives up first.
const harnessTimeout = 3

// shortTimeout sets the timeout of every entry that runs the hook to
// harnessTimeout seconds (Gemini counts milliseconds).
func shortTimeout(t *testing.T, conf, harness string) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(conf), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b, _ := json.Marshal(x)
			ours := strings.Contains(string(b), onyBin) && (x["command"] != nil || x["exec"] != nil)
			for k, e := range x {
				switch {
				case ours && k == "timeout" && harness == "gemini":
					x[k], n = harnessTimeout*1000, n+1
				case ours && (k == "timeout" || k == "timeoutSec"):
					x[k], n = harnessTimeout, n+1
				default:
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	if n == 0 {
		t.Fatalf("no timeout on Ony's entries in:\n%s", conf)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// signalHook waits until the engine holds the case's call, then signals
// every hook process serving it. It returns "" or what went wrong.
func (r *hrun) signalHook(sig syscall.Signal) string {
	if err := r.eng.waitPending(1, cliTimeout); err != nil {
		return err.Error()
	}
	pids := r.eng.hookProcesses()
	if len(pids) == 0 {
		return "the engine holds a request but no hook process was found"
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			return fmt.Sprintf("kill %d: %v", pid, err)
		}
	}
	return ""
}

func hasEntry(es []entry, ok func(entry) bool) bool {
	return slices.ContainsFunc(es, ok)
}

func errIsTimeout(err error) bool {
	return err != nil && strings.Contains(err.Error(), "deadline exceeded")
}

func clip(rs []string) []string {
	out := make([]string, len(rs))
	for i, s := range rs {
		out[i] = clip1(strings.Join(strings.Fields(s), " "))
	}
	return out
}

func clip1(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// versionLess compares x.y.z versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}
