package tui

import (
	"strings"
	"testing"
)

// TestLedgerPanelShowsTheBackgroundCheck: after an open from a signed
// checkpoint the panel shows the whole-chain verification's progress, and
// the header does not claim the chain verified before it has finished.
func TestLedgerPanelShowsTheBackgroundCheck(t *testing.T) {
	c := chainOf([]string{"session.start", "deploy.production approve", "db.migrate deny", "secret.rotate approve"}, 0)
	c.status.Entries, c.status.Verified, c.status.Anchor = 1_000_004, 412_004, 1_000_000
	c.status.Checking, c.status.CheckDone, c.status.CheckTotal = true, 412_000, 1_000_004
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	s := f.screen()
	for _, want := range []string{"chain … 412,004/1,000,004 verified", "verifying entries before the checkpoint 412,000/1,000,004", "41%"} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "chain ✓") {
		t.Fatalf("the header claims the chain verified while the check runs:\n%s", s)
	}
	// Finished, intact.
	c.status.Verified, c.status.Checking = c.status.Entries, false
	f.loadChain()
	s = f.screen()
	if !strings.Contains(s, "chain ✓ 1,000,004/1,000,004 verified") || strings.Contains(s, "verifying entries before") {
		t.Fatalf("after the check:\n%s", s)
	}
}

// TestLedgerPanelSaysWhatABreakBeforeTheCheckpointMeans: a break the
// background check found is shown loudly with what it means.
func TestLedgerPanelSaysWhatABreakBeforeTheCheckpointMeans(t *testing.T) {
	c := chainOf([]string{"session.start", "deploy.production approve", "db.migrate deny", "secret.rotate approve"}, 0)
	c.status.Anchor = 4
	c.status.BreakSeq, c.status.BreakReason = 2, "edited: its contents do not match its stored hash 5b0d3f12…"
	c.status.BreakMeaning = "The history before the signed checkpoint of 4 entries was changed after it was written, so it cannot be trusted as a record."
	f := newFixture(t, fixtureOpts{chain: c})
	f.size(100, 30)
	f.refresh()
	f.loadChain()
	s := f.screen()
	for _, want := range []string{"chain ✗ BROKEN at #0002", "✗ CHAIN BROKEN at #0002: edited", "The history before the signed checkpoint of 4 entries was changed"} {
		if !strings.Contains(s, want) {
			t.Fatalf("screen lacks %q:\n%s", want, s)
		}
	}
	// At 80x24 the meaning still shows, wrapped.
	f.size(80, 24)
	if s := f.screen(); !strings.Contains(s, "The history before the signed") {
		t.Fatalf("80x24:\n%s", s)
	}
}
