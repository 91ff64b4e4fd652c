package e2e

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// History that vanishes (docs/LEDGER-FORMAT.md §6): what the real binary
// does when the ledger is deleted, damaged or replaced behind its back.

// startedHome returns a home whose engine ran once: keys, a device
// registry, a ledger with entries and its checkpoints.
func startedHome(t *testing.T) string {
	t.Helper()
	home := e2e.NewHome(t, "")
	e2e.StartServe(t, bin, home).Stop()
	return home
}

func removeLedgerFiles(t *testing.T, home string, checkpoints bool) {
	t.Helper()
	db := filepath.Join(home, "state", "ledger.db")
	for _, s := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(db + s)
	}
	if checkpoints {
		if err := os.RemoveAll(filepath.Join(home, "state", "checkpoints")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServeRefusesASilentNewChain: the cheapest ways to get a fresh chain
// in place of the history all stop the engine, which says what to do; the
// socket never opens, so every hook denies; verify calls it tampering.
func TestServeRefusesASilentNewChain(t *testing.T) {
	for name, attack := range map[string]func(t *testing.T, home string){
		"ledger deleted":                 func(t *testing.T, home string) { removeLedgerFiles(t, home, false) },
		"ledger and checkpoints deleted": func(t *testing.T, home string) { removeLedgerFiles(t, home, true) },
		"ledger truncated to 0 bytes, checkpoints deleted": func(t *testing.T, home string) {
			removeLedgerFiles(t, home, true)
			_ = os.WriteFile(filepath.Join(home, "state", "ledger.db"), nil, 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			home := startedHome(t)
			attack(t, home)
			_, errOut, code := run(t, "", "serve", "--home", home)
			if code == 0 || !strings.Contains(errOut, "ony-tui: error: audit ledger: ledger:") || !strings.Contains(errOut, "serve --new-chain") {
				t.Fatalf("serve: exit %d\n%s", code, errOut)
			}
			if _, err := os.Stat(filepath.Join(home, "run", "ony.sock")); err == nil {
				t.Fatal("the engine opened its socket")
			}
			if _, err := os.Stat(filepath.Join(home, "state", "ledger.db")); err == nil && !strings.Contains(name, "0 bytes") {
				t.Fatal("serve created a ledger file although it refused")
			}
			if r := e2e.Hook(t, bin, home, "claude", e2e.ClaudeBash(home, "ls")); e2e.Allowed(r) {
				t.Fatalf("a hook was allowed: %+v", r)
			}
			_, errOut, code = run(t, "", "verify", "--home", home)
			if code != 1 || !strings.Contains(errOut, "ledger tampered: the ledger file") || strings.Contains(errOut, "--db PATH") {
				t.Fatalf("verify: exit %d\n%s", code, errOut)
			}
			// Without a terminal, --new-chain is refused.
			_, errOut, code = run(t, "start a new chain\n", "serve", "--home", home, "--new-chain")
			if code == 0 || !strings.Contains(errOut, "confirmed by a person at a terminal") {
				t.Fatalf("serve --new-chain without a terminal: exit %d\n%s", code, errOut)
			}
		})
	}
}

// TestNewChainAtATerminal: a wrong confirmation changes nothing; the typed
// phrase archives the old files and starts a chain whose first entry names
// the previous signed head.
func TestNewChainAtATerminal(t *testing.T) {
	home := startedHome(t)
	oldOut, _, _ := run(t, "", "verify", "--home", home, "--json")
	var old struct {
		Checkpoint struct{ Latest struct{ Size uint64 } }
		Head       struct{ Hash string }
	}
	if err := json.Unmarshal([]byte(oldOut), &old); err != nil || old.Checkpoint.Latest.Size == 0 {
		t.Fatalf("verify before: %v %s", err, oldOut)
	}
	removeLedgerFiles(t, home, false)

	tm := e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "serve", "--home", home, "--new-chain")
	tm.WaitFor(10*time.Second, `Type "start a new chain"`, "last signed head:", "nothing is deleted")
	tm.Text("yes")
	tm.Keys("Enter")
	tm.WaitFor(10*time.Second, "no new chain started")
	if _, err := os.Stat(filepath.Join(home, "state", "archive")); err == nil {
		t.Fatal("an unconfirmed new chain moved files")
	}

	tm = e2e.StartTerm(t, 100, 30, []string{"NO_COLOR=1"}, bin, "--home", home, "--new-chain")
	tm.WaitFor(10*time.Second, `Type "start a new chain"`)
	tm.Text("start a new chain")
	tm.Keys("Enter")
	tm.WaitFor(15*time.Second, "ONY", "chain-started")
	tm.Keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for !tm.Exited() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	out, errOut, code := run(t, "", "log", "--home", home, "--json", "--limit", "100")
	if code != 0 {
		t.Fatalf("log: %d %s", code, errOut)
	}
	var first struct {
		Seq    uint64
		Kind   string
		Detail string
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Seq != 1 || first.Kind != "chain-started" || !strings.Contains(first.Detail, "head "+old.Head.Hash) ||
		!strings.Contains(first.Detail, "at /dev/pts/") {
		t.Fatalf("first entry of the new chain: %+v", first)
	}
	if _, _, code := run(t, "", "verify", "--home", home); code != 0 {
		t.Fatalf("verify of the new chain: exit %d", code)
	}
	archived, _ := filepath.Glob(filepath.Join(home, "state", "archive", "*", "checkpoints", "checkpoint"))
	if len(archived) != 1 {
		t.Fatalf("archived checkpoints: %v", archived)
	}
}

// TestDamagedLedgerSaysWhatToDo: a ledger cut short is refused, saying what
// the file holds and the recovery steps, by serve and by the console.
func TestDamagedLedgerSaysWhatToDo(t *testing.T) {
	home := startedHome(t)
	db := filepath.Join(home, "state", "ledger.db")
	// Fold the WAL in, then cut the file in the middle of a page.
	if c, err := sql.Open("sqlite3", "file:"+db); err == nil {
		_, _ = c.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		c.Close()
	}
	if err := os.Truncate(db, 6000); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "serve", "--home", home)
	for _, want := range []string{"6000 bytes", "cut short", "ony-tui: hint: keep what is there", "ony-tui: hint: restore " + db, "serve --new-chain"} {
		if code == 0 || !strings.Contains(errOut, want) {
			t.Fatalf("serve: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	tm := e2e.StartTerm(t, 120, 30, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(10*time.Second, "cut short", "hint: keep what is there", "serve --new-chain")
	_, errOut, code = run(t, "", "verify", "--home", home)
	if code != 1 || !strings.Contains(errOut, "cut short") || !strings.Contains(errOut, "hint: restore") {
		t.Fatalf("verify: exit %d\n%s", code, errOut)
	}
}

// TestUnwritableHome: serve and doctor say which directory cannot be
// written and how to choose another home.
func TestUnwritableHome(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "bin", "ony-tui")
	_ = os.Mkdir(filepath.Dir(exe), 0o755)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	enginetest.OpenUp(exe)
	locked := filepath.Join(dir, "root-owned")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(locked, "ony")
	asNobody := func(args ...string) (string, int) {
		cmd := exec.Command(exe, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := asNobody("serve", "--home", home)
	if code == 0 || !strings.Contains(out, "cannot create "+home) || !strings.Contains(out, locked+" is not writable") ||
		!strings.Contains(out, "ony-tui: hint: choose a home you can write with --home DIR") {
		t.Fatalf("serve: exit %d\n%s", code, out)
	}
	out, code = asNobody("doctor", "--home", home)
	if code != 1 || !strings.Contains(out, "FAIL  files") || !strings.Contains(out, "cannot be created") || !strings.Contains(out, "--home DIR") {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
}

// TestConsoleShowsABreakBeforeTheCheckpoint: the console opens at once from
// the signed checkpoint; the background check finds an entry edited before
// it and says so loudly, and serve prints it. The ledger then cannot say
// whether touch was ever required, so the kill switch is engaged.
func TestConsoleShowsABreakBeforeTheCheckpoint(t *testing.T) {
	home := startedHome(t)
	tamper(t, filepath.Join(home, "state", "ledger.db"), 2)
	tm := e2e.StartTerm(t, 120, 40, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "LEDGER HISTORY ALTERED", "CHAIN BROKEN at #0002", "cannot be trusted", "KILL SWITCH ENGAGED")
	tm.Keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for !tm.Exited() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	srv := e2e.StartServe(t, bin, home)
	deadline = time.Now().Add(15 * time.Second)
	for !strings.Contains(srv.Stderr(), "LEDGER HISTORY ALTERED") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	srv.Stop()
	if !strings.Contains(srv.Stderr(), "LEDGER HISTORY ALTERED: the full verification found ledger: entry 2: edited") {
		t.Fatalf("serve's stderr:\n%s", srv.Stderr())
	}
}
