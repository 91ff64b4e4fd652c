package tui

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
)

// Another console answers the request shown here: this console says who
// answered and how, and moves on.
func TestAnsweredAtAnotherConsole(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	id := f.submit(highSpec())
	f.refresh()
	if err := f.eng.Decide(context.Background(), id, engine.Approval{Approve: true, Via: device.KindConsole, By: "pts/9 on jump (ssh from 10.0.0.5)"}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	if got := f.m.status.text; !strings.Contains(got, "approved at pts/9 on jump (ssh from 10.0.0.5) (console)") {
		t.Fatalf("status: %q", got)
	}
	// Its own answers are not reported as someone else's.
	id2 := f.submit(highSpec())
	f.refresh()
	f.key("D")
	if f.pending(id2) {
		t.Fatal("D did not deny")
	}
	if got := f.m.status.text; strings.Contains(got, " at the test's console") {
		t.Fatalf("its own answer reported as another console's: %q", got)
	}
}

// An attached console quits at once even with requests waiting: detaching
// denies nothing, the engine keeps them.
func TestAttachedConsoleDetachesWithoutAsking(t *testing.T) {
	f := newFixture(t, fixtureOpts{attached: true})
	f.size(100, 30)
	id := f.submit(highSpec())
	f.refresh()
	if !strings.Contains(f.screen(), "attached to the engine") {
		t.Fatalf("header does not say the console is attached:\n%s", f.screen())
	}
	msgs := f.key("q")
	if !f.m.Quitting() || !slices.ContainsFunc(msgs, func(m tea.Msg) bool { _, ok := m.(tea.QuitMsg); return ok }) {
		t.Fatal("q did not detach")
	}
	if !f.pending(id) {
		t.Fatal("detaching denied a waiting request")
	}
}

// The header says when more than one console is attached, and when none
// is (requests then go to the phone, or wait).
func TestHeaderCountsConsoles(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(140, 30)
	f.refresh()
	if strings.Contains(f.screen(), "consoles attached") {
		t.Fatalf("one console shown as several:\n%s", f.screen())
	}
	_, detach := f.eng.AttachConsole("tmux pane")
	f.refresh()
	if !strings.Contains(f.screen(), "2 consoles attached") {
		t.Fatalf("two consoles not shown:\n%s", f.screen())
	}
	detach()
	f.refresh()
	if strings.Contains(f.screen(), "consoles attached") {
		t.Fatalf("still shows two:\n%s", f.screen())
	}
}

// Every key pressed reaches the engine as activity, at most once a second.
func TestKeysKeepTheEngineAttended(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	before := f.eng.Snapshot().LastActivity
	f.key("j")
	after := f.eng.Snapshot().LastActivity
	if !after.After(before) {
		t.Fatal("a key press did not reach the engine")
	}
	f.key("k")
	if f.eng.Snapshot().LastActivity != after {
		t.Fatal("a second key within a second was sent again")
	}
}
