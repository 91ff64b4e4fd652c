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
