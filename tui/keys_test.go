package tui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/ledger"
)

// oneRequest is a console at 100x30 with one request from s waiting.
func oneRequest(t *testing.T, s spec) (*fixture, string) {
	t.Helper()
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	id := f.submit(s)
	f.refresh()
	if f.selected() != id {
		t.Fatalf("selected %q, want %q", f.selected(), id)
	}
	return f, id
}

// undecided fails the test if request id was decided.
func undecided(t *testing.T, f *fixture, id string) {
	t.Helper()
	if !f.pending(id) {
		t.Fatal("the request is no longer pending")
	}
	if v := f.verdicts(id); len(v) != 0 {
		t.Fatalf("a verdict was issued: %v", v)
	}
}

func TestApproveHigh(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("A")
	if f.pending(id) {
		t.Fatal("still pending after A")
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}
	if !strings.Contains(f.screen(), "approved ✓: Force-push to main") {
		t.Fatalf("no confirmation on screen:\n%s", f.screen())
	}
	if len(f.m.queue.visible) != 0 {
		t.Fatal("the queue still lists the request")
	}
}

func TestDeny(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("D")
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v, want [deny]", v)
	}
	if !strings.Contains(f.screen(), "denied ✗: Force-push to main") {
		t.Fatalf("no confirmation on screen:\n%s", f.screen())
	}
}

func TestDenyCriticalNeedsNoCode(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("D")
	if f.m.code.open {
		t.Fatal("denying opened the code input")
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v, want [deny]", v)
	}
}

func TestConfirm_EnterDoesNotApprove(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("enter")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "press A (shift+a) to approve") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
}

func TestSpaceDoesNotApprove(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("space")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "press A (shift+a) to approve") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
}

func TestLowercaseADoesNotApprove(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("a")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "press A (shift+a) to approve") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
}

func TestLowercaseDDoesNotDeny(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.key("d")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "press D (shift+d) to deny") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
}

func TestOtherKeysDoNotDecide(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	for _, k := range []string{"y", "Y", "n", "1", "tab", "tab", "esc", "x", "v", "?", "?"} {
		f.key(k)
	}
	undecided(t, f, id)
}

func TestCriticalOpensCodeInput(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	if !f.m.code.open || f.m.code.req.ID != id {
		t.Fatal("A on a critical request did not open the code input")
	}
	undecided(t, f, id)
	if s := f.screen(); !strings.Contains(s, "6-digit code needed") {
		t.Fatalf("code dialog not shown:\n%s", s)
	}
}

func TestValidCodeApproves(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.typeText(f.code())
	undecided(t, f, id) // typing alone decides nothing
	f.key("enter")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}
	var totp bool
	for _, r := range f.j.Records() {
		if r.RequestID == id && r.Kind == ledger.KindVerdict {
			totp = slices.Contains(r.Factors, "totp")
		}
	}
	if !totp {
		t.Fatal("the approval was not recorded with the code factor")
	}
	if f.m.code.open {
		t.Fatal("the code input stayed open")
	}
	if !strings.Contains(f.screen(), "approved ✓ with code: Deploy to production") {
		t.Fatalf("no confirmation:\n%s", f.screen())
	}
}

func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

func TestWrongCodeKeepsInput(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.typeText(wrongCode(f.code()))
	f.key("enter")
	undecided(t, f, id)
	if !f.m.code.open {
		t.Fatal("a wrong code closed the input")
	}
	if !strings.Contains(f.m.code.err, "wrong code (1 of 5)") {
		t.Fatalf("error %q does not carry the engine's count", f.m.code.err)
	}
	if f.m.code.value() != "" {
		t.Fatal("the wrong code was left in the input")
	}
	if s := f.screen(); !strings.Contains(s, "wrong code (1 of 5)") {
		t.Fatalf("the engine's error is not on screen:\n%s", s)
	}
	// The right code still works afterwards.
	f.typeText(f.code())
	f.key("enter")
	if v := f.verdicts(id); !slices.Equal(v, []string{"approve"}) {
		t.Fatalf("verdicts %v, want [approve]", v)
	}
}

func TestFiveWrongCodesDeny(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	for i := 0; i < 5; i++ {
		if !f.m.code.open {
			t.Fatalf("input closed after %d wrong codes", i)
		}
		f.typeText(wrongCode(f.code()))
		f.key("enter")
	}
	if v := f.verdicts(id); !slices.Equal(v, []string{"deny"}) {
		t.Fatalf("verdicts %v, want [deny]", v)
	}
	if f.m.code.open {
		t.Fatal("the input stayed open for a denied request")
	}
	if s := f.screen(); !strings.Contains(s, "denied after 5 wrong codes") {
		t.Fatalf("no error:\n%s", s)
	}
}

func TestEscBacksOutOfCode(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.typeText("123")
	f.key("esc")
	if f.m.code.open {
		t.Fatal("esc did not close the input")
	}
	undecided(t, f, id)
	// Opening again starts empty.
	f.key("A")
	if f.m.code.value() != "" {
		t.Fatalf("input kept %q", f.m.code.value())
	}
}

func TestCodeInputDigitsOnlyMaskedMaxSix(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.typeText("12a")
	if !strings.Contains(f.screen(), "digits only") {
		t.Fatal("no digits-only hint")
	}
	f.typeText("3")
	if f.m.code.value() != "123" {
		t.Fatalf("value %q, want 123", f.m.code.value())
	}
	f.send(tea.PasteMsg{Content: "4 5-6 7"})
	if f.m.code.value() != "123456" {
		t.Fatalf("value %q, want 123456 (digits only, at most six)", f.m.code.value())
	}
	s := f.screen()
	if strings.Contains(s, "123456") || !strings.Contains(s, "••••••") {
		t.Fatalf("the code is not masked:\n%s", s)
	}
	f.key("backspace")
	f.key("enter") // five digits: not submitted
	if !strings.Contains(f.m.code.err, "6 digits") {
		t.Fatalf("err %q", f.m.code.err)
	}
	undecided(t, f, id)
}

func TestPasteOutsideInputDoesNothing(t *testing.T) {
	f, id := oneRequest(t, highSpec())
	f.send(tea.PasteMsg{Content: "A"})
	undecided(t, f, id)
}

func TestCodeRequestGoneClosesInput(t *testing.T) {
	f, id := oneRequest(t, critSpec())
	f.key("A")
	f.eng.Abandon(id) // the hook went away
	f.refresh()
	if f.m.code.open {
		t.Fatal("the input stayed open for a request that is gone")
	}
	if !strings.Contains(f.screen(), "no longer waiting") {
		t.Fatalf("no explanation:\n%s", f.screen())
	}
}

func TestNoCodeDeviceRefusesCriticalApproval(t *testing.T) {
	f := newFixture(t, fixtureOpts{noCode: true})
	f.size(100, 30)
	f.refresh()
	if !strings.Contains(f.screen(), "no code device: run `ony-tui enroll totp`") {
		t.Fatalf("header does not say how to enrol:\n%s", f.screen())
	}
}
