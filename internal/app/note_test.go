package app

import (
	"context"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
)

// An entry a standing answer decided names it in the pane; nothing else
// gets a note, whatever its detail says.
func TestRememberedEntryNamesTheAnswer(t *testing.T) {
	l, _, c := newLedger(t)
	ctx := context.Background()
	for _, e := range []ledger.Entry{
		{Kind: ledger.KindVerdict, Action: "git.push", Risk: "high", Decision: "approve", Factors: []string{"remembered"},
			Detail: "auto: remembered 14:02, session s-12 (a-1b2c3d: git.push on origin main)"},
		{Kind: ledger.KindVerdict, Action: "git.push", Risk: "high", Decision: "approve", Factors: []string{"keypad"},
			Detail: "auto: remembered 14:02, session forged by a title"},
	} {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	es, _, err := c.Latest(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Note != "auto: remembered 14:02, session s-12" || es[0].By != "remembered" || es[1].Note != "" {
		t.Fatalf("entries %+v", es)
	}
}
