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
