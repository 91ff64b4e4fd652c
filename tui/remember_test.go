package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

func (f *fixture) answers() []engine.StandingAnswer {
	f.t.Helper()
	as, err := f.eng.StandingAnswers(f.m.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return as
}

// submitted reports whether request id was decided on arrival.
func (f *fixture) decidedOnArrival(id string) bool { return !f.pending(id) && len(f.verdicts(id)) == 1 }

func TestRememberTheTargetApprovesAndPassesTheNextCall(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	id := f.submit(highSpec())
	f.refresh()
	f.key("R")
	if !f.m.rememberDlg.open || len(f.m.rememberDlg.choices) != 2 {
		t.Fatalf("dialog %+v", f.m.rememberDlg)
	}
	if s := f.screen(); !strings.Contains(s, "this exact call, for this agent session") || !strings.Contains(s, "git.push.force on origin/main") {
		t.Fatalf("dialog on screen:\n%s", s)
	}
	f.key("2")
	if f.pending(id) || strings.Join(f.verdicts(id), ",") != "approve" {
		t.Fatalf("request %s: pending %v, verdicts %v", id, f.pending(id), f.verdicts(id))
	}
	as := f.answers()
	if len(as) != 1 || as[0].Scope != engine.ScopeTarget || as[0].By != "the test's console" {
		t.Fatalf("answers %+v", as)
	}
	if f.m.rememberDlg.open || !strings.Contains(f.m.status.text, "remembered as "+as[0].ID) {
		t.Fatalf("after: dialog open %v, status %q", f.m.rememberDlg.open, f.m.status.text)
	}
	// The next call on the same target, same session: passes by itself.
	next := highSpec()
	next.command = "git push -f origin main"
	id2 := f.submit(next)
	if !f.decidedOnArrival(id2) {
		t.Fatal("the next call on the remembered target was held")
	}
	// Another session is asked.
	other := highSpec()
	other.session = "s9"
	if id3 := f.submit(other); !f.pending(id3) {
		t.Fatal("another session's call was not held")
	}
}

func TestRememberCriticalAsksForTheCode(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	id := f.submit(critSpec())
	f.refresh()
	f.key("R")
	f.key("enter") // this exact call
	if f.m.rememberDlg.phase != rememberCode || !f.pending(id) {
		t.Fatalf("no code asked: %+v", f.m.rememberDlg)
	}
	f.typeText("12x")
	if f.m.rememberDlg.err != "digits only" {
		t.Fatalf("a letter in the code: %q", f.m.rememberDlg.err)
	}
	f.key("enter")
	if f.m.rememberDlg.err != "a code is 6 digits" || !f.pending(id) {
		t.Fatalf("a short code: %q", f.m.rememberDlg.err)
	}
	for range 2 {
		f.key("backspace")
	}
	bad := "000000"
	if f.code() == bad {
		bad = "111111"
	}
	f.typeText(bad)
	f.key("enter")
	if !f.m.rememberDlg.open || !strings.Contains(f.m.rememberDlg.err, "wrong code") || !f.pending(id) || len(f.answers()) != 0 {
		t.Fatalf("a wrong code: %+v, pending %v", f.m.rememberDlg, f.pending(id))
	}
	f.typeText(f.code())
	f.key("enter")
	if f.pending(id) || len(f.answers()) != 1 || f.m.rememberDlg.open {
		t.Fatalf("the right code: pending %v, answers %v", f.pending(id), f.answers())
	}
}

func TestRememberRefusesProtected(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	f.submit(spec{session: "s1", command: "cp x ~/.config/ony/taxonomy.overlay.yaml",
		class: engine.Classification{Action: "ony.tamper", Title: "Touch Ony's own files", Risk: risk.Critical, Target: "~/.config/ony/taxonomy.overlay.yaml"}})
	f.refresh()
	f.key("R")
	if f.m.rememberDlg.open || len(f.m.errs) != 1 || !strings.Contains(f.m.errs[0].Message, "can never be remembered") {
		t.Fatalf("protected: dialog %v, errors %+v", f.m.rememberDlg.open, f.m.errs)
	}
}

// Where approvals.require_touch applies, the approval that remembers is
// signed on the YubiKey: no touch, nothing approved or remembered; a
// touch, both. Without a key enrolled, or with a key that asks for its
// PIN (the dialog has no PIN entry), R says why and opens nothing.
func TestRememberWhereTouchIsRequiredAsksForTheTouch(t *testing.T) {
	g := newFixture(t, fixtureOpts{yubikey: "never", requireTouch: risk.High})
	g.size(80, 24)
	id := g.submit(highSpec())
	g.refresh()
	g.key("R")
	if !g.m.rememberDlg.open || !g.m.rememberDlg.touch {
		t.Fatalf("touch required: dialog %v touch %v, errors %+v", g.m.rememberDlg.open, g.m.rememberDlg.touch, g.m.errs)
	}
	g.card.fail(errors.New("the YubiKey was not touched in time: try again, and touch it while it blinks"))
	g.key("enter") // this exact call
	if !g.pending(id) || len(g.answers()) != 0 || !strings.Contains(strings.Join(g.errTexts(), "\n"), "not touched in time") {
		t.Fatalf("no touch: pending %v, answers %v, errors %v", g.pending(id), g.answers(), g.errTexts())
	}
	g.card.fail(nil)
	g.key("R")
	g.key("enter")
	if g.pending(id) || len(g.answers()) != 1 {
		t.Fatalf("a touch: pending %v, answers %v\n%s", g.pending(id), g.answers(), g.screen())
	}
	if a := g.answers()[0]; !slices.Equal(a.Factors, []string{"yubikey"}) {
		t.Fatalf("remembered with factors %v, want the touch", a.Factors)
	}

	h := newFixture(t, fixtureOpts{requireTouch: risk.High})
	h.size(80, 24)
	h.submit(highSpec())
	h.refresh()
	h.key("R")
	if h.m.rememberDlg.open || len(h.m.errs) != 1 || !strings.Contains(h.m.errs[0].Message, "no YubiKey is enrolled") {
		t.Fatalf("no key: dialog %v, errors %+v", h.m.rememberDlg.open, h.m.errs)
	}
	p := newFixture(t, fixtureOpts{yubikey: "once", requireTouch: risk.High})
	p.size(80, 24)
	p.submit(highSpec())
	p.refresh()
	p.key("R")
	if p.m.rememberDlg.open || len(p.m.errs) != 1 || !strings.Contains(p.m.errs[0].Message, "approve it with Y") {
		t.Fatalf("PIN: dialog %v, errors %+v", p.m.rememberDlg.open, p.m.errs)
	}
}

func TestRememberEscBacksOutAndKStillEngages(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	id := f.submit(highSpec())
	f.refresh()
	f.key("R")
	f.key("esc")
	if f.m.rememberDlg.open || !f.pending(id) || len(f.answers()) != 0 {
		t.Fatal("esc did something")
	}
	f.key("R")
	f.key("K")
	if f.m.rememberDlg.open || !f.eng.Snapshot().KillSwitch || f.pending(id) {
		t.Fatal("K in the dialog did not engage the kill switch")
	}
}

// The request the dialog is for goes away (another console answered):
// the dialog closes and says nothing was remembered.
func TestRememberDialogClosesWhenTheRequestGoes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	id := f.submit(highSpec())
	f.refresh()
	f.key("R")
	if err := f.eng.Decide(f.m.ctx, id, engine.Approval{Approve: false}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	if f.m.rememberDlg.open || len(f.m.errs) != 1 || !strings.Contains(f.m.errs[0].Message, "nothing remembered") {
		t.Fatalf("dialog %v, errors %+v", f.m.rememberDlg.open, f.m.errs)
	}
}

// testOverlay records the rules the engine adds.
type testOverlay struct {
	mu    sync.Mutex
	added []engine.OverlayRule
}

func (o *testOverlay) AddProgram(_ context.Context, p string, r risk.Level, title, comment string) (engine.OverlayChange, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rule := engine.OverlayRule{ID: "owner." + p, Title: title, Risk: r, Programs: []string{p}, File: "/home/dev/.config/ony/taxonomy.overlay.yaml", Line: 9, Comment: comment}
	o.added = append(o.added, rule)
	return engine.OverlayChange{Rule: rule, SHA256: strings.Repeat("ab", 32)}, nil
}

func (o *testOverlay) Rules(context.Context) ([]engine.OverlayRule, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]engine.OverlayRule(nil), o.added...), nil
}

func (o *testOverlay) Remove(context.Context, string) (engine.OverlayChange, error) {
	return engine.OverlayChange{}, errors.New("not in this test")
}

func unknownSpec() spec {
	return spec{session: "s1", command: "webctl build --prod",
		class: engine.Classification{Action: "unknown", Title: "Unrecognised action", Risk: risk.Critical, Target: "webctl", Matcher: "builtin unknown: no rule recognises program \"webctl\"", Program: "webctl"}}
}

func TestClassifyAProgramFromTheDialog(t *testing.T) {
	o := &testOverlay{}
	f := newFixture(t, fixtureOpts{overlay: o})
	f.size(80, 24)
	id := f.submit(unknownSpec())
	f.refresh()
	f.key("R")
	d := &f.m.rememberDlg
	if len(d.choices) != 2 || !d.choices[1].classifying() {
		t.Fatalf("choices %+v", d.choices)
	}
	f.key("2")
	if d.phase != rememberClassify || d.title.Value() != "Run webctl" || classifyRisks[d.risk] != risk.Medium {
		t.Fatalf("classify phase %+v", *d)
	}
	f.key("tab")
	f.key("tab") // medium → high → low
	for range len("Run webctl") {
		f.key("backspace")
	}
	f.key("enter")
	if !strings.Contains(d.err, "a title is needed") {
		t.Fatalf("an empty title: %q", d.err)
	}
	f.typeText("Build the web app")
	f.key("enter")
	if d.phase != rememberCode || !f.pending(id) || len(o.added) != 0 {
		t.Fatalf("no code asked: %+v", *d)
	}
	f.typeText(f.code())
	f.key("enter")
	if f.pending(id) || len(o.added) != 1 {
		t.Fatalf("after the code: pending %v, rules %+v", f.pending(id), o.added)
	}
	if r := o.added[0]; r.Risk != risk.Low || r.Title != "Build the web app" || !strings.Contains(r.Comment, "the test's console") {
		t.Fatalf("rule %+v", r)
	}
	if !strings.Contains(f.m.status.text, "webctl is now low (owner.webctl, taxonomy.overlay.yaml:9)") {
		t.Fatalf("status %q", f.m.status.text)
	}
}

func TestRememberedListForgets(t *testing.T) {
	o := &testOverlay{}
	f := newFixture(t, fixtureOpts{overlay: o})
	f.size(100, 30)
	f.submit(highSpec())
	f.refresh()
	f.key("R")
	f.key("1")
	f.key("m")
	if !f.m.rules.open || f.m.rules.loading || len(f.m.rules.answers) != 1 {
		t.Fatalf("list %+v", f.m.rules)
	}
	id := f.m.rules.answers[0].ID
	if s := f.screen(); !strings.Contains(s, "a-5e55ed  s1 · this exact Bash call (git.push.force)") {
		t.Fatalf("list on screen:\n%s", s)
	}
	f.key("A")
	if !strings.Contains(f.m.status.text, "close the list") {
		t.Fatalf("A in the list: %q", f.m.status.text)
	}
	f.key("F")
	if len(f.answers()) != 0 || len(f.m.rules.answers) != 0 || !strings.Contains(f.m.status.text, "forgot "+id) {
		t.Fatalf("after F: engine %v, list %+v, status %q", f.answers(), f.m.rules, f.m.status.text)
	}
	// The same call is asked again.
	if id2 := f.submit(highSpec()); !f.pending(id2) {
		t.Fatal("a forgotten answer still answered")
	}
	f.key("esc")
	if f.m.rules.open {
		t.Fatal("esc did not close the list")
	}
}

// errTexts are the messages in the error area.
func (f *fixture) errTexts() []string {
	out := make([]string, len(f.m.errs))
	for i, e := range f.m.errs {
		out[i] = e.Message
	}
	return out
}
