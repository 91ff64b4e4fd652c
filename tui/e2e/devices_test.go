package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// run runs the binary without a terminal and returns stdout, stderr and the
// exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	r := e2e.Run(t, bin, e2e.Cmd{Args: args, Stdin: stdin})
	return r.Stdout, r.Stderr, r.Code
}

// TestRevocationTakesEffectInTheHook revokes the console's device at a
// terminal while the console runs: its approvals stop being honoured, and a
// revoked code device makes critical actions undecidable.
func TestRevocationTakesEffectInTheHook(t *testing.T) {
	home := e2e.NewHome(t, "")
	_, _ = enroll(t, home)
	tm := e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "code device enrolled")
	var reg struct{ Devices []struct{ ID, Kind string } }
	b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	_ = json.Unmarshal(b, &reg)
	ids := map[string]string{}
	for _, d := range reg.Devices {
		ids[d.Kind] = d.ID
	}
	admin := e2e.StartTerm(t, 100, 20, nil, bin, "devices", "revoke", ids["console"], "--home", home)
	admin.WaitFor(10*time.Second, "revoked "+ids["console"])
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	tm.Keys("A")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) {
		t.Fatalf("an approval by a revoked console device was honoured: %+v", r)
	}
	admin = e2e.StartTerm(t, 100, 20, nil, bin, "devices", "revoke", ids["totp"], "--home", home)
	admin.WaitFor(10*time.Second, "revoked "+ids["totp"])
	r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "kubectl --context production apply -f x.yaml"), 60*time.Second)
	if e2e.Allowed(r) || !strings.Contains(r.Stdout, "enroll totp") {
		t.Fatalf("critical action after the code device was revoked: %+v", r)
	}
	out, _, _ := run(t, "", "devices", "--home", home)
	if strings.Count(out, "revoked") != 2 {
		t.Fatalf("devices list:\n%s", out)
	}
}

// TestRotateWhileTheConsoleRuns rotates the console's key at a terminal:
// the next approval is signed by the new device and honoured, the old
// device shows as revoked, and both steps are in the ledger.
func TestRotateWhileTheConsoleRuns(t *testing.T) {
	home := e2e.NewHome(t, "")
	tm := e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	var reg struct{ Devices []struct{ ID, Kind string } }
	b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	_ = json.Unmarshal(b, &reg)
	var old string
	for _, d := range reg.Devices {
		if d.Kind == "console" {
			old = d.ID
		}
	}
	admin := e2e.StartTerm(t, 100, 20, nil, bin, "devices", "rotate", old, "--home", home)
	admin.WaitFor(10*time.Second, "rotated "+old+" -> dev_")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "./build")
	tm.Keys("A")
	r := e2e.Wait(t, ch, 60*time.Second)
	if !e2e.Allowed(r) {
		t.Fatalf("approval after rotation: %+v", r)
	}
	out, _, _ := run(t, "", "devices", "--home", home)
	if !strings.Contains(out, old) || strings.Count(out, "revoked") != 1 {
		t.Fatalf("devices after rotation:\n%s", out)
	}
	logOut, _, code := run(t, "", "log", "--home", home, "--json")
	if code != 0 || !strings.Contains(logOut, `"detail":"rotated to dev_`) || !strings.Contains(logOut, `"detail":"rotated from `+old) {
		t.Fatalf("rotation not in the ledger (%d):\n%s", code, logOut)
	}
}
