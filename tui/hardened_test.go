package tui

import (
	"slices"
	"strings"
	"testing"
)

// hardenedRequest is oneRequest on an engine that requires a factor the
// agent's code cannot produce (the system install's posture).
func hardenedRequest(t *testing.T, o fixtureOpts) (*fixture, string) {
	t.Helper()
	o.requireFactor = true
	f := newFixture(t, o)
	f.size(100, 30)
	id := f.submit(highSpec())
	f.refresh()
	return f, id
}

// TestHardenedKeypadAskForTheCode: in the hardened posture A alone does
// not approve a high request; the console says why and asks for the code,
// and the code approves it.
func TestHardenedKeypadAsksForTheCode(t *testing.T) {
	f, id := hardenedRequest(t, fixtureOpts{})
	f.key("A")
	undecided(t, f, id)
	if !f.m.code.open || f.m.code.req.ID != id {
		t.Fatal("the refused keypad approval did not open the code input")
	}
	if s := f.screen(); !strings.Contains(s, "a keypress alone cannot approve") {
		t.Fatalf("the console does not say why:\n%s", s)
	}
	f.typeText(f.code())
	f.key("enter")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}
}

// TestHardenedWithoutCodeDevice: with no code device the console says what
// can approve instead, and nothing is decided.
func TestHardenedWithoutCodeDevice(t *testing.T) {
	f, id := hardenedRequest(t, fixtureOpts{noCode: true})
	f.key("A")
	undecided(t, f, id)
	if f.m.code.open {
		t.Fatal("a code input opened with no code device")
	}
	if s := f.screen(); !strings.Contains(s, "keypress alone cannot approve") || !strings.Contains(s, "YubiKey") {
		t.Fatalf("the console does not explain:\n%s", s)
	}
	f.key("D")
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("a deny needs no factor: verdicts %v", v)
	}
}

// TestHardenedReleaseNeedsTheCode: releasing the kill switch in the
// hardened posture asks for the code after y; a wrong code keeps it
// engaged and the dialog open, Esc backs out, the right code releases.
func TestHardenedReleaseNeedsTheCode(t *testing.T) {
	f, _ := hardenedRequest(t, fixtureOpts{})
	f.key("K")
	if !f.eng.KillSwitch() {
		t.Fatal("K did not engage")
	}
	f.key("K")
	f.key("y")
	if !f.eng.KillSwitch() || !f.m.code.open || !f.m.code.release {
		t.Fatalf("y alone released, or no code asked (open %v release %v)", f.m.code.open, f.m.code.release)
	}
	if s := f.screen(); !strings.Contains(s, "Release the kill switch") || !strings.Contains(s, "only the 6-digit code releases") {
		t.Fatalf("the console does not say the code is needed:\n%s", s)
	}
	f.typeText("000000")
	f.key("enter")
	if !f.eng.KillSwitch() || !f.m.code.open || !strings.Contains(f.m.code.err, "wrong code") {
		t.Fatalf("a wrong code: engaged %v open %v err %q", f.eng.KillSwitch(), f.m.code.open, f.m.code.err)
	}
	f.key("esc")
	if f.m.code.open || !f.eng.KillSwitch() {
		t.Fatal("esc did not back out, or released")
	}
	f.key("K")
	f.key("y")
	f.typeText(f.code())
	f.key("enter")
	if f.eng.KillSwitch() || f.m.code.open {
		t.Fatalf("the code did not release (open %v)\n%s", f.m.code.open, f.screen())
	}
}
