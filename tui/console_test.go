package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestFilterBySession(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.busy()
	f.key("/")
	if !f.m.filtering {
		t.Fatal("/ did not open the filter")
	}
	f.typeText("codex")
	if n := len(f.m.queue.visible); n != 2 {
		t.Fatalf("%d requests shown, want the 2 of the codex session", n)
	}
	r, _ := f.m.queue.current()
	if r.Call.SessionID != "019a2c4e-codex-7f3b" {
		t.Fatalf("selected %s", r.Call.SessionID)
	}
	f.key("enter")
	if f.m.filtering || f.m.queue.filter != "codex" {
		t.Fatal("enter did not keep the filter")
	}
	if !strings.Contains(f.screen(), `session ~ "codex": 2 shown`) {
		t.Fatalf("filter not shown:\n%s", f.screen())
	}
	f.key("esc")
	if f.m.queue.filter != "" || len(f.m.queue.visible) != 8 {
		t.Fatal("esc did not clear the filter")
	}
	// Esc inside the filter input clears it too.
	f.key("/")
	f.typeText("gem")
	f.key("esc")
	if f.m.filtering || f.m.queue.filter != "" {
		t.Fatal("esc in the input did not clear the filter")
	}
}

func TestFilterTypesKAndAAsLetters(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.busy()
	id := f.selected()
	f.key("/")
	f.typeText("KA")
	if f.eng.KillSwitch() {
		t.Fatal("K typed in the filter engaged the kill switch")
	}
	undecided(t, f, id)
	if f.m.filter.Value() != "KA" {
		t.Fatalf("filter %q", f.m.filter.Value())
	}
}

func TestNavigation(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24) // four rows visible
	f.busy()
	at := func(want int) {
		t.Helper()
		if f.m.queue.cursor != want {
			t.Fatalf("cursor %d, want %d", f.m.queue.cursor, want)
		}
		if f.selected() != f.ids[want] {
			t.Fatal("selection does not follow the cursor")
		}
	}
	at(0)
	f.key("down")
	at(1)
	f.key("j")
	at(2)
	f.key("up")
	at(1)
	f.key("k")
	at(0)
	f.key("k") // stays at the top
	at(0)
	f.key("end")
	at(7)
	if f.m.queue.offset != 4 {
		t.Fatalf("offset %d: the last row is not in view", f.m.queue.offset)
	}
	f.key("home")
	at(0)
	f.key("pgdown")
	at(3)
	f.key("pgdown")
	at(6)
	f.key("pgup")
	at(3)
	f.key("G")
	at(7)
	f.key("g")
	at(0)
	// The detail follows the selection.
	f.key("down")
	if !strings.Contains(f.screen(), "git push --force https://dev:***@github.com") {
		t.Fatalf("detail does not show the selected request:\n%s", f.screen())
	}
}

func TestDetailScrollWithTab(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	s := highSpec()
	for i := 0; i < 30; i++ {
		s.paths = append(s.paths, "/srv/app/file"+strings.Repeat("x", i%5)+".txt")
	}
	f.submit(s)
	f.refresh()
	f.key("tab")
	if !f.m.focusDetail {
		t.Fatal("tab did not focus the detail")
	}
	f.key("down")
	f.key("j")
	if got := f.m.detail.vp.YOffset(); got != 2 {
		t.Fatalf("detail offset %d, want 2", got)
	}
	f.key("end")
	if !f.m.detail.vp.AtBottom() {
		t.Fatal("end did not scroll to the bottom")
	}
	if f.m.queue.cursor != 0 {
		t.Fatal("scrolling the detail moved the selection")
	}
	f.key("tab")
	if f.m.focusDetail {
		t.Fatal("tab did not return to the queue")
	}
}

func TestMouseSelectAndWheel(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.busy()
	rows := f.m.lay.queueRows
	f.send(tea.MouseClickMsg{X: 10, Y: rows.y + 2, Button: tea.MouseLeft})
	if f.selected() != f.ids[2] {
		t.Fatalf("click on the third row selected %q", f.selected())
	}
	f.send(tea.MouseClickMsg{X: 10, Y: rows.y + 1, Button: tea.MouseRight})
	if f.selected() != f.ids[2] {
		t.Fatal("a right click changed the selection")
	}
	f.send(tea.MouseClickMsg{X: 10, Y: rows.y + 40, Button: tea.MouseLeft})
	if f.selected() != f.ids[2] {
		t.Fatal("a click outside the rows changed the selection")
	}
	f.send(tea.MouseWheelMsg{X: 10, Y: rows.y, Button: tea.MouseWheelDown})
	if f.selected() != f.ids[3] {
		t.Fatal("the wheel over the queue did not move the selection")
	}
	f.send(tea.MouseClickMsg{X: 10, Y: f.m.lay.detail.y + 2, Button: tea.MouseLeft})
	if !f.m.focusDetail {
		t.Fatal("a click in the detail did not focus it")
	}
	undecided(t, f, f.ids[3])
}

func TestNewRequestRingsBellAndSetsTitle(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	bell := func(msgs []tea.Msg) bool {
		return slices.ContainsFunc(msgs, func(m tea.Msg) bool { r, ok := m.(tea.RawMsg); return ok && r.Msg == "\a" })
	}
	if bell(f.send(refreshCmd(f.m.snapper)())) {
		t.Fatal("bell with nothing waiting")
	}
	if got := f.m.View().WindowTitle; got != "Ony" {
		t.Fatalf("title %q", got)
	}
	f.submit(highSpec())
	f.submit(highSpec())
	f.submit(critSpec())
	if !bell(f.send(refreshCmd(f.m.snapper)())) {
		t.Fatal("no bell for new requests")
	}
	if got := f.m.View().WindowTitle; got != "Ony: 3 waiting" {
		t.Fatalf("title %q", got)
	}
	if bell(f.send(refreshCmd(f.m.snapper)())) {
		t.Fatal("bell again for the same requests")
	}
	v := f.m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Fatal("the view must use the alt screen and cell-motion mouse")
	}
}

func TestStaleSnapshotIgnored(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	old := f.m.snapper.take(false)
	f.submit(highSpec())
	f.refresh()
	f.send(old)
	if len(f.m.snap.Pending) != 1 {
		t.Fatal("an older snapshot replaced a newer one")
	}
}

func TestTransientStatusClears(t *testing.T) {
	f, _ := oneRequest(t, highSpec())
	f.key("A")
	if f.m.status.text == "" {
		t.Fatal("no status after approving")
	}
	f.clk.Add(time.Second)
	if f.apply(clockMsg(f.clk.Now())) == nil {
		t.Fatal("the clock did not re-arm")
	}
	if f.m.status.text == "" {
		t.Fatal("status cleared too early")
	}
	f.clk.Add(statusFor)
	f.apply(clockMsg(f.clk.Now()))
	if f.m.status.text != "" {
		t.Fatalf("status %q not cleared", f.m.status.text)
	}
}

func TestProblemsShownAndDismissed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.j.SetFail(errors.New("disk full"))
	id := f.submit(highSpec())
	f.j.SetFail(nil)
	f.refresh()
	if f.pending(id) {
		t.Fatal("the engine held a request it could not record")
	}
	s := f.screen()
	if !strings.Contains(s, "! 14:22:15 ledger append failed") || !strings.Contains(s, "disk full") {
		t.Fatalf("problem not shown:\n%s", s)
	}
	f.key("x")
	if strings.Contains(f.screen(), "ledger append failed") {
		t.Fatal("x did not dismiss the problem")
	}
	f.refresh()
	if strings.Contains(f.screen(), "ledger append failed") {
		t.Fatal("a dismissed problem came back")
	}
}

func TestChainErrorShown(t *testing.T) {
	c := chainOf([]string{"session.start"}, 0)
	c.err = errors.New("database is locked")
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	s := f.screen()
	if !strings.Contains(s, "ledger unreadable") || !strings.Contains(s, "database is locked") {
		t.Fatalf("chain error not shown:\n%s", s)
	}
}

func TestTooSmallStillWorks(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(40, 10)
	f.submit(highSpec())
	f.refresh()
	s := f.screen()
	if !strings.Contains(s, "terminal too small") || !strings.Contains(s, "1 waiting") {
		t.Fatalf("too-small notice:\n%s", s)
	}
	f.key("K")
	if !f.eng.KillSwitch() {
		t.Fatal("K does not work in a small terminal")
	}
	f.size(MinWidth, MinHeight)
	if f.m.lay.tooSmall {
		t.Fatal("the minimum size is reported too small")
	}
	if lines := strings.Count(f.screen(), "\n") + 1; lines != MinHeight {
		t.Fatalf("%d lines at the minimum height, want %d", lines, MinHeight)
	}
}

func TestEveryLineFits(t *testing.T) {
	for _, sz := range [][2]int{{50, 12}, {60, 15}, {64, 20}, {80, 24}, {100, 30}, {119, 40}, {120, 30}, {160, 48}, {240, 60}} {
		for _, keys := range [][]string{nil, {"?"}, {"?", "end"}, {"q"}, {"A", "1"}, {"/", "c"}, {"K"}, {"K", "K"}, {"s"}} {
			f := newFixture(t, fixtureOpts{})
			f.size(sz[0], sz[1])
			f.busy()
			for _, k := range keys {
				f.key(k)
			}
			out := f.m.View().Content
			lines := strings.Split(out, "\n")
			if len(lines) != sz[1] {
				t.Fatalf("%dx%d after %v: %d lines", sz[0], sz[1], keys, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > sz[0] {
					t.Fatalf("%dx%d after %v: line %d is %d wide: %q", sz[0], sz[1], keys, i, w, ansi.Strip(l))
				}
			}
		}
	}
}

func TestNoColor(t *testing.T) {
	colourOf := func(noColor bool) bool {
		f := newFixture(t, fixtureOpts{noColor: noColor})
		f.size(100, 30)
		f.busy()
		out := f.m.View().Content
		return strings.Contains(out, "\x1b[38;") || strings.Contains(out, "\x1b[48;") || strings.Contains(out, ";38;") || strings.Contains(out, ";48;")
	}
	if !colourOf(false) {
		t.Fatal("no colour even without NO_COLOR: the check below cannot fail")
	}
	if colourOf(true) {
		t.Fatal("colour escape codes with NO_COLOR set")
	}
}

func TestBackgroundColourRestyles(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.busy()
	dark := f.m.View().Content
	f.send(tea.BackgroundColorMsg{Color: lightGrey{}})
	light := f.m.View().Content
	if dark == light {
		t.Fatal("a light background did not change the colours")
	}
	if ansi.Strip(dark) != ansi.Strip(light) {
		t.Fatal("the theme changed the text")
	}
}

// lightGrey is a light terminal background.
type lightGrey struct{}

func (lightGrey) RGBA() (r, g, b, a uint32) { return 0xeeee, 0xeeee, 0xeeee, 0xffff }

func TestInitStartsTheLoops(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if f.m.Init() == nil {
		t.Fatal("Init returned no command")
	}
	// The watcher delivers a snapshot when the engine changes.
	f.submit(highSpec())
	msg := watchCmd(f.m.ctx, f.m.snapper)()
	s, ok := msg.(snapshotMsg)
	if !ok || !s.watch || len(s.snap.Pending) != 1 {
		t.Fatalf("watcher returned %#v", msg)
	}
	if cmd := f.apply(s); cmd == nil {
		t.Fatal("the watcher was not re-armed")
	}
	// The polling loop re-arms itself; one-off reads do not.
	if f.apply(chainMsg{rearm: true}) == nil {
		t.Fatal("the chain poll was not re-armed")
	}
	if f.apply(chainMsg{}) != nil {
		t.Fatal("a one-off chain read re-armed the poll")
	}
}
