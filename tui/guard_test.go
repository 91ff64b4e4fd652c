package tui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
)

// After the person's own A or D, the next A or D decides the request now
// selected at once: the "selection changed" guard is for a selection that
// moved under them, not for their own decision.
func TestOwnDecisionDoesNotTriggerTheGuard(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	a, b, c := f.submit(highSpec()), f.submit(highSpec()), f.submit(highSpec())
	f.refresh()
	f.key("D")
	if v := f.verdicts(a); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("a: %v", v)
	}
	if f.selected() != b {
		t.Fatalf("selected %s, want the next request", f.selected())
	}
	f.key("A")
	if v := f.verdicts(b); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("the next A after my own D did not approve: %v\n%s", v, f.screen())
	}
	if strings.Contains(f.screen(), "selection changed") {
		t.Fatalf("guard message after my own decision:\n%s", f.screen())
	}
	f.key("A")
	if v := f.verdicts(c); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("third: %v", v)
	}
}

// The guard still holds when the request that takes the selection arrived
// while the person's decision was on its way: they never saw it.
func TestArrivalDuringOwnDecisionStillGuards(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	a := f.submit(highSpec())
	f.refresh()
	var late string
	f.m.snapper.eng = hooked{Engine: f.eng, before: func() { late = f.submit(highSpec()) }}
	f.key("A")
	if v := f.verdicts(a); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("a: %v", v)
	}
	if f.selected() != late {
		t.Fatalf("selected %s, want the late arrival", f.selected())
	}
	f.key("A")
	undecided(t, f, late)
	if !strings.Contains(f.screen(), "check it, then press A") {
		t.Fatalf("no guard for a request never seen:\n%s", f.screen())
	}
}

// When another console (or the deadline) answers the request first, the
// person's A did nothing: the selection moved under them, and the guard
// holds.
func TestAnsweredElsewhereFirstStillGuards(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	a, b := f.submit(highSpec()), f.submit(highSpec())
	f.refresh()
	f.m.snapper.eng = hooked{Engine: f.eng, before: func() {
		_ = f.eng.Decide(context.Background(), a, engine.Approval{Approve: false, By: "pts/9"})
	}}
	f.key("A")
	if v := f.verdicts(a); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("a: %v", v)
	}
	if f.selected() != b {
		t.Fatalf("selected %s", f.selected())
	}
	f.m.snapper.eng = f.eng
	f.key("A")
	undecided(t, f, b)
	if !strings.Contains(f.screen(), "check it, then press A") {
		t.Fatalf("no guard after a decision that failed:\n%s", f.screen())
	}
}

// hooked runs before ahead of each Decide, to change the world while a
// decision is on its way.
type hooked struct {
	*engine.Engine
	before func()
}

func (h hooked) Decide(ctx context.Context, id string, a engine.Approval) error {
	h.before()
	return h.Engine.Decide(ctx, id, a)
}

// A code used already in this 30-second window (the one the demo shows
// after it approved something) says so, with the seconds to the next one.
func TestUsedCodeSaysWhenTheNextComes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	first, second := f.submit(critSpec()), f.submit(critSpec())
	f.refresh()
	code := f.code() // 15 s into its 30 s step
	f.key("A")
	f.typeText(code)
	f.key("enter")
	if v := f.verdicts(first); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("first: %v", v)
	}
	f.key("A")
	f.typeText(code)
	f.key("enter")
	undecided(t, f, second)
	s := f.screen()
	if !strings.Contains(s, "this code was already used; the next one comes in 15s") || strings.Contains(s, "does not match") {
		t.Fatalf("used code:\n%s", s)
	}
}
