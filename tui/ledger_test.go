package tui

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLedgerPanelMarksEntries(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	s := f.screen()
	for _, want := range []string{
		"#0001 console-started", "prev genesis  hash a91c4e7f ✓",
		"#0002 verdict         deploy.production     approve · code       prev a91c4e7f hash 5b0d3f12 ✓",
		"#0003 verdict         db.migrate            deny · keypad",
		"chain ✓ 4/4 verified", "head 1d8862bb", "signed up to entry 4",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
}

func TestLedgerPanelShowsBreak(t *testing.T) {
	f := newFixture(t, fixtureOpts{chain: brokenChain()})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	s := f.screen()
	for _, want := range []string{
		"chain ✗ BROKEN at #0004",
		"✗ CHAIN BROKEN at #0004: hash does not match its contents · 4 later entries no longer verify",
		"#0003 verdict         db.migrate            deny · keypad", "hash e7740a9c ✓",
		"#0004 verdict         secret.rotate         approve · keypad", "hash 1d8862bb ✗ BREAK",
		"#0005", "✗ no longer verifies",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "#000") && l > "#0004" && !strings.Contains(l, "✗") {
			t.Fatalf("an entry after the break is not marked: %q", l)
		}
	}
}

// brokenChain is the seed's chain, rewritten at #0004, with four more
// entries after it.
func brokenChain() *fakeChain {
	return chainOf([]string{"console-started", "deploy.production approve code", "db.migrate deny keypad", "secret.rotate approve keypad",
		"git.push.force approve code", "fs.delete.recursive deny timeout", "package.publish approve keypad", "kill-engaged"}, 4)
}

func TestReverifyShowsProgressAndResult(t *testing.T) {
	c := chainOf([]string{"console-started", "deploy.production approve"}, 0)
	c.rev = ChainStatus{Entries: 5000, Verified: 5000, Head: entryHash(5000)}
	c.gate = make(chan struct{})
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	// Reverify stops half-way until the gate opens, so the console sees
	// progress before the outcome.
	time.AfterFunc(100*time.Millisecond, func() { close(c.gate) })
	msgs := f.key("v")
	var progress, done int
	for _, m := range msgs {
		switch m := m.(type) {
		case reverifyProgressMsg:
			progress++
			if m.total != 5000 || m.done > m.total {
				t.Fatalf("progress %d/%d", m.done, m.total)
			}
		case reverifyDoneMsg:
			done++
		}
	}
	if progress == 0 || progress > progressSteps+1 || done != 1 {
		t.Fatalf("%d progress messages, %d outcomes", progress, done)
	}
	if f.m.ledger.running() {
		t.Fatal("still running after the outcome")
	}
	if !strings.Contains(f.screen(), "chain re-verified from genesis: 5,000 entries ✓") {
		t.Fatalf("no result:\n%s", f.screen())
	}
}

func TestReverifyProgressBar(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	run := &reverifyRun{}
	f.apply(reverifyStartedMsg{run: run})
	f.apply(reverifyProgressMsg{run: run, done: 412000, total: 1000000})
	s := f.screen()
	if !strings.Contains(s, "re-verifying 412,000/1,000,000") || !strings.Contains(s, "█") || !strings.Contains(s, "41%") {
		t.Fatalf("no progress bar:\n%s", s)
	}
	// A second v while one runs does not start another.
	f.key("v")
	if !strings.Contains(f.screen(), "already running") {
		t.Fatal("a second re-verification was started")
	}
	// A stale run's messages are ignored.
	f.apply(reverifyDoneMsg{run: &reverifyRun{}})
	if !f.m.ledger.running() {
		t.Fatal("another run's outcome stopped this one")
	}
}

func TestReverifyBreakSticks(t *testing.T) {
	c := chainOf([]string{"console-started", "deploy.production approve", "db.migrate deny", "secret.rotate approve", "kill-engaged"}, 0)
	c.rev = ChainStatus{Entries: 5, Verified: 1, BreakSeq: 2, BreakReason: "entry was rewritten", AfterBreak: 3}
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	f.key("v")
	// The live poll still says intact: the break found must stay shown.
	f.loadChain()
	s := f.screen()
	for _, want := range []string{"chain ✗ BROKEN at #0002", "hash 5b0d3f12 ✗ BREAK", "re-verification: chain BROKEN at #0002: entry was rewritten"} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "hash e7740a9c ✓") {
		t.Fatalf("an entry after the break is shown verified:\n%s", s)
	}
}

func TestReverifyError(t *testing.T) {
	c := chainOf([]string{"console-started"}, 0)
	c.revErr = errors.New("checkpoint signature invalid")
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.key("v")
	if !strings.Contains(f.screen(), "re-verifying the chain failed: checkpoint signature invalid") {
		t.Fatalf("error not shown:\n%s", f.screen())
	}
}

func TestNoChainAttached(t *testing.T) {
	f := newFixture(t, fixtureOpts{noChain: true})
	f.size(100, 30)
	f.refresh()
	f.key("v")
	s := f.screen()
	if !strings.Contains(s, "ledger not attached") || !strings.Contains(s, "no ledger is attached") {
		t.Fatalf("screen:\n%s", s)
	}
	if f.m.Init() == nil {
		t.Fatal("Init without a chain returned nothing")
	}
}

func TestChainAsksForVisibleTailOnly(t *testing.T) {
	c := chainOf(make([]string, 100), 0)
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(160, 48)
	f.refresh()
	f.loadChain()
	if c.asked > 32 {
		t.Fatalf("asked for %d entries", c.asked)
	}
	if n := len(f.m.ledger.entries); n != c.asked {
		t.Fatalf("holds %d entries", n)
	}
}

func TestLedgerPaneNamesARememberedAnswer(t *testing.T) {
	f := newFixture(t, fixtureOpts{chain: chainOf([]string{"console-started", "git.push approve remembered"}, 0)})
	f.chain.entries[1].Note = "auto: remembered 14:02, session s-12"
	f.size(160, 48)
	f.refresh()
	f.loadChain()
	if s := f.screen(); !strings.Contains(s, "git.push    auto: remembered 14:02, session s-12 hash 5b0d3f12") {
		t.Fatalf("pane:\n%s", s)
	}
	f.size(60, 24) // no room: who decided, as before
	if s := f.screen(); !strings.Contains(s, "approve · remembered") {
		t.Fatalf("narrow pane:\n%s", s)
	}
}
