package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// TestConsoleMasksSecretsEndToEnd runs the real console in a terminal: a
// request whose command carries a password is listed and detailed with the
// password masked, r shows it for the selected request and hides it again,
// and the owner's deny reaches the hook.
func TestConsoleMasksSecretsEndToEnd(t *testing.T) {
	const secret = "Hunter2SecretPw99"
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")

	ch := e2e.HookAsync(t, bin, home, "git push https://deploy:"+secret+"@github.com/acme/api.git HEAD:main")
	s := tm.WaitFor(10*time.Second, "secrets masked", "deploy:***@", "r reveal secrets")
	if strings.Contains(s, secret) {
		t.Fatalf("the password is on screen before r:\n%s", s)
	}
	tm.Keys("r")
	s = tm.WaitFor(5*time.Second, "SECRETS SHOWN", "deploy:"+secret+"@github.com")
	if strings.Count(s, secret) != 1 {
		t.Fatalf("the password shows outside the revealed command:\n%s", s)
	}
	tm.Keys("r")
	s = tm.WaitFor(5*time.Second, "secrets masked")
	if strings.Contains(s, secret) {
		t.Fatalf("a second r did not mask the password again:\n%s", s)
	}
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) || strings.Contains(r.Stdout+r.Stderr, secret) {
		t.Fatalf("denied request: %+v", r)
	}
	tm.Keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for !tm.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("console did not quit:\n%s", tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
