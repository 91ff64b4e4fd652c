package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// console starts a console in tmux on home and waits until it shows the
// engine.
func console(t *testing.T, home string, want ...string) *e2e.Term {
	t.Helper()
	tm := e2e.StartTerm(t, 110, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, append([]string{"ONY"}, want...)...)
	return tm
}

// verdictsFor counts the ledger's verdict entries for the request whose
// target contains target.
func verdictsFor(t *testing.T, home, target string) int {
	t.Helper()
	out := e2e.Run(t, bin, e2e.Cmd{Args: []string{"log", "--home", home, "--json"}})
	n := 0
	for _, line := range strings.Split(out.Stdout, "\n") {
		var e struct{ Kind, Target string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Kind == "verdict" && strings.Contains(e.Target, target) {
			n++
		}
	}
	return n
}

// The engine runs as a service; a console attaches, detaches with the
// request still waiting, and another attaches and answers it.
func TestConsoleAttachDetachReattach(t *testing.T) {
	home := e2e.NewHome(t, "")
	e2e.Serve(t, bin, home)
	tm := console(t, home, "attached to the engine")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "HIGH", "./build")
	tm.Keys("q") // detaches at once: nothing is denied
	deadline := time.Now().Add(5 * time.Second)
	for !tm.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("q did not detach:\n%s", tm.Screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case r := <-ch:
		t.Fatalf("detaching decided the request: %+v", r)
	case <-time.After(500 * time.Millisecond):
	}
	tm2 := console(t, home, "attached to the engine", "./build")
	tm2.Keys("A")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("approved at the second console: %+v", r)
	}
}

// Two consoles show the same request; both press A at once. Exactly one
// verdict is recorded, and the other console says who answered.
func TestTwoConsolesAnswerOnce(t *testing.T) {
	home := e2e.NewHome(t, "")
	e2e.Serve(t, bin, home)
	a := console(t, home, "attached to the engine")
	b := console(t, home, "2 consoles attached")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./dist")
	a.WaitFor(10*time.Second, "./dist")
	b.WaitFor(10*time.Second, "./dist")
	a.Keys("A")
	b.Keys("A")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("approved: %+v", r)
	}
	// The ledger's target is where the delete lands: the project's dist.
	if n := verdictsFor(t, home, e2e.Project+"/dist"); n != 1 {
		t.Fatalf("%d verdicts recorded for one request", n)
	}
	// One console answers; the other shows who did.
	ch = e2e.HookAsync(t, bin, home, "rm -rf ./cache")
	a.WaitFor(10*time.Second, "./cache")
	b.WaitFor(10*time.Second, "./cache")
	a.Keys("A")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("approved: %+v", r)
	}
	b.WaitFor(10*time.Second, "approved at ", "(console)")
}

// A console is killed while the owner types the code of a critical
// request: nothing was decided, the request still waits at the engine, and
// another console approves it with the code.
func TestConsoleKilledMidCodeEntry(t *testing.T) {
	home := e2e.NewHome(t, "")
	secret, enrolStep := enroll(t, home)
	e2e.Serve(t, bin, home)
	a := console(t, home, "attached to the engine", "code device enrolled")
	ch := e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml")
	a.WaitFor(10*time.Second, "CRIT", "production")
	a.Keys("A")
	a.WaitFor(5*time.Second, "code")
	a.Text("123")
	pid, err := strconv.Atoi(a.PID())
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		t.Fatalf("killing the console decided the request: %+v", r)
	case <-time.After(time.Second):
	}
	b := console(t, home, "attached to the engine", "production")
	b.Keys("A")
	b.WaitFor(5*time.Second, "code")
	step := totp.Step(time.Now())
	if step <= enrolStep {
		step = enrolStep + 1
	}
	code, _ := totp.Code(secret, time.Unix(int64(step)*30, 0))
	b.Text(code)
	b.Keys("Enter")
	if r := e2e.Wait(t, ch, 30*time.Second); !e2e.Allowed(r) {
		t.Fatalf("approved with the code at the second console: %+v\n%s", r, b.Screen())
	}
}

// The engine restarts while a console is attached: the console says it lost
// the engine, reconnects by itself and says so.
func TestEngineRestartWhileAttached(t *testing.T) {
	home := e2e.NewHome(t, "")
	srv := e2e.StartServe(t, bin, home)
	tm := console(t, home, "attached to the engine")
	srv.Stop()
	tm.WaitFor(10*time.Second, "lost the connection to the engine")
	e2e.Serve(t, bin, home)
	tm.WaitFor(15*time.Second, "reconnected to the engine")
	// And it works: a request shows up and is answered here.
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./out")
	tm.WaitFor(10*time.Second, "./out")
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 30*time.Second); e2e.Allowed(r) {
		t.Fatalf("denied after the reconnection: %+v", r)
	}
}

// A console of another user cannot attach: it is told why, and the engine
// records the refusal when the other user gets as far as its socket.
func TestAttachFromAnotherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a console as another user")
	}
	home := e2e.NewHome(t, "")
	e2e.Serve(t, bin, home)
	exe := filepath.Join(t.TempDir(), "ony-tui")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(filepath.Dir(exe), 0o755)
	_ = os.Chmod(filepath.Dir(filepath.Dir(exe)), 0o755)
	// Even with the runtime directory opened up (a mistake), the engine
	// checks who connects.
	_ = os.Chmod(home, 0o755)
	_ = os.Chmod(filepath.Join(home, "run"), 0o755)
	_ = os.Chmod(filepath.Join(home, "run", "console.sock"), 0o666)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv (util-linux) is needed to run a console as another user")
	}
	tm := e2e.StartTerm(t, 110, 20, []string{"NO_COLOR=1"}, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		exe, "--home", home)
	s := tm.WaitFor(15*time.Second, "refusing")
	if !strings.Contains(s, "owned by uid 0") {
		t.Fatalf("the other user's console does not say why:\n%s", s)
	}
}
