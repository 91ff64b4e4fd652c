package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/ledger"
)

// sampleDay is the figures of a busy day ending at the clock's now: every
// hour some automatic allows, held requests answered (a few with a code,
// a few timed out), a wrong code now and then.
func sampleDay(now func() time.Time) StatsSource {
	return StatsFunc(func(context.Context) (stats.Summary, error) {
		t := stats.NewTally()
		end := now()
		var seq uint64
		add := func(e ledger.Entry) {
			seq++
			e.Seq = seq
			t.Add(&e)
		}
		for h := 30; h >= 0; h-- {
			at := end.Add(-time.Duration(h) * time.Hour)
			for i := 0; i < (h*7)%13+2; i++ {
				add(ledger.Entry{Kind: ledger.KindAutoAllow, Action: "fs.read", Risk: []string{"low", "medium"}[i%2], Decision: "approve",
					Factors: []string{"auto"}, Time: at})
			}
			for i := 0; i < (h*5)%4; i++ {
				id := fmt.Sprintf("r%d-%d", h, i)
				action, riskName, factors := "git.push.force", "high", []string{"keypad"}
				if (h+i)%3 == 0 {
					action, riskName, factors = "deploy.production", "critical", []string{"keypad", "totp"}
				}
				add(ledger.Entry{Kind: ledger.KindRequest, RequestID: id, Action: action, Risk: riskName, Time: at})
				wait := time.Duration(2+(h*i)%40) * time.Second
				decision, detail := "approve", ""
				switch {
				case (h+i)%7 == 0:
					factors, decision, detail, wait = []string{}, "deny", "approval timed out: ask the user", 2*time.Minute
				case (h+i)%5 == 0:
					decision = "deny"
				}
				if (h+i)%6 == 1 {
					add(ledger.Entry{Kind: ledger.KindCodeFailed, RequestID: id, Time: at.Add(wait / 2)})
				}
				add(ledger.Entry{Kind: ledger.KindVerdict, RequestID: id, Action: action, Risk: riskName, Time: at.Add(wait),
					Decision: decision, Factors: factors, Detail: detail})
			}
		}
		return t.Summary(end), nil
	})
}

func TestStatsPage(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	f.busy()
	id := f.ids[0]
	f.key("s")
	s := f.screen()
	for _, want := range []string{"Stats", "decisions per hour, last 24 h", "█ crit", "░ low", "last 24 h", "all time",
		"allowed automatically", "held for a person", "timed out", "answer time median", "most held:", "now"} {
		if !strings.Contains(s, want) {
			t.Fatalf("stats page lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Pending") {
		t.Fatalf("the panels show under the stats page:\n%s", s)
	}
	// Nothing is decided from the stats page.
	f.key("A")
	undecided(t, f, id)
	if !strings.Contains(f.screen(), "close the stats (s)") {
		t.Fatalf("no hint:\n%s", f.screen())
	}
	// The page asks for fresh figures on the clock's tick while open, and
	// stops when closed.
	f.clk.Add(statsEvery)
	f.apply(clockMsg(f.clk.Now()))
	if !f.m.stats.loading {
		t.Fatal("an open stats page did not refresh")
	}
	f.key("esc")
	if f.m.stats.open || !strings.Contains(f.screen(), "Pending") {
		t.Fatalf("esc did not close the stats page:\n%s", f.screen())
	}
	f.m.stats.loading = false
	f.clk.Add(statsEvery)
	f.apply(clockMsg(f.clk.Now()))
	if f.m.stats.loading {
		t.Fatal("a closed stats page still refreshes")
	}
	// Figures of an earlier opening never replace those of a later one.
	f.key("s")
	gen := f.m.stats.gen
	f.apply(statsMsg{gen: gen - 1, err: errors.New("stale")})
	if f.m.stats.err != nil {
		t.Fatal("a stale answer was taken")
	}
}

// K engages the kill switch from the stats page, as from anywhere.
func TestStatsPageKillSwitch(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(80, 24)
	f.busy()
	f.key("s")
	f.key("K")
	if !f.eng.Snapshot().KillSwitch {
		t.Fatal("K on the stats page did not engage the kill switch")
	}
}

// A console without a ledger has no figures, and says so; a failed read is
// shown, not hidden.
func TestStatsPageWithoutFigures(t *testing.T) {
	f := newFixture(t, fixtureOpts{noStats: true})
	f.size(80, 24)
	f.refresh()
	f.key("s")
	if f.m.stats.open || !strings.Contains(f.screen(), "no figures to show") {
		t.Fatalf("no ledger:\n%s", f.screen())
	}
	f = newFixture(t, fixtureOpts{stats: StatsFunc(func(context.Context) (stats.Summary, error) {
		return stats.Summary{}, errors.New("reading the ledger: disk I/O error")
	})})
	f.size(80, 24)
	f.refresh()
	f.key("s")
	if !strings.Contains(f.screen(), "no figures: reading the ledger: disk I/O error") {
		t.Fatalf("error:\n%s", f.screen())
	}
}
