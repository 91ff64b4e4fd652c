package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// journal records what the engine appends; fail makes appends fail like a
// full disk would. Like the real ledger it refuses an entry that does not
// validate, and it keeps those refusals so a test can assert there were
// none.
type journal struct {
	mu      sync.Mutex
	recs    []ledger.Entry
	fail    error
	invalid []error
}

func (j *journal) Append(_ context.Context, r ledger.Entry) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := r.Validate(); err != nil {
		j.invalid = append(j.invalid, err)
		return 0, err
	}
	if j.fail != nil {
		return 0, j.fail
	}
	j.recs = append(j.recs, r)
	return uint64(len(j.recs)), nil
}

func (j *journal) kinds() []ledger.Kind {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []ledger.Kind
	for _, r := range j.recs {
		out = append(out, r.Kind)
	}
	return out
}

func (j *journal) setFail(err error) { j.mu.Lock(); j.fail = err; j.mu.Unlock() }

// riskByCommand classifies by the command's first word: the engine's
// lifecycle is under test here, not the taxonomy.
type riskByCommand struct{}

func (riskByCommand) Classify(c *wire.ToolCall, _ Host) Classification {
	w, _, _ := strings.Cut(c.Command, " ")
	switch w {
	case "ls":
		return Classification{Action: "fs.list", Risk: risk.Low}
	case "push":
		return Classification{Action: "git.push.force", Risk: risk.High, Target: "origin/main"}
	case "deploy":
		return Classification{Action: "deploy.production", Risk: risk.Critical, Target: "env/production"}
	}
	return Classification{Action: "unknown", Risk: risk.Critical}
}

// codes accepts "123456" once per request and fails otherwise.
type codes struct {
	enrolled bool
	mu       sync.Mutex
	used     map[string]bool
}

func (c *codes) Enrolled() bool { return c.enrolled }
func (c *codes) Check(_ context.Context, id, code string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if code != "123456" || c.used[id] {
		return 0, errors.New("code does not match")
	}
	if c.used == nil {
		c.used = map[string]bool{}
	}
	c.used[id] = true
	return 59426000, nil
}

type fixture struct {
	eng  *Engine
	j    *journal
	reg  *device.Registry
	dir  string
	code *codes
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o700)
	reg := device.Open(filepath.Join(dir, "devices.json"), filepath.Join(dir, "keys"), nil)
	for _, k := range []device.Kind{device.KindEngine, device.KindConsole} {
		if _, err := reg.Ensure(k, string(k)); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{j: &journal{}, reg: reg, dir: dir, code: &codes{enrolled: true}}
	// Every entry any engine test makes the engine write must be one the
	// ledger takes: a known kind, fields within its limits.
	t.Cleanup(func() {
		f.j.mu.Lock()
		defer f.j.mu.Unlock()
		for _, err := range f.j.invalid {
			t.Errorf("the engine wrote an entry the ledger refuses: %v", err)
		}
	})
	opts := Options{Classifier: riskByCommand{}, Journal: f.j, Devices: reg, Config: config.Defaults(),
		Codes: f.code, KillSwitchFile: filepath.Join(dir, "killswitch")}
	if mod != nil {
		mod(&opts)
	}
	eng, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	return f
}

func request(cmd string) wire.Request {
	return wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: strings.Repeat("0a", 16),
		Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s1", ToolName: "Bash",
			Kind: wire.KindShell, Command: cmd, InputDigest: strings.Repeat("1f", 32)}}
}

// outcome waits for a ticket and verifies its verdict as the hook would.
func (f *fixture) outcome(t *testing.T, tk *Ticket, req wire.Request) *verdict.Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o, err := tk.Wait(ctx)
	if err != nil {
		t.Fatalf("no outcome: %v", err)
	}
	v, err := verdict.Parse(o.Verdict)
	if err != nil {
		t.Fatalf("outcome %+v: %v", o, err)
	}
	if err := verdict.Verify(v, f.reg.Keyring(), verdict.Expect{RequestID: tk.RequestID, Nonce: req.Nonce, RequestDigest: req.Call.DigestHex()}); err != nil {
		t.Fatalf("verdict does not verify: %v", err)
	}
	return v
}

func (f *fixture) submit(t *testing.T, cmd string) (*Ticket, wire.Request) {
	t.Helper()
	req := request(cmd)
	tk, err := f.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return tk, req
}

func TestAutoAllowIsSignedByEngineAndRecordedOnce(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "ls -la")
	v := f.outcome(t, tk, req)
	eng, _ := f.reg.ActiveOf(device.KindEngine)
	if v.Decision != verdict.Approve || v.ApproverDeviceID != eng.ID || v.LedgerSeq != 1 || v.Factors[0] != verdict.FactorAuto {
		t.Fatalf("verdict %+v", v)
	}
	if k := f.j.kinds(); len(k) != 1 || k[0] != ledger.KindAutoAllow {
		t.Fatalf("journal %v", k)
	}
	if len(f.eng.Snapshot().Pending) != 0 {
		t.Fatal("auto-allowed request left pending")
	}
}

func TestApproveAtConsole(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	if got := f.eng.Snapshot().Pending; len(got) != 1 || got[0].ID != tk.RequestID || got[0].Class.Target != "origin/main" {
		t.Fatalf("pending %+v", got)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	con, _ := f.reg.ActiveOf(device.KindConsole)
	if v.Decision != verdict.Approve || v.ApproverDeviceID != con.ID || v.LedgerSeq != 2 || strings.Join(v.Factors, ",") != "keypad" {
		t.Fatalf("verdict %+v", v)
	}
	if k := f.j.kinds(); len(k) != 2 || k[0] != ledger.KindRequest || k[1] != ledger.KindVerdict {
		t.Fatalf("journal %v", k)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second decision: %v", err)
	}
}

func TestDenyAtConsole(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: false}); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonDenied {
		t.Fatalf("verdict %+v", v)
	}
}

func TestCriticalNeedsCode(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "deploy prod")
	ctx := context.Background()
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true}); !errors.Is(err, ErrCodeRequired) {
		t.Fatalf("approve without code: %v", err)
	}
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Code: "000000"}); !errors.Is(err, ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if len(f.eng.Snapshot().Pending) != 1 {
		t.Fatal("request left the queue after a wrong code")
	}
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Code: "123 456"}); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Approve || strings.Join(v.Factors, ",") != "keypad,totp" {
		t.Fatalf("verdict %+v", v)
	}
	last := f.j.recs[len(f.j.recs)-1]
	if last.Step != 59426000 || strings.Contains(strings.Join([]string{last.Detail, last.Target}, " "), "123") {
		t.Fatalf("verdict record %+v", last)
	}
	for _, r := range f.j.recs {
		if strings.Contains(r.Detail, "000000") {
			t.Fatalf("a code reached the ledger: %+v", r)
		}
	}
}

func TestWrongCodesDenyAtLimit(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "deploy prod")
	for i := 1; i <= MaxCodeFailures; i++ {
		err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true, Code: "999999"})
		if !errors.Is(err, ErrBadCode) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonCodeLimit {
		t.Fatalf("verdict %+v", v)
	}
	fails := 0
	for _, k := range f.j.kinds() {
		if k == ledger.KindCodeFailed {
			fails++
		}
	}
	if fails != MaxCodeFailures {
		t.Fatalf("%d code failures recorded", fails)
	}
}

func TestCriticalWithoutCodeDeviceDeniedAtOnce(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Codes = &codes{enrolled: false} })
	tk, req := f.submit(t, "deploy prod")
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonNoCode {
		t.Fatalf("verdict %+v", v)
	}
	f2 := newFixture(t, func(o *Options) { o.Codes = nil })
	tk, req = f2.submit(t, "whatever unknown")
	if v := f2.outcome(t, tk, req); v.Decision != verdict.Deny || v.Risk != "critical" {
		t.Fatalf("unknown with no code device: %+v", v)
	}
}

func TestDeadlineDenies(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Config.Deadline = 50 * time.Millisecond })
	tk, req := f.submit(t, "push --force")
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Deny || v.Reason != ReasonTimeout {
		t.Fatalf("verdict %+v", v)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); !errors.Is(err, ErrNotPending) {
		t.Fatalf("approve after deadline: %v", err)
	}
}

func TestHookDeadlineShortensEngineDeadline(t *testing.T) {
	f := newFixture(t, nil)
	req := request("push --force")
	req.DeadlineMS = (MinRemaining + 100*time.Millisecond).Milliseconds()
	tk, err := f.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v := f.outcome(t, tk, req)
	if v.Reason != ReasonTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("verdict %+v after %s", v, time.Since(start))
	}
	// A hook deadline too short to wait at all is denied at once.
	req.DeadlineMS = 10
	tk, _ = f.eng.Submit(context.Background(), req)
	if v := f.outcome(t, tk, req); v.Reason != ReasonTimeout {
		t.Fatalf("verdict %+v", v)
	}
}

func TestKillSwitch(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tk1, req1 := f.submit(t, "push --force")
	if err := f.eng.EngageKillSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk1, req1); v.Decision != verdict.Deny || v.Reason != ReasonKillSwitch {
		t.Fatalf("pending after engage: %+v", v)
	}
	// Even automatically allowed actions are denied while engaged.
	tk2, req2 := f.submit(t, "ls")
	if v := f.outcome(t, tk2, req2); v.Decision != verdict.Deny || v.Reason != ReasonKillSwitch {
		t.Fatalf("new request while engaged: %+v", v)
	}
	// A restarted engine on the same home stays engaged.
	f2, err := New(f.eng.opts)
	if err != nil {
		t.Fatal(err)
	}
	if !f2.KillSwitch() {
		t.Fatal("kill switch lost across restart")
	}
	if err := f.eng.ReleaseKillSwitch(ctx, ""); err != nil {
		t.Fatal(err)
	}
	tk3, req3 := f.submit(t, "ls")
	if v := f.outcome(t, tk3, req3); v.Decision != verdict.Approve {
		t.Fatalf("after release: %+v", v)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "killswitch")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("kill switch file left after release")
	}
	kinds := f.j.kinds()
	has := func(k ledger.Kind) bool {
		for _, x := range kinds {
			if x == k {
				return true
			}
		}
		return false
	}
	if !has(ledger.KindKillEngaged) || !has(ledger.KindKillReleased) {
		t.Fatalf("kill switch not recorded: %v", kinds)
	}
}

func TestLedgerFailureDenies(t *testing.T) {
	f := newFixture(t, nil)
	f.j.setFail(errors.New("disk full"))
	tk, req := f.submit(t, "ls")
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Deny || v.Reason != ReasonLedgerError || v.LedgerSeq != 0 {
		t.Fatalf("auto-allow with a failing ledger: %+v", v)
	}
	tk, req = f.submit(t, "push --force")
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonLedgerError {
		t.Fatalf("request with a failing ledger: %+v", v)
	}
	probs := f.eng.Snapshot().Problems
	if len(probs) == 0 || !strings.Contains(probs[0].Message, "disk full") {
		t.Fatalf("problem not shown: %+v", probs)
	}
	// An approval whose verdict cannot be recorded is denied too.
	f.j.setFail(nil)
	tk, req = f.submit(t, "push --force")
	f.j.setFail(errors.New("I/O error"))
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonLedgerError {
		t.Fatalf("approval with a failing ledger: %+v", v)
	}
}

func TestConcurrentDecisionsYieldOneVerdict(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: i%2 == 0}) == nil {
				ok.Add(1)
			}
		}(i)
	}
	go f.eng.Abandon(tk.RequestID)
	wg.Wait()
	_ = f.outcome(t, tk, req)
	if n := ok.Load(); n > 1 {
		t.Fatalf("%d decisions succeeded on one request", n)
	}
	verdicts := 0
	for _, k := range f.j.kinds() {
		if k == ledger.KindVerdict {
			verdicts++
		}
	}
	if verdicts != 1 {
		t.Fatalf("%d verdicts recorded for one request", verdicts)
	}
}

func TestAbandonAndClose(t *testing.T) {
	f := newFixture(t, nil)
	tk, _ := f.submit(t, "push --force")
	f.eng.Abandon(tk.RequestID)
	last := f.j.recs[len(f.j.recs)-1]
	if last.Kind != ledger.KindVerdict || last.Decision != "deny" || last.Detail != ReasonHookGone {
		t.Fatalf("abandon recorded %+v", last)
	}
	tk2, req2 := f.submit(t, "push --force")
	f.eng.Close(context.Background())
	if v := f.outcome(t, tk2, req2); v.Reason != ReasonStopped {
		t.Fatalf("close: %+v", v)
	}
	tk3, req3 := f.submit(t, "push --force")
	if v := f.outcome(t, tk3, req3); v.Reason != ReasonStopped {
		t.Fatalf("submit after close: %+v", v)
	}
}

func TestRevokedConsoleDeviceCannotApprove(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	con, _ := f.reg.ActiveOf(device.KindConsole)
	if _, err := f.reg.Revoke(con.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Deny || v.ApproverDeviceID == con.ID {
		t.Fatalf("revoked console approved: %+v", v)
	}
}

func TestInvalidRequestsRefused(t *testing.T) {
	f := newFixture(t, nil)
	for name, mut := range map[string]func(*wire.Request){
		"short nonce":  func(r *wire.Request) { r.Nonce = "abc" },
		"upper nonce":  func(r *wire.Request) { r.Nonce = strings.Repeat("AB", 16) },
		"bad kind":     func(r *wire.Request) { r.Call.Kind = "root" },
		"no tool":      func(r *wire.Request) { r.Call.ToolName = "" },
		"no digest":    func(r *wire.Request) { r.Call.InputDigest = "" },
		"neg deadline": func(r *wire.Request) { r.DeadlineMS = -1 },
		"no harness":   func(r *wire.Request) { r.Call.Harness = "" },
	} {
		req := request("ls")
		mut(&req)
		if _, err := f.eng.Submit(context.Background(), req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPolicyBlock(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Config.ByAction["git.push.force"] = config.Block })
	tk, req := f.submit(t, "push --force")
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny || v.Reason != ReasonPolicy {
		t.Fatalf("verdict %+v", v)
	}
}

// TestEntriesAreLedgerKinds drives the engine through every kind of event it
// records on its own and checks each entry against the ledger's rules.
func TestEntriesAreLedgerKinds(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.submit(t, "ls")                   // auto-allow
	tk, _ := f.submit(t, "git push -f") // request
	_ = f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true})
	tk, _ = f.submit(t, "deploy prod") // request, then a wrong code
	_ = f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true, Code: "000000"})
	f.eng.Abandon(tk.RequestID)
	_ = f.eng.SetAway(ctx, true)
	_ = f.eng.EngageKillSwitch(ctx)
	_ = f.eng.ReleaseKillSwitch(ctx, "")
	seen := map[ledger.Kind]bool{}
	for _, k := range f.j.kinds() {
		if !k.Valid() {
			t.Errorf("kind %v is not a ledger kind", k)
		}
		seen[k] = true
	}
	for _, k := range []ledger.Kind{ledger.KindAutoAllow, ledger.KindRequest, ledger.KindVerdict, ledger.KindCodeFailed,
		ledger.KindAwayChanged, ledger.KindKillEngaged, ledger.KindKillReleased} {
		if !seen[k] {
			t.Errorf("no %v entry was written", k)
		}
	}
}
