package tui

import (
	"fmt"
	"strings"
	"testing"
)

// Below 100 columns the header takes at most two lines and drops the
// socket path, and the demo's code stays in it, at every size down to the
// minimum, with or without a dialog open.
func TestHeaderFitsNarrowTerminals(t *testing.T) {
	note := func() string { return "demo code 333 868 · next in 12s" }
	for w := MinWidth; w <= 130; w += 5 {
		for _, h := range []int{MinHeight, 15, 24, 40} {
			f := newFixture(t, fixtureOpts{note: note})
			f.size(w, h)
			f.busy()
			for _, keys := range [][]string{nil, {"A", "1"}} {
				for _, k := range keys {
					f.key(k)
				}
				lines := strings.Split(f.screen(), "\n")
				header := f.m.lay.header
				name := fmt.Sprintf("%dx%d after %v", w, h, keys)
				switch {
				case w < 100 && len(header) > 2:
					t.Fatalf("%s: %d header lines:\n%s", name, len(header), f.screen())
				case w < 100 && strings.Contains(strings.Join(lines[:len(header)], "\n"), "socket"):
					t.Fatalf("%s: the socket path is in a narrow header", name)
				case !strings.Contains(strings.Join(lines[:len(header)], "\n"), "demo code 333 868"):
					t.Fatalf("%s: the demo's code is not in sight:\n%s", name, f.screen())
				}
			}
		}
	}
	// Wide, the socket is named.
	f := newFixture(t, fixtureOpts{})
	f.size(120, 30)
	f.busy()
	if !strings.Contains(f.screen(), "socket /run/user/1000/ony/ony.sock") {
		t.Fatalf("no socket in a wide header:\n%s", f.screen())
	}
}

// The help overlay never runs off the screen: narrow, it falls to one
// column; short, it scrolls to its last line.
func TestHelpFallsToOneColumnAndScrolls(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(60, 15)
	f.busy()
	f.key("?")
	s := f.screen()
	if !strings.Contains(s, "↑↓ scroll · 1–12 of") || strings.Contains(s, "Mouse:") {
		t.Fatalf("the top of the help:\n%s", s)
	}
	f.key("end")
	s = f.screen()
	if !strings.Contains(s, "pointer.") || strings.Contains(s, "Ony console keys") {
		t.Fatalf("end did not scroll to the last line:\n%s", s)
	}
	f.key("home")
	if !strings.Contains(f.screen(), "Ony console keys") {
		t.Fatalf("home did not scroll back:\n%s", f.screen())
	}
	// Wide, the keys sit in three columns and nothing scrolls.
	f = newFixture(t, fixtureOpts{})
	f.size(100, 40)
	f.busy()
	f.key("?")
	s = f.screen()
	if !strings.Contains(s, "A approve          ↑/k    up") || strings.Contains(s, "scroll ·") {
		t.Fatalf("wide help:\n%s", s)
	}
}
