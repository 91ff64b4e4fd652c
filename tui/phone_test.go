package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/ony-dev/ony-tui/engine"
)

// callAbout publishes a call about the given requests, as the phone
// service does.
func (f *fixture) callAbout(phase engine.CallPhase, current string, keys []string, ids ...string) {
	f.eng.SetPhone(engine.PhoneStatus{Enrolled: true, To: "+14*******23", Call: &engine.CallStatus{
		Phase: phase, Requests: ids, Current: current, Keys: keys, Started: f.clk.Now(), Changed: f.clk.Now(),
		Outcome: map[engine.CallPhase]string{engine.CallEnded: "no answer"}[phase]}})
	f.refresh()
}

func TestPhoneCallInHeaderAndDetail(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(110, 30)
	a := f.submit(highSpec())
	b := f.submit(highSpec())
	f.refresh()
	if s := f.screen(); strings.Contains(s, "☎") || strings.Contains(s, "phone ") {
		t.Fatalf("a phone shown with no call:\n%s", s)
	}
	f.callAbout(engine.CallRinging, "", nil, a, b)
	s := f.screen()
	if !strings.Contains(s, "☎ ringing +14*******23 (2 requests)") || !strings.Contains(s, "ringing +14*******23: the console can still answer first") {
		t.Fatalf("ringing:\n%s", s)
	}
	short := strings.TrimPrefix(a, "req_")
	f.callAbout(engine.CallAnswered, a, []string{short + " 3 repeat"}, a, b)
	s = f.screen()
	if !strings.Contains(s, "☎ call answered · key 3 repeat") || !strings.Contains(s, "the owner is being asked about it now; keys: 3 repeat") {
		t.Fatalf("answered:\n%s", s)
	}
	f.key("j") // the second request: in the call, not yet asked
	if s := f.screen(); !strings.Contains(s, "in the call, waiting its turn") {
		t.Fatalf("second request:\n%s", s)
	}
	f.callAbout(engine.CallEnded, "", nil, a, b)
	if s := f.screen(); !strings.Contains(s, "☎ call ended: no answer") || !strings.Contains(s, "the call about it ended: no answer") {
		t.Fatalf("ended:\n%s", s)
	}
	// A finished call leaves the header after a while; the detail keeps it.
	f.clk.Add(phoneShownAfter + 1)
	f.refresh()
	if s := f.screen(); strings.Contains(s, "☎") {
		t.Fatalf("an old call still in the header:\n%s", s)
	}
}

func TestAwayWithAPhoneEnrolled(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.eng.SetPhone(engine.PhoneStatus{Enrolled: true, To: "+14*******23"})
	f.refresh()
	f.key("w")
	s := f.screen()
	if !strings.Contains(s, "AWAY: phone takes over") || strings.Contains(s, "no phone configured") ||
		!strings.Contains(s, "away: requests nobody answers here go to the phone") {
		t.Fatalf("away with a phone:\n%s", s)
	}
}

func TestPhoneGolden(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 30}} {
		t.Run(fmt.Sprintf("answered_%dx%d", sz[0], sz[1]), func(t *testing.T) {
			f := newFixture(t, fixtureOpts{})
			f.size(sz[0], sz[1])
			a := f.submit(highSpec())
			b := f.submit(highSpec())
			f.callAbout(engine.CallAnswered, a, []string{strings.TrimPrefix(a, "req_") + " 3 repeat"}, a, b)
			f.key("w")
			golden.RequireEqual(t, f.screen())
		})
	}
}
