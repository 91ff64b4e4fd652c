package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// standingClassifier adds protected actions and a call on the same target
// at a higher risk to riskByCommand.
type standingClassifier struct{ riskByCommand }

func (c standingClassifier) Classify(call *wire.ToolCall, h Host) Classification {
	w, _, _ := strings.Cut(call.Command, " ")
	switch w {
	case "tamper":
		return Classification{Action: "ony.tamper", Risk: risk.Critical, Target: "~/.config/ony/taxonomy.overlay.yaml"}
	case "hookconf":
		return Classification{Action: "harness.config", Risk: risk.Critical, Target: ".claude/settings.json"}
	case "tamperhigh": // a protected action a hand-made taxonomy put at high
		return Classification{Action: "ony.tamper.config", Risk: risk.High, Target: "~/.config/ony/config.yaml"}
	case "pushcrit": // the same action and target as push, classified higher
		return Classification{Action: "git.push.force", Risk: risk.Critical, Target: "origin/main"}
	case "pushplus": // push, and another part as risky that does something else
		c := c.riskByCommand.Classify(&wire.ToolCall{Command: "push -f"}, h)
		c.Mixed = true
		return c
	}
	return c.riskByCommand.Classify(call, h)
}

func standingFixture(t *testing.T, mod func(*Options)) *fixture {
	return newFixture(t, func(o *Options) {
		o.Classifier = standingClassifier{}
		if mod != nil {
			mod(o)
		}
	})
}

// submitIn submits cmd in an agent session with its own input digest.
func (f *fixture) submitIn(t *testing.T, session, cmd string) (*Ticket, wire.Request) {
	t.Helper()
	req := request(cmd)
	req.Call.SessionID = session
	req.Call.InputDigest = (&wire.ToolCall{Command: cmd}).DigestHex()
	tk, err := f.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return tk, req
}

func (f *fixture) held(t *testing.T, tk *Ticket) {
	t.Helper()
	if _, ok := tk.Ready(); ok {
		t.Fatalf("request %s was decided at once; want it held", tk.RequestID)
	}
}

func TestRememberTheExactCallAnswersItAgain(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, req := f.submitIn(t, "s-12", "push --force")
	ans, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true, By: "pts/3"})
	if err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Approve || strings.Join(v.Factors, ",") != "keypad" ||
		!strings.Contains(v.Reason, "remembered for session s-12 as "+ans.ID+": this exact Bash call") {
		t.Fatalf("the approval that remembers: %+v", v)
	}
	if ans.Scope != ScopeCall || ans.Session != "s-12" || ans.Risk != risk.High || ans.By != "pts/3" || ans.At.IsZero() {
		t.Fatalf("answer %+v", ans)
	}

	// The same call again: approved by the engine, the ledger says why.
	tk2, req2 := f.submitIn(t, "s-12", "push --force")
	v2 := f.outcome(t, tk2, req2)
	eng, _ := f.reg.ActiveOf(device.KindEngine)
	if v2.Decision != verdict.Approve || strings.Join(v2.Factors, ",") != verdict.FactorRemembered || v2.ApproverDeviceID != eng.ID {
		t.Fatalf("the same call: %+v", v2)
	}
	last := f.records(ledger.KindVerdict)
	rec := last[len(last)-1]
	if !strings.HasPrefix(rec.Detail, "auto: remembered ") || !strings.Contains(rec.Detail, "session s-12 ("+ans.ID) ||
		strings.Join(rec.Factors, ",") != "remembered" || rec.RequestID != tk2.RequestID {
		t.Fatalf("ledger entry %+v", rec)
	}
	if got := f.eng.answers(t); len(got) != 1 || got[0].Uses != 1 {
		t.Fatalf("answers %+v", got)
	}

	// Another call, or the same call in another session, is asked.
	tk3, _ := f.submitIn(t, "s-12", "push --force --tags")
	f.held(t, tk3)
	tk4, _ := f.submitIn(t, "s-13", "push --force")
	f.held(t, tk4)
}

func TestRememberTheTargetCoversOtherCallsOnIt(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, _ := f.submitIn(t, "s-1", "push --force")
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeTarget, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	tk2, req2 := f.submitIn(t, "s-1", "push -f origin main")
	if v := f.outcome(t, tk2, req2); v.Decision != verdict.Approve || v.Factors[0] != verdict.FactorRemembered ||
		!strings.Contains(v.Reason, "git.push.force on origin/main") {
		t.Fatalf("another call on the target: %+v", v)
	}
	// Never above the risk it was given at.
	tk3, _ := f.submitIn(t, "s-1", "pushcrit origin main")
	f.held(t, tk3)
	// Never for another session or harness.
	tk4, _ := f.submitIn(t, "s-2", "push -f origin main")
	f.held(t, tk4)
	req := request("push -f")
	req.Call.Harness, req.Call.SessionID = "codex", "s-1"
	tk5, err := f.eng.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	f.held(t, tk5)
	// Never for a call that also does something else above low risk
	// (git push origin main && ssh prod …: the push decides on equal risk).
	tk6, _ := f.submitIn(t, "s-1", "pushplus origin main")
	f.held(t, tk6)
}

// The engine refuses to remember a protected action, whatever a console
// asks, and an answer that somehow covered one would not be used.
func TestRememberRefusesProtectedActions(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	for _, cmd := range []string{"tamper x", "hookconf x", "tamperhigh x"} {
		for _, scope := range []Scope{ScopeCall, ScopeTarget} {
			tk, _ := f.submitIn(t, "s-1", cmd)
			_, err := f.eng.Remember(ctx, tk.RequestID, scope, Approval{Approve: true, Code: "123456"})
			if !errors.Is(err, ErrProtected) {
				t.Fatalf("%s (%s): %v", cmd, scope, err)
			}
			if !pendingHas(f.eng, tk.RequestID) {
				t.Fatalf("%s: the refused request left the queue", cmd)
			}
		}
	}
	if n := len(f.eng.answers(t)); n != 0 {
		t.Fatalf("%d answers kept", n)
	}
	// An answer that covers a protected call (as a bug elsewhere might
	// make) is not used.
	req := request("tamperhigh x")
	f.eng.mu.Lock()
	f.eng.standing.add(&StandingAnswer{ID: "a-000001", Scope: ScopeCall, Harness: "claude", Session: "s1",
		Tool: "Bash", InputDigest: req.Call.InputDigest, Action: "ony.tamper.config", Risk: risk.Critical})
	f.eng.mu.Unlock()
	tk, err := f.eng.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	f.held(t, tk)
}

func pendingHas(e *Engine, id string) bool {
	for _, p := range e.Snapshot().Pending {
		if p.ID == id {
			return true
		}
	}
	return false
}

func TestRememberCriticalNeedsTheCode(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, req := f.submitIn(t, "s-1", "deploy prod")
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true}); !errors.Is(err, ErrCodeRequired) {
		t.Fatalf("without the code: %v", err)
	}
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true, Code: "000000"}); !errors.Is(err, ErrBadCode) {
		t.Fatalf("a wrong code: %v", err)
	}
	if n := len(f.eng.answers(t)); n != 0 {
		t.Fatalf("%d answers kept before the code", n)
	}
	ans, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true, Code: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); strings.Join(v.Factors, ",") != "keypad,totp" || strings.Join(ans.Factors, ",") != "keypad,totp" {
		t.Fatalf("verdict %+v, answer %+v", v, ans)
	}
	tk2, req2 := f.submitIn(t, "s-1", "deploy prod")
	if v := f.outcome(t, tk2, req2); v.Decision != verdict.Approve || v.Factors[0] != verdict.FactorRemembered {
		t.Fatalf("the same critical call: %+v", v)
	}
}

// Where approvals.require_touch applies, the keypad cannot remember; a
// touch can.
func TestRememberWhereTouchIsRequired(t *testing.T) {
	f, card := touchFixture(t, func(o *Options) { o.Config.RequireTouch = risk.High; o.Classifier = standingClassifier{} })
	ctx := context.Background()
	tk, req := f.submitIn(t, "s-1", "push --force")
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true}); !errors.Is(err, ErrTouchRequired) {
		t.Fatalf("the keypad: %v", err)
	}
	// A touch that fails remembers nothing, and the request waits.
	card.set(errors.New("card missing"), nil)
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true, Via: device.KindYubiKey}); err == nil {
		t.Fatal("a failed touch remembered")
	}
	if n := len(f.eng.answers(t)); n != 0 || !pendingHas(f.eng, tk.RequestID) {
		t.Fatalf("after a failed touch: %d answers, pending %v", n, pendingHas(f.eng, tk.RequestID))
	}
	card.set(nil, nil)
	done := make(chan error, 1)
	go func() {
		_, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true, Via: device.KindYubiKey})
		done <- err
	}()
	card.waitAsked(t)
	card.touched()
	if err := wantErr(t, done); err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk, req); v.Factors[0] != verdict.FactorYubiKey || !strings.Contains(v.Reason, "remembered for session s-1") {
		t.Fatalf("verdict %+v", v)
	}
	tk2, req2 := f.submitIn(t, "s-1", "push --force")
	if v := f.outcome(t, tk2, req2); v.Factors[0] != verdict.FactorRemembered {
		t.Fatalf("the same call: %+v", v)
	}
}

func TestForgetAsksAgain(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, _ := f.submitIn(t, "s-1", "push --force")
	ans, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Forget(ctx, ans.ID); err != nil {
		t.Fatal(err)
	}
	// The audit trail says when the answer stopped, and what it covered.
	if r := f.records(ledger.KindAnswerForgotten); len(r) != 1 || r[0].SessionID != "s-1" ||
		!strings.Contains(r[0].Detail, "forgot "+ans.ID) || !strings.Contains(r[0].Detail, "used 0 times") {
		t.Fatalf("answer-forgotten entries %+v", r)
	}
	if _, err := f.eng.Forget(ctx, ans.ID); !errors.Is(err, ErrUnknownAnswer) {
		t.Fatalf("forgetting twice: %v", err)
	}
	tk2, _ := f.submitIn(t, "s-1", "push --force")
	f.held(t, tk2)
}

// A remembered answer does not outrank the kill switch or a block.
func TestRememberedCallsStillStopAtTheKillSwitch(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, _ := f.submitIn(t, "s-1", "push --force")
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeTarget, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.EngageKillSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	tk2, req2 := f.submitIn(t, "s-1", "push --force")
	if v := f.outcome(t, tk2, req2); v.Decision != verdict.Deny || v.Reason != ReasonKillSwitch {
		t.Fatalf("while engaged: %+v", v)
	}
}

// An approval the ledger could not record is a deny, and remembers
// nothing.
func TestRememberNothingWhenTheLedgerFails(t *testing.T) {
	f := standingFixture(t, nil)
	tk, req := f.submitIn(t, "s-1", "push --force")
	f.j.setFail(errors.New("disk full"))
	if _, err := f.eng.Remember(context.Background(), tk.RequestID, ScopeCall, Approval{Approve: true}); err == nil {
		t.Fatal("remembered an approval the ledger refused")
	}
	f.j.setFail(nil)
	if v := f.outcome(t, tk, req); v.Decision != verdict.Deny {
		t.Fatalf("verdict %+v", v)
	}
	if n := len(f.eng.answers(t)); n != 0 {
		t.Fatalf("%d answers kept", n)
	}
}

func TestRememberRefusesWhatItCannotScope(t *testing.T) {
	f := standingFixture(t, nil)
	ctx := context.Background()
	tk, _ := f.submitIn(t, "", "push --force")
	if _, err := f.eng.Remember(ctx, tk.RequestID, ScopeCall, Approval{Approve: true}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
	tk2, _ := f.submitIn(t, "s-1", "mystery-tool run") // unknown: no target
	if _, err := f.eng.Remember(ctx, tk2.RequestID, ScopeTarget, Approval{Approve: true, Code: "123456"}); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("no target: %v", err)
	}
	// An unknown call with a target (the taxonomy names its program) has
	// no action to remember on it.
	f.eng.opts.Classifier = fixedClass{Classification{Action: "unknown", Risk: risk.Critical, Target: "webctl"}}
	tk3, _ := f.submitIn(t, "s-1", "webctl build; othertool")
	if _, err := f.eng.Remember(ctx, tk3.RequestID, ScopeTarget, Approval{Approve: true, Code: "123456"}); !errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("unknown on a target: %v", err)
	}
	if _, err := f.eng.Remember(ctx, tk2.RequestID, Scope(9), Approval{Approve: true}); err == nil {
		t.Fatal("an invalid scope was taken")
	}
	if _, err := f.eng.Remember(ctx, "req_000000000000", ScopeCall, Approval{Approve: true}); !errors.Is(err, ErrNotPending) {
		t.Fatalf("an unknown request: %v", err)
	}
}

func TestStandingAnswersAreBounded(t *testing.T) {
	var s standingAnswers
	for i := range MaxStandingAnswers + 10 {
		s.add(&StandingAnswer{ID: string(rune('a' + i%26)), Uses: i})
	}
	if len(s.list) != MaxStandingAnswers || s.list[0].Uses != 10 {
		t.Fatalf("%d kept, oldest %d", len(s.list), s.list[0].Uses)
	}
}

func (e *Engine) answers(t *testing.T) []StandingAnswer {
	t.Helper()
	out, err := e.StandingAnswers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fixedClass classifies every call the same way.
type fixedClass struct{ c Classification }

func (f fixedClass) Classify(*wire.ToolCall, Host) Classification { return f.c }
