package console

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// protectedToo classifies "tamper" as ony.tamper, the rest as byCommand.
type protectedToo struct{ byCommand }

func (p protectedToo) Classify(c *wire.ToolCall, h engine.Host) engine.Classification {
	if strings.HasPrefix(c.Command, "tamper") {
		return engine.Classification{Action: "ony.tamper", Title: "Touch Ony's files", Risk: risk.High, Target: "~/.config/ony"}
	}
	return p.byCommand.Classify(c, h)
}

func TestAttachedConsoleRemembersListsAndForgets(t *testing.T) {
	r := newRig(t)
	a := r.attach(t, "pts/3")
	ctx := context.Background()
	tk, _ := r.submit(t, "git push -f")
	eventually(t, "the console sees the request", func() bool { return len(a.Snapshot().Pending) == 1 })
	ans, err := a.Remember(ctx, tk.RequestID, engine.ScopeTarget, engine.Approval{Approve: true, By: "forged"})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Scope != engine.ScopeTarget || ans.By != "pts/3" || ans.Target != "origin main" || ans.Risk != risk.High || !strings.HasPrefix(ans.ID, "a-") {
		t.Fatalf("answer %+v", ans)
	}
	// The next call on the target passes by itself.
	tk2, _ := r.submit(t, "git push --force origin main")
	o, ok := tk2.Ready()
	if !ok || o.Decision != verdict.Approve || !strings.HasPrefix(o.Reason, "auto: remembered ") {
		t.Fatalf("the next call: %+v %v", o, ok)
	}
	list, err := a.StandingAnswers(ctx)
	if err != nil || len(list) != 1 || list[0].ID != ans.ID || list[0].Uses != 1 {
		t.Fatalf("list %+v, %v", list, err)
	}
	if _, err := a.Forget(ctx, ans.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Forget(ctx, ans.ID); !errors.Is(err, engine.ErrUnknownAnswer) {
		t.Fatalf("forgetting twice: %v", err)
	}
	if list, err := a.StandingAnswers(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after forget: %+v, %v", list, err)
	}
}

// A console that asks the engine to remember a protected action over the
// socket is refused by the engine, whatever the console shows.
func TestAttachedConsoleCannotRememberProtected(t *testing.T) {
	r := &rig{}
	r = startRigWith(t, r, protectedToo{})
	a := r.attach(t, "pts/3")
	tk, _ := r.submit(t, "tamper")
	eventually(t, "the console sees the request", func() bool { return len(a.Snapshot().Pending) == 1 })
	for _, scope := range []engine.Scope{engine.ScopeCall, engine.ScopeTarget} {
		if _, err := a.Remember(context.Background(), tk.RequestID, scope, engine.Approval{Approve: true}); !errors.Is(err, engine.ErrProtected) {
			t.Fatalf("%s: %v", scope, err)
		}
	}
	if len(r.eng.Snapshot().Pending) != 1 {
		t.Fatal("the refused request left the queue")
	}
}

// fakeOverlay records what the engine asks of the overlay.
type fakeOverlay struct{ rules []engine.OverlayRule }

func (o *fakeOverlay) AddProgram(_ context.Context, p string, r risk.Level, title, comment string) (engine.OverlayChange, error) {
	rule := engine.OverlayRule{ID: "owner." + p, Title: title, Risk: r, Programs: []string{p}, File: "/o.yaml", Line: 9, Comment: comment}
	o.rules = append(o.rules, rule)
	return engine.OverlayChange{Rule: rule, SHA256: strings.Repeat("ab", 32)}, nil
}

func (o *fakeOverlay) Rules(context.Context) ([]engine.OverlayRule, error) { return o.rules, nil }

func (o *fakeOverlay) Remove(_ context.Context, id string) (engine.OverlayChange, error) {
	for i, r := range o.rules {
		if r.ID == id {
			o.rules = append(o.rules[:i], o.rules[i+1:]...)
			return engine.OverlayChange{Rule: r, SHA256: strings.Repeat("cd", 32)}, nil
		}
	}
	return engine.OverlayChange{}, errors.New("no such rule")
}

// unknownProgram classifies "webctl ..." as an unknown program.
type unknownProgram struct{ byCommand }

func (u unknownProgram) Classify(c *wire.ToolCall, h engine.Host) engine.Classification {
	if strings.HasPrefix(c.Command, "webctl") {
		return engine.Classification{Action: "unknown", Title: "Unrecognised action", Risk: risk.Critical, Target: "webctl", Program: "webctl"}
	}
	return u.byCommand.Classify(c, h)
}

func TestAttachedConsoleClassifiesAProgram(t *testing.T) {
	o := &fakeOverlay{}
	r := startRigOpts(t, &rig{}, unknownProgram{}, func(opts *engine.Options) {
		opts.Overlay = o
		opts.Codes = acceptCode{}
	})
	a := r.attach(t, "pts/3")
	ctx := context.Background()
	tk, _ := r.submit(t, "webctl build")
	eventually(t, "the console sees the request", func() bool { return len(a.Snapshot().Pending) == 1 })
	if p := a.Snapshot().Pending[0]; p.Class.Program != "webctl" {
		t.Fatalf("the console does not see the program: %+v", p.Class)
	}
	if _, err := a.ClassifyProgram(ctx, tk.RequestID, risk.Low, "Run webctl", engine.Approval{Approve: true}); !errors.Is(err, engine.ErrCodeRequired) {
		t.Fatalf("without the code: %v", err)
	}
	rule, err := a.ClassifyProgram(ctx, tk.RequestID, risk.Low, "Run webctl", engine.Approval{Approve: true, Code: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if rule.ID != "owner.webctl" || rule.Line != 9 || !strings.Contains(rule.Comment, "classified at the console pts/3") {
		t.Fatalf("rule %+v", rule)
	}
	as, rs, err := a.Remembered(ctx)
	if err != nil || len(as) != 0 || len(rs) != 1 {
		t.Fatalf("remembered: %v %v %v", as, rs, err)
	}
	if _, err := a.ForgetRule(ctx, "owner.webctl"); err != nil {
		t.Fatal(err)
	}
	if _, rs, _ := a.Remembered(ctx); len(rs) != 0 {
		t.Fatalf("after forget: %v", rs)
	}
}

// acceptCode accepts 123456 for any request.
type acceptCode struct{}

func (acceptCode) Enrolled() bool { return true }
func (acceptCode) Check(_ context.Context, _, code string) (uint64, error) {
	if code != "123456" {
		return 0, errors.New("code does not match")
	}
	return 1, nil
}
