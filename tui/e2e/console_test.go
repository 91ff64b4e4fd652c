package e2e

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// enroll runs `ony-tui enroll totp` in tmux like a person: it reads the
// secret off the screen, as an authenticator app would from the QR code's
// URI, and types two consecutive codes. It returns the secret and the last
// step the enrolment used.
func enroll(t *testing.T, home string) ([]byte, uint64) {
	t.Helper()
	tm := e2e.StartTerm(t, 120, 50, nil, bin, "enroll", "totp", "--home", home, "--label", "e2e")
	s := tm.WaitFor(10*time.Second, "Scan the QR code", "uri:", "secret (SHA1", "oathtool --totp -b SECRET", "Code now shown in the app:")
	if !strings.Contains(s, "▀") && !strings.Contains(s, "█") {
		t.Fatalf("no QR code on screen:\n%s", s)
	}
	m := regexp.MustCompile(`uri:\s+(otpauth://\S+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no otpauth URI on screen:\n%s", s)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil || len(secret) != 20 {
		t.Fatalf("secret %q: %v", u.Query().Get("secret"), err)
	}
	// Two consecutive codes: the previous step's and the current one (the
	// verifier accepts one step of skew). Keep clear of a step boundary.
	now := awayFromBoundary()
	first, _ := totp.Code(secret, now.Add(-totp.Period))
	second, _ := totp.Code(secret, now)
	tm.Text(first)
	tm.Keys("Enter")
	tm.WaitFor(10*time.Second, "Next code")
	tm.Text(second)
	tm.Keys("Enter")
	after := tm.WaitFor(10*time.Second, "Enrolled dev_")
	// The secret was on the alternate screen: it is not left on the
	// terminal, nor in its scrollback.
	plain := u.Query().Get("secret")
	if strings.Contains(after, plain[:8]) || strings.Contains(after, plain[:4]+" "+plain[4:8]) || strings.Contains(after, "otpauth://") {
		t.Fatalf("the secret stayed on the terminal:\n%s", after)
	}
	// The secret is stored 0600 and nowhere else in the clear.
	var reg struct {
		Devices []struct {
			ID, Kind string
		}
	}
	b, err := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &reg); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range reg.Devices {
		if d.Kind != "totp" {
			continue
		}
		found = true
		fi, err := os.Stat(filepath.Join(home, "state", "keys", d.ID+".key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("totp secret file: %v %v", fi, err)
		}
	}
	if !found {
		t.Fatal("no totp device registered")
	}
	if strings.Contains(string(b), u.Query().Get("secret")) {
		t.Fatal("the registry holds the secret")
	}
	return secret, totp.Step(now)
}

// awayFromBoundary waits, if needed, so that the next few seconds stay in
// one TOTP step.
func awayFromBoundary() time.Time {
	now := time.Now()
	if into := now.Sub(now.Truncate(totp.Period)); into > totp.Period-5*time.Second {
		time.Sleep(totp.Period - into + 500*time.Millisecond)
	}
	return time.Now()
}

func TestEnrolmentRefusesWrongCodes(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 120, 50, nil, bin, "enroll", "totp", "--home", home)
	tm.WaitFor(10*time.Second, "Code now shown in the app:")
	for i := 0; i < 3; i++ {
		tm.Text("000000")
		tm.Keys("Enter")
		time.Sleep(200 * time.Millisecond)
	}
	tm.WaitFor(10*time.Second, "nothing was stored")
	if _, err := os.Stat(filepath.Join(home, "state", "devices.json")); err == nil {
		b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
		if strings.Contains(string(b), `"totp"`) {
			t.Fatal("a failed enrolment stored a totp device")
		}
	}
}

// TestConsoleEndToEnd is the whole product in a terminal: real hooks ask, a
// person approves, denies, approves a critical action with a code, pulls
// the kill switch, and watches a tampered ledger break at the right entry.
func TestConsoleEndToEnd(t *testing.T) {
	home := e2e.NewHome(t, "")
	secret, enrolStep := enroll(t, home)

	tm := e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "code device enrolled", "kill switch off")

	// A low-risk call passes without anyone.
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "ls -la"), 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("ls: %+v", r)
	}

	// Approve a high-risk call with A.
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "HIGH", "./build")
	tm.Keys("Enter") // never approves
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-ch:
		t.Fatalf("Enter decided the request: %+v", r)
	default:
	}
	tm.Keys("A")
	if r := e2e.Wait(t, ch, 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("approved request: %+v", r)
	}

	// Deny one with D.
	ch = e2e.HookAsync(t, bin, home, "git reset --hard HEAD~3")
	tm.WaitFor(10*time.Second, "HEAD~3")
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) || !strings.Contains(r.Stdout, "denied by owner") {
		t.Fatalf("denied request: %+v", r)
	}

	// Approve a critical one: A opens the code input; a wrong code is
	// refused; the right one approves.
	ch = e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml")
	tm.WaitFor(10*time.Second, "CRIT", "production")
	tm.Keys("A")
	tm.WaitFor(5*time.Second, "code")
	tm.Text("000000")
	tm.Keys("Enter")
	tm.WaitFor(5*time.Second, "wrong code")
	step := totp.Step(time.Now())
	if step <= enrolStep {
		step = enrolStep + 1 // one step ahead is within the skew
	}
	code, _ := totp.Code(secret, time.Unix(int64(step)*30, 0))
	tm.Keys("C-u")
	tm.Text(code)
	tm.Keys("Enter")
	r := e2e.Wait(t, ch, 60*time.Second)
	if !e2e.Allowed(r) {
		t.Fatalf("critical request with a valid code: %+v\n%s", r, tm.Screen())
	}

	// The kill switch denies everything, even a low-risk call, until released.
	tm.Keys("K")
	tm.WaitFor(5*time.Second, "KILL SWITCH ENGAGED")
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "ls"), 60*time.Second); e2e.Allowed(r) || !strings.Contains(r.Stdout, "kill switch") {
		t.Fatalf("ls with the kill switch engaged: %+v", r)
	}
	tm.Keys("K")
	tm.WaitFor(5*time.Second, "y")
	tm.Keys("y")
	tm.WaitFor(5*time.Second, "kill switch off")
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "ls"), 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("ls after release: %+v", r)
	}

	// Tamper with the ledger underneath the running console: the live view
	// shows the break at that entry, and a full re-verify reports it.
	screen := tm.WaitFor(5*time.Second, "#00")
	target := lastSeqShown(t, screen) - 2
	tamper(t, filepath.Join(home, "state", "ledger.db"), target)
	want := fmt.Sprintf("#%04d", target)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := tm.Screen()
		if line := lineWith(s, want); strings.Contains(line, "✗") || strings.Contains(strings.ToLower(line), "break") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("break at %s never shown:\n%s", want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.Keys("v")
	tm.WaitFor(15*time.Second, "re-verification", "BROKEN at "+want)

	// Quit; the verify CLI agrees the ledger was tampered with.
	tm.Keys("q")
	deadline = time.Now().Add(10 * time.Second)
	for !tm.Exited() {
		if s := tm.Screen(); strings.Contains(s, "will be denied") {
			tm.Keys("y")
		}
		if time.Now().After(deadline) {
			t.Fatalf("console did not quit:\n%s", tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := exec.Command(bin, "verify", "--home", home).CombinedOutput()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), fmt.Sprintf("entry %d", target)) {
		t.Fatalf("verify after tampering: %v\n%s", err, out)
	}
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}

// lastSeqShown is the highest entry number in the ledger panel.
func lastSeqShown(t *testing.T, screen string) uint64 {
	t.Helper()
	var max uint64
	for _, m := range regexp.MustCompile(`#(\d{4,})`).FindAllStringSubmatch(screen, -1) {
		var n uint64
		fmt.Sscan(m[1], &n)
		if n > max {
			max = n
		}
	}
	if max < 3 {
		t.Fatalf("ledger panel shows too few entries:\n%s", screen)
	}
	return max
}

func lineWith(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// tamper flips one byte near the end of an entry's stored record, as an
// insider editing the SQLite file would.
func tamper(t *testing.T, path string, seq uint64) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var rec []byte
	if err := db.QueryRowContext(ctx, "SELECT rec FROM entries WHERE seq = ?", seq).Scan(&rec); err != nil {
		t.Fatal(err)
	}
	rec[len(rec)-1] ^= 0x01
	if _, err := db.ExecContext(ctx, "UPDATE entries SET rec = ? WHERE seq = ?", rec, seq); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleSizes(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 80, 24, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "Pending")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	s := tm.WaitFor(10*time.Second, "./build", "A approve")
	for _, l := range strings.Split(s, "\n") {
		if len([]rune(l)) > 80 {
			t.Fatalf("line wider than 80 cells: %q", l)
		}
	}
	tm.Tmux("resize-window", "-t", "ony", "-x", "40", "-y", "10")
	tm.WaitFor(5*time.Second, "too small")
	tm.Tmux("resize-window", "-t", "ony", "-x", "80", "-y", "24")
	tm.WaitFor(5*time.Second, "./build")
	tm.Keys("D")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) {
		t.Fatalf("denied: %+v", r)
	}
}
