package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run runs the binary without a terminal and returns stdout, stderr and the
// exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestExplain(t *testing.T) {
	home := newHome(t)
	out, _, code := run(t, "", "explain", "--home", home, "git push --force origin main")
	if code != 0 || !strings.Contains(out, "git.push.force") || !strings.Contains(out, "matcher") {
		t.Fatalf("explain: %d %s", code, out)
	}
	out, _, _ = run(t, "", "explain", "--home", home, "--json", "frobnicate --now")
	var e struct{ Action, Risk string }
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Action != "unknown" || e.Risk != "critical" {
		t.Fatalf("explain --json of an unknown program: %s %v", out, err)
	}
	in := `{"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Read","tool_input":{"file_path":"/root/.ssh/id_ed25519"}}`
	out, _, _ = run(t, in, "explain", "--home", home, "--json", "--tool-json", "-")
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Risk != "critical" {
		t.Fatalf("explain --tool-json of an ssh key read: %s %v", out, err)
	}
	_, errOut, code := run(t, "", "explain", "--home", home)
	if code == 0 || !strings.Contains(errOut, "nothing to explain") {
		t.Fatalf("explain with nothing: %d %s", code, errOut)
	}
	// A broken user taxonomy stops explain (and the console) with a position.
	_ = os.MkdirAll(filepath.Join(home, "config"), 0o700)
	_ = os.WriteFile(filepath.Join(home, "config", "taxonomy.yaml"), []byte("version: 1\nactions:\n  - id: x\n    risk: extreme\n"), 0o600)
	_, errOut, code = run(t, "", "explain", "--home", home, "ls")
	if code == 0 || !strings.Contains(errOut, "taxonomy.yaml:") {
		t.Fatalf("broken taxonomy: %d %s", code, errOut)
	}
}

func TestConsoleRefusesBrokenTaxonomyAndNoTerminal(t *testing.T) {
	home := newHome(t)
	_, errOut, code := run(t, "", "--home", home)
	if code == 0 || !strings.Contains(errOut, "needs a terminal") {
		t.Fatalf("console without a terminal: %d %s", code, errOut)
	}
	_ = os.MkdirAll(filepath.Join(home, "config"), 0o700)
	_ = os.WriteFile(filepath.Join(home, "config", "taxonomy.yaml"), []byte("actions: [\n"), 0o600)
	_, errOut, code = run(t, "", "serve", "--home", home)
	if code == 0 || !strings.Contains(errOut, "taxonomy") {
		t.Fatalf("serve with a broken taxonomy: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, "run", "ony.sock")); err == nil {
		t.Fatal("a console with a broken taxonomy opened its socket")
	}
}

func TestManagementNeedsATerminal(t *testing.T) {
	home := newHome(t)
	for _, args := range [][]string{
		{"devices", "revoke", "dev_00000000"},
		{"devices", "rotate", "dev_00000000"},
		{"enroll", "totp"},
		{"unlock"},
	} {
		_, errOut, code := run(t, "123456\n", append(args, "--home", home)...)
		if code == 0 || !strings.Contains(errOut, "must be run by a person at a terminal") {
			t.Errorf("%v without a terminal: %d %s", args, code, errOut)
		}
	}
}

func TestInstallDryRunAndDoctor(t *testing.T) {
	home := newHome(t)
	userHome := newHome(t)
	env := append(os.Environ(), "HOME="+userHome)
	cmd := exec.Command(bin, "install", "claude", "--home", home, "--dry-run")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "onFailure") || !strings.Contains(string(out), "+") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(userHome, ".claude", "settings.json")); err == nil {
		t.Fatal("dry run wrote the config")
	}
	// Doctor fails while no console runs, and names what to do.
	cmd = exec.Command(bin, "doctor", "--home", home)
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "not reachable") {
		t.Fatalf("doctor without a console: %v\n%s", err, out)
	}
	cmd = exec.Command(bin, "install", "claude", "--home", home)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "installed") {
		t.Fatalf("install: %v\n%s", err, out)
	}
	srv := exec.Command(bin, "serve", "--home", home)
	srv.Env = env
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd = exec.Command(bin, "doctor", "--home", home)
		cmd.Env = env
		out, err = cmd.CombinedOutput()
		if strings.Contains(string(out), "ok    console") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"ok    console", "ok    claude", "onFailure", "ok    ledger", "ok    taxonomy"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}

// TestRevocationTakesEffectInTheHook revokes the console's device at a
// terminal while the console runs: its approvals stop being honoured, and a
// revoked code device makes critical actions undecidable.
func TestRevocationTakesEffectInTheHook(t *testing.T) {
	home := newHome(t)
	_, _ = enroll(t, home)
	tm := startTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.waitFor(15*time.Second, "ONY", "code device enrolled")
	var reg struct{ Devices []struct{ ID, Kind string } }
	b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	_ = json.Unmarshal(b, &reg)
	ids := map[string]string{}
	for _, d := range reg.Devices {
		ids[d.Kind] = d.ID
	}
	admin := startTerm(t, 100, 20, nil, bin, "devices", "revoke", ids["console"], "--home", home)
	admin.waitFor(10*time.Second, "revoked "+ids["console"])
	ch := hook(home, "rm -rf ./build")
	tm.waitFor(10*time.Second, "./build")
	tm.keys("A")
	if r := wait(t, ch); allowed(r) {
		t.Fatalf("an approval by a revoked console device was honoured: %+v", r)
	}
	admin = startTerm(t, 100, 20, nil, bin, "devices", "revoke", ids["totp"], "--home", home)
	admin.waitFor(10*time.Second, "revoked "+ids["totp"])
	r := wait(t, hook(home, "kubectl --context production apply -f x.yaml"))
	if allowed(r) || !strings.Contains(r.stdout, "enroll totp") {
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
	home := newHome(t)
	tm := startTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.waitFor(15*time.Second, "ONY", "kill switch off")
	var reg struct{ Devices []struct{ ID, Kind string } }
	b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	_ = json.Unmarshal(b, &reg)
	var old string
	for _, d := range reg.Devices {
		if d.Kind == "console" {
			old = d.ID
		}
	}
	admin := startTerm(t, 100, 20, nil, bin, "devices", "rotate", old, "--home", home)
	admin.waitFor(10*time.Second, "rotated "+old+" -> dev_")
	ch := hook(home, "rm -rf ./build")
	tm.waitFor(10*time.Second, "./build")
	tm.keys("A")
	r := wait(t, ch)
	if !allowed(r) {
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
