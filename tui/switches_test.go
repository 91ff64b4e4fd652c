package tui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestKillSwitchEngageDeniesAll(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	a, b := f.submit(highSpec()), f.submit(critSpec())
	f.refresh()
	f.key("K")
	if !f.eng.KillSwitch() {
		t.Fatal("K did not engage the kill switch")
	}
	for _, id := range []string{a, b} {
		if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
			t.Fatalf("%s: verdicts %v, want [deny]", id, v)
		}
	}
	s := f.screen()
	for _, want := range []string{"KILL SWITCH ENGAGED · every request is denied · K then y to release", "2 waiting requests denied"} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	if got := f.m.View().WindowTitle; got != "Ony: KILL SWITCH ENGAGED" {
		t.Fatalf("title %q", got)
	}
	// A second K does not release it.
	f.key("K")
	if !f.eng.KillSwitch() || f.m.confirm.kind != confirmRelease {
		t.Fatal("K while engaged must ask before releasing")
	}
}

func TestKillSwitchReleaseNeedsConfirmation(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	f.key("K")
	f.key("K")
	if !strings.Contains(f.screen(), "Release the kill switch?") {
		t.Fatalf("no confirmation:\n%s", f.screen())
	}
	if !f.eng.KillSwitch() {
		t.Fatal("released before confirmation")
	}
	f.key("y")
	if f.eng.KillSwitch() {
		t.Fatal("y did not release the kill switch")
	}
	if strings.Contains(f.screen(), "KILL SWITCH ENGAGED") {
		t.Fatalf("banner still shown:\n%s", f.screen())
	}
}

func TestKillSwitchRelease_EnterDoesNotRelease(t *testing.T) {
	for _, k := range []string{"enter", "space", "n", "esc", "K", "A"} {
		t.Run(k, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{})
			f.size(100, 30)
			f.refresh()
			f.key("K")
			f.key("K")
			f.key(k)
			if !f.eng.KillSwitch() {
				t.Fatalf("%s released the kill switch", k)
			}
			if f.m.confirm.open() {
				t.Fatalf("%s left the confirmation open", k)
			}
		})
	}
}

func TestKillSwitchFromCodeInputAndHelp(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.key("K")
	if !f.eng.KillSwitch() || f.m.code.open {
		t.Fatal("K in the code input did not engage the kill switch")
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v, want [deny]", v)
	}

	g := newFixture(t, fixtureOpts{})
	g.size(100, 30)
	g.refresh()
	g.key("?")
	g.key("K")
	if !g.eng.KillSwitch() {
		t.Fatal("K in the help overlay did not engage the kill switch")
	}
}

func TestApproveRefusedWhileKillSwitchEngaged(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	f.key("K")
	// A request that arrives now is denied by the engine at once.
	id := f.submit(highSpec())
	f.refresh()
	if f.pending(id) || len(f.m.queue.visible) != 0 {
		t.Fatal("a request waits while the kill switch is engaged")
	}
	f.key("A")
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v, want [deny]", v)
	}
}

func TestAwayToggle(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	f.key("w")
	if !f.eng.Snapshot().Away {
		t.Fatal("w did not set away")
	}
	if !strings.Contains(f.screen(), "AWAY (no phone configured)") {
		t.Fatalf("header does not show away:\n%s", f.screen())
	}
	f.key("w")
	if f.eng.Snapshot().Away {
		t.Fatal("w did not clear away")
	}
	if !strings.Contains(f.screen(), "away off") {
		t.Fatalf("header does not show back:\n%s", f.screen())
	}
}

func TestQuitWithoutPending(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	msgs := f.key("q")
	if !f.m.Quitting() {
		t.Fatal("q did not quit")
	}
	if !slices.ContainsFunc(msgs, func(m tea.Msg) bool { _, ok := m.(tea.QuitMsg); return ok }) {
		t.Fatal("no tea.Quit")
	}
}

func TestQuitWithPendingAsksFirst(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.submit(highSpec())
	f.submit(critSpec())
	f.refresh()
	f.key("q")
	if f.m.Quitting() || f.m.confirm.kind != confirmQuit {
		t.Fatal("q with requests waiting must ask first")
	}
	if s := f.screen(); !strings.Contains(s, "2 requests will be denied") {
		t.Fatalf("the dialog does not say what quitting does:\n%s", s)
	}
	f.key("enter")
	if f.m.Quitting() || f.m.confirm.open() {
		t.Fatal("enter must cancel, not quit")
	}
	f.key("q")
	msgs := f.key("y")
	if !f.m.Quitting() || !slices.ContainsFunc(msgs, func(m tea.Msg) bool { _, ok := m.(tea.QuitMsg); return ok }) {
		t.Fatal("y did not quit")
	}
	if f.m.ctx.Err() == nil {
		t.Fatal("quitting did not stop the console's background work")
	}
	// Keys after quitting do nothing.
	f.key("A")
	if len(f.eng.Snapshot().Pending) != 2 {
		t.Fatal("a key after quitting decided something")
	}
}

func TestCtrlCTwiceQuits(t *testing.T) {
	f, _ := oneRequest(t, highSpec())
	f.key("ctrl+c")
	if f.m.Quitting() || !f.m.confirm.open() {
		t.Fatal("the first ctrl+c must ask")
	}
	f.key("ctrl+c")
	if !f.m.Quitting() {
		t.Fatal("the second ctrl+c did not quit")
	}
}

func TestHelpOverlay(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("?")
	if !f.m.showHelp {
		t.Fatal("? did not open help")
	}
	s := f.screen()
	for _, want := range []string{"Ony console keys", "A approve", "K kill switch", "Enter, space and lowercase a/d never decide"} {
		if !strings.Contains(s, want) {
			t.Fatalf("help lacks %q:\n%s", want, s)
		}
	}
	f.key("A") // keys under the overlay do nothing
	undecided(t, f, id)
	f.key("q") // closes help, does not quit
	if f.m.showHelp || f.m.Quitting() {
		t.Fatal("q in help must only close it")
	}
	f.key("?")
	f.key("esc")
	if f.m.showHelp {
		t.Fatal("esc did not close help")
	}
}

func TestSelectionMovedGuard(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	a := f.submit(highSpec())
	b := f.submit(highSpec())
	f.refresh()
	if f.selected() != a {
		t.Fatal("the first request is not selected")
	}
	// The selected request times out or is decided elsewhere.
	f.eng.Abandon(a)
	f.refresh()
	if f.selected() != b {
		t.Fatal("the selection did not move to the remaining request")
	}
	f.key("A")
	undecided(t, f, b)
	if !strings.Contains(f.screen(), "check it, then press A") {
		t.Fatalf("no warning:\n%s", f.screen())
	}
	f.key("A")
	if v := f.verdicts(b); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}
}
