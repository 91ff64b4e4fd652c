package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ony-dev/ony-tui/ledger"
)

// startLedger opens the home's ledger, or, when the owner asked for it,
// starts a new chain (the earlier files go to the archive).
func (a *App) startLedger(ctx context.Context, o Options) error {
	if o.NewChain == "" {
		led, err := OpenLedger(ctx, a.Layout)
		a.Ledger = led
		return err
	}
	led, prev, err := ledger.StartNewChain(ctx, a.Layout.LedgerFile, LedgerOptions(a.Layout),
		ledger.NewChain{ArchiveDir: a.Layout.ArchiveDir, By: o.NewChain})
	if err != nil {
		return fmt.Errorf("audit ledger: %w", err)
	}
	a.Ledger, a.Previous = led, &prev
	return nil
}

// watchFullCheck waits for the ledger's whole-chain verification (it runs
// in the background after an open from the latest checkpoint) and reports
// a problem it finds loudly: the engine shows it, and so does o.Problems.
func (a *App) watchFullCheck(led *ledger.Ledger, report func(string)) {
	select {
	case <-led.FullCheckDone():
	case <-a.stop:
		return
	}
	msg := FullCheckProblem(led.FullCheck())
	if msg == "" {
		return
	}
	a.Engine.Problem(msg)
	if report != nil {
		report(msg)
	}
}

// FullCheckProblem says what a whole-chain verification found and what it
// means, or "" when it found nothing (or is still running).
func FullCheckProblem(fc ledger.FullCheck) string {
	p := fc.Problem()
	if p == nil {
		return ""
	}
	if fc.Report == nil {
		return fmt.Sprintf("LEDGER NOT VERIFIED: the full verification could not run (%v). %s", p, FullCheckMeaning(fc))
	}
	return fmt.Sprintf("LEDGER HISTORY ALTERED: the full verification found %v. %s Keep the file for investigation and restore it from a backup.", p, FullCheckMeaning(fc))
}

// FullCheckMeaning says, briefly, what a failed whole-chain verification
// means for the record and for the engine, and what to do.
func FullCheckMeaning(fc ledger.FullCheck) string {
	const after = " 6-digit codes are refused: run \"ony-tui verify\"."
	if fc.Report == nil {
		return fmt.Sprintf("The record before signed checkpoint #%d is unchecked.", fc.Anchor.Seq) + after
	}
	var ce *ledger.ChainError
	if errors.As(fc.Problem(), &ce) && ce.Seq > fc.Anchor.Seq {
		return "Entries were altered after this engine verified them." + after
	}
	return fmt.Sprintf("The record before signed checkpoint #%d was altered after signing and cannot be trusted; new entries chain to the checkpoint.", fc.Anchor.Seq) + after
}
