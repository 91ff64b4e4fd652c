package e2e

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/e2e"
	"github.com/ony-dev/ony-tui/ledger"
)

// codes hands out valid 6-digit codes, each for a later time-step than the
// last (a step is used once).
type codes struct {
	secret []byte
	last   uint64
}

func (c *codes) next(t *testing.T) string {
	t.Helper()
	for {
		now := totp.Step(awayFromBoundary())
		step := max(now, c.last+1)
		if step <= now+1 { // within the verifier's skew
			c.last = step
			code, _ := totp.Code(c.secret, time.Unix(int64(step)*int64(totp.Period/time.Second), 0))
			return code
		}
		time.Sleep(time.Second)
	}
}

// held waits for the hook's call to show at the console and checks that
// the hook has no answer yet.
func held(t *testing.T, tm *e2e.Term, ch <-chan e2e.Result, want ...string) {
	t.Helper()
	tm.WaitFor(10*time.Second, want...)
	select {
	case r := <-ch:
		t.Fatalf("the hook was answered without anyone: %+v", r)
	default:
	}
}

// TestRememberAndClassifyInTheRealConsole is issue 17 end to end: real
// hooks, the real console in tmux, the real ledger, explain and rules.
func TestRememberAndClassifyInTheRealConsole(t *testing.T) {
	home := e2e.NewHome(t, "")
	secret, step := enroll(t, home)
	cs := &codes{secret: secret, last: step}
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "code device enrolled", "kill switch off")

	// Remember this exact call for the session: R, 1. The call is
	// approved, and the same call passes from then on by itself.
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	held(t, tm, ch, "HIGH", "./build")
	tm.Keys("R")
	tm.WaitFor(5*time.Second, "Remember and approve", "this exact call, for this agent session")
	tm.Keys("1")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the remembered call: %+v\n%s", r, tm.Screen())
	}
	screen := tm.WaitFor(5*time.Second, "remembered as a-")
	id := regexp.MustCompile(`remembered as (a-[0-9a-f]{6})`).FindStringSubmatch(screen)[1]
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "rm -rf ./build"), 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the same call again: %+v", r)
	}
	// The ledger says why: the factor, and the answer in the detail.
	var rec ledger.Entry
	for _, e := range entries(t, home) {
		if e.Kind == ledger.KindVerdict && slices.Contains(e.Factors, "remembered") {
			rec = e
		}
	}
	if !strings.HasPrefix(rec.Detail, "auto: remembered ") || !strings.Contains(rec.Detail, "session sess-e2e ("+id) {
		t.Fatalf("no remembered verdict in the ledger: %+v", rec)
	}
	// A different call is still asked.
	ch = e2e.HookAsync(t, bin, home, "rm -rf ./dist")
	held(t, tm, ch, "./dist")
	tm.Keys("D")
	e2e.Wait(t, ch, 30*time.Second)

	// Critical needs the code: a wrong one is refused in the dialog, the
	// right one remembers.
	ch = e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml")
	held(t, tm, ch, "CRIT", "production")
	tm.Keys("R")
	tm.WaitFor(5*time.Second, "Remember and approve")
	tm.Keys("1")
	tm.WaitFor(5*time.Second, "critical: type the 6-digit code")
	tm.Text("000000")
	tm.Keys("Enter")
	tm.WaitFor(10*time.Second, "wrong code")
	tm.Text(cs.next(t))
	tm.Keys("Enter")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the critical call with its code: %+v\n%s", r, tm.Screen())
	}
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml"), 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the same critical call again: %+v", r)
	}

	// Ony's own files are never remembered: the console refuses, and the
	// request waits for A or D.
	overlay := filepath.Join(home, "config", "taxonomy.overlay.yaml")
	ch = e2e.HookAsync(t, bin, home, "cp /tmp/rules.yaml "+overlay)
	held(t, tm, ch, "CRIT", "taxonomy.overlay")
	tm.Keys("R")
	tm.WaitFor(5*time.Second, "can never be remembered")
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 30*time.Second); e2e.Allowed(r) {
		t.Fatalf("the agent wrote the overlay: %+v", r)
	}
	tm.Keys("x")

	// Classify an unknown program: R, 2, the risk (tab: medium → high →
	// low), the title, the code. explain and the hook agree from then on.
	ch = e2e.HookAsync(t, bin, home, "webctl build --prod")
	held(t, tm, ch, "CRIT", "webctl")
	tm.Keys("R")
	tm.WaitFor(5*time.Second, "classify the program webctl")
	tm.Keys("2")
	tm.WaitFor(5*time.Second, "title: Run webctl")
	tm.Keys("Tab", "Tab")
	tm.WaitFor(5*time.Second, "[low]")
	tm.Keys("Enter")
	tm.WaitFor(5*time.Second, "lowers it from critical")
	tm.Text(cs.next(t))
	tm.Keys("Enter")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the classified call: %+v\n%s", r, tm.Screen())
	}
	tm.WaitFor(5*time.Second, "webctl is now low")
	out := e2e.Run(t, bin, e2e.Cmd{Args: []string{"explain", "--home", home, "webctl test"}})
	if !regexp.MustCompile(`action +owner\.webctl`).MatchString(out.Stdout) || !regexp.MustCompile(`risk +low`).MatchString(out.Stdout) ||
		!strings.Contains(out.Stdout, "allowed automatically") || !strings.Contains(out.Stdout, "overlay rule at "+overlay+":") {
		t.Fatalf("explain after classifying: %+v", out)
	}
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "webctl test"), 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("the hook disagrees with explain: %+v", r)
	}
	// The program only: the rest of a command still counts.
	ch = e2e.HookAsync(t, bin, home, "webctl test > ~/.bashrc")
	held(t, tm, ch, "CRIT")
	tm.Keys("D")
	e2e.Wait(t, ch, 30*time.Second)

	// rules lists both; the console's m shows them; forget asks again.
	out = e2e.Run(t, bin, e2e.Cmd{Args: []string{"rules", "--home", home}})
	if !strings.Contains(out.Stdout, id) || !strings.Contains(out.Stdout, "owner.webctl") {
		t.Fatalf("rules: %+v", out)
	}
	tm.Keys("m")
	tm.WaitFor(5*time.Second, "Remembered", id, "owner.webctl")
	tm.Keys("Escape")
	out = e2e.Run(t, bin, e2e.Cmd{Args: []string{"rules", "forget", "--home", home, id}})
	if out.Code != 0 || !strings.Contains(out.Stdout, "forgot "+id) {
		t.Fatalf("forget: %+v", out)
	}
	ch = e2e.HookAsync(t, bin, home, "rm -rf ./build")
	held(t, tm, ch, "./build")
	tm.Keys("D")
	e2e.Wait(t, ch, 30*time.Second)
	out = e2e.Run(t, bin, e2e.Cmd{Args: []string{"rules", "forget", "--home", home, "owner.webctl"}})
	if out.Code != 0 {
		t.Fatalf("forget the rule: %+v", out)
	}
	out = e2e.Run(t, bin, e2e.Cmd{Args: []string{"explain", "--home", home, "webctl test"}})
	if !regexp.MustCompile(`action +unknown`).MatchString(out.Stdout) {
		t.Fatalf("explain after forgetting: %+v", out)
	}
	// The overlay's hashes are in the ledger: added, then removed.
	n := 0
	for _, e := range entries(t, home) {
		if e.Kind == ledger.KindTaxonomyLoaded && strings.HasPrefix(e.Detail, "overlay sha256:") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d overlay entries in the ledger, want 2", n)
	}
}
