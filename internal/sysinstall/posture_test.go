package sysinstall_test

import (
	"bufio"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// bin is the real ony-tui binary, built once.
var bin string

func TestMain(m *testing.M) { e2e.Main(m, &bin, e2e.Tmux) }

// posture is a system install below a fake root, with its users.
type posture struct {
	t          *testing.T
	root       string
	owner      e2e.User
	engineName string
	groupName  string
	engine     e2e.User
	hookGID    int
	sysBin     string // the root-owned copy
	hookArgv   []string
	secret     []byte // the enrolled TOTP secret
	lastStep   uint64 // the last time step a code was used for
}

func (p *posture) path(rel string) string { return filepath.Join(p.root, rel) }

// run runs the real binary as root and fails the test unless it exits 0.
func (p *posture) run(args ...string) e2e.Result {
	p.t.Helper()
	r := e2e.Run(p.t, bin, e2e.Cmd{Args: args, Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=/root"}})
	if r.Code != 0 {
		p.t.Fatalf("ony-tui %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// asOwner runs a program as the owner, in the hook group (as their login
// has it once install added them).
func (p *posture) asOwner(stdin string, argv ...string) e2e.Result {
	p.t.Helper()
	return e2e.Run(p.t, argv[0], e2e.Cmd{Args: argv[1:], Stdin: stdin, As: p.owner.As(p.hookGID),
		Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.owner.Home}})
}

// hook runs the hook exactly as Claude Code would from the managed file,
// as the owner.
func (p *posture) hook(command string) e2e.Result {
	p.t.Helper()
	return p.asOwner(e2e.ClaudeBash(p.owner.Home, command), p.hookArgv...)
}

func (p *posture) hookAsync(command string) <-chan e2e.Result {
	ch := make(chan e2e.Result, 1)
	go func() { ch <- p.hook(command) }()
	return ch
}

// code is a valid 6-digit code for a step after the last one used (codes
// are single use): the current step's, or the next one's, which is also
// accepted; it waits when even that was used (by the enrolment).
func (p *posture) code() string {
	p.t.Helper()
	for totp.Step(time.Now())+1 <= p.lastStep {
		time.Sleep(200 * time.Millisecond)
	}
	now := time.Now()
	at := now
	if totp.Step(now) <= p.lastStep {
		at = now.Add(totp.Period)
	}
	p.lastStep = totp.Step(at)
	c, err := totp.Code(p.secret, at)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// TestSystemPosture is the hardened posture end to end, with real users:
// `install --system service` into a fake root creates the engine's user
// and the hook group; `install --system claude` writes the managed hook;
// the engine runs as its user; a process of the owner's user cannot read
// the keys, the TOTP secret or the ledger, but the real hook, run as the
// owner from the managed file's command line, gets a verified ECDSA
// verdict; a held request waits and is denied at its deadline; a fake
// engine of the owner's is refused; at the owner's console, attached over
// the console socket, a keypress alone does not approve; and uninstall
// takes it all away but the ledger.
func TestSystemPosture(t *testing.T) {
	e2e.RequireRoot(t)
	p := &posture{t: t, engineName: e2e.UniqueName("eng"), groupName: e2e.UniqueName("hook")}
	t.Cleanup(func() { e2e.DeleteAccounts(p.engineName, p.groupName) })
	root, err := os.MkdirTemp("", "onysys")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	p.root = root
	p.owner = e2e.AddUser(t, "own")

	r := p.run("install", "--system", "service", "--root", root, "--owner", p.owner.Name,
		"--engine-user", p.engineName, "--hook-group", p.groupName)
	for _, want := range []string{"create the engine's user", "create the hook group", "add " + p.owner.Name + " to the hook group",
		"User=" + p.engineName, "serve --system --owner", "runuser -u " + p.engineName} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("install output does not say %q:\n%s", want, r.Stdout)
		}
	}
	p.engine = e2e.LookupUser(t, p.engineName)
	p.hookGID = e2e.LookupGID(t, p.groupName)
	p.sysBin = p.path("usr/local/lib/ony/ony-tui")
	checkModes(t, p)
	e2e.WriteFile(t, p.path("etc/ony/config.yaml"), "deadline: 5s\nhook_deadline: 20s\n")
	_ = os.Chmod(p.path("etc/ony/config.yaml"), 0o644)
	_ = os.Chmod(p.path("etc/ony"), 0o755)

	r = p.run("install", "--system", "claude", "--root", root)
	if !strings.Contains(r.Stdout, "allowManagedHooksOnly") && !strings.Contains(r.Stdout, "writable by root only") {
		t.Fatalf("claude install output:\n%s", r.Stdout)
	}
	p.hookArgv = managedHook(t, p.path("etc/claude-code/managed-settings.json"))
	if p.hookArgv[0] != p.sysBin || !strings.Contains(strings.Join(p.hookArgv, " "), "--system --root "+root) {
		t.Fatalf("the managed hook runs %v", p.hookArgv)
	}

	t.Run("enrol", func(t *testing.T) { p.t = t; enrolTOTP(p) })
	srv := startEngine(p)
	t.Run("owner cannot read the secrets", func(t *testing.T) { p.t = t; ownerCannotRead(p) })
	t.Run("hook verifies ECDSA verdicts", func(t *testing.T) {
		p.t = t
		res := p.hook("ls -la")
		if d := e2e.Decision(t, "claude", res); d != "allow" {
			t.Fatalf("auto-allow through the system engine: %s\n%s\n%s", d, res.Stdout, res.Stderr)
		}
		devs := registry(t, p)
		for _, d := range devs {
			if d.Alg != "" && d.Alg != "ecdsa-p256-sha256" {
				t.Fatalf("a device signs with %s in a system install", d.Alg)
			}
		}
		start := time.Now()
		res = p.hook("git push origin main")
		if d := e2e.Decision(t, "claude", res); d != "deny" || !strings.Contains(res.Stdout, "timed out") {
			t.Fatalf("a held request nobody approves: %s %s", d, res.Stdout)
		}
		if el := time.Since(start); el < 3*time.Second {
			t.Fatalf("the held request was answered after %s, before its deadline", el)
		}
	})
	t.Run("doctor", func(t *testing.T) {
		p.t = t
		res := p.asOwner("", p.sysBin, "doctor", "--system", "--root", root)
		t.Log(res.Stdout)
		for _, want := range []string{
			"ok    posture    binary " + p.sysBin + ": root's; you cannot change or replace it",
			"ok    posture    hook claude " + p.path("etc/claude-code/managed-settings.json") + ": root's",
			"ok    posture    engine " + p.path("var/lib/ony") + ": runs as " + p.engineName,
			"ok    posture    secrets " + p.path("var/lib/ony/keys") + ": you cannot read it",
			"ok    posture    system install: the agent's user can neither unhook Ony",
			"ok    console    reachable",
			"ok    claude     managed hook in",
		} {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("doctor --system as the owner does not say %q:\n%s", want, res.Stdout)
			}
		}
	})
	t.Run("root's engine only", func(t *testing.T) {
		p.t = t
		// The engine must run as its own user: as root it refuses.
		res := e2e.Run(t, p.sysBin, e2e.Cmd{Args: []string{"serve", "--system", "--root", root, "--owner", p.owner.Name}})
		if res.Code == 0 || !strings.Contains(res.Stderr, "never as root") && !strings.Contains(res.Stderr, "already running") {
			t.Fatalf("serve --system as root: %d %s", res.Code, res.Stderr)
		}
	})
	srv.stop()
	t.Run("keypad alone refused at the console", func(t *testing.T) { p.t = t; consoleNeedsAFactor(p) })
	t.Run("fake engine refused", func(t *testing.T) { p.t = t; fakeEngineRefused(p) })
	p.t = t

	r = p.run("uninstall", "--system", "claude", "--root", root)
	if _, err := os.Stat(p.path("etc/claude-code/managed-settings.json")); !os.IsNotExist(err) {
		t.Fatalf("the managed settings install created are still there: %v\n%s", err, r.Stdout)
	}
	r = p.run("uninstall", "--system", "service", "--root", root)
	for _, gone := range []string{"usr/local/lib/ony", "etc/systemd/system/ony.service", "run/ony", "etc/ony/system-install.json"} {
		if _, err := os.Stat(p.path(gone)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after uninstall (%v)", gone, err)
		}
	}
	if _, err := os.Stat(p.path("var/lib/ony/ledger.db")); err != nil {
		t.Fatalf("the ledger went with uninstall: %v", err)
	}
	for _, want := range []string{"Kept:", "ledger", "never deleted silently", "userdel " + p.engineName, "etc/ony (not empty)"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("uninstall output does not say %q:\n%s", want, r.Stdout)
		}
	}
	if inGroup(t, p.owner.Name, p.groupName) {
		t.Error("the owner is still in the hook group install added them to")
	}
}

// checkModes checks the owners and modes install gave the directories.
func checkModes(t *testing.T, p *posture) {
	t.Helper()
	for _, c := range []struct {
		rel      string
		uid, gid int
		mode     os.FileMode
	}{
		{"usr/local/lib/ony/ony-tui", 0, 0, 0o755},
		{"etc/ony", 0, 0, 0o755},
		{"var/lib/ony", p.engine.UID, p.hookGID, 0o710},
		{"run/ony", p.engine.UID, p.hookGID, 0o710},
		{"etc/systemd/system/ony.service", 0, 0, 0o644},
		{"etc/ony/system-install.json", 0, 0, 0o644},
	} {
		fi, err := os.Lstat(p.path(c.rel))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != c.uid || int(st.Gid) != c.gid || fi.Mode().Perm() != c.mode {
			t.Errorf("%s: %d:%d %04o, want %d:%d %04o", c.rel, st.Uid, st.Gid, fi.Mode().Perm(), c.uid, c.gid, c.mode)
		}
	}
}

// managedHook reads the command line of Ony's PreToolUse entry from Claude
// Code's managed settings.
func managedHook(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		AllowManagedHooksOnly bool `json:"allowManagedHooksOnly"`
		Hooks                 map[string][]struct {
			Hooks []struct {
				Command string   `json:"command"`
				Args    []string `json:"args"`
			} `json:"hooks"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if !s.AllowManagedHooksOnly || len(s.Hooks["PreToolUse"]) != 1 {
		t.Fatalf("managed settings:\n%s", b)
	}
	h := s.Hooks["PreToolUse"][0].Hooks[0]
	return append([]string{h.Command}, h.Args...)
}

// asEngine is the argv prefix that runs a program as the engine's user
// with its groups, as `sudo -u` would.
func (p *posture) asEngine(argv ...string) []string {
	return append([]string{"setpriv", fmt.Sprintf("--reuid=%d", p.engine.UID), fmt.Sprintf("--regid=%d", p.engine.GID), "--init-groups", "--"}, argv...)
}

// enrolTOTP enrols the code the way the owner would: `enroll totp --system`
// as the engine's user, in a terminal, reading the secret off the screen
// and typing two consecutive codes.
func enrolTOTP(p *posture) {
	t := p.t
	term := e2e.StartTerm(t, 120, 60, []string{"NO_COLOR=1", "HOME=" + p.root},
		p.asEngine(p.sysBin, "enroll", "totp", "--system", "--root", p.root, "--label", "e2e")...)
	screen := term.WaitFor(20*time.Second, "secret", "Code now shown")
	// The secret in blocks of four, wherever the card lays it out.
	m := regexp.MustCompile(`\b([A-Z2-7]{4}(?: [A-Z2-7]{4}){7})\b`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no secret on the screen:\n%s", screen)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	p.secret = secret
	now := time.Now()
	first, _ := totp.Code(secret, now)
	second, _ := totp.Code(secret, now.Add(totp.Period))
	term.Text(first)
	term.Keys("Enter")
	term.WaitFor(10*time.Second, "Next code")
	term.Text(second)
	term.Keys("Enter")
	term.WaitFor(10*time.Second, "Enrolled dev_")
	p.lastStep = totp.Step(now.Add(totp.Period))
	fi, err := os.Stat(p.path("var/lib/ony/keys"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != uint32(p.engine.UID) || fi.Mode().Perm() != 0o700 {
		t.Fatalf("keys directory after enrolment: %v %v", fi, err)
	}
}

// engineProc is `serve --system` running as the engine's user.
type engineProc struct {
	cmd  *exec.Cmd
	out  *lockedBuf
	done chan struct{}
}

func startEngine(p *posture) *engineProc {
	t := p.t
	t.Helper()
	e := &engineProc{out: &lockedBuf{}, done: make(chan struct{})}
	e.cmd = exec.Command(p.sysBin, "serve", "--system", "--root", p.root, "--owner", fmt.Sprint(p.owner.UID))
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.engine.As(p.hookGID)}
	e.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.path("var/lib/ony")}
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	t.Cleanup(e.stop)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(e.out.String(), "serving on") {
		select {
		case <-e.done:
			t.Fatalf("serve --system exited: %s", e.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve --system never started: %s", e.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return e
}

func (e *engineProc) stop() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// ownerCannotRead tries, as the owner's user, to read each secret of the
// engine by every path it could name, and reads the public registry as
// the control that the attempts themselves work.
func ownerCannotRead(p *posture) {
	t := p.t
	state := p.path("var/lib/ony")
	var keyFiles []string
	entries, err := os.ReadDir(filepath.Join(state, "keys"))
	if err != nil || len(entries) < 4 {
		t.Fatalf("keys: %v %v", entries, err)
	}
	for _, e := range entries {
		keyFiles = append(keyFiles, filepath.Join(state, "keys", e.Name()))
	}
	var totpKey string
	for _, d := range registry(t, p) {
		if d.Kind == "totp" {
			totpKey = filepath.Join(state, "keys", d.ID+".key")
		}
	}
	if totpKey == "" {
		t.Fatal("no TOTP device in the registry")
	}
	for _, f := range append([]string{filepath.Join(state, "ledger.db"), filepath.Join(state, "ledger.db-wal"), totpKey}, keyFiles...) {
		if _, err := os.Stat(f); err != nil {
			continue // -wal may be checkpointed away
		}
		if r := p.asOwner("", "/bin/cat", f); r.Code == 0 || !strings.Contains(r.Stderr, "Permission denied") {
			t.Errorf("the owner's user read %s: exit %d %s", f, r.Code, r.Stderr)
		}
	}
	for _, d := range []string{state, filepath.Join(state, "keys"), filepath.Join(state, "checkpoints")} {
		if r := p.asOwner("", "/bin/ls", d); r.Code == 0 {
			t.Errorf("the owner's user listed %s: %s", d, r.Stdout)
		}
	}
	if fi, err := os.Stat(filepath.Join(state, "ledger.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode: %v %v", fi, err)
	}
	// The control: the public registry is readable, and holds no secret.
	r := p.asOwner("", "/bin/cat", filepath.Join(state, "devices.json"))
	if r.Code != 0 || !strings.Contains(r.Stdout, "ecdsa-p256-sha256") || strings.Contains(r.Stdout, "hmac") {
		t.Fatalf("the owner's user cannot read the public registry: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// Nor can it write the policy, the binary or the managed hook.
	for _, f := range []string{p.sysBin, p.path("etc/ony/config.yaml"), p.path("etc/claude-code/managed-settings.json")} {
		if r := p.asOwner("", "/bin/sh", "-c", "echo x >> "+f); r.Code == 0 {
			t.Errorf("the owner's user wrote %s", f)
		}
	}
}

type device struct {
	ID, Kind, Alg string
}

// registry reads the devices (as root).
func registry(t *testing.T, p *posture) []device {
	t.Helper()
	b, err := os.ReadFile(p.path("var/lib/ony/devices.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Devices []device }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Devices
}

// fakeEngineRefused: a listener of the owner's user, put on the engine's
// socket path (by root: the owner cannot write there), is refused by the
// hook, whether the socket file is the owner's or looks like the engine's;
// the fake never receives the request.
func fakeEngineRefused(p *posture) {
	t := p.t
	exe := filepath.Join(p.owner.Home, "fake.test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(p.owner.Home, "fake.sock")
	cmd := exec.Command(exe, "-test.run=^TestFakeEngine$")
	cmd.Env = []string{envFake + "=" + sock, e2e.EnvChild + "=1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.owner.As(p.hookGID)}
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "ready"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the fake engine never started: %s", out.String())
		}
	}
	target := p.path("run/ony/ony.sock")
	if err := os.Rename(sock, target); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(target)
	if d := e2e.Decision(t, "claude", p.hook("ls -la")); d != "deny" {
		t.Fatalf("a socket of the owner's user on the engine's path: %s", d)
	}
	// Make the socket file look like the engine's, and let the hook connect:
	// only the process behind it (SO_PEERCRED) is left to give it away.
	if err := os.Lchown(target, p.engine.UID, p.hookGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o666); err != nil {
		t.Fatal(err)
	}
	if d := e2e.Decision(t, "claude", p.hook("ls -la")); d != "deny" {
		t.Fatalf("a process of the owner's user behind a socket file that looks right: %s", d)
	}
	log, _ := os.ReadFile(filepath.Join(p.owner.Home, ".local/state/ony/hook.log"))
	if !strings.Contains(string(log), fmt.Sprintf("runs as uid %d", p.owner.UID)) {
		t.Errorf("the hook log does not name the fake engine's uid:\n%s", log)
	}
	time.Sleep(200 * time.Millisecond)
	if got := out.String(); strings.Contains(got, "GOT ") && !strings.Contains(got, "GOT 0") {
		t.Fatalf("the hook sent its request to the fake engine: %s", got)
	}
}

const envFake = "ONY_TEST_FAKE_ENGINE"

// TestFakeEngine is the owner's fake engine of fakeEngineRefused: it
// accepts connections and reports how many bytes each sent.
func TestFakeEngine(t *testing.T) {
	path := os.Getenv(envFake)
	if path == "" {
		t.Skip("helper process only")
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _ := bufio.NewReader(c).Read(make([]byte, 4096))
		fmt.Printf("GOT %d\n", n)
		c.Close()
	}
}

// consoleNeedsAFactor attaches the owner's console to the engine (the
// service, as its own user) over the console socket, and shows that a
// keypress alone does not approve: the console says why and asks for the
// code; the code approves.
func consoleNeedsAFactor(p *posture) {
	t := p.t
	// Time for a person (and a busy test machine) to answer: a longer
	// deadline, the engine restarted to read it, and the managed hook
	// installed again to match it.
	e2e.WriteFile(t, p.path("etc/ony/config.yaml"), "deadline: 2m\nhook_deadline: 3m\n")
	_ = os.Chmod(p.path("etc/ony/config.yaml"), 0o644)
	p.run("install", "--system", "claude", "--root", p.root)
	p.hookArgv = managedHook(t, p.path("etc/claude-code/managed-settings.json"))
	srv := startEngine(p)
	defer srv.stop()
	term := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1", "HOME=" + p.owner.Home},
		"setpriv", fmt.Sprintf("--reuid=%d", p.owner.UID), fmt.Sprintf("--regid=%d", p.owner.GID), "--init-groups", "--",
		p.sysBin, "--system", "--root", p.root)
	term.WaitFor(20*time.Second, "No request is waiting")
	ch := p.hookAsync("git push origin main")
	term.WaitFor(15*time.Second, "HIGH", "origin main")
	term.Keys("A")
	term.WaitFor(5*time.Second, "a keypress alone cannot approve")
	code := p.code()
	select {
	case r := <-ch:
		t.Fatalf("a keypress alone decided the request: %s", r.Stdout)
	default:
	}
	term.Text(code)
	term.Keys("Enter")
	select {
	case r := <-ch:
		if d := e2e.Decision(t, "claude", r); d != "allow" {
			t.Fatalf("approved with the code: %s", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the code did not approve:\n%s", term.Screen())
	}
	// The hook has its verdict before the console has the engine's reply;
	// a q typed while the code dialog is still open goes to the dialog.
	term.WaitFor(10*time.Second, "approved ✓")
	term.Keys("q")
	for deadline := time.Now().Add(10 * time.Second); !term.Exited(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not quit:\n%s", term.Screen())
		}
	}
}

func inGroup(t *testing.T, userName, group string) bool {
	out, err := exec.Command("id", "-nG", userName).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range strings.Fields(string(out)) {
		if g == group {
			return true
		}
	}
	return false
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
