package app

import (
	"context"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
)

// TestJournalRedactsEveryRecord: a record written past the engine (a phone
// record, a code failure) still reaches the ledger without a secret.
func TestJournalRedactsEveryRecord(t *testing.T) {
	a, l := start(t)
	const secret = "R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	ctx := context.Background()
	if _, err := a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindPhoneFailed, Target: "https://u:ghp_" + secret + "@x",
		RiskHint: "token=" + secret, Detail: "call failed: Authorization: Bearer " + secret}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := ledger.OpenReader(ctx, l.LedgerFile)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	es, err := r.Since(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Kind == ledger.KindPhoneFailed {
			found = true
			if s := e.Target + e.RiskHint + e.Detail; strings.Contains(s, secret) || !strings.Contains(e.Target, "ghp_***") {
				t.Fatalf("recorded %+v", e)
			}
		}
	}
	if !found {
		t.Fatal("the record is missing")
	}
}
