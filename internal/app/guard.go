package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/guard"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/ledger"
)

// GuardStore is where the accepted touch-required policy is kept.
func GuardStore(l paths.Layout) guard.Store {
	return guard.Store{Path: filepath.Join(l.StateDir, "policy.json")}
}

// GuardState is the state approvals.require_touch protects, as on disk now.
func GuardState(l paths.Layout, cfg config.Config, tax *Taxonomy, reg *device.Registry) (guard.State, error) {
	b, err := os.ReadFile(l.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = nil, nil
	}
	if err != nil {
		return guard.State{}, fmt.Errorf("reading config: %w", err)
	}
	devs, err := reg.List()
	if err != nil {
		return guard.State{}, err
	}
	// The taxonomy as calls are classified: with the owner's overlay, whose
	// rules lower unknown programs from critical (a hand edit of it is a
	// weakening like any other taxonomy change).
	var actions []guard.Action
	for _, a := range tax.Current().Actions() {
		actions = append(actions, guard.Action{ID: a.ID, Risk: a.Risk.String()})
	}
	sum := tax.SHA256()
	if ov := tax.Overlay(); ov != nil {
		sum += "+overlay:" + ov.SHA256()
	}
	level := ""
	if cfg.RequireTouch.Valid() {
		level = cfg.RequireTouch.String()
	}
	return guard.Current(b, level, sum, actions, devs), nil
}

// GuardAnchor reads the ledger's newest policy-confirmed entry.
func GuardAnchor(ctx context.Context, led *ledger.Ledger) (guard.Anchored, error) {
	e, ok, err := led.LastOf(ctx, ledger.KindPolicyConfirmed)
	if err != nil || !ok {
		return guard.Anchored{}, err
	}
	return guard.ParseDetail(e.Detail)
}

// guardAnchorSoFar is GuardAnchor without waiting for the background
// verification of a ledger opened from a checkpoint; complete reports
// whether the whole ledger has been verified.
func guardAnchorSoFar(ctx context.Context, led *ledger.Ledger) (_ guard.Anchored, complete bool, _ error) {
	e, ok, complete, err := led.LastOfSoFar(ctx, ledger.KindPolicyConfirmed)
	if err != nil || !ok {
		return guard.Anchored{}, complete, err
	}
	a, err := guard.ParseDetail(e.Detail)
	return a, complete, err
}

// checkGuard refuses to start while the touch-required policy was weakened
// without a touch, and accepts (and records) touch being turned on. It
// reports later when it could not decide yet: nothing on disk says touch is
// required, and the part of the ledger that could say so is still being
// verified in the background (a large ledger opened from its checkpoint).
// The console must not wait for that: RecheckGuard does it then.
func (a *App) checkGuard(ctx context.Context, now func() time.Time) (later bool, _ error) {
	cur, err := GuardState(a.Layout, a.Config, a.Taxonomy, a.Devices)
	if err != nil {
		return false, err
	}
	store := GuardStore(a.Layout)
	anchor, complete, err := guardAnchorSoFar(ctx, a.Ledger)
	if err != nil {
		return false, fmt.Errorf("reading the accepted policy from the ledger: %w", err)
	}
	if !anchor.Found && !complete {
		if _, statErr := os.Lstat(store.Path); errors.Is(statErr, fs.ErrNotExist) && !cur.On() {
			return true, nil
		}
		if anchor, err = GuardAnchor(ctx, a.Ledger); err != nil {
			return false, fmt.Errorf("reading the accepted policy from the ledger: %w", err)
		}
	}
	return false, a.applyGuard(ctx, store, anchor, cur, now)
}

// recheckGuard finishes a check that checkGuard left for later, once the
// whole ledger is verified. If the ledger then shows that touch was
// required (and its accepted policy is gone or no longer matches), or
// cannot say (it does not verify), the kill switch is engaged and the
// console says why.
func (a *App) recheckGuard(ctx context.Context, now func() time.Time) {
	anchor, err := GuardAnchor(ctx, a.Ledger)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping
		}
		// The whole ledger cannot say whether touch was required (a
		// break before the checkpoint, a read error): the cheapest undo
		// of require_touch would be to delete policy.json, turn it off
		// and spoil one old entry. Fail closed; the owner releases the
		// switch once the ledger is understood.
		if kerr := a.Engine.EngageKillSwitch(ctx); kerr != nil {
			err = errors.Join(err, kerr)
		}
		why := "the whole ledger cannot say whether approvals.require_touch was on (" + err.Error() + ")"
		if errors.Is(err, ledger.ErrTampered) {
			why = "LEDGER HISTORY ALTERED before its checkpoint, so the ledger cannot say whether approvals.require_touch was on"
		}
		a.Engine.Problem("kill switch engaged: " + why + "; run `ony-tui verify`, then release the switch (K) once you know, " +
			"or start a new chain deliberately (`ony-tui serve --new-chain`)")
		return
	}
	if !anchor.Found {
		return
	}
	cur, err := GuardState(a.Layout, a.Config, a.Taxonomy, a.Devices)
	if err == nil {
		err = a.applyGuard(ctx, GuardStore(a.Layout), anchor, cur, now)
	}
	if err == nil {
		return
	}
	if kerr := a.Engine.EngageKillSwitch(ctx); kerr != nil {
		err = errors.Join(err, kerr)
	}
	a.Engine.Problem("kill switch engaged: the ledger shows touch was required, but " + err.Error())
}

// applyGuard evaluates the guard against anchor and records touch being
// turned on.
func (a *App) applyGuard(ctx context.Context, store guard.Store, anchor guard.Anchored, cur guard.State, now func() time.Time) error {
	st, err := guard.Evaluate(store, anchor, cur)
	if err != nil {
		return err
	}
	if len(st.Pending) > 0 {
		return &guard.ErrChanged{Changes: st.Pending}
	}
	if st.Accept == "" {
		return nil
	}
	if len(cur.YubiKeys()) == 0 {
		return errors.New("approvals.require_touch is on, but no YubiKey is enrolled: enrol one first (ony-tui enroll yubikey), or turn it off in config.yaml")
	}
	hash, err := guard.Accept(store, st.Hash, cur, st.Accept, "engine", "", now())
	if err != nil {
		return err
	}
	_, err = a.Journal.Append(ctx, ledger.Entry{Kind: ledger.KindPolicyConfirmed, Detail: guard.Detail(hash, cur, st.Accept)})
	if err != nil {
		return fmt.Errorf("recording the accepted policy: %w", err)
	}
	return nil
}
