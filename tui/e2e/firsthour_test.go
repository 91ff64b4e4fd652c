package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// waitExit waits until the program in the pane has ended.
func waitExit(t *testing.T, tm *e2e.Term) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !tm.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not end:\n%s", tm.Screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// paneTitle is the terminal's window title as tmux keeps it.
func paneTitle(tm *e2e.Term) string {
	return strings.TrimSpace(tm.Tmux("display-message", "-p", "-t", "ony", "#{pane_title}"))
}

// The console sets the window title while it runs and gives the terminal
// its own title back when it ends, instead of clearing it.
func TestWindowTitleRestoredOnExit(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 80, 24, []string{"NO_COLOR=1"}, "sh", "-c",
		fmt.Sprintf(`printf '\033]2;my shell title\007'; exec %s --home %s`, bin, home))
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	deadline := time.Now().Add(5 * time.Second)
	for paneTitle(tm) != "Ony" {
		if time.Now().After(deadline) {
			t.Fatalf("the console's title is %q", paneTitle(tm))
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.Keys("q")
	waitExit(t, tm)
	if got := paneTitle(tm); got != "my shell title" {
		t.Fatalf("title after exit %q, want the terminal's own back", got)
	}
}

// The stats page shows what the engine decided, in the console that runs
// the engine and in one attached to it (the figures then come over the
// console socket), at 80x24.
func TestStatsPageInTheRealConsole(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 80, 24, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	for _, cmd := range []string{"ls -la", "cat README.md", "git status"} {
		if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, cmd), 60*time.Second); !e2e.Allowed(r) {
			t.Fatalf("%s: %+v", cmd, r)
		}
	}
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "HIGH", "./build")
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) {
		t.Fatalf("denied: %+v", r)
	}
	tm.Keys("s")
	s := tm.WaitFor(15*time.Second, "decisions per hour, last 24 h", "allowed automatically", "most held: fs.delete.recursive 1")
	for _, want := range []string{"held for a person", "  denied", "answer time median"} {
		if !strings.Contains(s, want) {
			t.Fatalf("stats page lacks %q:\n%s", want, s)
		}
	}
	attached := e2e.StartTerm(t, 80, 24, []string{"NO_COLOR=1"}, bin, "--home", home)
	attached.WaitFor(15*time.Second, "ONY", "attached")
	attached.Keys("s")
	attached.WaitFor(15*time.Second, "decisions per hour, last 24 h", "most held: fs.delete.recursive 1")
	attached.Keys("q") // closes the page, as in help
	attached.WaitFor(5*time.Second, "Pending")
	attached.Keys("q") // detaches
	waitExit(t, attached)
	tm.Keys("s")
	tm.WaitFor(5*time.Second, "Pending")
}

// The demo's header shows its current code and the seconds until the next
// one, in a 60x15 pane too.
func TestDemoHeaderCountsDown(t *testing.T) {
	tm := e2e.StartTerm(t, 60, 15, []string{"NO_COLOR=1"}, bin, "demo")
	s := tm.WaitFor(20*time.Second, "demo code", "next in")
	if strings.Contains(s, "socket") {
		t.Fatalf("a 60-column header names the socket:\n%s", s)
	}
	tm.Keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for !tm.Exited() {
		if strings.Contains(tm.Screen(), "will be denied") {
			tm.Keys("y")
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not quit:\n%s", tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// At 80x24 the whole enrolment card fits on the alternate screen, the QR
// code beside the secret and the hint for someone without a phone; when
// it ends, none of it stays on the terminal.
func TestEnrolmentCardAt80x24(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 80, 24, []string{"NO_COLOR=1"}, bin, "enroll", "totp", "--home", home)
	s := tm.WaitFor(10*time.Second, "secret (SHA1, 6 digits, 30 s):", "oathtool --totp -b SECRET", "Code now shown in the app:")
	lines := strings.Split(s, "\n")
	secretLine := ""
	for i, l := range lines {
		if strings.Contains(l, "secret (SHA1") && i+1 < len(lines) {
			next := lines[i+1]
			if !strings.ContainsAny(next, "▀▄█") {
				t.Fatalf("the secret is not beside the QR code:\n%s", s)
			}
			secretLine = strings.TrimSpace(next[strings.LastIndex(next, "  ")+2:])
		}
		if len([]rune(l)) > 80 {
			t.Fatalf("a line runs past 80 columns: %q", l)
		}
	}
	for i := 0; i < 3; i++ {
		tm.Text("000000")
		tm.Keys("Enter")
		time.Sleep(200 * time.Millisecond)
	}
	after := tm.WaitFor(10*time.Second, "enrolment aborted")
	if secretLine == "" || strings.Contains(after, secretLine[:9]) || strings.Contains(after, "oathtool") {
		t.Fatalf("the card stayed on the terminal (secret %q):\n%s", secretLine, after)
	}
}
