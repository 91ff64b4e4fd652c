package tui

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/stats"
)

// TestGolden renders the console in each state at each size, without
// escape codes, against testdata/TestGolden/*.golden. Regenerate with
// go test ./tui -run TestGolden -update.
func TestGolden(t *testing.T) {
	scenarios := []struct {
		name  string
		opts  fixtureOpts
		setup func(f *fixture)
		sizes [][2]int
	}{
		{name: "empty", opts: fixtureOpts{noCode: true}, setup: func(f *fixture) {
			f.refresh()
			f.loadChain()
		}},
		{name: "busy", setup: (*fixture).busy},
		{name: "broken-chain", opts: fixtureOpts{chain: brokenChain()}, setup: func(f *fixture) {
			f.submit(highSpec())
			f.refresh()
			f.loadChain()
		}},
		{name: "kill-switch", setup: func(f *fixture) {
			f.busy()
			f.key("K")
		}},
		{name: "code-input", setup: func(f *fixture) {
			f.busy()
			f.key("A")
			f.typeText("123")
		}},
		{name: "revealed", setup: func(f *fixture) {
			f.busy()
			f.key("j")
			f.key("r")
		}},
		{name: "too-small", setup: (*fixture).busy, sizes: [][2]int{{40, 10}}},
		{name: "yubikey-touch", opts: fixtureOpts{yubikey: "never", requireTouch: risk.High}, setup: func(f *fixture) {
			f.busy()
			f.key("down")          // a high request: no code, straight to the touch
			f.apply(keyPress("Y")) // the card waits: its command is not run
		}},
		{name: "stats", setup: func(f *fixture) {
			f.busy()
			f.key("s")
		}},
		{name: "stats-reading", opts: fixtureOpts{stats: StatsFunc(func(ctx context.Context) (stats.Summary, error) {
			<-ctx.Done() // never answers while the test looks
			return stats.Summary{}, ctx.Err()
		})}, setup: func(f *fixture) {
			f.busy()
			f.m.stats.open, f.m.stats.loading = true, true // as s does, without waiting for the answer
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "remember", setup: func(f *fixture) {
			f.busy()
			f.key("down") // the high request
			f.key("R")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "remember-code", setup: func(f *fixture) {
			f.busy()
			f.key("R") // the critical request
			f.key("enter")
			f.typeText("12")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "remember-classify", opts: fixtureOpts{overlay: &testOverlay{}}, setup: func(f *fixture) {
			f.submit(unknownSpec())
			f.refresh()
			f.loadChain()
			f.key("R")
			f.key("2")
			f.key("tab") // high
			f.typeText(" builds")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "remembered", opts: fixtureOpts{overlay: &testOverlay{added: []engine.OverlayRule{{ID: "owner.webctl", Title: "Build the web app",
			Risk: risk.Low, Programs: []string{"webctl"}, File: "/home/dev/.config/ony/taxonomy.overlay.yaml", Line: 5}}}}, setup: func(f *fixture) {
			f.busy()
			f.key("down") // the high request
			f.key("R")
			f.key("2") // git.push.force on its target
			f.key("m")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "help", setup: func(f *fixture) {
			f.busy()
			f.key("?")
		}},
		{name: "help-scrolled", setup: func(f *fixture) {
			f.busy()
			f.key("?")
			f.key("pgdown")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "demo-code", opts: fixtureOpts{note: func() string { return "demo code 333 868 · next in 12s" }}, setup: func(f *fixture) {
			f.busy()
			f.key("A")
			f.typeText("12")
		}, sizes: [][2]int{{80, 24}, {60, 15}}},
		{name: "ledger-pane", opts: fixtureOpts{chain: chainOf([]string{"console-started", "taxonomy-loaded", "fs.read approve auto",
			"git.push.force held", "git.push.force wrong-code", "git.push.force approve code", "deploy.production held",
			"deploy.production deny timeout", "git.push approve remembered", "db.drop deny keypad", "kill-engaged",
			"secret.read deny kill switch"}, 0)}, setup: func(f *fixture) {
			f.refresh()
			f.loadChain()
		}, sizes: [][2]int{{80, 24}, {100, 30}, {160, 48}}},
	}
	for _, sc := range scenarios {
		sizes := sc.sizes
		if sizes == nil {
			sizes = [][2]int{{80, 24}, {60, 15}, {100, 30}, {160, 48}}
		}
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz[0], sz[1]), func(t *testing.T) {
				f := newFixture(t, sc.opts)
				f.size(sz[0], sz[1])
				sc.setup(f)
				golden.RequireEqual(t, f.screen())
			})
		}
	}
}
