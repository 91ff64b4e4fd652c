package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// byCommand classifies "ls..." as low and everything else as high.
type byCommand struct{}

func (byCommand) Classify(c *wire.ToolCall, _ engine.Host) engine.Classification {
	if strings.HasPrefix(c.Command, "ls") {
		return engine.Classification{Action: "fs.list", Title: "List files", Risk: risk.Low}
	}
	return engine.Classification{Action: "git.push.force", Title: "Force-push", Risk: risk.High, Target: "origin main"}
}

// chain is a fixed ledger view.
type chain struct{ reverified int }

func (c *chain) Latest(context.Context, int) ([]ChainEntry, ChainStatus, error) {
	return []ChainEntry{{Seq: 1, Kind: "console-started", Hash: strings.Repeat("ab", 32), Verified: true}},
		ChainStatus{Entries: 1, Verified: 1, Head: strings.Repeat("ab", 32)}, nil
}

func (c *chain) Reverify(_ context.Context, progress func(done, total uint64)) (ChainStatus, error) {
	c.reverified++
	progress(1, 1)
	return ChainStatus{Entries: 1, Verified: 1, Head: strings.Repeat("ab", 32)}, nil
}

type rig struct {
	eng   *engine.Engine
	reg   *device.Registry
	sock  string
	stop  func()
	stats StatsSource
}

// newRig starts an engine with a console socket in a private directory.
func newRig(t *testing.T) *rig { return newRigB(t) }

func newRigB(t testing.TB) *rig { return startRig(t, &rig{}) }

// startRig fills r's engine and socket and serves it.
func startRig(t testing.TB, r *rig) *rig { return startRigWith(t, r, byCommand{}) }

// startRigWith is startRig with another classifier.
func startRigWith(t testing.TB, r *rig, cls engine.Classifier) *rig {
	return startRigOpts(t, r, cls, nil)
}

// startRigOpts is startRigWith with more engine options.
func startRigOpts(t testing.TB, r *rig, cls engine.Classifier, mod func(*engine.Options)) *rig {
	t.Helper()
	reg, dir := enginetest.Registry(t)
	opts := engine.Options{Classifier: cls, Journal: &enginetest.Journal{}, Devices: reg, Config: config.Defaults()}
	if mod != nil {
		mod(&opts)
	}
	eng, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.eng, r.reg, r.sock = eng, reg, filepath.Join(dir, "run", "console.sock")
	r.serve(t)
	t.Cleanup(func() { eng.Close(context.Background()) })
	return r
}

func (r *rig) serve(t testing.TB) {
	t.Helper()
	srv, err := Listen(r.sock, r.eng, ServerOptions{Owner: os.Getuid(), Build: "test", Chain: &chain{}, ChainEvery: 20 * time.Millisecond,
		Stats: r.stats})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx); close(done) }()
	var once sync.Once
	r.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(r.stop)
}

func (r *rig) attach(t *testing.T, label string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), r.sock, ClientOptions{Label: label, Build: "test", EngineUID: os.Getuid(), Reconnect: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (r *rig) submit(t *testing.T, cmd string) (*engine.Ticket, wire.Request) {
	t.Helper()
	req := wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: strings.Repeat("0a", 16),
		Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s1", ToolName: "Bash",
			Kind: wire.KindShell, Command: cmd, InputDigest: strings.Repeat("1f", 32)}}
	tk, err := r.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return tk, req
}

// eventually waits until cond holds for c's snapshot.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAttachSeesTheQueueAndDecides(t *testing.T) {
	r := newRig(t)
	a := r.attach(t, "side terminal")
	if n := len(r.eng.Snapshot().Consoles); n != 1 {
		t.Fatalf("%d consoles attached", n)
	}
	tk, req := r.submit(t, "git push -f")
	eventually(t, "the console sees the request", func() bool { return len(a.Snapshot().Pending) == 1 })
	got := a.Snapshot().Pending[0]
	if got.ID != tk.RequestID || got.Class.Risk != risk.High || got.Need != config.Approve || got.Call.Command != "git push -f" {
		t.Fatalf("request as the console sees it: %+v", got)
	}
	if err := a.Decide(context.Background(), tk.RequestID, engine.Approval{Approve: true, By: "forged label"}); err != nil {
		t.Fatal(err)
	}
	o, err := tk.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := verdict.Parse(o.Verdict)
	if err != nil {
		t.Fatal(err)
	}
	if err := verdict.Verify(v, r.reg.Keyring(), verdict.Expect{RequestID: tk.RequestID, Nonce: req.Nonce, RequestDigest: req.Call.DigestHex()}); err != nil || v.Decision != verdict.Approve {
		t.Fatalf("verdict %+v: %v", v, err)
	}
	// Who answered is the console's own label, not one it claims per call.
	d := a.Snapshot().Decided
	if len(d) != 1 || d[0].By != "side terminal" || d[0].Via != device.KindConsole || d[0].Decision != "approve" {
		t.Fatalf("decided: %+v", d)
	}
	es, st, err := a.Latest(context.Background(), 10)
	if err != nil || len(es) != 1 || st.Entries != 1 {
		t.Fatalf("chain: %v %+v %v", es, st, err)
	}
}

// Two consoles answer the same request at once: exactly one answer counts,
// the other is told the request is no longer waiting, and both show who
// answered.
func TestTwoConsolesOneVerdict(t *testing.T) {
	r := newRig(t)
	a, b := r.attach(t, "tmux pane"), r.attach(t, "jump host")
	tk, _ := r.submit(t, "git push -f")
	eventually(t, "both see it", func() bool { return len(a.Snapshot().Pending) == 1 && len(b.Snapshot().Pending) == 1 })
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*Client{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Decide(context.Background(), tk.RequestID, engine.Approval{Approve: i == 0})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, engine.ErrNotPending):
			t.Fatalf("the loser got %v, want not pending", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d consoles decided: %v", ok, errs)
	}
	if _, err := tk.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Client{a, b} {
		eventually(t, "both show who answered", func() bool { return len(c.Snapshot().Decided) == 1 })
	}
	if by := a.Snapshot().Decided[0].By; by != "tmux pane" && by != "jump host" {
		t.Fatalf("answered by %q", by)
	}
}

func TestKillSwitchAwayAndErrorsCrossTheSocket(t *testing.T) {
	r := newRig(t)
	a := r.attach(t, "a")
	tk, _ := r.submit(t, "git push -f")
	eventually(t, "pending", func() bool { return len(a.Snapshot().Pending) == 1 })
	if err := a.SetAway(context.Background(), true); err != nil || !r.eng.Snapshot().Away {
		t.Fatalf("away: %v", err)
	}
	if err := a.EngageKillSwitch(context.Background()); err != nil || !r.eng.KillSwitch() {
		t.Fatalf("kill: %v", err)
	}
	if o, _ := tk.Wait(context.Background()); o.Decision != verdict.Deny {
		t.Fatalf("kill switch did not deny the waiting request: %+v", o)
	}
	if !a.Snapshot().KillSwitch {
		t.Fatal("the console's state after the result is older than the result")
	}
	err := a.Decide(context.Background(), tk.RequestID, engine.Approval{Approve: true})
	if !errors.Is(err, engine.ErrNotPending) || !strings.Contains(err.Error(), tk.RequestID) {
		t.Fatalf("deciding a gone request: %v", err)
	}
	if err := a.ReleaseKillSwitch(context.Background(), ""); err != nil || r.eng.KillSwitch() {
		t.Fatalf("release: %v", err)
	}
	// A critical request without the code: the engine's sentinel survives.
	r2 := newRig(t)
	b := r2.attach(t, "b")
	tk2, _ := r2.submit(t, "git push -f")
	eventually(t, "pending", func() bool { return len(b.Snapshot().Pending) == 1 })
	if err := b.Decide(context.Background(), tk2.RequestID, engine.Approval{Approve: true, Via: "phone"}); err == nil || !strings.Contains(err.Error(), "keypad or a YubiKey") {
		t.Fatalf("a console claimed the phone: %v", err)
	}
	if len(r2.eng.Snapshot().Pending) != 1 {
		t.Fatal("a refused decision changed the queue")
	}
	st, err := b.Reverify(context.Background(), func(done, total uint64) {})
	if err != nil || st.Entries != 1 {
		t.Fatalf("reverify: %+v %v", st, err)
	}
}

// Activity from an attached console keeps the engine attended; with no
// console attached it is unattended.
func TestUnattended(t *testing.T) {
	r := newRig(t)
	if !r.eng.Unattended(time.Hour) {
		t.Fatal("attended with no console attached")
	}
	a := r.attach(t, "a")
	eventually(t, "attached", func() bool { return !r.eng.Unattended(time.Hour) })
	r.submit(t, "git push -f")
	if !r.eng.Unattended(time.Nanosecond) {
		t.Fatal("a high request idle past the limit is attended")
	}
	before := r.eng.Snapshot().LastActivity
	a.Activity()
	eventually(t, "activity recorded", func() bool { return r.eng.Snapshot().LastActivity.After(before) })
	if r.eng.Unattended(time.Hour) {
		t.Fatal("unattended right after a key press")
	}
	a.Close()
	eventually(t, "detached", func() bool { return r.eng.Unattended(time.Hour) })
}

// The engine restarts while a console is attached: the console shows the
// lost connection, reconnects by itself and says so.
func TestReconnectAfterEngineRestart(t *testing.T) {
	r := newRig(t)
	a := r.attach(t, "a")
	r.submit(t, "git push -f")
	eventually(t, "pending", func() bool { return len(a.Snapshot().Pending) == 1 })
	r.stop()
	eventually(t, "the console notices", func() bool { return !a.Connected() })
	s := a.Snapshot()
	if len(s.Pending) != 0 || !strings.Contains(s.Problems[len(s.Problems)-1].Message, "lost the connection") {
		t.Fatalf("detached snapshot: %+v", s)
	}
	if err := a.Decide(context.Background(), "req_x", engine.Approval{Approve: true}); !errors.Is(err, ErrDetached) {
		t.Fatalf("decide while detached: %v", err)
	}
	r.serve(t)
	eventually(t, "reconnected", func() bool { return a.Connected() && len(a.Snapshot().Pending) == 1 })
	s = a.Snapshot()
	if !strings.Contains(s.Problems[len(s.Problems)-1].Message, "reconnected") {
		t.Fatalf("no reconnection notice: %+v", s.Problems)
	}
}

func TestDialWithNoEngine(t *testing.T) {
	dir := t.TempDir()
	_, err := Dial(context.Background(), filepath.Join(dir, "console.sock"), ClientOptions{EngineUID: os.Getuid()})
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("no engine: %v", err)
	}
	// A socket file nobody listens on (a crashed engine's) is no engine
	// either.
	path := filepath.Join(dir, "stale.sock")
	r := newRig(t)
	_ = r
	if err := os.Symlink(r.sock, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(context.Background(), path, ClientOptions{EngineUID: os.Getuid()}); err == nil || errors.Is(err, ErrNoEngine) {
		t.Fatalf("a symlinked socket was followed: %v", err)
	}
	// The engine must run as the expected uid.
	if _, err := Dial(context.Background(), r.sock, ClientOptions{EngineUID: os.Getuid() + 1}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("an engine of another uid was accepted: %v", err)
	}
}

// A command longer than MaxCommandShown reaches a console cut, with a
// marker that says how much is missing.
func TestLongCommandIsMarked(t *testing.T) {
	r := newRig(t)
	a := r.attach(t, "a")
	long := "git push -f " + strings.Repeat("x", MaxCommandShown+500)
	r.submit(t, long)
	eventually(t, "pending", func() bool { return len(a.Snapshot().Pending) == 1 })
	got := a.Snapshot().Pending[0].Call.Command
	if len(got) > MaxCommandShown+200 || !strings.Contains(got, "512 more bytes of this command are not shown") {
		t.Fatalf("long command as shown: %d bytes, tail %q", len(got), got[len(got)-100:])
	}
}

const envPeer = "ONY_TEST_CONSOLE_PEER"

// TestOtherUIDRefused connects to the console socket as another user (the
// test binary re-executed as nobody, with the socket opened up by mistake):
// the engine refuses before reading anything, says why, and records it.
func TestOtherUIDRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to connect as another uid")
	}
	r := newRig(t)
	enginetest.OpenUp(r.sock)
	_ = os.Chmod(filepath.Dir(r.sock), 0o755)
	_ = os.Chmod(r.sock, 0o666)
	exe := enginetest.RunnableByOthers(t)
	cmd := exec.Command(exe, "-test.run=^TestPeerAsOtherUID$")
	cmd.Env = []string{envPeer + "=" + r.sock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("peer: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "only uid 0 may attach") {
		t.Fatalf("the other uid was not told it may not attach:\n%s", out)
	}
	if n := len(r.eng.Snapshot().Consoles); n != 0 {
		t.Fatalf("%d consoles attached", n)
	}
	found := false
	for _, p := range r.eng.Snapshot().Problems {
		found = found || strings.Contains(p.Message, "refused a console from uid 65534")
	}
	if !found {
		t.Fatal("the refusal is not shown to the owner")
	}
}

// TestPeerAsOtherUID is the other user's side of the test above.
func TestPeerAsOtherUID(t *testing.T) {
	path := os.Getenv(envPeer)
	if path == "" {
		t.Skip("helper process only")
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_ = wire.WriteFrame(c, Hello{V: Version, Type: TypeHello, Label: "intruder"})
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	fmt.Println(string(body))
}
