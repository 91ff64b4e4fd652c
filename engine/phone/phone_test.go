package phone_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/phone/relayfake"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/ledger"
)

func presses(keys ...string) relayfake.Callee {
	return relayfake.Callee{Keys: relayfake.Presses(keys...)}
}

func TestPhoneApprovesWithThePhoneDevice(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("1")})
	p := r.submit("rm -rf ./build")
	v := r.outcome(p)
	if v.Decision != verdict.Approve || v.ApproverDeviceID != r.phone.ID || !slices.Equal(v.Factors, []string{verdict.FactorPhone}) {
		t.Fatalf("verdict %+v, want an approval signed by the phone device %s", v, r.phone.ID)
	}
	if v.Reason != "approved by owner on the phone" {
		t.Fatalf("reason %q", v.Reason)
	}
	d := r.srv.Dials()
	if len(d) != 1 || d[0].To != owner || d[0].From != from || d[0].Ring != 30 {
		t.Fatalf("dials %+v", d)
	}
	c := r.callEnded()
	ps := r.srv.Prompts()
	if len(ps) != 1 {
		t.Fatalf("prompts %+v", ps)
	}
	for _, want := range []string{"1 request waiting", "Claude Code", "session 3 f 2 a", "delete a directory tree",
		"Target: slash tmp slash project slash build", "High risk", "Waiting 1 second", "Press 1 to approve, 2 to deny"} {
		if !strings.Contains(ps[0].Text, want) {
			t.Errorf("prompt %q lacks %q", ps[0].Text, want)
		}
	}
	if strings.Contains(ps[0].Text, "rm -rf") {
		t.Fatalf("the raw command was spoken: %q", ps[0].Text)
	}
	if c.Outcome != "completed" || !slices.Equal(c.Keys, []string{strings.TrimPrefix(p.tk.RequestID, "req_") + " 1 approve"}) {
		t.Fatalf("call status %+v", c)
	}
	es := r.entries(ledger.KindPhonePlaced, ledger.KindPhoneAnswered, ledger.KindPhoneEnded, ledger.KindPhoneFailed)
	if len(es) != 3 || es[0].Kind != ledger.KindPhonePlaced || es[1].Kind != ledger.KindPhoneAnswered || es[2].Kind != ledger.KindPhoneEnded {
		t.Fatalf("phone entries %+v", es)
	}
	for _, e := range es {
		if e.DeviceID != r.phone.ID || !strings.Contains(e.Detail+es[0].Detail, "+14*******23") {
			t.Fatalf("entry %+v", e)
		}
	}
	if want := p.tk.RequestID + " approved"; !strings.Contains(es[2].Detail, want) || !strings.Contains(es[2].Detail, "1 approve") {
		t.Fatalf("ended entry %q lacks %q and the key", es[2].Detail, want)
	}
	r.noSecretsLeaked("rm -rf")
}

func TestPhoneDenies(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("2")})
	v := r.outcome(r.submit("git reset --hard HEAD~3"))
	if v.Decision != verdict.Deny || v.ApproverDeviceID != r.phone.ID || v.Reason != "denied by owner on the phone" {
		t.Fatalf("verdict %+v", v)
	}
}

func TestPhoneCriticalWithTheCode(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		if p.N == 0 {
			return relayfake.Reply{Digits: "1"}
		}
		return relayfake.Reply{Digits: r.code(0) + "#"}
	}}})
	p := r.submit("kubectl --context production apply -f deploy.yaml")
	v := r.outcome(p)
	if v.Decision != verdict.Approve || v.ApproverDeviceID != r.phone.ID ||
		!slices.Equal(v.Factors, []string{verdict.FactorPhone, verdict.FactorTOTP}) {
		t.Fatalf("verdict %+v", v)
	}
	ps := r.srv.Prompts()
	if len(ps) != 2 || !strings.Contains(ps[0].Text, "Critical risk") || ps[1].Max != 6 || ps[1].Terminators != "#" ||
		!strings.Contains(ps[1].Text, "6-digit code") {
		t.Fatalf("prompts %+v", ps)
	}
	// The code reaches SignalWire (it is typed there) but never the
	// ledger, the log or the console.
	c := r.callEnded()
	code := r.code(0)
	for _, k := range c.Keys {
		if strings.Contains(k, code) {
			t.Fatalf("the call status shows the code: %v", c.Keys)
		}
	}
	es := r.entries(ledger.KindPhoneEnded)
	if len(es) != 1 || !strings.Contains(es[0].Detail, "1 approve, code accepted") {
		t.Fatalf("ended entry %+v", es)
	}
	r.noSecretsLeaked()
	for _, e := range r.entries(ledger.Kinds()...) {
		if strings.Contains(e.Detail, code) {
			t.Fatalf("the code is in the ledger: %+v", e)
		}
	}
}

func TestPhoneWrongThenRightCode(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		switch p.N {
		case 0:
			return relayfake.Reply{Digits: "1"}
		case 1:
			return relayfake.Reply{Digits: wrongCode(r.code(0), r.code(-1), r.code(1)) + "#"}
		}
		return relayfake.Reply{Digits: r.code(0) + "#"}
	}}})
	p := r.submit("kubectl --context production apply -f deploy.yaml")
	v := r.outcome(p)
	if v.Decision != verdict.Approve || v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("verdict %+v", v)
	}
	r.callEnded()
	if n := len(r.entries(ledger.KindCodeFailed)); n != 1 {
		t.Fatalf("%d code-failed entries, want 1: a wrong code on the phone counts like one at the console", n)
	}
	if es := r.entries(ledger.KindPhoneEnded); len(es) != 1 || !strings.Contains(es[0].Detail, "code wrong") || !strings.Contains(es[0].Detail, "code accepted") {
		t.Fatalf("ended entry %+v", es)
	}
}

// wrongCode returns a 6-digit code none of the valid ones equals.
func wrongCode(valid ...string) string {
	for _, c := range []string{"000000", "111111", "222222"} {
		if !slices.Contains(valid, c) {
			return c
		}
	}
	return "333333"
}

func TestPhoneWrongCodesNeverApprove(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, rigOpts{config: "deadline: 30s\nphone:\n  min_gap: 0s\n  on_failure: deny\n",
		callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
			if p.N == 0 {
				return relayfake.Reply{Digits: "1"}
			}
			return relayfake.Reply{Digits: wrongCode(r.code(0), r.code(-1), r.code(1)) + "#"}
		}}})
	p := r.submit("kubectl --context production apply -f deploy.yaml")
	v := r.outcome(p)
	if v.Decision != verdict.Deny || v.ApproverDeviceID == r.phone.ID || !strings.Contains(v.Reason, "no approval") {
		t.Fatalf("verdict %+v", v)
	}
	if n := len(r.entries(ledger.KindCodeFailed)); n != 2 {
		t.Fatalf("%d code-failed entries, want 2", n)
	}
}

func TestPhoneNotAnswered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pickup  relayfake.Pickup
		outcome string
	}{
		{relayfake.NoAnswer, "no answer"},
		{relayfake.Busy, "busy"},
		{relayfake.Decline, "declined"},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			r := newRig(t, rigOpts{callee: relayfake.Callee{Pickup: tc.pickup}})
			p := r.submit("rm -rf ./build")
			c := r.callEnded()
			if c.Outcome != tc.outcome {
				t.Fatalf("outcome %q, want %q", c.Outcome, tc.outcome)
			}
			// The default fallback: the request still waits for the console.
			if _, ok := p.tk.Ready(); ok || len(r.a.Engine.Snapshot().Pending) != 1 {
				t.Fatal("an unanswered call decided the request")
			}
			es := r.entries(ledger.KindPhoneFailed)
			if len(es) != 1 || !strings.Contains(es[0].Detail, tc.outcome) || len(r.entries(ledger.KindPhoneAnswered)) != 0 {
				t.Fatalf("entries %+v", es)
			}
			// The console still answers.
			if err := r.a.Engine.Decide(context.Background(), p.tk.RequestID, engine.Approval{Approve: true, Via: device.KindConsole}); err != nil {
				t.Fatal(err)
			}
			if v := r.outcome(p); v.Decision != verdict.Approve || v.ApproverDeviceID == r.phone.ID {
				t.Fatalf("verdict %+v", v)
			}
		})
	}
}

func TestPhoneNoAnswerDeniesNowWhenConfigured(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{config: "deadline: 30s\nphone:\n  on_failure: deny\n", callee: relayfake.Callee{Pickup: relayfake.NoAnswer}})
	v := r.outcome(r.submit("rm -rf ./build"))
	if v.Decision != verdict.Deny || !strings.Contains(v.Reason, "no answer") || v.ApproverDeviceID == r.phone.ID {
		t.Fatalf("verdict %+v", v)
	}
}

func TestPhoneHangUpDuringPrompt(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(relayfake.Prompt) relayfake.Reply { return relayfake.Reply{HangUp: true} }}})
	p := r.submit("rm -rf ./build")
	if c := r.callEnded(); c.Outcome != "the owner hung up" {
		t.Fatalf("outcome %q", c.Outcome)
	}
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("a hang-up decided the request")
	}
	if es := r.entries(ledger.KindPhoneEnded); len(es) != 1 || !strings.Contains(es[0].Detail, "not settled") {
		t.Fatalf("entries %+v", es)
	}
}

func TestPhoneSilence(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	p := r.submit("rm -rf ./build")
	if c := r.callEnded(); c.Outcome != "no key pressed" {
		t.Fatalf("outcome %q", c.Outcome)
	}
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("silence decided the request")
	}
	ps := r.srv.Prompts()
	if len(ps) != 2 || !strings.HasPrefix(ps[1].Text, "I did not hear a key.") {
		t.Fatalf("prompts %+v", ps)
	}
	if says := r.srv.Says(); len(says) == 0 || !strings.Contains(says[len(says)-1], "Nothing was approved") {
		t.Fatalf("says %v", says)
	}
	// The request still waits, but it already had its call: no second one.
	time.Sleep(300 * time.Millisecond)
	if n := len(r.srv.Dials()); n != 1 {
		t.Fatalf("%d calls about one request", n)
	}
}

// A request that arrives while the phone rings joins the call; if the
// call fails it does not cause a call of its own.
func TestPhoneJoinedWhileRingingCausesNoSecondCall(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, rigOpts{callee: relayfake.Callee{Pickup: relayfake.NoAnswer}})
	r.submit("rm -rf ./build")
	r.waitFor("ringing", func() bool {
		c := r.a.Engine.Phone().Call
		return c != nil && c.Phase == engine.CallRinging
	})
	r.submit("git reset --hard HEAD~3")
	r.waitFor("the second request in the call", func() bool { return len(r.a.Engine.Phone().Call.Requests) == 2 })
	r.callEnded()
	time.Sleep(300 * time.Millisecond)
	if n := len(r.srv.Dials()); n != 1 {
		t.Fatalf("%d calls", n)
	}
	if es := r.entries(ledger.KindPhoneFailed); len(es) != 1 || strings.Count(es[0].Detail, "not settled") != 2 {
		t.Fatalf("entries %+v", es)
	}
}

func TestPhoneUnknownKeysNeverApprove(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("7", "*", "0")})
	p := r.submit("rm -rf ./build")
	c := r.callEnded()
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("unknown keys decided the request")
	}
	if c.Outcome != "completed" || len(r.srv.Prompts()) != 3 {
		t.Fatalf("status %+v, prompts %d", c, len(r.srv.Prompts()))
	}
	if ps := r.srv.Prompts(); !strings.HasPrefix(ps[1].Text, "Key 7 does nothing here.") || !strings.HasPrefix(ps[2].Text, "Key star does nothing here.") {
		t.Fatalf("prompts %q / %q", ps[1].Text, ps[2].Text)
	}
}

func TestPhoneRepeat(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("3", "1")})
	v := r.outcome(r.submit("rm -rf ./build"))
	if v.Decision != verdict.Approve {
		t.Fatalf("verdict %+v", v)
	}
	ps := r.srv.Prompts()
	if len(ps) != 2 || !strings.HasPrefix(ps[1].Text, "Again: Claude Code") {
		t.Fatalf("prompts %+v", ps)
	}
}

func TestPhoneKillSwitch(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("9")})
	v := r.outcome(r.submit("rm -rf ./build"))
	if v.Decision != verdict.Deny || !strings.Contains(v.Reason, "kill switch") || !r.a.Engine.KillSwitch() {
		t.Fatalf("verdict %+v, kill switch %v", v, r.a.Engine.KillSwitch())
	}
	if c := r.callEnded(); c.Outcome != "kill switch engaged" {
		t.Fatalf("outcome %q", c.Outcome)
	}
	if len(r.entries(ledger.KindKillEngaged)) != 1 {
		t.Fatal("no kill-engaged entry")
	}
}

// Two requests wait when the call starts: it asks about both, oldest
// first, in one call.
func TestPhoneTwoRequestsInOneCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{console: true, config: "deadline: 30s\nphone:\n  after: 300ms\n  min_gap: 0s\n", callee: presses("1", "2")})
	a := r.submit("rm -rf ./build")
	b := r.submit("git reset --hard HEAD~3")
	if v := r.outcome(a); v.Decision != verdict.Approve || v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("first %+v", v)
	}
	if v := r.outcome(b); v.Decision != verdict.Deny || v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("second %+v", v)
	}
	if n := len(r.srv.Dials()); n != 1 {
		t.Fatalf("%d calls", n)
	}
	ps := r.srv.Prompts()
	if len(ps) != 2 || !strings.HasPrefix(ps[0].Text, "This is Ony. 2 requests waiting. First: ") ||
		!strings.Contains(ps[0].Text, "delete a directory tree") || !strings.HasPrefix(ps[1].Text, "Next, the last one: ") ||
		!strings.Contains(ps[1].Text, "rewrite git history") {
		t.Fatalf("prompts %q", []string{ps[0].Text, ps[1].Text})
	}
}

// A request that arrives during a call joins it.
func TestPhoneRequestJoinsTheCall(t *testing.T) {
	t.Parallel()
	var r *rig
	var second pendingReq
	r = newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		if p.N == 0 {
			second = r.submit("git reset --hard HEAD~3")
			return relayfake.Reply{Digits: "2", Delay: 50 * time.Millisecond}
		}
		return relayfake.Reply{Digits: "2"}
	}}})
	first := r.submit("rm -rf ./build")
	r.outcome(first)
	r.waitFor("the second request", func() bool { return second.tk != nil })
	if v := r.outcome(second); v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("second %+v", v)
	}
	if n := len(r.srv.Dials()); n != 1 {
		t.Fatalf("%d calls for two requests", n)
	}
}

func TestPhoneConsoleAnswersFirst(t *testing.T) {
	t.Parallel()
	t.Run("while the owner listens", func(t *testing.T) {
		r := newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
			return relayfake.Reply{Digits: "1", Delay: 5 * time.Second}
		}}})
		p := r.submit("rm -rf ./build")
		r.waitFor("the prompt", func() bool { return len(r.srv.Prompts()) == 1 })
		if err := r.a.Engine.Decide(context.Background(), p.tk.RequestID, engine.Approval{Approve: false, Via: device.KindConsole}); err != nil {
			t.Fatal(err)
		}
		if v := r.outcome(p); v.Decision != verdict.Deny || v.ApproverDeviceID == r.phone.ID {
			t.Fatalf("verdict %+v", v)
		}
		c := r.callEnded()
		says := strings.Join(r.srv.Says(), " | ")
		if !strings.Contains(says, "answered at the console") || !strings.Contains(says, "Nothing else is waiting") || c.Outcome != "completed" {
			t.Fatalf("the call was not told: %q %+v", says, c)
		}
		r.waitFor("the hang-up", func() bool { return len(r.srv.Ends()) == 1 })
	})
	t.Run("while it rings", func(t *testing.T) {
		r := newRig(t, rigOpts{callee: relayfake.Callee{RingFor: 5 * time.Second, Keys: relayfake.Presses("1")}})
		p := r.submit("rm -rf ./build")
		r.waitFor("ringing", func() bool {
			c := r.a.Engine.Phone().Call
			return c != nil && c.Phase == engine.CallRinging
		})
		if err := r.a.Engine.Decide(context.Background(), p.tk.RequestID, engine.Approval{Approve: true, Via: device.KindConsole}); err != nil {
			t.Fatal(err)
		}
		c := r.callEnded()
		if c.Outcome != "everything was answered at the console while the phone rang" || len(r.srv.Prompts()) != 0 {
			t.Fatalf("status %+v, prompts %d", c, len(r.srv.Prompts()))
		}
		r.waitFor("the hang-up", func() bool { return len(r.srv.Ends()) == 1 })
	})
}

// Low and medium requests never cause a call; they join one a high
// request causes.
func TestPhoneLowAndMediumNeverCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{config: "deadline: 30s\npolicy:\n  medium: approve\nphone:\n  min_gap: 0s\n", callee: presses("2", "2")})
	m := r.submit("npm install left-pad")
	time.Sleep(500 * time.Millisecond)
	if n := len(r.srv.Dials()); n != 0 {
		t.Fatalf("a medium request caused %d calls", n)
	}
	h := r.submit("rm -rf ./build")
	if v := r.outcome(m); v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("medium %+v", v)
	}
	r.outcome(h)
	if n := len(r.srv.Dials()); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

// With a console attached, the phone waits phone.after counted from the
// later of the request's arrival and the last key pressed there.
func TestPhoneAfterWaitsForAnIdleConsole(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{console: true, config: "deadline: 30s\nphone:\n  after: 1s\n  min_gap: 0s\n", callee: presses("1")})
	start := time.Now()
	p := r.submit("rm -rf ./build")
	for time.Since(start) < 1500*time.Millisecond {
		r.a.Engine.Activity()
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(r.srv.Dials()); n != 0 {
		t.Fatalf("called while keys were being pressed at the console (%d calls)", n)
	}
	typed := time.Now()
	r.outcome(p)
	if d := time.Since(typed); d < 900*time.Millisecond {
		t.Fatalf("called %s after the last key, before phone.after", d)
	}
}

func TestPhoneAwayCallsAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{console: true, callee: presses("1")})
	p := r.submit("rm -rf ./build")
	time.Sleep(300 * time.Millisecond)
	if len(r.srv.Dials()) != 0 {
		t.Fatal("called with a console attached before phone.after (60 s)")
	}
	if err := r.a.Engine.SetAway(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if v := r.outcome(p); v.ApproverDeviceID != r.phone.ID {
		t.Fatalf("verdict %+v", v)
	}
}

func TestPhoneCapAndGap(t *testing.T) {
	t.Parallel()
	t.Run("cap", func(t *testing.T) {
		r := newRig(t, rigOpts{config: "deadline: 30s\nphone:\n  min_gap: 0s\n  max_per_hour: 1\n",
			callee: relayfake.Callee{Pickup: relayfake.Busy}})
		r.submit("rm -rf ./build")
		r.callEnded()
		r.submit("git reset --hard HEAD~3")
		time.Sleep(500 * time.Millisecond)
		if n := len(r.srv.Dials()); n != 1 {
			t.Fatalf("%d calls with a cap of 1 an hour", n)
		}
		found := false
		for _, p := range r.a.Engine.Snapshot().Problems {
			found = found || strings.Contains(p.Message, "cap of 1 calls an hour")
		}
		if !found {
			t.Fatal("the cap was not reported")
		}
	})
	t.Run("gap", func(t *testing.T) {
		r := newRig(t, rigOpts{config: "deadline: 30s\nphone:\n  min_gap: 1s\n", callee: relayfake.Callee{Pickup: relayfake.Busy}})
		r.submit("rm -rf ./build")
		r.callEnded()
		ended := time.Now()
		r.submit("git reset --hard HEAD~3")
		r.waitFor("the second call", func() bool { return len(r.srv.Dials()) == 2 })
		if d := time.Since(ended); d < 900*time.Millisecond {
			t.Fatalf("second call %s after the first ended, within min_gap", d)
		}
	})
}

// The connection drops while the owner is asked, and the key they press
// arrives after the reconnect: nothing is approved, and the call is
// ended.
func TestPhoneDroppedConnectionApprovesNothing(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, rigOpts{callee: relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		return relayfake.Reply{Digits: "1", Do: func() { r.srv.Disconnect() }}
	}}})
	p := r.submit("rm -rf ./build")
	c := r.callEnded()
	if c.Outcome != "the connection to SignalWire was lost" {
		t.Fatalf("outcome %q", c.Outcome)
	}
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("a key over a dropped connection decided the request")
	}
	r.waitFor("the hang-up after reconnecting", func() bool { return len(r.srv.Ends()) == 1 })
	if cs := r.srv.Connects(); len(cs) != 2 || !cs[1].Restored {
		t.Fatalf("connects %+v", cs)
	}
}

// The command holds a secret (also in the target the taxonomy derives):
// no frame sent to SignalWire carries it, nor the command.
func TestPhoneNeverSpeaksTheCommandOrASecret(t *testing.T) {
	t.Parallel()
	const secret = "9f8e7d6c5b4a3210SECRETX"
	r := newRig(t, rigOpts{callee: presses("2")})
	p := r.submit("rm -rf ./build-sk_live_" + secret + " && echo AKIAIOSFODNN7EXAMPLE")
	r.outcome(p)
	ps := r.srv.Prompts()
	if len(ps) != 1 || !strings.Contains(ps[0].Text, "a hidden value") && !strings.Contains(ps[0].Text, "a long value") {
		t.Fatalf("prompts %+v", ps)
	}
	r.noSecretsLeaked(secret, "AKIAIOSFODNN7EXAMPLE", "rm -rf", "echo")
}

func TestPhoneAuthFailureNeverShowsTheToken(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{fake: func(o *relayfake.Options) { o.Token = "another"; o.EchoToken = true }})
	p := r.submit("rm -rf ./build")
	if c := r.callEnded(); c.Outcome != "could not connect to SignalWire" {
		t.Fatalf("outcome %q", c.Outcome)
	}
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("a failed call decided the request")
	}
	found := false
	for _, pr := range r.a.Engine.Snapshot().Problems {
		found = found || strings.Contains(pr.Message, "refused the project id and API token")
	}
	if !found {
		t.Fatalf("no problem shown: %+v", r.a.Engine.Snapshot().Problems)
	}
	r.noSecretsLeaked()
	if len(r.entries(ledger.KindPhoneFailed)) != 1 {
		t.Fatal("no phone-failed entry")
	}
}

func TestPhoneRevokedDeviceNeverCalls(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("1")})
	if _, err := r.a.Devices.Revoke(r.phone.ID); err != nil {
		t.Fatal(err)
	}
	p := r.submit("rm -rf ./build")
	time.Sleep(500 * time.Millisecond)
	if n := len(r.srv.Dials()); n != 0 {
		t.Fatalf("a revoked phone was called (%d)", n)
	}
	if _, ok := p.tk.Ready(); ok {
		t.Fatal("decided")
	}
	if r.a.Engine.Phone().Enrolled {
		t.Fatal("the console is told a phone is enrolled")
	}
}

// `ony-tui devices rotate` gives the phone a new key: calls go on, signed
// by the new device, and the old one's verdicts stop verifying.
func TestPhoneRotatedDeviceStillCalls(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{callee: presses("1")})
	_, repl, err := r.a.Devices.Rotate(r.phone.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := r.outcome(r.submit("rm -rf ./build"))
	if v.Decision != verdict.Approve || v.ApproverDeviceID != repl.ID {
		t.Fatalf("verdict %+v, want an approval by the rotated device %s", v, repl.ID)
	}
}
