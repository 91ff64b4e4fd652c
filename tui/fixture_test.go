package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// baseTime is the fixed start of every test clock. It lies in the future
// because the engine arms its deadline timers against the real clock: a
// past deadline would deny every request at once.
func baseTime() time.Time { return time.Date(2099, 6, 30, 14, 22, 15, 0, time.UTC) }

// clock is a settable clock shared by the engine, the TOTP verifier and the
// console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// classifier returns the classification registered for a call's input
// digest; anything else is critical and unknown, as the real taxonomy does.
type classifier struct {
	mu  sync.Mutex
	byD map[string]engine.Classification
}

func (c *classifier) Classify(call *wire.ToolCall, _ engine.Host) engine.Classification {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byD[call.InputDigest]; ok {
		return cl
	}
	return engine.Classification{Action: "unknown", Title: "Unrecognised action", Risk: risk.Critical, Matcher: "default"}
}

// codeStore is the TOTP verifier's persisted state: nothing used yet.
type codeStore struct{}

func (codeStore) CodeState(context.Context, time.Time) (totp.State, error) { return totp.State{}, nil }

// fakeChain is a ledger as the console sees it.
type fakeChain struct {
	mu      sync.Mutex
	entries []ChainEntry
	status  ChainStatus
	err     error
	rev     ChainStatus // what Reverify finds
	revErr  error
	asked   int           // the n of the last Latest call
	gate    chan struct{} // if set, Reverify waits for it half-way
}

func (c *fakeChain) Latest(_ context.Context, n int) ([]ChainEntry, ChainStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = n
	if c.err != nil {
		return nil, ChainStatus{}, c.err
	}
	e := c.entries
	if len(e) > n {
		e = e[len(e)-n:]
	}
	return append([]ChainEntry(nil), e...), c.status, nil
}

func (c *fakeChain) Reverify(ctx context.Context, progress func(done, total uint64)) (ChainStatus, error) {
	c.mu.Lock()
	total, rev, err := c.rev.Entries, c.rev, c.revErr
	c.mu.Unlock()
	for i := uint64(1); i <= total; i++ {
		if ctx.Err() != nil {
			return ChainStatus{}, ctx.Err()
		}
		progress(i, total)
		if c.gate != nil && i == total/2 {
			<-c.gate
		}
	}
	return rev, err
}

// seedHashes are the short hashes of the trust-model page's example chain.
func seedHashes() []string { return []string{"a91c4e7f", "5b0d3f12", "e7740a9c", "1d8862bb"} }

func entryHash(seq uint64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("entry %d", seq)))
	h := hex.EncodeToString(sum[:])
	if s := seedHashes(); seq >= 1 && seq <= uint64(len(s)) {
		h = s[seq-1] + h[8:]
	}
	return h
}

// chainOf builds an intact chain with these entries, or breaks it at
// breakAt (0 = intact). An entry is "kind" (console-started), "action
// decision by" (a verdict; by auto an automatic allow), "action held" (a
// request) or "action wrong-code" (a failed code).
func chainOf(labels []string, breakAt uint64) *fakeChain {
	c := &fakeChain{}
	prev := strings.Repeat("0", 64)
	for i, l := range labels {
		seq := uint64(i + 1)
		e := ChainEntry{Seq: seq, Prev: prev, Hash: entryHash(seq)}
		switch f := strings.Fields(l); {
		case len(f) == 0:
			e.Kind = "verdict"
		case len(f) == 1:
			e.Kind = f[0]
		case f[1] == "held":
			e.Kind, e.Action = "request", f[0]
		case f[1] == "wrong-code":
			e.Kind, e.Action = "code-failed", f[0]
		default:
			e.Kind, e.Action, e.Decision = "verdict", f[0], f[1]
			e.By = strings.Join(f[2:], " ")
			if e.By == "auto" {
				e.Kind = "auto-allow"
			}
		}
		broken := breakAt != 0 && seq >= breakAt
		e.Verified, e.Broken = !broken, broken
		c.entries = append(c.entries, e)
		prev = entryHash(seq)
	}
	n := uint64(len(labels))
	c.status = ChainStatus{Entries: n, Verified: n, Head: prev, Checkpoint: "signed up to entry " + fmt.Sprint(n)}
	if breakAt != 0 {
		c.status.Verified = breakAt - 1
		c.status.BreakSeq = breakAt
		c.status.BreakReason = "hash does not match its contents"
		c.status.AfterBreak = n - breakAt
	}
	c.rev = c.status
	return c
}

// fixture is a console over a real engine.
type fixture struct {
	t      testing.TB
	eng    *engine.Engine
	cls    *classifier
	clk    *clock
	reg    *device.Registry
	j      *enginetest.Journal
	secret []byte
	chain  *fakeChain
	card   *fakeCard // the enrolled YubiKey, if any
	m      Model
	n      int // requests submitted
	ids    []string
	msgs   []tea.Msg // every message fed to the model by send
}

type fixtureOpts struct {
	noCode   bool       // no code device enrolled
	chain    *fakeChain // nil: a short intact chain
	noChain  bool       // no ledger attached at all
	noColor  bool
	attached bool // the engine runs elsewhere: quitting detaches
	// requireFactor is the hardened posture: a keypress alone never approves.
	requireFactor bool
	// yubikey enrols a YubiKey with this PIN policy ("never" or "once");
	// empty enrols none.
	yubikey      string
	requireTouch risk.Level // approvals.require_touch
	overlay      engine.Overlay
	// note is the header note (the demo's code); stats the stats source
	// (nil: a sample day of figures; noStats: none).
	note    func() string
	stats   StatsSource
	noStats bool
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	reg, _ := enginetest.Registry(t)
	f := &fixture{t: t, cls: &classifier{byD: map[string]engine.Classification{}}, clk: &clock{t: baseTime()}, reg: reg}
	cfg := config.Defaults()
	cfg.ByRisk[risk.Low], cfg.ByRisk[risk.Medium] = config.Approve, config.Approve
	cfg.RequireTouch = o.requireTouch
	j := &enginetest.Journal{}
	f.j = j
	var codes engine.CodeChecker
	if !o.noCode {
		f.secret = []byte("0123456789abcdefghij")
		if _, err := reg.CreateWithSecret(device.KindTOTP, "phone app", f.secret); err != nil {
			t.Fatal(err)
		}
		codes = totp.New(reg, codeStore{}, j, f.clk.Now)
	}
	var cards engine.CardSigner
	if o.yubikey != "" {
		f.card = newFakeCard(t, reg, o.yubikey)
		cards = f.card
	}
	eng, err := engine.New(engine.Options{Classifier: f.cls, Journal: j, Devices: reg, Config: cfg, Codes: codes, Cards: cards, Now: f.clk.Now, Overlay: o.overlay,
		RequireFactor: o.requireFactor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	f.eng = eng
	// The console is attached, as the composition root attaches the one it
	// runs in-process.
	_, detach := eng.AttachConsole("the test's console")
	t.Cleanup(detach)
	deps := Deps{Engine: eng, Socket: "/run/user/1000/ony/ony.sock", Now: f.clk.Now, NoColor: o.noColor, Label: "the test's console", Attached: o.attached,
		Note: o.note, Stats: o.stats}
	if deps.Stats == nil && !o.noStats {
		deps.Stats = sampleDay(f.clk.Now)
	}
	switch {
	case o.noChain:
	case o.chain != nil:
		f.chain = o.chain
	default:
		f.chain = chainOf([]string{"console-started", "deploy.production approve code", "db.migrate deny keypad", "secret.rotate approve keypad"}, 0)
	}
	if f.chain != nil {
		deps.Chain = f.chain
	}
	f.m = New(deps)
	return f
}

// spec is one request to submit.
type spec struct {
	harness, session, tool string
	kind                   wire.Kind
	command, url, hint     string
	paths                  []string
	class                  engine.Classification
}

// submit submits a request to the engine and returns its id.
func (f *fixture) submit(s spec) string {
	f.t.Helper()
	f.n++
	digest := fmt.Sprintf("%064x", f.n)
	f.cls.mu.Lock()
	f.cls.byD[digest] = s.class
	f.cls.mu.Unlock()
	if s.kind == "" {
		s.kind = wire.KindShell
	}
	if s.tool == "" {
		s.tool = "Bash"
	}
	if s.harness == "" {
		s.harness = "claude"
	}
	req := wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: fmt.Sprintf("%032x", f.n),
		Call: wire.ToolCall{Harness: s.harness, Event: "PreToolUse", SessionID: s.session, ToolName: s.tool, Kind: s.kind,
			CWD: "/home/dev/api", ProjectDir: "/home/dev/api", Command: s.command, Paths: s.paths, URL: s.url,
			InputDigest: digest, RiskHint: s.hint}}
	tk, err := f.eng.Submit(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ids = append(f.ids, tk.RequestID)
	return tk.RequestID
}

// pending reports whether the engine still holds request id.
func (f *fixture) pending(id string) bool {
	for _, r := range f.eng.Snapshot().Pending {
		if r.ID == id {
			return true
		}
	}
	return false
}

// size sends a window size.
func (f *fixture) size(w, h int) { f.send(tea.WindowSizeMsg{Width: w, Height: h}) }

// refresh feeds the engine's current state to the console.
func (f *fixture) refresh() { f.send(refreshCmd(f.m.snapper)()) }

// loadChain feeds one read of the ledger to the console.
func (f *fixture) loadChain() {
	if f.chain != nil {
		f.send(chainNowCmd(context.Background(), f.chain, f.m.chainLines())())
	}
}

// send feeds msg to Update, runs every command it returns and feeds their
// messages back, until nothing is left. It returns every message fed.
func (f *fixture) send(msg tea.Msg) []tea.Msg {
	f.t.Helper()
	var fed []tea.Msg
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		fed = append(fed, msg)
		next, cmd := f.m.Update(msg)
		f.m = next.(Model)
		queue = append(queue, f.run(cmd)...)
	}
	f.msgs = append(f.msgs, fed...)
	return fed
}

// run runs cmd synchronously. A command that takes longer than two seconds
// fails the test: key and result paths must return only commands that
// finish at once, never timers or the engine watcher.
func (f *fixture) run(cmd tea.Cmd) []tea.Msg {
	f.t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(2 * time.Second):
		f.t.Fatalf("a command blocked: Update returned a timer or a blocking command on this path")
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, f.run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// apply feeds msg to Update and drops the commands it returns (for the
// clock and polling messages, whose commands are timers).
func (f *fixture) apply(msg tea.Msg) tea.Cmd {
	next, cmd := f.m.Update(msg)
	f.m = next.(Model)
	return cmd
}

// verdicts returns the decisions recorded for request id.
func (f *fixture) verdicts(id string) []string {
	var out []string
	for _, r := range f.j.Records() {
		if r.RequestID == id && r.Kind == ledger.KindVerdict {
			out = append(out, r.Decision)
		}
	}
	return out
}

// key sends a key press as the terminal would: printable keys carry text.
func (f *fixture) key(s string) []tea.Msg {
	f.t.Helper()
	return f.send(keyPress(s))
}

// typeText sends each rune as a key press.
func (f *fixture) typeText(s string) {
	for _, r := range s {
		f.key(string(r))
	}
}

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 'a' - 'A', ShiftedCode: r, Text: s, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

// answerID matches a standing answer's id.
var answerID = regexp.MustCompile(`\ba-[0-9a-f]{6}\b`)

// screen is the rendered console without escape codes, with request ids
// replaced by stable names.
func (f *fixture) screen() string {
	s := ansi.Strip(f.m.View().Content)
	for i, id := range f.ids {
		s = strings.ReplaceAll(s, id, fmt.Sprintf("req_%012d", i+1))
	}
	// Standing answers have random ids.
	return answerID.ReplaceAllString(s, "a-5e55ed")
}

// code returns the valid code at the fixture's clock.
func (f *fixture) code() string {
	f.t.Helper()
	c, err := totp.Code(f.secret, f.clk.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// selected is the id of the selected request.
func (f *fixture) selected() string {
	r, ok := f.m.queue.current()
	if !ok {
		return ""
	}
	return r.ID
}
