package stats_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// clock is the engine's and the journal's time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func byWord(cmd string) risk.Level {
	return map[string]risk.Level{"ls": risk.Low, "push": risk.High, "drop": risk.Critical}[strings.Fields(cmd)[0]]
}
func (c *clock) stamp(e *ledger.Entry) { e.Time = c.now() }

// stamping is a journal that gives each entry a seq and the clock's time,
// as the real ledger does.
type stamping struct {
	enginetest.Journal
	clk *clock
	mu  sync.Mutex
	out []ledger.Entry
}

func (j *stamping) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	if _, err := j.Journal.Append(ctx, e); err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e.Seq = uint64(len(j.out) + 1)
	j.clk.stamp(&e)
	j.out = append(j.out, e)
	return e.Seq, nil
}

type words struct{}

func (words) Classify(c *wire.ToolCall, _ engine.Host) engine.Classification {
	l := byWord(c.Command)
	if !l.Valid() {
		l = risk.Critical
	}
	return engine.Classification{Action: "cmd." + strings.Fields(c.Command)[0], Title: c.Command, Risk: l}
}

type noCodesUsed struct{}

func (noCodesUsed) CodeState(context.Context, time.Time) (totp.State, error) {
	return totp.State{}, nil
}

// What the engine records, the tally reads: every way a request can end,
// decided by the real engine, lands in the figure it should, and the time
// to a human answer is the time between the request and its verdict.
func TestFiguresOfWhatTheEngineRecords(t *testing.T) {
	clk := &clock{t: time.Now().Add(time.Hour).Truncate(time.Hour)}
	reg, _ := enginetest.Registry(t)
	if _, err := reg.Ensure(device.KindPhone, "phone"); err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdefghij")
	if _, err := reg.CreateWithSecret(device.KindTOTP, "app", secret); err != nil {
		t.Fatal(err)
	}
	j := &stamping{clk: clk}
	cfg := config.Defaults()
	eng, err := engine.New(engine.Options{Classifier: words{}, Journal: j, Devices: reg, Config: cfg, Now: clk.now,
		Codes: totp.New(reg, noCodesUsed{}, j, clk.now)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	ctx := context.Background()
	n := 0
	submit := func(cmd, event string) *engine.Ticket {
		t.Helper()
		n++
		tk, err := eng.Submit(ctx, wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: fmt.Sprintf("%032x", n),
			Call: wire.ToolCall{Harness: "claude", Event: event, SessionID: "s", ToolName: "Bash", Kind: wire.KindShell,
				Command: cmd, InputDigest: fmt.Sprintf("%064x", len(cmd))}})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	decide := func(tk *engine.Ticket, after time.Duration, a engine.Approval) {
		t.Helper()
		clk.add(after)
		if err := eng.Decide(ctx, tk.RequestID, a); err != nil {
			t.Fatal(err)
		}
	}
	submit("ls -la", "PreToolUse") // auto
	submit("ls src", "PreToolUse") // auto
	push := submit("push origin main", "PreToolUse")
	decide(push, 3*time.Second, engine.Approval{Approve: true, Via: device.KindConsole})
	submit("push origin main", "PermissionRequest") // the harness asks again: answered from the approval
	denied := submit("push origin other", "PreToolUse")
	decide(denied, 7*time.Second, engine.Approval{Via: device.KindConsole})
	drop := submit("drop table users", "PreToolUse")
	code, _ := totp.Code(secret, clk.now().Add(20*time.Second))
	decide(drop, 20*time.Second, engine.Approval{Approve: true, Via: device.KindConsole, Code: code})
	phone := submit("push origin release", "PreToolUse")
	decide(phone, 50*time.Second, engine.Approval{Approve: true, Via: device.KindPhone})
	if err := eng.EngageKillSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	submit("push origin main", "PreToolUse") // denied by the kill switch
	if err := eng.ReleaseKillSwitch(ctx, ""); err != nil {
		t.Fatal(err)
	}
	late := submit("push origin late", "PreToolUse")
	eng.Abandon(late.RequestID) // the hook went away

	var deciders []string
	tally := stats.NewTally()
	for i := range j.out {
		e := &j.out[i]
		if d := stats.DeciderOf(e); d != "" {
			deciders = append(deciders, e.Action+":"+string(d))
		}
		tally.Add(e)
	}
	want := "cmd.ls:auto cmd.ls:auto cmd.push:keypad cmd.push:remembered cmd.push:keypad cmd.drop:code cmd.push:phone cmd.push:kill switch cmd.push:engine"
	if got := strings.Join(deciders, " "); got != want {
		t.Errorf("deciders:\n got %s\nwant %s", got, want)
	}
	f := tally.Summary(clk.now()).Day
	if f.Decisions != 9 || f.Auto != 2 || f.Remembered != 1 || f.Held != 5 || f.Approved != 3 || f.Denied != 1 || f.Blocked != 2 ||
		f.Answers != 4 || f.AnswerMedian != 7000 || f.AnswerP90 != 50000 {
		t.Errorf("figures: %+v", f)
	}

	// A request nobody answers times out (the engine's timer runs on the
	// real clock).
	cfg.Deadline = 100 * time.Millisecond
	eng2, err := engine.New(engine.Options{Classifier: words{}, Journal: j, Devices: reg, Config: cfg, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng2.Close(context.Background()) })
	clk.set(time.Now())
	tk, err := eng2.Submit(ctx, wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: fmt.Sprintf("%032x", 999),
		Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s", ToolName: "Bash", Kind: wire.KindShell,
			Command: "push x", InputDigest: fmt.Sprintf("%064x", 999)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	last := j.out[len(j.out)-1]
	if d := stats.DeciderOf(&last); d != stats.ByTimeout {
		t.Fatalf("a timed-out request is decided by %q (%q)", d, last.Detail)
	}
	tally.Add(&last)
	if f := tally.Summary(clk.now()).All; f.TimedOut != 1 {
		t.Errorf("timed out %d", f.TimedOut)
	}
}
